"""Boundary checks for finishing settings; each failure is one UserError naming the setting."""

from __future__ import annotations

import math

from mesa.errors import UserError

MAX_ITERATIONS = 100_000


def check_fraction(name: str, value: float) -> float:
    """Return `value` as float after checking it is a finite number in [0, 1]."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number from 0 to 1, got {value!r}") from None
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise UserError(f"{name} must be a number from 0 to 1, got {value}")
    return number


def check_iterations(value: int) -> int:
    """Return `value` after checking it is an int from 1 to MAX_ITERATIONS."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ITERATIONS:
        raise UserError(f"iterations must be a whole number from 1 to {MAX_ITERATIONS}, got {value!r}")
    return value


def check_range(name: str, value: float, low: float, high: float) -> float:
    """Return `value` as float after checking it is finite and low <= value <= high."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise UserError(f"{name} must be a number from {low:g} to {high:g}, got {value}")
    return number
