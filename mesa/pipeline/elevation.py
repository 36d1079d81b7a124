"""From the model's relative elevation (0..1) to metres.

The published MESA weights output relative elevation, so metres come from the landform named
in the prompt (table in `assets/vocab/landforms.json`) or from the caller. A checkpoint trained
with a global metres normalisation declares it in `elevation.json` beside `model_index.json`:

    {"mode": "global", "min_m": -500.0, "max_m": 9000.0, "meters_per_pixel": 60.0}

then `elevation_m = min_m + dem * (max_m - min_m)` is used as is.

It may also declare how the elevation half of the UNet's latent is made from the VAE's scaled
latent (`ElevationLatent`; identity when absent, as for the published weights):

    {"latent": {"shift": [-0.06, -0.47, 1.70, -0.33], "scale": 2.13}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from mesa.captions.places import landform_in_prompt
from mesa.data.normalization import ElevationLatent
from mesa.errors import UserError
from mesa.resources import asset_path

LANDFORMS_FILE = asset_path("vocab", "landforms.json")
ELEVATION_FILE = "elevation.json"
PUBLISHED_METERS_PER_PIXEL = 10.0  # Sentinel-2: 768 px = 7.68 km


@dataclass(frozen=True)
class ElevationScale:
    """`elevation_m = base_m + dem * relief_m`; `source` says where the numbers came from."""

    base_m: float
    relief_m: float
    source: str


@dataclass(frozen=True)
class CheckpointElevation:
    """What a checkpoint declares about its elevation (None where it declares nothing)."""

    min_m: float | None = None
    max_m: float | None = None
    meters_per_pixel: float | None = None
    latent: ElevationLatent = field(default_factory=ElevationLatent)


@lru_cache(maxsize=1)
def _landform_table() -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    data = json.loads(LANDFORMS_FILE.read_text(encoding="utf-8"))
    table = {entry["name"]: (float(entry["base_m"]), float(entry["relief_m"])) for entry in data["landforms"]}
    return table, (float(data["default"]["base_m"]), float(data["default"]["relief_m"]))


def read_checkpoint_elevation(model_dir: Path) -> CheckpointElevation:
    """Read `elevation.json` beside `model_index.json`; empty if the checkpoint has none."""
    path = Path(model_dir) / ELEVATION_FILE
    if not path.is_file():
        return CheckpointElevation()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UserError(f"{path} is not valid JSON: {error}") from None
    try:
        latent = ElevationLatent.from_json(data["latent"]) if "latent" in data else ElevationLatent()
    except UserError as error:
        raise UserError(f"{path}: {error}") from None
    if data.get("mode", "global") != "global":
        return CheckpointElevation(meters_per_pixel=data.get("meters_per_pixel"), latent=latent)
    return CheckpointElevation(float(data["min_m"]), float(data["max_m"]), data.get("meters_per_pixel"), latent)


def elevation_scale(
    prompt: str,
    checkpoint: CheckpointElevation,
    relief_m: float | None = None,
    base_m: float | None = None,
) -> ElevationScale:
    """Choose base and relief: the caller's values, else the checkpoint's, else the prompt's landform."""
    if checkpoint.min_m is not None and checkpoint.max_m is not None:
        base, relief, source = checkpoint.min_m, checkpoint.max_m - checkpoint.min_m, "checkpoint elevation.json"
    else:
        table, default = _landform_table()
        landform = landform_in_prompt(prompt)
        base, relief = table.get(landform, default)
        source = f"landform table: {landform}" if landform else "default (no landform in prompt)"
    if relief_m is not None or base_m is not None:
        source = "caller"
    relief = relief if relief_m is None else float(relief_m)
    base = base if base_m is None else float(base_m)
    if not relief > 0 or relief != relief or relief == float("inf"):
        raise UserError(f"relief_m must be a positive finite number of metres, got {relief_m}")
    return ElevationScale(base, relief, source)
