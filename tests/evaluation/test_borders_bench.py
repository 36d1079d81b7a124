"""benchmarks/borders_mesa_tiny.py: the rim profile and the corner diagnostics it tells the overscan by."""

import numpy as np

from benchmarks.borders_mesa_tiny import beyond_corner, corner_rises, rim_profile

SIZE = 64


def rough_plain(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 10.0, (SIZE, SIZE))


def test_a_field_without_a_rim_has_a_flat_profile_and_a_raised_rim_shows_in_its_rings():
    flat = rim_profile([rough_plain(seed) for seed in range(16)])
    assert np.all(np.abs(flat[0]) < 0.05) and np.all(np.abs(flat[1]) < 0.15)  # corners: 4 pixels a tile
    raised = []
    for seed in range(8):
        field = rough_plain(seed)
        field[:2], field[-2:], field[:, :2], field[:, -2:] = 30.0, 30.0, 30.0, 30.0  # a 2 px rim, 30 m up
        raised.append(field)
    profile = rim_profile(raised)
    assert profile[0, 0] > 0.3 and profile[0, 1] > 0.3 and abs(profile[0, 3]) < 0.05
    assert profile[1, 0] > 0.3  # the corners are on the rim too


def test_the_profile_of_a_canvas_is_measured_in_its_tiles_reliefs():
    canvas = rough_plain(0)
    canvas[:4] += 100.0  # rim on the canvas, cropped off the tile
    tile = canvas[8:-8, 8:-8]
    profile = rim_profile([canvas], [tile], rings=12)
    assert profile[0, 0] > 0.3 and abs(profile[0, 10]) < 0.1


def test_a_corner_spike_rises_and_a_plain_corner_does_not():
    field = rough_plain(1)
    assert corner_rises([field])[0] < 0.5
    field[1, 1] = 200.0  # the kind: hundreds of metres on a plain of tens
    assert corner_rises([field])[0] > 2.0


def test_high_ground_that_goes_on_past_the_corner_is_told_from_a_corner_that_stands_alone():
    rows, cols = np.mgrid[0:SIZE + 16, 0:SIZE + 16]
    slope = 10.0 * (rows + cols).astype(float)  # rising towards the bottom-right, beyond the tile
    tile = slope[8:-8, 8:-8]
    corner, beyond = beyond_corner(slope, tile, overscan=8)
    assert corner == tile.max() and beyond > corner
    spiked = rough_plain(2)
    spiked[8 + SIZE - 16 - 2, 8 + SIZE - 16 - 2] = 500.0  # inside the tile's bottom-right corner block
    tile = spiked[8:-8, 8:-8]
    corner, beyond = beyond_corner(spiked, tile, overscan=8)
    assert corner == 500.0 and beyond < 100.0
