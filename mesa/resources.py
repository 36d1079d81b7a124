"""Where the bundled data lives: the vocabularies and the bundled models under `assets/`.

An installed wheel carries them as package data (`mesa/assets/`, see setup.py); a source checkout
(or an editable install) reads the repository's top-level `assets/` folder. Every module finds
them through `asset_path`, never through paths relative to its own file.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path


@lru_cache(maxsize=1)
def assets_root() -> Path:
    """The folder holding `vocab/` and `models/`."""
    packaged = Path(str(resources.files("mesa"))) / "assets"
    if packaged.is_dir():
        return packaged
    return Path(str(resources.files("mesa"))).parent / "assets"


def asset_path(*parts: str) -> Path:
    """A path under the assets folder, e.g. `asset_path("vocab", "landforms.json")`."""
    return assets_root().joinpath(*parts)
