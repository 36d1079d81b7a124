"""Bounded requests: every request estimates its memory before any work and is refused with one
line when it cannot fit, so nothing the tools accepted is killed by the kernel.

The budget is the memory this process may still use: the smaller of the machine's available
memory (`MemAvailable`) and the room left under a cgroup limit (containers), times a safety
fraction; `MESA_MEMORY_LIMIT_GB` sets it explicitly (the app's per-request limit comes from here
too). Estimates are upper bounds measured per component (see each caller's docstring).
"""

from __future__ import annotations

import os
from pathlib import Path

from mesa.errors import UserError

GB = 1024**3
SAFETY_FRACTION = 0.8  # of what is available: the estimate is not exact, the allocator fragments
LIMIT_ENV = "MESA_MEMORY_LIMIT_GB"


def available_memory_bytes() -> int:
    """Bytes this process can still allocate: MemAvailable, capped by a cgroup limit if any."""
    available = _meminfo_available()
    cgroup = _cgroup_room()
    candidates = [value for value in (available, cgroup) if value is not None]
    if candidates:
        return min(candidates)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * GB  # no way to ask: assume a modest laptop


def memory_budget_bytes() -> int:
    """What one request may use: `MESA_MEMORY_LIMIT_GB` if set, else a safe share of what is free."""
    text = os.environ.get(LIMIT_ENV)
    if text:
        try:
            value = float(text)
        except ValueError:
            raise UserError(f"{LIMIT_ENV} must be a number of gigabytes, got {text!r}") from None
        if not value > 0 or value != value or value == float("inf"):
            raise UserError(f"{LIMIT_ENV} must be a positive number of gigabytes, got {text!r}")
        return int(value * GB)
    return int(available_memory_bytes() * SAFETY_FRACTION)


def check_memory(estimate_bytes: float, what: str, hint: str, budget_bytes: int | None = None) -> None:
    """UserError naming the request, its estimate, the budget and what to change, when it cannot fit.

    Args:
        estimate_bytes: upper-bound estimate of the request's peak memory.
        what: the request in words, e.g. "generating 4 terrains of 1536 x 1536 px".
        hint: what the user can change, e.g. "use at most 1024 px (the model's native size is 768)".
    """
    budget = memory_budget_bytes() if budget_bytes is None else budget_bytes
    if estimate_bytes > budget:
        raise UserError(f"{what} needs about {format_bytes(estimate_bytes)} of memory, more than the "
                        f"{format_bytes(budget)} this machine can give it; {hint}")


def format_bytes(count: float) -> str:
    """'1.5 GB', '340 MB' (binary units)."""
    if count >= GB:
        return f"{count / GB:.1f} GB"
    return f"{count / 1024**2:.0f} MB"


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cgroup_room() -> int | None:
    """Room left under a cgroup v2 (or v1) memory limit; None when unlimited or unknown."""
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            limit_text = Path(limit_file).read_text().strip()
            usage = int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit_text == "max" or int(limit_text) >= 2**60:
            return None
        return max(0, int(limit_text) - usage)
    return None
