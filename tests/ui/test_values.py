"""Number checks for values from the page or the HTTP API."""

import math

import numpy as np
import pytest

from mesa.errors import UserError
from ui.values import float32_in_range, real_number, whole_number


def test_real_numbers_only():
    assert real_number("x", 3) == 3.0 and real_number("x", np.float32(0.5)) == 0.5
    for value in (None, True, np.bool_(False), "3", 1j, [1]):
        with pytest.raises(UserError, match="x must be a number"):
            real_number("x", value)
    with pytest.raises(UserError, match="far too large"):
        real_number("x", 10**400)


def test_whole_numbers_are_not_rounded():
    assert whole_number("steps", 3.0, 1, 150) == 3 and isinstance(whole_number("steps", 3.0, 1, 150), int)
    assert whole_number("steps", np.int64(150), 1, 150) == 150
    for value in (2.7, math.nan, math.inf, -math.inf, 0, 151, 1e300):
        with pytest.raises(UserError, match="steps must be a whole number from 1 to 150"):
            whole_number("steps", value, 1, 150)


def test_float32_range_is_checked_after_the_cast():
    assert float32_in_range("relief", 1234.5, 1, 20_000) == 1234.5
    assert float32_in_range("g", 0.1, 0, 1) == float(np.float32(0.1))
    for value in (1e39, 1e308, math.nan, math.inf, -1.0, 20_000.5):
        with pytest.raises(UserError, match="relief must be a number from 1 to 20000 m"):
            float32_in_range("relief", value, 1, 20_000, " m")
    with pytest.raises(UserError):  # 1e-46 is positive but becomes 0 in float32
        float32_in_range("tiny", 1e-46, 1e-50, 1)
