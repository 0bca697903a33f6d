"""The data matches the truth it was drawn from.

Model recovery uses lifetimes (a peer implementation) to fit BG/NBD and gamma-gamma on the
simulated purchases and a likelihood-ratio test against the true parameters, with the
likelihoods written out from the papers (Fader, Hardie & Lee 2005, eq. 6; Hardie's note 025,
eq. 1a). Each test also shows it can fail: a wrong parameter set is rejected.
Per-customer checks compare counts with their exact expectations given the latent values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from scipy.special import gammaln
from scipy.stats import chi2, chisquare
from simulate_helpers import cents, micros

from holdfast.simulate import Shop, SimulationConfig
from holdfast.simulate.catalogue import CATEGORIES

WEEK_US = 7 * 86_400 * 1_000_000
MONTH_US = int(365.25 / 12 * 86_400 * 1_000_000)


def _lifetimes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes touches deprecated pandas options on import
        import lifetimes
    return lifetimes


def _end_us(shop: Shop) -> int:
    end = pa.array([shop.truth["period"]["end"]]).cast(pa.timestamp("us", "UTC"))
    return int(micros(end)[0])


def _purchases(shop: Shop) -> pa.Table:
    orders = shop.tables["orders"]
    done = orders.filter(pc.equal(orders["status"], "completed"))
    net = pa.array(cents(done["amount"]) - cents(done["refunded"]))
    return pa.table(
        {"customer_id": done["customer_id"], "us": micros(done["ordered_at"]), "net": net}
    )


def _summary(shop: Shop) -> dict[str, np.ndarray]:
    """Per buyer: repeat count x, recency t_x and age T in weeks, purchases n, mean net spend."""
    per = (
        _purchases(shop)
        .group_by("customer_id")
        .aggregate([("us", "min"), ("us", "max"), ("us", "count"), ("net", "mean")])
        .sort_by("customer_id")
    )
    first, last = per["us_min"].to_numpy(), per["us_max"].to_numpy()
    n = per["us_count"].to_numpy()
    return {
        "customer_id": per["customer_id"],
        "x": n - 1,
        "tx": (last - first) / WEEK_US,
        "T": (_end_us(shop) - first) / WEEK_US,
        "n": n,
        "mean_spend": per["net_mean"].to_numpy() / 100.0,
    }


def _truth_for(shop: Shop, ids: pa.ChunkedArray) -> pa.Table:
    truth = shop.truth_customers
    return truth.take(pc.index_in(ids, truth["customer_id"]))


def bgnbd_log_likelihood(params, x, tx, T) -> float:
    """FHL (2005) eq. 6, summed over customers."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(
        x > 0,
        np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(tx + alpha),
        -np.inf,
    )
    return float((a1 + a2 + np.logaddexp(a3, a4)).sum())


def gamma_gamma_log_likelihood(params, n, mean) -> float:
    """Density of the mean spend of n purchases under gamma-gamma (Hardie, note 025, eq. 1a)."""
    p, q, gamma = params
    return float(
        (
            gammaln(p * n + q)
            - gammaln(p * n)
            - gammaln(q)
            + q * np.log(gamma)
            + (p * n - 1) * np.log(mean)
            + p * n * np.log(n)
            - (p * n + q) * np.log(n * mean + gamma)
        ).sum()
    )


def test_bgnbd_fitted_by_lifetimes_does_not_reject_the_true_parameters(pure_shop: Shop) -> None:
    s = _summary(pure_shop)
    fitter = _lifetimes().BetaGeoFitter().fit(s["x"], s["tx"], s["T"])
    fitted = fitter.params_[["r", "alpha", "a", "b"]].to_numpy()
    m = pure_shop.truth["bgnbd"]
    true = [m["r"], m["alpha"], m["a"], m["b"]]
    at_fit = bgnbd_log_likelihood(fitted, s["x"], s["tx"], s["T"])
    statistic = 2 * (at_fit - bgnbd_log_likelihood(true, s["x"], s["tx"], s["T"]))
    assert -1e-3 < statistic < chi2.ppf(0.999, 4), (fitted, statistic)
    wrong = [true[0], true[1] * 1.5, true[2], true[3]]
    assert 2 * (at_fit - bgnbd_log_likelihood(wrong, s["x"], s["tx"], s["T"])) > chi2.ppf(0.999, 4)


