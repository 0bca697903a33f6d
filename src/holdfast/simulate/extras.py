"""Subscriptions (shifted-beta-geometric churn) and NPS survey responses.

Subscriptions: a subscriber starts a monthly plan with their first purchase. Each month they
churn with probability θ ~ Beta(α, β) (Fader & Hardie 2007, "How to project customer
retention"), so they pay for T ~ Geometric(θ) months and the plan ends at start + T months
(a month is 365.25/12 days); plans still running at the end of the period have no end.

Surveys: each purchase is followed by an NPS answer with probability ``survey_rate``, after
1 hour + Exp(2 days). The score is round(5 + 6·s + drift · years since start + ε), clipped to
0 … 10, with ε ~ Normal(0, 1.5) and satisfaction s = P(Beta(a, b) > p): the customer's
loyalty percentile (a customer unlikely to drop out is a satisfied one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc

from holdfast.simulate.clock import DAYS_PER_YEAR, US_PER_DAY, US_PER_HOUR, US_PER_SECOND
from holdfast.simulate.config import SimulationConfig

MONTH_US = int(DAYS_PER_YEAR / 12 * US_PER_DAY)
#: plan name, monthly price in cents, share of subscribers
PLANS = (
    ("Coffee Club Basic", 990, 0.50),
    ("Coffee Club Plus", 1990, 0.35),
    ("Barista", 3900, 0.15),
)
SURVEY_LAG_MEAN_DAYS = 2.0
NPS_BASE, NPS_SPAN, NPS_NOISE_SD = 5.0, 6.0, 1.5
COMMENT_SHARE = 0.3
COMMENTS = {
    "detractor": (
        "Delivery took far too long.",
        "The beans arrived stale.",
        "Customer service never answered.",
        "Too expensive for what you get.",
    ),
    "passive": (
        "Good coffee, slow shipping.",
        "Fine, nothing special.",
        "Packaging could be better.",
        "Would like more decaf options.",
    ),
    "promoter": (
        "Best beans I have had in years!",
        "Fast delivery and lovely packaging.",
        "The subscription is so convenient.",
        "Recommended it to all my friends.",
    ),
}


def satisfaction(p: np.ndarray, a: float, b: float) -> np.ndarray:
    """Loyalty percentile s = P(Beta(a, b) > p), uniform on 0 … 1 across customers."""
    return 1.0 - betainc(a, b, p)


@dataclass(frozen=True)
class Subscriptions:
    """One block's subscriptions, by customer."""

    customer: np.ndarray  # local customer index
    plan: np.ndarray  # index into PLANS
    start_us: np.ndarray
    end_us: np.ndarray  # -1 while running at the end of the period
    months: np.ndarray  # T: months paid before churning (may run past the period)


def draw_subscriptions(
    rng: np.random.Generator,
    subscriber: np.ndarray,
    theta: np.ndarray,
    acquired_us: np.ndarray,
    end_us: int,
) -> Subscriptions:
    """Monthly plans for subscribers, churning by the shifted-beta-geometric model."""
    n = len(subscriber)
    shares = np.array([s for *_, s in PLANS])
    plan = np.minimum(
        np.searchsorted(np.cumsum(shares) / shares.sum(), rng.random(n), side="right"),
        len(PLANS) - 1,
    )
    months = rng.geometric(theta)
    who = np.flatnonzero(subscriber)
    start = acquired_us[who]
    lifetime = np.minimum(months[who], (end_us - start) // MONTH_US + 1)
    end = start + lifetime * MONTH_US
    end = np.where(end < end_us, end, -1)
    return Subscriptions(who, plan[who], start, end, months[who])


@dataclass(frozen=True)
class Surveys:
    """One block's NPS responses, sorted by time."""

    customer: np.ndarray  # local customer index, -1 for anonymous answers
    time_us: np.ndarray
    score: np.ndarray  # int32, 0 … 10
    comment: np.ndarray  # index into the comment bank of the score's band, -1 for none


def draw_surveys(
    rng: np.random.Generator,
    config: SimulationConfig,
    purchase_customer: np.ndarray,
    purchase_us: np.ndarray,
    satisfied: np.ndarray,
    start_us: int,
    end_us: int,
) -> Surveys:
    """NPS answers after a share of purchases; scores follow satisfaction and a yearly drift."""
    k = len(purchase_customer)
    answers = rng.random(k) < config.survey_rate
    lag = US_PER_HOUR + rng.exponential(SURVEY_LAG_MEAN_DAYS * US_PER_DAY, k)
    noise = rng.normal(0.0, NPS_NOISE_SD, k)
    anonymous = rng.random(k) < config.anonymous_survey_share
    has_comment = rng.random(k) < COMMENT_SHARE
    comment_pick = rng.integers(0, len(COMMENTS["passive"]), k)

    time_us = purchase_us + lag.astype(np.int64)
    time_us -= time_us % US_PER_SECOND
    keep = answers & (time_us < end_us)
    years = (time_us - start_us) / (DAYS_PER_YEAR * US_PER_DAY)
    mean = NPS_BASE + NPS_SPAN * satisfied[purchase_customer] + config.nps_drift_per_year * years
    score = np.clip(np.rint(mean + noise), 0, 10).astype(np.int32)
    customer = np.where(anonymous, -1, purchase_customer)
    comment = np.where(has_comment, comment_pick, -1)
    order = np.flatnonzero(keep)
    order = order[np.argsort(time_us[order], kind="stable")]
    return Surveys(customer[order], time_us[order], score[order], comment[order])


def band(score: np.ndarray) -> np.ndarray:
    """0 = detractor (0–6), 1 = passive (7–8), 2 = promoter (9–10)."""
    return np.where(score >= 9, 2, np.where(score >= 7, 1, 0))
