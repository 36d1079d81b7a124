"""Shared test fixtures: the published-layout reference checkpoint with tiny random weights."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MESA_SHARED_DIR", REPO_ROOT.parent / "shared"))
REFERENCE_DIR = SHARED / "fixtures" / "mesa_reference_tiny"


def pytest_configure(config):
    config.addinivalue_line("markers", "weights: needs the real published weights (skipped by default)")
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU (skipped by default)")
    config.addinivalue_line("markers", "browser: drives a real Chromium browser")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """`../shared/fixtures/mesa_reference_tiny` (set MESA_SHARED_DIR to move it)."""
    if not REFERENCE_DIR.is_dir():
        pytest.fail(f"reference fixture missing: {REFERENCE_DIR} (set MESA_SHARED_DIR)")
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
