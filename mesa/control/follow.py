"""Follow a guide: the generated elevation keeps a guide's large shapes at a chosen strength while
the model adds the detail and the matching colour image.

Method (ILVR, Choi et al. 2021, on the elevation half of MESA's latent): the guide is encoded once;
during the first `strength` share of the steps, the low frequencies (a Gaussian of GUIDE_SCALE of
the tile's shorter side) of the elevation latents are replaced by those of the guide's latents at
the same noise level. The detail, the image half and the remaining steps are the model's, so
seeds still differ. Strength 0 is plain generation; strength 1 steers every step, so the result's
large shapes are the guide's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from mesa.control.encoding import encoding_scale, to_model_dem
from mesa.control.grid import resample_field, resample_mask
from mesa.control.guide import Guide
from mesa.control.hooks import pull_low_frequencies
from mesa.control.result import ControlledTerrain, ControlSettings
from mesa.errors import UserError
from mesa.pipeline.elevation import CheckpointElevation, ElevationScale, elevation_scale
from mesa.validation import check_number
from mesa.pipeline.sampling import StepProgress

GUIDE_SCALE = 1 / 16
"""Gaussian sigma of the guide's low-pass, as a share of the shorter side (8 px at 128 px): shapes
larger than about twice this are the guide's, smaller ones the model's."""


def check_strength(strength) -> float:
    """A strength in [0, 1] (UserError otherwise, NaN included)."""
    return check_number("strength", strength, 0.0, 1.0, unit=" (0 ignores the guide, 1 keeps its large shapes)")


def fit_guide(guide: Guide, height: int, width: int) -> Guide:
    """`guide` resampled to (height, width); UserError when its aspect ratio differs by more
    than one pixel."""
    guide_height, guide_width = guide.shape
    if abs(guide_height * width / height - guide_width) > 1.0:
        raise UserError(f"the guide is {guide_width} x {guide_height} px but the terrain is {width} x {height} px; "
                        f"a guide must have the terrain's aspect ratio (any size: it is resampled)")
    heights01 = np.clip(resample_field(guide.heights01, height, width), 0.0, 1.0)  # bilinear stays in range
    return Guide(heights01, guide.low_m, guide.high_m, resample_mask(guide.ridges, height, width),
                 resample_mask(guide.valleys, height, width), guide.source)


def guide_model_dem(pipe, guide: Guide, prompt: str, relief_m: float | None,
                    base_m: float | None) -> tuple[np.ndarray, ElevationScale]:
    """The guide as the model's relative elevation, and the scale that turns the result into
    metres (the checkpoint's; for a relative checkpoint the caller's relief/base, else the
    guide's own range, else the prompt's landform)."""
    checkpoint = pipe.checkpoint_elevation
    landform = elevation_scale(prompt, CheckpointElevation(), relief_m, base_m)
    if checkpoint.min_m is not None:
        metres = guide.elevation_m() if guide.has_metres else landform.base_m + guide.heights01 * landform.relief_m
        scale = encoding_scale(pipe, metres)
        return to_model_dem(metres, scale), scale
    if relief_m is None and base_m is None and guide.has_metres:
        return guide.heights01, ElevationScale(guide.low_m, guide.high_m - guide.low_m, f"the {guide.source}'s range")
    return guide.heights01, landform


def follow_guide(
    pipe,
    guide: Guide,
    strength: float,
    prompt: str,
    seeds: Sequence[int] = (42,),
    *,
    steps: int | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    negative_prompt: str = "",
    height: int | None = None,
    width: int | None = None,
    relief_m: float | None = None,
    base_m: float | None = None,
    callback: Callable[[StepProgress], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[ControlledTerrain]:
    """One terrain per seed whose elevation follows `guide` at `strength` in [0, 1].

    The output is (height, width) (default: the model's native size); the guide is resampled to
    it and must have its aspect ratio. Elevation in metres: see `guide_model_dem`. Raises
    UserError for a bad strength, guide size or setting, `GenerationCancelled` on `cancel`."""
    strength = check_strength(strength)
    request = pipe.request(prompt, seeds, steps, guidance, sampler, negative_prompt, height, width, relief_m, base_m,
                           overscan=0)  # the guide is registered to the tile's pixels
    fitted = fit_guide(guide, request.height, request.width)
    dem, scale = guide_model_dem(pipe, fitted, request.prompt, relief_m, base_m)
    noise, _ = pipe.initial_noise(request.seeds, request.height, request.width)
    hooks = []
    if strength > 0:
        guide_latents = pipe.encode(None, dem[None]).repeat(len(request.seeds), 1, 1, 1)
        latent_side = min(noise.shape[-2:])
        hooks = [pull_low_frequencies(guide_latents, slice(pipe.latent_channels, None), noise,
                                      GUIDE_SCALE * latent_side, max(1, round(strength * request.steps)))]
    latents = pipe.sample_latents(request, hooks=hooks, noise=noise, callback=callback, cancel=cancel)
    control = ControlSettings("guide", strength, fitted.source,
                              {"guide_scale_px": GUIDE_SCALE * min(request.height, request.width),
                               "elevation": scale.source})
    return [ControlledTerrain.of(terrain, control) for terrain in pipe.to_terrains(latents, request, scale)]
