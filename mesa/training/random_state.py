"""One process's global random states (Python, NumPy, torch CPU and CUDA) as tensors + JSON.

The trainers draw their noise, timesteps and caption dropout from generators seeded by position
and step (`loss.step_generator`), so these global states matter only to what draws from them
implicitly (dropout layers, data loader seeds); a checkpoint keeps them so that a resumed run
continues exactly as an uninterrupted one would.
"""

from __future__ import annotations

import logging
import random

import numpy as np
import torch

from mesa.training.state import Tensors, conform

logger = logging.getLogger(__name__)


def capture_random_states() -> tuple[Tensors, dict]:
    """(torch CPU/CUDA states as uint8 tensors "torch", "cuda.<device>"; Python and NumPy states as JSON)."""
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        tensors.update({f"cuda.{index}": state for index, state in enumerate(torch.cuda.get_rng_state_all())})
    return tensors, _json_states()


def _json_states() -> dict:
    version, internal, gauss_next = random.getstate()
    numpy_state = np.random.get_state(legacy=False)
    numpy_state["state"] = {"key": numpy_state["state"]["key"].tolist(), "pos": int(numpy_state["state"]["pos"])}
    return {"python": [version, list(internal), gauss_next], "numpy": numpy_state}


def restore_random_states(tensors: Tensors, document: object) -> None:
    """Set the global random states from `capture_random_states` output (ValueError, TypeError,
    OverflowError or RuntimeError when they do not fit this Python, NumPy or torch)."""
    saved = conform(document, _json_states(), "random states")
    version, internal, gauss_next = saved["python"]
    numpy_state = dict(saved["numpy"])
    numpy_state["state"] = {"key": np.array(numpy_state["state"]["key"], dtype=np.uint32),
                            "pos": numpy_state["state"]["pos"]}
    torch_state = tensors.get("torch")
    if torch_state is None or torch_state.dtype != torch.uint8:
        raise ValueError("the torch random state (uint8 tensor 'torch') is missing")
    cuda_states = []
    while f"cuda.{len(cuda_states)}" in tensors:
        cuda_states.append(tensors[f"cuda.{len(cuda_states)}"])
    random.setstate((version, tuple(internal), gauss_next))
    np.random.set_state(numpy_state)
    torch.set_rng_state(torch_state)
    if torch.cuda.is_available() and cuda_states:
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)
        else:
            logger.warning("the checkpoint has CUDA random states of %d devices, this process sees %d: "
                           "CUDA random states start fresh", len(cuda_states), torch.cuda.device_count())
