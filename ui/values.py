"""Checks for the numbers the page sends (or a script posting to the app's HTTP API): real,
finite, whole where they count something, in range after the float32 cast the model uses.
Each failure is one UserError naming the field, what is accepted and what arrived."""

from __future__ import annotations

import math
import numbers

import numpy as np

from mesa.errors import UserError


def real_number(name: str, value: object) -> float:
    """`value` as a Python float; UserError for None, booleans, text, complex and overflowing ints."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise UserError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise UserError(f"{name} is far too large, got {value!r}") from None


def whole_number(name: str, value: object, low: int, high: int) -> int:
    """`value` as an int from `low` to `high`; 3.0 is accepted, 2.7, NaN and infinity are not."""
    number = real_number(name, value)
    if not (math.isfinite(number) and number == math.floor(number) and low <= number <= high):
        raise UserError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}")
    return int(number)


def float32_in_range(name: str, value: object, low: float, high: float, unit: str = "") -> float:
    """`value` after the float32 cast the model applies, checked to lie in [low, high]."""
    number = real_number(name, value)
    with np.errstate(over="ignore"):
        cast = float(np.float32(number))
    if not (math.isfinite(number) and math.isfinite(cast) and low <= cast <= high):
        raise UserError(f"{name} must be a number from {low:g} to {high:g}{unit}, got {value!r}")
    return cast
