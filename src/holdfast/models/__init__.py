"""holdfast.models: customer-base models fitted on one row per customer (numpy/scipy only).

Fitters (a constructor holds settings, ``fit`` returns a :class:`FitResult`):

==========================  ==========  ===============================================
class                       module      parameters
==========================  ==========  ===============================================
BetaGeo (BG/NBD)            bgnbd       r, alpha, a, b
ModifiedBetaGeo (MBG/NBD)   mbgnbd      r, alpha, a, b
ParetoNBD (Pareto/NBD)      paretonbd   r, alpha, s, beta
GammaGamma (spend)          gammagamma  p, q, gamma
ShiftedBetaGeometric (sBG)  sbg         alpha, beta
BetaGeoBetaBinomial (BG/BB) bgbb        alpha, beta, gamma, delta
==========================  ==========  ===============================================

Predictions are pure functions in each module taking ``result.params``; CLV in :mod:`.clv`,
calibration/holdout validation in :mod:`.validation`. Formulas and sources: docs/models.md.
"""

from holdfast.models.bgbb import BetaGeoBetaBinomial
from holdfast.models.bgnbd import BetaGeo
from holdfast.models.gammagamma import GammaGamma
from holdfast.models.mbgnbd import ModifiedBetaGeo
from holdfast.models.paretonbd import ParetoNBD
from holdfast.models.result import FitResult
from holdfast.models.sbg import ShiftedBetaGeometric

__all__ = [
    "BetaGeo",
    "BetaGeoBetaBinomial",
    "FitResult",
    "GammaGamma",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "ShiftedBetaGeometric",
]
