"""Peak memory of `finish_terrain` + `write_finish`, estimated from the sizes before any work.

The finishing runs in phases that free their temporaries before the next one starts (erosion,
water analysis, masks, material weights, writing); what stays alive is the input and the results
(`FinishResult`). The peak is what stays alive plus the largest phase. The phase figures are the
per-cell peaks each step checks itself (`erosion.BYTES_PER_CELL`, `water.BYTES_PER_CELL`,
`materials.BYTES_PER_CELL`, `writers.write_bytes`); the result figures count the arrays the
results hold (documented in their dataclasses). `python -m benchmarks.bench_finish_memory` prints
measured peaks beside these estimates.
"""

from __future__ import annotations

from mesa.finishing import erosion, materials, water
from mesa.finishing.finish import FinishOptions
from mesa.finishing.materials import MATERIAL_LAYERS
from mesa.finishing.writers import write_bytes

FIXED_BYTES = 64 * 1024**2
"""Libraries loaded on first use (scipy.ndimage, the torch CPU kernels), allocator slack and
buffers: the part of the measured peak that does not grow with the grid."""
INPUT_PER_CELL = 8 + 3
"""The float64 checked copy of the elevation and the colour image."""
ELEVATION_PER_CELL = 4
"""The float32 finished elevation."""
EROSION_RESULT_PER_CELL = 3 * 4 + 8
"""`ErosionResult`: change, flow (float32) and the wear / deposit maps a mask derives (float32)."""
WATER_RESULT_PER_CELL = 5 * 4 + 4
"""`WaterMaps`: accumulation, filled, depression depth, water depth (float32), a derived float32
map, direction (uint8) and three bool masks."""
MASK_PER_CELL = 4
"""One float32 mask."""
MATERIALS_PER_CELL = 4 * len(MATERIAL_LAYERS)
"""`MaterialWeights`: one float32 weight per layer."""


def estimate_finish_memory(
    shape: tuple[int, int], options: FinishOptions, output_shape: tuple[int, int] | None = None
) -> int:
    """Upper bound of the peak memory of finishing an (H, W) terrain and writing its files, bytes.

    Args:
        shape: (H, W) of the elevation map.
        options: what to do (checked with `FinishOptions.checked()` here).
        output_shape: (rows, columns) the files are written at (the engine's heightmap size);
            None: the terrain's own grid.
    Returns:
        0 when the options do nothing.
    """
    options = options.checked()
    if not options.active:
        return 0
    cells = int(shape[0]) * int(shape[1])
    rows, columns = shape if output_shape is None else output_shape
    alive = INPUT_PER_CELL + ELEVATION_PER_CELL + MASK_PER_CELL * len(options.masks)
    phases = [0]
    if options.erosion is not None:
        alive += EROSION_RESULT_PER_CELL
        phases.append(erosion.BYTES_PER_CELL)
    if options.needs_water:
        alive += WATER_RESULT_PER_CELL
        phases.append(water.BYTES_PER_CELL)
    if options.materials:
        alive += MATERIALS_PER_CELL
        phases.append(materials.BYTES_PER_CELL)
    writing = write_bytes((rows, columns))
    return int(FIXED_BYTES + max(max(phases) * cells, writing) + alive * cells)
