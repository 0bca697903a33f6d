"""Helpers of the scoring use case: score frames, value, order lines, writes and reads."""
