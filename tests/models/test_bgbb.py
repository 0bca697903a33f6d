"""BG/BB: the published donations example, lifetimes as oracle, DERT, recovery."""

from __future__ import annotations

import numpy as np
import pytest
from model_sim import assert_recovers
from model_sim import bgbb as simulate

from holdfast.errors import InputError
from holdfast.models import bgbb

# Fader, Hardie & Shang (2010), "Customer-Base Analysis in a Discrete-Time Noncontractual
# Setting", Marketing Science 29(6): the 11,104 members of a nonprofit's 1995 cohort over six
# yearly opportunities (1996-2001), as (x, t_x, count) patterns (their table 1).
DONATIONS = [
    (6, 6, 1203), (5, 6, 728), (4, 6, 512), (3, 6, 357), (2, 6, 234), (1, 6, 129),
    (5, 5, 335), (4, 5, 284), (3, 5, 225), (2, 5, 173), (1, 5, 119),
    (4, 4, 240), (3, 4, 181), (2, 4, 155), (1, 4, 78),
    (3, 3, 322), (2, 3, 255), (1, 3, 129),
    (2, 2, 613), (1, 2, 277),
    (1, 1, 1091),
    (0, 0, 3464),
]  # fmt: skip
# Their estimates and log-likelihood.
PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
PUBLISHED_LL = -33225.6
# E[X(n)] for n = 1..11 at the maximum-likelihood estimates (alpha = 1.2035, beta = 0.7497,
# gamma = 0.6567, delta = 2.7834), from the "Tracking Plot" sheet of Hardie's note 010
# spreadsheet (as quoted by pymc-marketing's tests).
NOTE_010_EXPECTED = [
    0.4985, 0.9233, 1.2969, 1.6323, 1.9381, 2.2202, 2.4826, 2.7285, 2.9603, 3.1798, 3.3887,
]  # fmt: skip


@pytest.fixture(scope="module")
def donations():
    x, tx, w = (np.array(c, float) for c in zip(*DONATIONS, strict=True))
    return x, tx, np.full_like(x, 6.0), w


@pytest.fixture(scope="module")
def fitted(donations):
    x, tx, n, w = donations
    return bgbb.BetaGeoBetaBinomial().fit(x, tx, n, weights=w)


def test_published_estimates(fitted):
    for name, value in PUBLISHED.items():
        assert round(fitted.params[name], 3) == value
    assert round(fitted.loglik, 1) == PUBLISHED_LL
    assert fitted.n_customers == 11104 and fitted.converged


def test_published_expected_transactions(fitted):
    values = bgbb.expected_purchases(fitted.params, np.arange(1, 12))
    assert list(np.round(values, 4)) == NOTE_010_EXPECTED


def test_same_as_lifetimes_bundled_donations(fitted, donations, lifetimes):
    bundled = lifetimes.datasets.load_donations()
    ours = sorted(zip(*(c.astype(int) for c in donations), strict=True))
    theirs = sorted(
        zip(bundled.frequency, bundled.recency, bundled.periods, bundled.weights, strict=True)
    )
    assert ours == theirs
    lt = lifetimes.BetaGeoBetaBinomFitter().fit(
        bundled.frequency, bundled.recency, bundled.periods, bundled.weights
    )
    for name in PUBLISHED:
        assert fitted.params[name] == pytest.approx(lt.params_[name], rel=1e-4)
    ref = dict(lt.params_)
    args = (bundled.frequency, bundled.recency, bundled.periods)
    for m in (1, 3, 6):
        np.testing.assert_allclose(
            bgbb.conditional_expected_purchases(ref, m, *args),
            lt.conditional_expected_number_of_purchases_up_to_time(m, *args),
            rtol=1e-6,
        )
        np.testing.assert_allclose(
            bgbb.p_alive(ref, *args, m), lt.conditional_probability_alive(m, *args), rtol=1e-6
        )


def test_loglik_invariant(fitted, donations):
    x, tx, n, w = donations
    assert w @ bgbb.loglik(fitted.params, x, tx, n) == pytest.approx(fitted.loglik, rel=1e-12)


def test_pmf_sums_to_one_and_matches_the_mean():
    pmf = bgbb.probability_of_purchases(PUBLISHED, 6, np.arange(7))
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert pmf @ np.arange(7) == pytest.approx(bgbb.expected_purchases(PUBLISHED, 6), rel=1e-10)


def test_dert_equals_the_discounted_sum():
    d, k = 0.1, np.arange(1, 3000)
    for xi, txi in ((6, 6), (2, 3), (0, 0)):
        head = bgbb.conditional_expected_purchases(PUBLISHED, k, xi, txi, 6)
        per_period = np.diff(np.concatenate([[0.0], head]))
        brute = (per_period / (1 + d) ** k).sum()
        value = bgbb.discounted_expected_residual_transactions(PUBLISHED, d, xi, txi, 6)
        assert value == pytest.approx(brute, rel=1e-9)


def test_gamma_near_one_uses_the_direct_sum():
    params = {**PUBLISHED, "gamma": 1.0}
    near = {**PUBLISHED, "gamma": 1.0 + 1e-3}
    assert bgbb.expected_purchases(params, 10) == pytest.approx(
        bgbb.expected_purchases(near, 10), rel=1e-3
    )


def test_simulate_and_recover():
    results = [
        bgbb.BetaGeoBetaBinomial().fit(*simulate(4000, **PUBLISHED, periods=6, seed=s))
        for s in range(20)
    ]
    assert_recovers(results, PUBLISHED)


def test_inconsistent_rows_are_listed():
    with pytest.raises(InputError, match="inconsistent") as info:
        bgbb.BetaGeoBetaBinomial().fit([2, 3, 1], [1, 3, 7], [6, 6, 6])
    assert info.value.problems[0].row == 0
