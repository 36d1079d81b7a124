"""The arithmetic of latent consistency distillation (Luo et al. 2023, "Latent Consistency Models:
Synthesizing High-Resolution Images with Few-Step Inference", Sec. 4 and Algorithm 1), as small
pure functions over (B, C, h, w) latents.

- The teacher's probability-flow ODE is solved on a skipping grid: N solver timesteps
  t_n = (n + 1) * k - 1 (k = T / N, LCM's "skipping step"); one DDIM step goes from t_n to t_n - k.
- The consistency function is f(x, t) = c_skip(t) * x + c_out(t) * x0(F(x, t)), with the boundary
  scalings c_skip = s^2 / ((t * a)^2 + s^2), c_out = t * a / sqrt((t * a)^2 + s^2) (s = 0.5,
  a = `timestep_scaling`); f(x, 0) = x. The same scalings are LCMScheduler's, so the student
  samples with `sampler="lcm"` exactly as it was trained.
- Classifier-free guidance is folded in: the teacher's x0 and noise estimates are guided,
  `uncond + g * (cond - uncond)`, before the ODE step, so one student evaluation replaces the pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

SIGMA_DATA = 0.5  # LCM's sigma_data of the boundary scalings


@dataclass(frozen=True)
class SkippingGrid:
    """The teacher solver's timesteps, t_n = (n + 1) * k - 1 for n = 0 .. N - 1.

    Attributes:
        num_train_timesteps: T of the noise schedule (1000 for Stable Diffusion).
        solver_steps: N, the timesteps of the grid (LCMScheduler's `original_inference_steps`).
    """

    num_train_timesteps: int
    solver_steps: int

    def __post_init__(self) -> None:
        if not 1 <= self.solver_steps <= self.num_train_timesteps:
            raise ValueError(f"solver_steps must be in 1..{self.num_train_timesteps}, got {self.solver_steps}")

    @property
    def skip(self) -> int:
        """k: timesteps one solver step spans."""
        return self.num_train_timesteps // self.solver_steps

    def draw(self, count: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(start, target) int64 timesteps of `count` samples: start = t_n with n uniform,
        target = max(t_n - k, 0), on the generator's device."""
        index = torch.randint(0, self.solver_steps, (count,), generator=generator, device=generator.device)
        start = (index + 1) * self.skip - 1
        return start, (start - self.skip).clamp(min=0)


def boundary_scalings(timesteps: torch.Tensor, timestep_scaling: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(c_skip, c_out), each (B, 1, 1, 1) float32, for int timesteps (B,) (LCM's discrete scalings)."""
    scaled = timesteps.float() * timestep_scaling
    denominator = scaled.square() + SIGMA_DATA**2
    c_skip = SIGMA_DATA**2 / denominator
    c_out = scaled / denominator.sqrt()
    return c_skip[:, None, None, None], c_out[:, None, None, None]


def split_prediction(output: torch.Tensor, sample: torch.Tensor, alpha_bar: torch.Tensor,
                     prediction_type: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(x0, noise) estimates from a model output at latents `sample` whose cumulative alpha is
    `alpha_bar` (B, 1, 1, 1): v = sqrt(a) * noise - sqrt(1 - a) * x0, or the noise itself."""
    signal, noise_scale = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
    if prediction_type == "v_prediction":
        return signal * sample - noise_scale * output, signal * output + noise_scale * sample
    if prediction_type == "epsilon":
        return (sample - noise_scale * output) / signal, output
    raise ValueError(f"unsupported prediction_type {prediction_type!r}; expected v_prediction or epsilon")


def guided(uncond: torch.Tensor, cond: torch.Tensor, guidance: float) -> torch.Tensor:
    """Classifier-free guidance as the pipeline applies it: uncond + g * (cond - uncond)."""
    return uncond + guidance * (cond - uncond)


def ddim_step(x0: torch.Tensor, noise: torch.Tensor, alpha_bar_target: torch.Tensor) -> torch.Tensor:
    """One deterministic DDIM step (eta = 0) to the timestep whose cumulative alpha is
    `alpha_bar_target` (B, 1, 1, 1): sqrt(a) * x0 + sqrt(1 - a) * noise."""
    return alpha_bar_target.sqrt() * x0 + (1 - alpha_bar_target).sqrt() * noise


def consistency_output(output: torch.Tensor, sample: torch.Tensor, timesteps: torch.Tensor, alpha_bar: torch.Tensor,
                       prediction_type: str, timestep_scaling: float) -> torch.Tensor:
    """f(x, t) = c_skip * x + c_out * x0: the clean latents a consistency model gives for `sample`."""
    c_skip, c_out = boundary_scalings(timesteps, timestep_scaling)
    x0, _ = split_prediction(output.float(), sample.float(), alpha_bar, prediction_type)
    return c_skip * sample.float() + c_out * x0


def pseudo_huber(prediction: torch.Tensor, target: torch.Tensor, latent_mask: torch.Tensor, c: float) -> torch.Tensor:
    """Mean of sqrt((p - t)^2 + c^2) - c over valid latent pixels (LCM's loss; c = 0 is the
    absolute error). `latent_mask` (B, 1, h, w) bool; invalid pixels give no loss and no gradient."""
    valid = latent_mask.bool().expand_as(prediction)
    difference = torch.where(valid, prediction.float() - target.float(), 0.0)
    return ((difference.square() + c * c).sqrt() - c).sum() / valid.sum().clamp(min=1)
