"""Elevation in metres <-> the [-1, 1] range the diffusion model sees, saved beside the checkpoint.

`elevation.json` (beside model_index.json) holds, for example:
    {"format": "mesa-elevation-normalization", "version": 1,
     "mode": "global", "min_m": -500.0, "max_m": 9000.0}
mode "global": one metres range for every tile, so a model outputs absolute metres.
mode "per_tile": each training tile is stretched from its own valid min..max to [-1, 1]; the
model then outputs relative relief, and `from_unit` maps it to the stored min_m..max_m (set them,
e.g. from a landform's typical base and relief, with dataclasses.replace).
It may also hold `"latent": {"shift": [...], "scale": ...}`, the UNet's elevation latent
(`ElevationLatent`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mesa.errors import UserError

FILE_NAME = "elevation.json"
FORMAT = "mesa-elevation-normalization"
MODES = ("global", "per_tile")


@dataclass(frozen=True)
class ElevationNormalization:
    """A linear map between metres and [-1, 1].

    Attributes:
        mode: "global" (fixed metres range) or "per_tile" (each tile's own valid range).
        min_m, max_m: metres that map to -1 and +1 (global mode, and from_unit in both modes).
    """

    mode: str = "global"
    min_m: float = -500.0
    max_m: float = 9000.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"elevation normalisation mode {self.mode!r} is not one of {MODES}")
        if not self.max_m > self.min_m:
            raise ValueError(f"elevation range must have max_m > min_m, got {self.min_m}..{self.max_m}")

    def to_unit(self, elevation_m: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """(H, W) metres -> (H, W) float32 in [-1, 1]; invalid pixels become 0.

        Global mode clips metres outside min_m..max_m (the default range spans Earth's surface).
        Per-tile mode raises ValueError for a tile with no valid pixel; a flat tile maps to -1.
        """
        if valid.shape != elevation_m.shape:
            raise ValueError(f"valid mask shape {valid.shape} differs from elevation shape {elevation_m.shape}")
        low, high = self.min_m, self.max_m
        if self.mode == "per_tile":
            if not valid.any():
                raise ValueError("per-tile elevation normalisation needs at least one valid pixel")
            low, high = float(elevation_m[valid].min()), float(elevation_m[valid].max())
        unit = 2.0 * (elevation_m.astype(np.float32) - low) / max(high - low, 1e-6) - 1.0
        return np.where(valid, np.clip(unit, -1.0, 1.0), 0.0).astype(np.float32)

    def from_unit(self, x: np.ndarray) -> np.ndarray:
        """[-1, 1] model output (any shape) -> float32 metres in min_m..max_m."""
        return (self.min_m + (np.asarray(x, dtype=np.float32) + 1.0) * 0.5 * (self.max_m - self.min_m)).astype(np.float32)

    def to_json(self) -> str:
        """The `elevation.json` document."""
        return json.dumps({"format": FORMAT, "version": 1, **asdict(self)}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ElevationNormalization:
        """Parse an `elevation.json` document; raises ValueError naming what is wrong."""
        document = json.loads(text)
        if document.get("format") != FORMAT:
            raise ValueError(f"not an elevation normalisation file: format is {document.get('format')!r}, expected {FORMAT!r}")
        return cls(str(document["mode"]), float(document["min_m"]), float(document["max_m"]))

    def save(self, directory: Path) -> Path:
        """Write directory/elevation.json and return its path."""
        path = Path(directory) / FILE_NAME
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: Path) -> ElevationNormalization:
        """Read directory/elevation.json."""
        return cls.from_json((Path(directory) / FILE_NAME).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ElevationLatent:
    """The elevation half of the UNet's latent from the VAE's scaled latent of the elevation:
    `unet = (vae - shift[c]) * scale` per channel c, and back.

    The VAE's latent of an elevation in a global metres range is mostly the tile's height: its mean
    is far from 0 and its detail (ridges, valleys) small beside the image's, so a squared error and a
    noise schedule made for images weigh a ridge little. Centring it and scaling it up gives the
    elevation's detail the image's weight. Identity (no shift, scale 1) for checkpoints that declare
    nothing, as the published weights.
    """

    shift: tuple[float, ...] = ()
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not (isinstance(self.scale, (int, float)) and math.isfinite(self.scale) and self.scale > 0):
            raise UserError(f"the elevation latent scale must be a positive finite number, got {self.scale!r}")
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in self.shift):
            raise UserError(f"the elevation latent shift must be finite numbers, got {list(self.shift)!r}")

    @property
    def is_identity(self) -> bool:
        return self.scale == 1.0 and not any(self.shift)

    def _shift_for(self, latents):
        if not self.shift:
            return 0.0
        if len(self.shift) != latents.shape[1]:
            raise UserError(f"the elevation latent shift has {len(self.shift)} values; the latent has "
                            f"{latents.shape[1]} channels")
        return latents.new_tensor(self.shift).view(1, -1, 1, 1)

    def to_unet(self, latents):
        """(N, C, h, w) VAE-scaled elevation latents -> the UNet's."""
        return latents if self.is_identity else (latents - self._shift_for(latents)) * self.scale

    def from_unet(self, latents):
        """The UNet's (N, C, h, w) elevation latents -> VAE-scaled ones (the inverse of `to_unet`)."""
        return latents if self.is_identity else latents / self.scale + self._shift_for(latents)

    def to_json(self) -> dict:
        return {"shift": [float(v) for v in self.shift], "scale": float(self.scale)}

    @classmethod
    def from_json(cls, data) -> ElevationLatent:
        if not isinstance(data, dict) or set(data) - {"shift", "scale"}:
            raise UserError(f'the elevation latent must be {{"shift": [numbers], "scale": number}}, got {data!r}')
        shift = data.get("shift", [])
        if not isinstance(shift, list):
            raise UserError(f"the elevation latent shift must be a list of numbers, got {shift!r}")
        return cls(tuple(shift), data.get("scale", 1.0))
