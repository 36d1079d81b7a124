"""The typed result of one generation: a co-registered colour image and elevation map."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass(frozen=True)
class GenerationSettings:
    """Every setting that produced a terrain; enough to reproduce it with the same weights."""

    prompt: str
    negative_prompt: str = ""
    steps: int = 50
    guidance: float = 7.5
    sampler: str = "ddim"
    height: int = 768
    width: int = 768
    relief_m: float = 1000.0
    base_m: float = 0.0
    model_id: str = ""
    overscan: int = 0  # pixels sampled beyond each edge and cropped


@dataclass
class Terrain:
    """One seed's output.

    Attributes:
        rgb: (H, W, 3) uint8 satellite-style colour image.
        dem: (H, W) float32 relative elevation in [0, 1]; the mean of the three decoded
            elevation channels, never quantised to 8 bits.
        elevation_m: (H, W) float32 elevation in metres.
        meters_per_pixel: ground sampling distance of both arrays, in metres.
        seed: the seed whose noise produced this terrain.
        settings: everything else used to produce it.
    """

    rgb: np.ndarray
    dem: np.ndarray
    elevation_m: np.ndarray
    meters_per_pixel: float
    seed: int
    settings: GenerationSettings = field(repr=False)

    def __post_init__(self) -> None:
        height, width = self.dem.shape
        if self.rgb.shape != (height, width, 3) or self.rgb.dtype != np.uint8:
            raise ValueError(f"rgb must be ({height}, {width}, 3) uint8, got {self.rgb.shape} {self.rgb.dtype}")
        if self.elevation_m.shape != (height, width):
            raise ValueError(f"elevation_m must be ({height}, {width}), got {self.elevation_m.shape}")

    @property
    def prompt(self) -> str:
        return self.settings.prompt

    @property
    def relief_range_m(self) -> float:
        """Height difference between the highest and lowest pixel, in metres."""
        return float(self.elevation_m.max() - self.elevation_m.min())

    def provenance(self) -> dict:
        """JSON-ready description of how this terrain was made (for sidecar files)."""
        return {"seed": self.seed, "meters_per_pixel": self.meters_per_pixel, **asdict(self.settings)}
