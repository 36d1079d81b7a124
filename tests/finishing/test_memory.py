"""`estimate_finish_memory`: zero for nothing to do, each phase counted, the writers bounded by their
blocks (a 4033^2 Unreal landscape's layers fit a modest machine), `write_finish` refuses in one line."""

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.finishing import FinishOptions, estimate_finish_memory, finish_terrain, write_finish
from mesa.finishing.writers import BLOCK_BYTES_PER_PIXEL, BLOCK_PIXELS, WHOLE_BYTES_PER_PIXEL, write_bytes

GIB = 1024**3


def test_nothing_to_do_costs_nothing():
    assert estimate_finish_memory((4000, 4000), FinishOptions()) == 0


def test_each_phase_raises_the_estimate():
    shape = (1009, 1009)
    masks = estimate_finish_memory(shape, FinishOptions(masks=("slope",)))
    water = estimate_finish_memory(shape, FinishOptions(masks=("flow",)))
    materials = estimate_finish_memory(shape, FinishOptions(materials=True))
    everything = estimate_finish_memory(shape, FinishOptions(erosion="hydraulic", masks=("slope", "flow", "wear"),
                                                             materials=True))
    assert masks < water < materials < everything < 1 * GIB


def test_writing_is_bounded_by_one_block_plus_the_whole_maps():
    assert write_bytes((505, 505)) == (BLOCK_BYTES_PER_PIXEL + WHOLE_BYTES_PER_PIXEL) * 505 * 505
    large = write_bytes((4033, 4033))
    assert large == BLOCK_BYTES_PER_PIXEL * BLOCK_PIXELS + WHOLE_BYTES_PER_PIXEL * 4033 * 4033
    assert large < 1 * GIB  # measured peak 475 MiB for the Terrain3D control map + splats + 2 masks


def test_write_finish_refuses_in_one_line_when_the_maps_cannot_fit(tmp_path, monkeypatch):
    elevation = np.linspace(0.0, 100.0, 16 * 16).reshape(16, 16)
    result = finish_terrain(elevation, 10.0, None, FinishOptions(masks=("slope",)))
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", str(write_bytes((2017, 2017)) / 2 / GIB))
    with pytest.raises(UserError, match=r"writing finishing maps of 2017 x 2017 px needs about .* of memory") as error:
        write_finish(result, tmp_path, "terrain", "unreal", (2017, 2017))
    assert "\n" not in str(error.value) and not list(tmp_path.iterdir())
