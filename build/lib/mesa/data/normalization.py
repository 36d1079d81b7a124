"""Elevation in metres <-> the [-1, 1] range the diffusion model sees, saved beside the checkpoint.

`elevation.json` (beside model_index.json) holds, for example:
    {"format": "mesa-elevation-normalization", "version": 1,
     "mode": "global", "min_m": -500.0, "max_m": 9000.0}
mode "global": one metres range for every tile, so a model outputs absolute metres.
mode "per_tile": each training tile is stretched from its own valid min..max to [-1, 1]; the
model then outputs relative relief, and `from_unit` maps it to the stored min_m..max_m (set them,
e.g. from a landform's typical base and relief, with dataclasses.replace).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

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