def test_gamma_gamma_fitted_by_lifetimes_does_not_reject_the_true_parameters(
    pure_shop: Shop,
) -> None:
    s = _summary(pure_shop)
    fitter = _lifetimes().GammaGammaFitter().fit(s["n"], s["mean_spend"])
    fitted = fitter.params_[["p", "q", "v"]].to_numpy()
    g = pure_shop.truth["gamma_gamma"]
    true = [g["p"], g["q"], g["gamma"]]
    at_fit = gamma_gamma_log_likelihood(fitted, s["n"], s["mean_spend"])
    statistic = 2 * (at_fit - gamma_gamma_log_likelihood(true, s["n"], s["mean_spend"]))
    assert -1e-3 < statistic < chi2.ppf(0.999, 3), (fitted, statistic)
    wrong = [true[0], true[1], true[2] * 1.2]
    wrong_statistic = 2 * (at_fit - gamma_gamma_log_likelihood(wrong, s["n"], s["mean_spend"]))
    assert wrong_statistic > chi2.ppf(0.999, 3)


def test_repeat_purchases_and_dropouts_follow_each_customers_latent_values(
    pure_shop: Shop,
) -> None:
    s = _summary(pure_shop)
    truth = _truth_for(pure_shop, s["customer_id"])
    lam, p = truth["lambda"].to_numpy(), truth["p"].to_numpy()
    # no repeat purchase in (0, T]: Poisson(λT) = 0, as dropout only follows a repeat purchase
    none = np.exp(-lam * s["T"])
    z = ((s["x"] == 0).sum() - none.sum()) / np.sqrt((none * (1 - none)).sum())
    assert abs(z) < 4, z
    # dropped out by the end: J ≤ N, probability 1 − E[(1 − p)^N] = 1 − exp(−λTp)
    dropped = truth["dropped_out"].to_numpy(zero_copy_only=False)
    chance = 1 - np.exp(-lam * s["T"] * p)
    z = (dropped.sum() - chance.sum()) / np.sqrt((chance * (1 - chance)).sum())
    assert abs(z) < 4, z
    # mean repeat purchases of customers still alive: E[N | N < J] has no closed form, so check
    # the alive customers' rate instead: x ~ Poisson(λT) conditioned on J > x is ≤ λT on average
    alive = ~dropped
    assert s["x"][alive].sum() < (lam * s["T"])[alive].sum()


def test_spend_follows_each_customers_nu(pure_shop: Shop) -> None:
    purchases = _purchases(pure_shop)
    truth = _truth_for(pure_shop, purchases["customer_id"])
    shape = pure_shop.truth["gamma_gamma"]["p"]
    # net spend z ~ Gamma(p, ν): z·ν/p has mean 1 and variance 1/p
    ratio = purchases["net"].to_numpy() / 100.0 * truth["nu"].to_numpy() / shape
    se = np.sqrt(1 / shape / len(ratio))
    assert abs(ratio.mean() - 1) < 4 * se
    assert abs(ratio.var() * shape - 1) < 0.05
    expected = truth["expected_spend"].to_numpy()
    assert np.allclose(expected, shape / truth["nu"].to_numpy())


def test_subscriptions_churn_with_each_subscribers_theta(pure_shop: Shop) -> None:
    subs = pure_shop.tables["subscriptions"]
    started = micros(subs["started_at"])
    ended = micros(subs["ended_at"])
    observed = started + 2 * MONTH_US <= _end_us(pure_shop)
    theta = _truth_for(pure_shop, subs["customer_id"])["theta"].to_numpy()
    months = np.where(ended >= 0, np.rint((ended - started) / MONTH_US), np.inf)
    for k in (1, 2):
        # P(T = k) = θ(1 − θ)^(k − 1) under the shifted-beta-geometric model
        chance = (theta * (1 - theta) ** (k - 1))[observed]
        count = (months[observed] == k).sum()
        z = (count - chance.sum()) / np.sqrt((chance * (1 - chance)).sum())
        assert abs(z) < 4, (k, z)
    share = (
        subs.num_rows
        / pure_shop.truth_customers.filter(pure_shop.truth_customers["buyer"]).num_rows
    )
    assert abs(share - 0.10) < 0.02


def test_target_order_count_matches_the_expected_orders_per_customer(pure_shop: Shop) -> None:
    from holdfast.simulate.clock import build_clock
    from holdfast.simulate.sizing import orders_per_customer

    config = SimulationConfig(customers=8_000, seed=11, seasonality=False)
    clock = build_clock(config.start, config.end, config.seasonality, config.growth)
    expected = orders_per_customer(config, clock) * 8_000
    observed = pure_shop.tables["orders"].num_rows
    assert abs(observed - expected) / expected < 0.06


