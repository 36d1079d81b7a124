"""MESA Studio: text-to-terrain generation (MESA) with meshing, previews and game-engine exports.

    from mesa import TerrainPipeline
    pipe = TerrainPipeline.from_pretrained("mesa-tiny")   # or "NewtNewt/MESA", or a folder
    terrains = pipe("A Sentinel-2 image of montane forests and mountains in Mexico in August", seeds=[42])

Packages: `models` (the UNet), `pipeline` (loading and the sampling loop), `data` (Major TOM and
synthetic training data), `captions`, `training`, `geometry`, `export`, `preview`, and the
capabilities built on the pipeline. Heavy libraries are imported by the subpackages, never here:
`TerrainPipeline` and `Terrain` are loaded on first use, so `python -m mesa --help` starts fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

_LAZY = {"TerrainPipeline": "mesa.pipeline", "Terrain": "mesa.terrain", "UserError": "mesa.errors"}
__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mesa' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
