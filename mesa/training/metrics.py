"""`metrics.jsonl`: one JSON object per logged step (step, loss, lr, samples_per_s, ...)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from mesa.atomic import atomic_write_text
from mesa.errors import UserError

METRICS_FILE = "metrics.jsonl"


class MetricsLog:
    """Appends one line per logged step. Opened for a resumed run, it first drops the lines of
    steps after the checkpoint (logged by the interrupted run, about to be re-run)."""

    def __init__(self, output_dir: str | Path, resume_step: int = 0, enabled: bool = True):
        self.path = Path(output_dir) / METRICS_FILE
        self.enabled = enabled
        if enabled and self.path.exists():
            kept = [line for line in read_metrics(self.path) if line["step"] <= resume_step]
            atomic_write_text(self.path, "".join(json.dumps(line) + "\n" for line in kept))

    def write(self, **values: float | int) -> None:
        if not self.enabled:
            return
        clean = {k: (v if not isinstance(v, float) or math.isfinite(v) else str(v)) for k, v in values.items()}
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(clean) + "\n")


def read_metrics(path: str | Path) -> list[dict]:
    """Every line of a metrics.jsonl file (or of output_dir/metrics.jsonl); UserError naming the
    file when a line is not a JSON object with an integer "step"."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_FILE
    try:
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError, RecursionError) as error:
        raise UserError(f"{path} is not a valid metrics file: {str(error).splitlines()[0]}") from None
    if not all(isinstance(line, dict) and type(line.get("step")) is int for line in lines):
        raise UserError(f"{path} is not a valid metrics file: every line must be an object with an integer step")
    return lines