def test_seasonality_shows_in_weekdays_and_hours(shop: Shop, pure_shop: Shop) -> None:
    us = _purchases(shop)["us"].to_numpy()
    days = us // (86_400 * 1_000_000)
    weekday = np.bincount((days + 3) % 7, minlength=7)  # Monday = 0
    assert weekday.argmax() == 6  # Sunday
    assert 1.15 < weekday[6] / weekday[3] < 1.6  # 1.20 / 0.90 ≈ 1.33 by construction
    hour = np.bincount(us // 3_600_000_000 % 24, minlength=24)
    assert hour[18:22].sum() > 5 * hour[1:5].sum()
    flat = _purchases(pure_shop)["us"].to_numpy() // (86_400 * 1_000_000)
    counts = np.bincount((flat + 3) % 7, minlength=7)
    assert chisquare(counts).pvalue > 0.001
    flat_hour = np.bincount(_purchases(pure_shop)["us"].to_numpy() // 3_600_000_000 % 24)
    assert chisquare(flat_hour).pvalue > 0.001


def test_nps_scores_follow_satisfaction(shop: Shop) -> None:
    answers = shop.tables["survey_responses"]
    named = answers.filter(pc.is_valid(answers["customer_id"]))
    satisfaction = _truth_for(shop, named["customer_id"])["satisfaction"].to_numpy()
    scores = named["score"].to_numpy()
    assert np.corrcoef(satisfaction, scores)[0, 1] > 0.6
    promoters, detractors = (scores >= 9).mean(), (scores <= 6).mean()
    assert -0.5 < promoters - detractors < 0.6


def test_baskets_hold_complements_and_staples(shop: Shop) -> None:
    lines = shop.tables["order_lines"]
    complement = {p["product_id"]: p["complement"] for p in shop.truth["catalogue"]}
    first = lines.filter(pc.equal(lines["line_no"], 1))
    later = lines.filter(pc.greater(lines["line_no"], 1))
    first_product = dict(
        zip(first["order_id"].to_pylist(), first["product_id"].to_pylist(), strict=True)
    )
    with_more = set(later["order_id"].to_pylist())
    has_complement = {
        order
        for order, product in zip(
            later["order_id"].to_pylist(), later["product_id"].to_pylist(), strict=True
        )
        if complement[first_product[order]] == product
    }
    share = len(has_complement) / len(with_more)
    assert share > 0.25  # 0.35 of later lines are complements of line 1, by construction
    # replenishment: repeat buyers keep re-ordering one product
    orders = shop.tables["orders"]
    done = orders.filter(pc.equal(orders["status"], "completed"))
    bought = lines.join(done.select(["order_id", "customer_id"]), "order_id", join_type="inner")
    per_product = bought.group_by(["customer_id", "product_id"]).aggregate([("order_id", "count")])
    top = per_product.group_by("customer_id").aggregate([("order_id_count", "max")])
    n_orders = done.group_by("customer_id").aggregate([("order_id", "count")])
    joined = top.join(n_orders, "customer_id")
    regular = pc.greater_equal(joined["order_id_count"], 4)
    top_share = pc.divide(
        pc.cast(joined["order_id_count_max"], pa.float64()), joined["order_id_count"]
    ).filter(regular)
    assert pc.mean(top_share).as_py() > 0.4
    assert {c[0] for c in CATEGORIES} == set(lines["category"].to_pylist())


@pytest.mark.parametrize("seed", [1, 2])
def test_latent_draws_match_their_distributions(seed: int) -> None:
    from holdfast.simulate import simulate

    shop = simulate(SimulationConfig(customers=20_000, seed=seed))
    truth = shop.truth_customers
    m = shop.truth["bgnbd"]
    lam = truth["lambda"].to_numpy()
    # Gamma(r, α): mean r/α, variance r/α²
    assert abs(lam.mean() - m["r"] / m["alpha"]) < 4 * np.sqrt(m["r"]) / m["alpha"] / np.sqrt(
        len(lam)
    )
    p = truth["p"].to_numpy()
    mean_p = m["a"] / (m["a"] + m["b"])
    sd_p = np.sqrt(mean_p * (1 - mean_p) / (m["a"] + m["b"] + 1))
    assert abs(p.mean() - mean_p) < 4 * sd_p / np.sqrt(len(p))
    buyers = truth["buyer"].to_numpy(zero_copy_only=False)
    assert abs(buyers.mean() - 0.95) < 4 * np.sqrt(0.95 * 0.05 / len(buyers))
