"""Which torch device runs the work: one rule for sampling, finishing and every command."""

from __future__ import annotations

import torch

from mesa.errors import UserError

DEVICE_NAMES = ("auto", "cpu", "cuda", "mps")


def pick_device(requested: str) -> str:
    """"auto" -> cuda, then mps, then cpu; otherwise the requested device if this machine has it."""
    if requested not in DEVICE_NAMES:
        raise UserError(f"unknown device {requested!r}; choose {', '.join(DEVICE_NAMES)}")
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
    if requested == "auto":
        return next(name for name in ("cuda", "mps", "cpu") if available[name])
    if not available[requested]:
        raise UserError(f"device {requested!r} is not available on this machine; use --device cpu")
    return requested
