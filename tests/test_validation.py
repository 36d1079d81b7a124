"""Number checks shared by the pipeline, the exports and the app (values from the page, the HTTP API, the CLI)."""

import math

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.validation import as_number, check_integer, check_number, check_whole_number


def test_real_numbers_only():
    assert as_number("x", 3) == 3.0 and as_number("x", np.float32(0.5)) == 0.5
    for value in (None, True, np.bool_(False), "3", 1j, [1]):
        with pytest.raises(UserError, match="x must be a number"):
            as_number("x", value)
    with pytest.raises(UserError, match="far too large"):
        as_number("x", 10**400)


def test_whole_numbers_are_not_rounded():
    assert check_whole_number("steps", 3.0, 1, 150) == 3 and isinstance(check_whole_number("steps", 3.0, 1, 150), int)
    assert check_whole_number("steps", np.int64(150), 1, 150) == 150
    for value in (2.7, math.nan, math.inf, -math.inf, 0, 151, 1e300):
        with pytest.raises(UserError, match="steps must be a whole number from 1 to 150"):
            check_whole_number("steps", value, 1, 150)


def test_float32_range_is_checked_after_the_cast():
    assert check_number("relief", 1234.5, 1, 20_000) == 1234.5
    for value in (1e39, 1e308, math.nan, math.inf, -1.0, 20_000.5, "12", None):
        with pytest.raises(UserError, match=r"relief must be (a finite number in \[1, 20000\] m|a number)"):
            check_number("relief", value, 1, 20_000, unit=" m")
    with pytest.raises(UserError):  # 1e-46 is positive but becomes 0 in float32
        check_number("tiny", 1e-46, 1e-50, 1)
    with pytest.raises(UserError, match=r"in \(0, 5\]"):
        check_number("relief", 0.0, 0, 5, low_inclusive=False)


def test_integers_from_an_api_are_not_floats():
    assert check_integer("steps", np.int64(3), 1, 5) == 3
    for value in (3.0, True, "3", 6):
        with pytest.raises(UserError, match="steps must be an integer from 1 to 5"):
            check_integer("steps", value, 1, 5)
