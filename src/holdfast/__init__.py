"""holdfast: measure customer retention, predict it, act on it."""

__version__ = "0.1.0"
