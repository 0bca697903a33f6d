"""Seasonality as a change of clock: calendar time ↔ "operational" time, and the acquisition curve.

Purchases are drawn by the pure BG/NBD process in operational time τ and mapped back to the
calendar by the inverse of Λ(t) = ∫ s(u) du, where s(t) = yearly(t) · weekly(t) · hourly(t)
(each averaging 1). More purchases land where s is high (Saturdays, evenings, Black Friday), the
number of purchases is unchanged in expectation over whole years, and with seasonality off
(s ≡ 1) Λ is the identity, so the data is exactly BG/NBD. s is constant within each UTC hour,
so Λ is piecewise linear on an hourly grid and both directions are one ``np.interp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR
DAYS_PER_YEAR = 365.25

#: Relative purchase intensity Monday … Sunday (normalised to mean 1 below).
WEEKDAY_WEIGHTS = np.array([1.05, 1.00, 0.95, 0.90, 0.90, 1.00, 1.20])
#: Relative intensity by UTC hour 0 … 23: quiet nights, a lunch bump, an evening peak.
HOUR_WEIGHTS = np.array(
    [0.35, 0.20, 0.15, 0.12, 0.12, 0.20, 0.40, 0.70, 0.90, 1.00, 1.10, 1.20,
     1.30, 1.25, 1.20, 1.20, 1.25, 1.35, 1.50, 1.70, 1.80, 1.60, 1.10, 0.60]
)  # fmt: skip
#: Yearly curve: a winter-peaked cosine plus Black Friday and Christmas bumps (0-based day).
YEARLY_COSINE = (0.10, 355.0)  # amplitude, peak day
YEARLY_BUMPS = ((0.50, 330.0, 5.0), (0.30, 350.0, 7.0))  # height, centre day, width (sd, days)


def yearly_curve(day_of_year: np.ndarray) -> np.ndarray:
    """Unnormalised yearly multiplier y(d) = 1 + A cos(2π(d − d₀)/365.25) + Σ h·φ((d − c)/w)."""
    amp, peak = YEARLY_COSINE
    y = 1.0 + amp * np.cos(2 * np.pi * (day_of_year - peak) / DAYS_PER_YEAR)
    for height, centre, width in YEARLY_BUMPS:
        y = y + height * np.exp(-0.5 * ((day_of_year - centre) / width) ** 2)
    return y


def _yearly_mean() -> float:
    grid = (np.arange(36525) + 0.5) / 100.0
    return float(yearly_curve(grid).mean())


def to_us(day: date) -> int:
    """Microseconds since the Unix epoch of a date's midnight UTC."""
    return (day - date(1970, 1, 1)).days * US_PER_DAY


def from_us(us: int) -> datetime:
    """The naive UTC datetime of a microsecond timestamp (for truth.json)."""
    return datetime(1970, 1, 1) + timedelta(microseconds=int(us))


@dataclass(frozen=True)
class Clock:
    """The period's hourly grid, its operational clock Λ (days) and the acquisition CDF."""

    start_us: int
    end_us: int  # exclusive
    grid_us: np.ndarray  # hour edges, float64 microseconds
    op_days: np.ndarray  # Λ at the edges, in days of operational time
    acquisition_cdf: np.ndarray  # share of acquisitions before each edge, 0 … 1

    @property
    def op_end(self) -> float:
        """Λ at the end of the period."""
        return float(self.op_days[-1])

    def to_operational(self, t_us: np.ndarray) -> np.ndarray:
        """Operational time Λ(t) in days for calendar microseconds."""
        return np.interp(t_us, self.grid_us, self.op_days)

    def to_calendar(self, op: np.ndarray) -> np.ndarray:
        """Calendar time (int64 microseconds, floored to whole seconds) for operational days."""
        t = np.interp(op, self.op_days, self.grid_us).astype(np.int64)
        t = np.minimum(t, self.end_us - 1)
        return t - t % US_PER_SECOND

    def acquisition_time(self, quantile: np.ndarray) -> np.ndarray:
        """Calendar time (int64 µs, whole seconds) at quantiles of the acquisition curve."""
        t = np.interp(quantile, self.acquisition_cdf, self.grid_us).astype(np.int64)
        t = np.clip(t, self.start_us, self.end_us - 1)
        return t - t % US_PER_SECOND


def hourly_intensity(start_us: int, hours: int, seasonality: bool) -> np.ndarray:
    """s(t) for each hour of the period: yearly · weekly · hourly, each with mean 1."""
    if not seasonality:
        return np.ones(hours)
    hour_index = np.arange(hours, dtype=np.int64)
    t_hours = start_us // US_PER_HOUR + hour_index
    days = t_hours // 24
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    day_of_year = _day_of_year(days) + (t_hours % 24 + 0.5) / 24
    weekly = WEEKDAY_WEIGHTS / WEEKDAY_WEIGHTS.mean()
    hourly = HOUR_WEIGHTS / HOUR_WEIGHTS.mean()
    yearly = yearly_curve(day_of_year) / _yearly_mean()
    return yearly * weekly[weekday] * hourly[t_hours % 24]


def _day_of_year(days_since_epoch: np.ndarray) -> np.ndarray:
    as_date = days_since_epoch.astype("datetime64[D]")
    year_start = as_date.astype("datetime64[Y]").astype("datetime64[D]")
    return (as_date - year_start).astype(np.int64).astype(np.float64)


def build_clock(start: date, end: date, seasonality: bool, growth: float) -> Clock:
    """The clock for [start, end + 1 day): intensities, Λ and the acquisition CDF.

    Acquisitions follow a(t) ∝ exp(growth · years since start) · s(t).
    """
    start_us = to_us(start)
    end_us = to_us(end + timedelta(days=1))
    hours = (end_us - start_us) // US_PER_HOUR
    s = hourly_intensity(start_us, hours, seasonality)
    grid = start_us + np.arange(hours + 1, dtype=np.int64) * US_PER_HOUR
    op_days = np.concatenate([[0.0], np.cumsum(s) / 24.0])
    years = (np.arange(hours) + 0.5) / (24 * DAYS_PER_YEAR)
    acquisition = np.exp(growth * years) * s
    cdf = np.concatenate([[0.0], np.cumsum(acquisition)])
    cdf /= cdf[-1]
    return Clock(start_us, end_us, grid.astype(np.float64), op_days, cdf)
