"""What every training run shares, for `train()` and `train_vae()`: the Accelerator, the output
folder and its config.json, seeding, resuming from a checkpoint, the resumable data stream, the
step counter, logged metrics and checkpoints.

    run = TrainingRun(config, "train", gradient_accumulation_steps=...)   # before building models
    ...build models, optimizer; accelerator.prepare(...)...
    run.start(TrainingState(...), source, collate)                       # resume, data, metrics
    while run.running:
        batch = run.next_batch()
        ...forward, backward, step...
        run.end_step(samples, loss=...)
        if run.log_due: run.log(lr=...)
        if run.checkpoint_due: run.save_checkpoint()
    run.finish()
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from tqdm.auto import tqdm

from mesa.atomic import atomic_write_text
from mesa.data.sample import TerrainSource
from mesa.errors import UserError
from mesa.training.checkpoint import (
    SHARDED,
    check_resumable,
    load_checkpoint,
    resolve_resume,
    save_checkpoint,
)
from mesa.training.config import TrainConfig, VaeTrainConfig, config_to_dict
from mesa.training.data import Batch, Collator, DataPosition, build_loader
from mesa.training.metrics import MetricsLog
from mesa.training.state import TrainingState

logger = logging.getLogger(__name__)


class MetricsWindow:
    """Per-step values since the last log line, and the samples those steps consumed."""

    def __init__(self) -> None:
        self.values: dict[str, list[torch.Tensor]] = {}
        self.steps, self.samples, self.started = 0, 0, time.perf_counter()

    def add(self, samples: int, **values: torch.Tensor) -> None:
        for name, value in values.items():
            self.values.setdefault(name, []).append(value.detach().float())
        self.steps += 1
        self.samples += samples

    def summary(self, accelerator) -> dict[str, float]:
        """Each value's mean over the window's steps and all processes, plus samples_per_s."""
        means = {name: accelerator.gather(torch.stack(values).mean()[None]).mean().item()
                 for name, values in self.values.items()}
        means["samples_per_s"] = self.samples / max(time.perf_counter() - self.started, 1e-9)
        return means


class TrainingRun:
    """One run's shared setup and bookkeeping (see the module docstring for the call order).

    Attributes:
        accelerator: the run's Accelerator (created here, before any model).
        output_dir: the run folder (config.json, metrics.jsonl, checkpoints/).
        step: optimizer steps done (restored by `start` when resuming).
        position: this process's data position.
        stop_at: the step this invocation stops at (max_steps, or stop_after if earlier).
        last_loss: the loss of the last log line.
    """

    def __init__(self, config: TrainConfig | VaeTrainConfig, name: str, **accelerator_options) -> None:
        self.config, self.name = config, name
        self.accelerator = Accelerator(mixed_precision=config.mixed_precision, **accelerator_options)
        check_resumable(self.accelerator, config.resume)
        if self.accelerator.distributed_type in SHARDED:
            logger.warning("%s keeps sharded states that MESA Studio cannot save without pickle: this run writes "
                           "no checkpoints (only the final model)", self.accelerator.distributed_type.value)
        self.output_dir = Path(config.output_dir)
        if self.accelerator.is_main_process:
            try:
                self.output_dir.mkdir(parents=True, exist_ok=True)
                atomic_write_text(self.output_dir / "config.json", json.dumps(config_to_dict(config), indent=2))
            except OSError as error:
                raise UserError(f"cannot write the run folder {self.output_dir}: "
                                f"{error.strerror or error}") from None
        set_seed(config.seed)  # the same fresh weights on every process
        self.stop_at = min(config.max_steps, config.stop_after or config.max_steps)
        self.step, self.last_loss, self.state = 0, None, None

    @property
    def lanes(self) -> int:
        return max(1, self.config.num_workers)

    def start(self, state: TrainingState, source: TerrainSource, collate: Collator) -> None:
        """Resume `state` from the checkpoint `config.resume` names (if any), then open the data
        stream at the right position, the metrics log and the progress bar."""
        accelerator, config = self.accelerator, self.config
        self.state = state
        self.position = DataPosition.start(accelerator.process_index, accelerator.num_processes, self.lanes)
        checkpoint = resolve_resume(self.output_dir, config.resume) if config.resume else None
        resumed = None
        if checkpoint is not None:
            resumed = load_checkpoint(accelerator, checkpoint, state, self.lanes)
            self.step, self.position = resumed.step, resumed.position
            logger.info("resumed from %s at step %d", checkpoint, self.step)
        self.batches = iter(build_loader(source, collate, config.batch_size,
                                          accelerator.num_processes, self.position, config.num_workers))
        if resumed is not None:
            resumed.restore_random_states()
        self.metrics = MetricsLog(self.output_dir, resume_step=self.step, enabled=accelerator.is_main_process)
        self.progress = tqdm(total=config.max_steps, initial=self.step, desc=self.name,
                             disable=not accelerator.is_main_process)
        self.window = MetricsWindow()

    @property
    def running(self) -> bool:
        return self.step < self.stop_at

    @property
    def finished(self) -> bool:
        """True once max_steps are done (the final model is then written)."""
        return self.step >= self.config.max_steps

    def next_batch(self) -> Batch:
        batch = next(self.batches)
        self.position.advance(batch)
        return batch

    def end_step(self, samples: int, **values: torch.Tensor) -> None:
        """Count one optimizer step that consumed `samples` samples (all processes together) and
        record its scalar values (e.g. loss) for the next log line."""
        self.step += 1
        self.window.add(samples, **values)
        self.progress.update(1)

    @property
    def log_due(self) -> bool:
        return self.step % self.config.log_every == 0 or self.step == self.stop_at

    @property
    def checkpoint_due(self) -> bool:
        return self.step % self.config.checkpoint_every == 0 or self.step == self.stop_at

    def log(self, **extra: float | None) -> dict[str, float]:
        """Write one metrics line: the window's means and samples/s, plus `extra` (None values left out)."""
        values = self.window.summary(self.accelerator)
        values.update({key: value for key, value in extra.items() if value is not None})
        self.metrics.write(step=self.step, **values)
        self.last_loss = values.get("loss")
        if self.last_loss is not None:
            self.progress.set_postfix(loss=f"{self.last_loss:.4f}")
        self.window = MetricsWindow()
        return values

    def save_checkpoint(self) -> None:
        save_checkpoint(self.accelerator, self.output_dir, self.step, self.position, self.state,
                        self.config.checkpoints_total_limit)

    def finish(self) -> None:
        """Close the progress bar and let every process arrive before Accelerate shuts down."""
        self.progress.close()
        self.accelerator.wait_for_everyone()
        self.accelerator.end_training()
