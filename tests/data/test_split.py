"""Held-out split: deterministic, about 10 %, written to the run folder."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mesa.data.split import cell_bucket, in_split, is_held_out, write_held_out_cells

CELLS = [f"{row}U_{col}R" for row in range(40) for col in range(50)]


def test_about_ten_percent_held_out_and_partition():
    held = [c for c in CELLS if is_held_out(c)]
    assert 0.08 < len(held) / len(CELLS) < 0.12
    assert all(in_split(c, "val") != in_split(c, "train") for c in CELLS[:100])
    assert all(in_split(c, "all") for c in CELLS[:10])


def test_split_is_stable_across_processes():
    code = "from mesa.data.split import cell_bucket; print(repr(cell_bucket('433U_1139R')))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123", "PYTHONPATH": "."})
    assert float(other.stdout) == cell_bucket("433U_1139R")
    assert cell_bucket("433U_1139R") == pytest.approx(int.from_bytes(
        __import__("hashlib").sha256(b"433U_1139R").digest()[:8], "big") / 2**64)


def test_write_held_out_cells(tmp_path):
    path = write_held_out_cells(reversed(CELLS), tmp_path / "run")
    lines = path.read_text().splitlines()
    assert lines == sorted(c for c in CELLS if is_held_out(c)) and path.name == "held_out_cells.txt"


def test_bad_split_arguments():
    with pytest.raises(ValueError, match="split"):
        in_split("1U_1R", "test")
    with pytest.raises(ValueError, match="fraction"):
        is_held_out("1U_1R", 1.5)
