"""Shared test fixtures: the published-layout reference checkpoint with tiny random weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = Path(__file__).resolve().parent / "fixtures" / "mesa_reference_tiny"


def pytest_configure(config):
    config.addinivalue_line("markers", "weights: needs the real published weights (skipped by default)")
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU (skipped by default)")
    config.addinivalue_line("markers", "browser: drives a real Chromium browser")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """`tests/fixtures/mesa_reference_tiny`: the published layout with tiny random weights and the
    reference implementation's outputs (see its README)."""
    if not REFERENCE_DIR.is_dir():
        pytest.fail(f"reference fixture missing: {REFERENCE_DIR}")
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def reference_cases(reference_dir) -> tuple[dict, dict[str, np.ndarray]]:
    cases = json.loads((reference_dir / "cases.json").read_text())
    return cases, dict(np.load(reference_dir / "expected.npz"))


@pytest.fixture(scope="session")
def tiny_pipeline(reference_dir):
    """The reference checkpoint loaded once (read-only: do not mutate it in tests)."""
    from mesa.pipeline import TerrainPipeline

    return TerrainPipeline.from_pretrained(reference_dir / "pipeline")

@pytest.fixture
def elevation_m() -> np.ndarray:
    """(17, 23) float64 elevation from -120 m to 880 m with a known min and max."""
    rows, columns = np.mgrid[0:17, 0:23]
    elevation = 400 * np.sin(rows / 4.0) * np.cos(columns / 5.0) + 3.0 * columns
    return -120 + 1000 * (elevation - elevation.min()) / np.ptp(elevation)


@pytest.fixture
def rgb() -> np.ndarray:
    """(17, 23, 3) uint8 random colour image."""
    return np.random.default_rng(7).integers(0, 256, (17, 23, 3), dtype=np.uint8)
