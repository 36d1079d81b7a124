"""CUDA code paths (skipped by default; run with `pytest -m gpu` on a machine with a GPU)."""

import numpy as np
import pytest
import torch

from mesa.pipeline import TerrainPipeline

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def cpu_reference(tiny_pipeline):
    return tiny_pipeline("hills in May", seeds=[1, 2], steps=4, height=32, width=32)


@pytest.mark.parametrize("dtype, tolerance", [(torch.float32, 1e-3), (torch.bfloat16, 0.1), (torch.float16, 0.05)])
def test_cuda_matches_cpu(reference_dir, cpu_reference, dtype, tolerance):
    if not torch.cuda.is_available():
        pytest.fail("the gpu tests need a CUDA device")
    pipe = TerrainPipeline.from_pretrained(reference_dir / "pipeline", device="cuda", dtype=dtype)
    terrains = pipe("hills in May", seeds=[1, 2], steps=4, height=32, width=32)
    for gpu, cpu in zip(terrains, cpu_reference):
        assert np.isfinite(gpu.elevation_m).all()
        assert np.abs(gpu.dem - cpu.dem).max() < tolerance
