"""A world on disk: `world.json` and plain arrays (PNG, .npy without pickle), so that a saved world can
be reloaded and extended later (`python -m mesa world --extend DIR`).

    world.json          provenance, layout, prompts and their metres scales, cells, settings, history
    rgb.png             (H, W, 3) colour mosaic
    elevation.npy       (H, W) float32 metres
    dem.npy             (H, W) float32 relative elevation
    latents.npy         (C, h, w) float32 clean canvas latents
    prompt_labels.npy   (h, w) int16 prompt index of every latent pixel
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mesa.data.normalization import ElevationLatent
from mesa.errors import UserError
from mesa.pipeline.elevation import ElevationScale
from mesa.world.layout import WorldLayout
from mesa.world.prompts import PromptMap
from mesa.world.world import CellProvenance, World, WorldSettings

WORLD_FILE = "world.json"
ARRAYS = {"elevation_m": "elevation.npy", "dem": "dem.npy", "latents": "latents.npy",
          "prompt_labels": "prompt_labels.npy"}


def world_document(world: World) -> dict:
    """The JSON-ready `world.json` content (provenance plus what reloading needs)."""
    layout = world.layout
    return {
        **world.provenance(),
        "format": "mesa-world",
        "version": 1,
        "layout": {"columns": layout.columns, "rows": layout.rows, "tile_latent": layout.tile_latent,
                   "vae_scale_factor": layout.vae_scale_factor, "windows_per_tile": layout.windows_per_tile},
    }


def save_world(world: World, folder: Path) -> list[Path]:
    """Write the world's arrays and `world.json` into `folder` (created); returns the paths."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "rgb.png"]
    Image.fromarray(world.rgb).save(paths[0], format="PNG")
    arrays = {"elevation_m": world.elevation_m, "dem": world.dem, "latents": world.latents,
              "prompt_labels": world.prompt_map.labels}
    for key, file_name in ARRAYS.items():
        with open(folder / file_name, "wb") as handle:
            np.save(handle, arrays[key], allow_pickle=False)
        paths.append(folder / file_name)
    paths.append(folder / WORLD_FILE)
    paths[-1].write_text(json.dumps(world_document(world), indent=2) + "\n", encoding="utf-8")
    return paths


def load_world(folder: str | Path) -> World:
    """Read a world saved by `save_world` (or an export folder); UserError when files are missing or
    do not fit together."""
    from PIL import Image

    folder = Path(folder)
    path = folder / WORLD_FILE
    if not path.is_file():
        raise UserError(f"{folder} holds no saved world ({WORLD_FILE} missing); give a folder written by "
                        f"`python -m mesa world`")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        layout = WorldLayout(**doc["layout"])
        arrays = {key: np.load(folder / name, allow_pickle=False) for key, name in ARRAYS.items()}
        rgb = np.asarray(Image.open(folder / "rgb.png").convert("RGB"))
        # worlds saved before the field were all made in the VAE's own latent (identity)
        settings = WorldSettings(**{**doc["settings"], "elevation_latent": ElevationLatent.from_json(
            doc["settings"].get("elevation_latent", {}))})
        scales = tuple(ElevationScale(p["base_m"], p["relief_m"], p["scale_source"]) for p in doc["prompts"])
        prompt_map = PromptMap(arrays["prompt_labels"].astype(np.int16), tuple(p["prompt"] for p in doc["prompts"]))
        cells = tuple(CellProvenance(**cell) for cell in doc["cells"])
        world = World(rgb, arrays["elevation_m"].astype(np.float32), arrays["dem"].astype(np.float32),
                      float(doc["meters_per_pixel"]), layout, tuple(doc["origin_cell"]), prompt_map, scales,
                      arrays["latents"].astype(np.float32), cells, settings, doc["elevation_method"],
                      tuple(doc["history"]))
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise UserError(f"{folder} is not a readable saved world: {error}") from None
    _check_consistent(world)
    return world


def _check_consistent(world: World) -> None:
    layout = world.layout
    if world.latents.ndim != 3 or world.latents.shape[1:] != layout.latent_shape:
        raise UserError(f"the saved world's latents are {world.latents.shape}, expected (C, {layout.latent_shape[0]}, "
                        f"{layout.latent_shape[1]})")
    labels = world.prompt_map.labels
    if labels.shape != layout.latent_shape or labels.min() < 0 or labels.max() >= len(world.prompt_map.prompts):
        raise UserError("the saved world's prompt labels do not match its prompts")
    if len(world.cells) != layout.columns * layout.rows:
        raise UserError(f"the saved world lists {len(world.cells)} cells for {layout.columns} x {layout.rows} tiles")
    if not np.isfinite(world.elevation_m).all() or not np.isfinite(world.latents).all():
        raise UserError("the saved world holds NaN or infinite values")
