"""MESA-format captions from a synthetic sample's own parameters."""

from __future__ import annotations

import numpy as np

from mesa.data.synthetic.params import STREAM_CAPTION, SyntheticParams
from mesa.prompts import PromptParts, build_prompt, drop_random_parts


def caption_parts(params: SyntheticParams) -> PromptParts:
    """All four descriptors of the sample: biome phrase, landform, country, month name."""
    return PromptParts(params.biome_phrase, params.landform, params.country, params.month_name)


def make_caption(params: SyntheticParams, augment: bool = True) -> str:
    """The training caption; with `augment`, parts are dropped as for real data (`drop_random_parts`).

    Deterministic per (seed, index): the drop uses the sample's own caption stream.
    """
    parts = caption_parts(params)
    if augment:
        parts = drop_random_parts(parts, np.random.default_rng([params.seed, params.index, STREAM_CAPTION]))
    return build_prompt(parts)
