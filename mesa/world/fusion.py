"""The world's predictor and step hook for the one denoising loop (`mesa.pipeline.sampling.denoise`).

`WindowFusion` is MultiDiffusion (Bar-Tal et al. 2023) as a predictor: at every step each window of
the canvas is predicted by the UNet with its own text context (several windows per UNet call), and
the predictions are fused with the layout's normalised weights into one prediction for the whole
canvas; the scheduler then takes one step on the canvas. For the per-pixel updates of the
samplers used here, fusing the model outputs is the same as fusing the windows' updated latents
(MultiDiffusion's least-squares solution with per-pixel weights). Both modalities (image and
elevation latents) are fused alike.

`HoldKnown` keeps a known part of the canvas (an extension's existing world) at the noise level of
every step (`StepState.noised`), and exactly clean after the last one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import torch

from mesa.pipeline import GenerationCancelled, StepState, TextContext
from mesa.world.layout import WorldLayout, weights_tensor
from mesa.world.prompts import PromptMap


def window_contexts(pipe, prompt_map: PromptMap, layout: WorldLayout, guidance: float,
                    negative_prompt: str = "") -> TextContext:
    """One text context per window: the CLIP hidden states of the prompts under it, averaged with
    each prompt's share of the window (exactly the prompt's own states where only one is present)."""
    encoded = [pipe.encode_prompt(prompt, 1, guidance, negative_prompt) for prompt in prompt_map.prompts]
    hidden = torch.cat([context.cond for context in encoded]).float()  # (P, L, D)
    conds = []
    for window in layout.windows:
        shares = prompt_map.mixture(*window.latent_slices())
        if np.count_nonzero(shares) == 1:
            conds.append(encoded[int(np.argmax(shares))].cond)
        else:
            mixed = torch.einsum("p,pld->ld", torch.from_numpy(shares).float(), hidden)
            conds.append(mixed[None].to(encoded[0].cond.dtype))
    cond = torch.cat(conds)
    uncond = None if encoded[0].uncond is None else encoded[0].uncond.expand(len(conds), -1, -1)
    return TextContext(cond, uncond)


class WindowFusion:
    """Predictor `(scaled canvas latents (1, C, h, w), timestep) -> fused model output (1, C, h, w)`.

    Args:
        pipe: the `TerrainPipeline` whose `predict` runs the UNet (with classifier-free guidance).
        layout: the canvas and its windows.
        contexts: one text context per window of the layout (`window_contexts`).
        guidance: classifier-free guidance scale.
        batch_size: windows per UNet call.
        active: indices of the windows to predict (default all); pixels no active window covers
            get a zero prediction (an extension holds them anyway).
        on_batch: called with the number of windows just predicted.
        cancel: checked before every UNet call (`GenerationCancelled`).
    """

    def __init__(self, pipe, layout: WorldLayout, contexts: TextContext, guidance: float, batch_size: int,
                 active: Sequence[int] | None = None, on_batch: Callable[[int], None] | None = None,
                 cancel: threading.Event | None = None):
        self.pipe, self.layout, self.contexts, self.guidance = pipe, layout, contexts, guidance
        self.batch_size = batch_size
        self.active = list(range(len(layout.windows)) if active is None else active)
        total = layout.weight_total()
        self.weights = weights_tensor([layout.normalised_weights(w, total) for w in layout.windows], pipe.device)
        self.on_batch, self.cancel = on_batch, cancel

    def __call__(self, latents: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        fused = torch.zeros(latents.shape, dtype=torch.float32, device=latents.device)
        windows = self.layout.windows
        for start in range(0, len(self.active), self.batch_size):
            if self.cancel is not None and self.cancel.is_set():
                raise GenerationCancelled("world generation cancelled")
            chosen = self.active[start:start + self.batch_size]
            batch = torch.cat([latents[:, :, windows[i].latent_slices()[0], windows[i].latent_slices()[1]]
                               for i in chosen])
            prediction = self.pipe.predict(batch, timestep, self.contexts.select(chosen), self.guidance)
            weighted = prediction.float() * self.weights[chosen]
            for i, part in zip(chosen, weighted):
                rows, columns = windows[i].latent_slices()
                fused[0, :, rows, columns] += part
            if self.on_batch is not None:
                self.on_batch(len(chosen))
        return fused.to(latents.dtype)


class HoldKnown:
    """Step hook: the known part of the canvas at each step's noise level (its clean latents after
    the last step), the rest as denoised.

    Args:
        clean: (1, C, h, w) clean latents of the canvas (anything where `mask` is 0).
        noise: (1, C, h, w) the canvas's noise (the same each step keeps the known part coherent).
        mask: (1, 1, h, w) 1 where the canvas is known, 0 where it is new.
    """

    def __init__(self, clean: torch.Tensor, noise: torch.Tensor, mask: torch.Tensor):
        self.clean, self.noise, self.mask = clean, noise, mask.bool()

    def __call__(self, state: StepState) -> torch.Tensor:
        held = state.noised(self.clean.to(state.latents), self.noise)
        return torch.where(self.mask, held, state.latents)
