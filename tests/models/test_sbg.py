"""sBG: the published retention examples, DERL, the two input forms, recovery."""

from __future__ import annotations

import numpy as np
import pytest
from model_sim import assert_recovers
from model_sim import sbg as simulate

from holdfast.errors import InputError, UserError
from holdfast.models import sbg

# Fader & Hardie (2007), "How to Project Customer Retention", J. Interactive Marketing 21(1):
# survivors of 1,000 customers over 7 years, "regular" and "high end" segments, with maximum
# likelihood estimates alpha = 0.704, beta = 1.182 (LL -1680.3) and alpha = 0.668,
# beta = 3.806 (LL -1611.2).
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta", "ll"),
    [(REGULAR, 0.704, 1.182, -1680.3), (HIGH_END, 0.668, 3.806, -1611.2)],
)
def test_published_estimates(survivors, alpha, beta, ll):
    result = sbg.ShiftedBetaGeometric().fit(survivors=survivors)
    assert round(result.params["alpha"], 3) == alpha
    assert round(result.params["beta"], 3) == beta
    assert round(result.loglik, 1) == ll
    assert result.n_customers == 1000 and result.converged


def test_rows_and_survivors_give_the_same_fit():
    by_counts = sbg.ShiftedBetaGeometric().fit(survivors=REGULAR)
    duration, churned, weights = sbg.survivors_to_durations(REGULAR)
    rows_t = np.repeat(duration, weights.astype(int))
    rows_c = np.repeat(churned, weights.astype(int))
    by_rows = sbg.ShiftedBetaGeometric().fit(rows_t, rows_c)
    assert by_rows.params == pytest.approx(by_counts.params, rel=1e-9)
    assert by_rows.loglik == pytest.approx(by_counts.loglik, rel=1e-12)
    assert sbg.loglik(by_rows.params, rows_t, rows_c).sum() == pytest.approx(by_rows.loglik)


def test_retention_survival_and_projection():
    params = {"alpha": 0.704, "beta": 1.182}
    t = np.arange(1, 13)
    survival = sbg.survival(params, t)
    np.testing.assert_allclose(
        survival, np.cumprod(sbg.retention_rate(params, t)), rtol=1e-12
    )  # S(t) = r_1 r_2 ... r_t
    assert np.all(np.diff(sbg.retention_rate(params, t)) > 0)  # retention rises with tenure
    churn = sbg.churn_probability(params, t)
    np.testing.assert_allclose(churn, np.concatenate([[1.0], survival[:-1]]) - survival)
    projected = sbg.project_survivors(params, 1000, 12)
    assert projected[0] == 1000 and projected[7] == pytest.approx(1000 * survival[6])


def test_derl_equals_the_discounted_sum():
    params = {"alpha": 0.668, "beta": 3.806}
    for renewals in (0, 1, 4, 10):
        n = renewals + 1
        k = np.arange(0, 5000)
        brute = (sbg.survival(params, n + k) / sbg.survival(params, n - 1) / 1.1**k).sum()
        value = sbg.discounted_expected_residual_lifetime(params, 0.1, renewals)
        assert value == pytest.approx(brute, rel=1e-10)
    del_new = sbg.discounted_expected_lifetime(params, 0.1)
    brute_new = (sbg.survival(params, np.arange(5000)) / 1.1 ** np.arange(5000)).sum()
    assert del_new == pytest.approx(brute_new, rel=1e-10)


def test_simulate_and_recover():
    truth = {"alpha": 0.7, "beta": 1.2}
    results = [
        sbg.ShiftedBetaGeometric().fit(*simulate(2000, **truth, periods=8, seed=s))
        for s in range(20)
    ]
    assert_recovers(results, truth)


def test_bad_input():
    with pytest.raises(InputError, match="cannot increase"):
        sbg.ShiftedBetaGeometric().fit(survivors=[100, 80, 90])
    with pytest.raises(UserError, match="no customer churned"):
        sbg.ShiftedBetaGeometric().fit(survivors=[100, 100, 100])
    with pytest.raises(UserError, match="either survivors"):
        sbg.ShiftedBetaGeometric().fit([1, 2], [True, False], survivors=[3, 2])
    with pytest.raises(InputError, match="period 1 or later"):
        sbg.ShiftedBetaGeometric().fit([0, 2], [True, False])
