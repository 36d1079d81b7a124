"""The typed result of a spatial-control run: a `Terrain` that also says how it was controlled."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from mesa.pipeline.sampling import StepProgress
from mesa.terrain import Terrain

MODES = ("texture", "guide", "repaint")


@dataclass(frozen=True)
class ControlSettings:
    """How a terrain was controlled, beside the sampling settings in `Terrain.settings`.

    Attributes:
        mode: "texture" (colour for the user's heightmap), "guide" (elevation follows a guide) or
            "repaint" (a masked region regenerated).
        strength: guide strength in [0, 1] ("guide"); 1.0 for the other modes.
        source: what the run started from, in words (file name, "sketch", "seed 42 of ...").
        details: mode-specific figures (e.g. the working size, the masked share), JSON-ready.
    """

    mode: str
    strength: float = 1.0
    source: str = ""
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")


@dataclass
class ControlledTerrain(Terrain):
    """A `Terrain` (same arrays, units and gallery/export path) plus its `ControlSettings`."""

    control: ControlSettings = field(repr=False)

    @classmethod
    def of(cls, terrain: Terrain, control: ControlSettings) -> ControlledTerrain:
        """`terrain`'s arrays and settings (not copied) with `control` attached."""
        values = {f.name: getattr(terrain, f.name) for f in fields(Terrain)}
        return cls(**values, control=control)

    def provenance(self) -> dict:
        """`Terrain.provenance()` plus a "control" entry (for terrain.json)."""
        return {**super().provenance(), "control": asdict(self.control)}


def chained_progress(callback, totals: list[int]):
    """Per-pass callbacks that report one continuous count over several sampling passes.

    A run that samples twice (texture with a relit start) calls pass k's callback with that pass's
    own `StepProgress`; the caller's `callback` sees step `offset + step` of `sum(totals)`.
    Returns one callable (or None) per pass.
    """
    if callback is None:
        return [None] * len(totals)
    overall = sum(totals)

    def for_pass(offset: int):
        return lambda progress: callback(StepProgress(offset + progress.step, overall, progress.timestep))

    offsets = [sum(totals[:index]) for index in range(len(totals))]
    return [for_pass(offset) for offset in offsets]
