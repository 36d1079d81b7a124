"""MESA Studio: text-to-terrain generation (MESA) with meshing, previews and game-engine exports.

Packages: `models` (the UNet), `pipeline` (loading and sampling), `data` (Major TOM and synthetic
training data), `captions`, `training`, `geometry`, `export`, `preview`. Heavy libraries are imported
by the subpackages, never here, so `python -m mesa --help` starts fast.
"""

__version__ = "0.1.0"
