"""Which torch device runs the work: one rule for sampling, finishing and every command."""

from __future__ import annotations

import torch

from mesa.errors import UserError

DEVICE_NAMES = ("auto", "cpu", "cuda", "mps")


def pick_device(requested: str) -> str:
    """"auto" -> cuda, then mps, then cpu; otherwise the requested device if this machine has it
    (an index such as "cuda:1", as multi-process launches assign, is kept)."""
    name, _, index = str(requested).partition(":")
    if name not in DEVICE_NAMES or (index and (not index.isdigit() or name == "auto")):
        raise UserError(f"unknown device {requested!r}; choose {', '.join(DEVICE_NAMES)} (or cuda:N)")
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
    if name == "auto":
        return next(device for device in ("cuda", "mps", "cpu") if available[device])
    if not available[name] or (name == "cuda" and index and int(index) >= torch.cuda.device_count()):
        raise UserError(f"device {requested!r} is not available on this machine; use --device cpu")
    return str(requested)
