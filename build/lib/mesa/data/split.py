"""Deterministic held-out split by grid cell (stable across runs, machines and Python versions)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

HELD_OUT_FRACTION = 0.1
SPLITS = ("train", "val", "all")
HELD_OUT_FILE = "held_out_cells.txt"


def cell_bucket(grid_cell: str) -> float:
    """A uniform number in [0, 1) from the SHA-256 of the grid cell id (not Python's salted hash)."""
    digest = hashlib.sha256(grid_cell.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_held_out(grid_cell: str, fraction: float = HELD_OUT_FRACTION) -> bool:
    """True for the ~`fraction` of cells reserved for validation."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"held-out fraction must be in [0, 1), got {fraction}")
    return cell_bucket(grid_cell) < fraction


def in_split(grid_cell: str, split: str, fraction: float = HELD_OUT_FRACTION) -> bool:
    """Whether a cell belongs to `split` ("train", "val" = held out, or "all")."""
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of {SPLITS}")
    return split == "all" or is_held_out(grid_cell, fraction) == (split == "val")


def write_held_out_cells(grid_cells: Iterable[str], run_dir: Path, fraction: float = HELD_OUT_FRACTION) -> Path:
    """Write the held-out cells among `grid_cells`, sorted, one per line, to run_dir/held_out_cells.txt."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    held_out = sorted({cell for cell in grid_cells if is_held_out(cell, fraction)})
    path = run_dir / HELD_OUT_FILE
    path.write_text("".join(f"{cell}\n" for cell in held_out), encoding="utf-8")
    return path
