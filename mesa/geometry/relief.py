"""The height range of an elevation map as a reader should see it: the full min..max that files
must hold, and the p2..p98 relief that a few outlier pixels cannot inflate."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

LOW_PERCENTILE, HIGH_PERCENTILE = 2.0, 98.0
OUTLIER_FENCE = 1.5  # outliers lie more than this many p2..p98 reliefs beyond p2 or p98
MIN_FENCE_M = 1.0  # ... and at least this many metres (flat tiles)


@dataclass(frozen=True)
class HeightRange:
    """Height statistics of an (H, W) elevation map, in metres.

    Attributes:
        min_m, max_m: lowest and highest sample (what 16-bit files map to 0 and 65535).
        p2_m, p98_m: 2nd and 98th percentile: the relief to show people ("relief p2-p98").
        outlier_count: samples below p2 - f * r or above p98 + f * r, where r = p98 - p2 (at least
            MIN_FENCE_M) and f = OUTLIER_FENCE: isolated spikes or pits that stretch min..max.
        outliers: whether there is at least one.
    """

    min_m: float
    max_m: float
    p2_m: float
    p98_m: float
    outlier_count: int

    @property
    def outliers(self) -> bool:
        return self.outlier_count > 0

    @property
    def relief_m(self) -> float:
        """p98 - p2, in metres."""
        return self.p98_m - self.p2_m

    @property
    def full_relief_m(self) -> float:
        """max - min, in metres."""
        return self.max_m - self.min_m

    def to_json(self) -> dict:
        """JSON-ready fields, with the derived reliefs, the flag and the rule that set it."""
        return {**asdict(self), "relief_p2_p98_m": self.relief_m, "relief_min_max_m": self.full_relief_m,
                "outliers": self.outliers,
                "outlier_rule": f"below p2 - {OUTLIER_FENCE:g} r or above p98 + {OUTLIER_FENCE:g} r, "
                                f"r = max(p98 - p2, {MIN_FENCE_M:g} m)"}


def height_range(elevation_m: np.ndarray) -> HeightRange:
    """The `HeightRange` of finite (H, W) elevation in metres (one sorted copy of the samples)."""
    values = np.asarray(elevation_m, dtype=np.float64)
    p2, p98 = (float(v) for v in np.percentile(values, [LOW_PERCENTILE, HIGH_PERCENTILE]))
    fence = OUTLIER_FENCE * max(p98 - p2, MIN_FENCE_M)
    outliers = int(np.count_nonzero(values < p2 - fence)) + int(np.count_nonzero(values > p98 + fence))
    return HeightRange(float(values.min()), float(values.max()), p2, p98, outliers)
