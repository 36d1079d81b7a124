"""Border artefacts on many tiles: is the rim the data's, and where do corner spikes come from?

    .venv/bin/python -m benchmarks.borders_mesa_tiny [--model mesa-tiny] [--tiles 256] [--overscan 24 16]

Held-out synthetic tiles (`--tiles`, the scorecard's reference of that size) and one generated terrain
per tile caption (seed = tile number, as the scorecard's realism set), once per `--overscan`, in one
process. For each set it prints:

- the mean |ring step| (metres and reliefs; `mesa.evaluation.borders`) and the bootstrap 90 % interval
  of its difference from the held-out tiles';
- the rim's profile: the mean elevation of each of the first 8 one-pixel rings (and of the four corner
  pixels on the diagonal) minus that of rings 16-23, in reliefs over tiles (held-out: about 0);
- how many tiles' corner blocks rise above the 98th percentile by more than 0.1, 0.3 and 0.5 reliefs
  (0.5: a "corner spike") beside the held-out tiles', with Fisher's exact test of the difference;
- for each tile with a spike, whether the sampled canvas just outside the tile's corner (within 8 px)
  keeps at least half the corner's rise (the tile cut through high ground) or the corner stands alone
  (read it where the canvas there is past its own rim: at 24 px, not at 16, where it is the rim's tail);
- seconds per terrain and their ratio to the first overscan.

It also prints the rim of the whole sampled canvas (overscan included) at the first overscan: the
UNet's latent edges, which the overscan is there to crop.

mesa-tiny v2.5 (v2.4's weights), 256 tiles (docs/mesa_tiny.md, v2.5): the canvas rim is +0.82 reliefs
at its edge and rings down to within 0.02 about 17 px in. Overscan 24 (the default): |ring step| 11.3 m
against the held-out 11.1 m (-2.3 .. +2.6 m), rings within 0.01 reliefs, corner rises > 0.1 / 0.3 / 0.5
in 27 / 10 / 3 tiles against 30 / 9 / 0, the 3 high ground going on past the tile; 1.78 s per
terrain. Overscan 16: rings 1-2 +0.017 / +0.013 and corner pixels +0.05 / +0.04 reliefs (the canvas
rim's tail), corner rises > 0.1 in 46 tiles against 30 (p 0.06); 0.86x the time. 512 tiles: 24 px
53 / 12 / 5 against 54 / 14 / 1; 16 px 87 / 21 / 5.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import fisher_exact

from mesa.evaluation.borders import CORNER_SPIKE_RELIEFS, RING_PX, border_artefacts, corner_spike_reliefs, ring_step_m
from mesa.evaluation.elevation_statistics import relief_m
from mesa.evaluation.references import synthetic_reference
from mesa.pipeline import TerrainPipeline

PROFILE_RINGS = 8  # one-pixel rings printed from the edge inwards
INTERIOR_RINGS = (16, 24)  # the rings the profile is measured against
RISE_THRESHOLDS = (0.1, 0.3, CORNER_SPIKE_RELIEFS)
BEYOND_PX = 8  # how far past a tile's corner the canvas is searched for higher ground


def relative(field: np.ndarray, within: np.ndarray | None = None) -> np.ndarray:
    """Elevation minus the median, over the relief (of `within`, default the field itself)."""
    within = field if within is None else within
    return (field - np.median(within)) / max(relief_m(within), 1.0)


def ring_means(field: np.ndarray, rings: int) -> np.ndarray:
    """Mean of each one-pixel ring from the edge inwards (ring 0 = the edge), and of the four corner
    pixels at each depth on the diagonal: (2, rings)."""
    h, w = field.shape
    means, corners = [], []
    for k in range(rings):
        inside = np.zeros(field.shape, bool)
        inside[k:h - k, k:w - k] = True
        inside[k + 1:h - k - 1, k + 1:w - k - 1] = False
        means.append(field[inside].mean())
        corners.append(np.mean([field[k, k], field[k, w - 1 - k], field[h - 1 - k, k], field[h - 1 - k, w - 1 - k]]))
    return np.array([means, corners])


def rim_profile(fields: list[np.ndarray], crops: list[np.ndarray] | None = None, rings: int = PROFILE_RINGS) -> np.ndarray:
    """(2, rings) mean over tiles of each ring (and corner) minus the interior rings, in reliefs of
    the tile (of `crops`, the tiles cut from canvases `fields`, where given)."""
    crops = fields if crops is None else crops
    low, high = INTERIOR_RINGS
    profiles = []
    for field, crop in zip(fields, crops):
        means = ring_means(relative(np.asarray(field, np.float64), np.asarray(crop, np.float64)), max(rings, high))
        profiles.append(means[:, :rings] - means[0, low:high].mean())
    return np.mean(profiles, axis=0)


def corner_rises(fields: list[np.ndarray]) -> np.ndarray:
    """Per tile: how far its highest corner-block pixel rises above its 98th percentile, in reliefs."""
    return np.array([corner_spike_reliefs(field) for field in fields])


def beyond_corner(canvas: np.ndarray, tile: np.ndarray, overscan: int) -> tuple[float, float]:
    """(highest corner-block pixel of the tile, highest canvas pixel outside the tile within
    BEYOND_PX of that corner), metres."""
    h, w, k = *tile.shape, RING_PX
    corners = {(0, 0): tile[:k, :k], (0, w - k): tile[:k, -k:], (h - k, 0): tile[-k:, :k], (h - k, w - k): tile[-k:, -k:]}
    (row, col), block = max(corners.items(), key=lambda item: item[1].max())
    top, left = row + overscan - BEYOND_PX, col + overscan - BEYOND_PX
    rows, cols = np.mgrid[max(0, top):row + overscan + k + BEYOND_PX, max(0, left):col + overscan + k + BEYOND_PX]
    outside = (rows < overscan) | (rows >= overscan + h) | (cols < overscan) | (cols >= overscan + w)
    return float(block.max()), float(canvas[rows[outside], cols[outside]].max())


def generate(pipe: TerrainPipeline, prompts: list[str], overscan: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(canvases, tiles) of elevation in metres: one per prompt, seed = its index."""
    canvases, tiles = [], []
    with torch.no_grad():
        for seed, prompt in enumerate(prompts):
            request = pipe.request(prompt, seeds=[seed], overscan=overscan)
            scale = pipe.elevation_scale(request)
            latents = pipe.sample_latents(request)
            _, dem = pipe.decode(latents)
            canvases.append(scale.base_m + dem[0].mean(axis=-1) * scale.relief_m)
            tiles.append(pipe.to_terrains(latents, request, scale)[0].elevation_m)
    return canvases, tiles


def describe(label: str, tiles: list[np.ndarray], held_out: list[np.ndarray] | None, rng: np.random.Generator) -> None:
    result = border_artefacts([_Field(t) for t in tiles])
    line = (f"{label:16s} |ring step| {result.ring_step_abs_m:5.2f} m ({result.ring_step_abs_reliefs:.3f} reliefs), "
            f"signed {result.ring_step_m:+5.2f} m")
    if held_out is not None:
        rings = np.array([abs(ring_step_m(t)) for t in tiles])
        reference = np.array([abs(ring_step_m(t)) for t in held_out])
        n = len(rings)
        boot = [rings[rng.integers(0, n, n)].mean() - reference[rng.integers(0, len(reference), len(reference))].mean()
                for _ in range(4000)]
        low, high = np.percentile(boot, [5, 95])
        line += f"; minus held-out {low:+.2f} .. {high:+.2f} m (90 %)"
    print(line, flush=True)
    profile = rim_profile(tiles)
    print(f"{'':16s} rim profile, rings 0-{PROFILE_RINGS - 1} minus rings {INTERIOR_RINGS[0]}-{INTERIOR_RINGS[1] - 1} "
          f"(reliefs): {np.array2string(profile[0], precision=3, suppress_small=True)}; "
          f"corners {np.array2string(profile[1], precision=3, suppress_small=True)}")
    rises = corner_rises(tiles)
    counts = []
    for threshold in RISE_THRESHOLDS:
        count = int(np.sum(rises > threshold))
        text = f"> {threshold:g}: {count}"
        if held_out is not None:
            reference = int(np.sum(corner_rises(held_out) > threshold))
            _, p = fisher_exact([[count, len(tiles) - count], [reference, len(held_out) - reference]])
            text += f" (held-out {reference}, p {p:.2f})"
        counts.append(text)
    print(f"{'':16s} corner rise above the 98th percentile, tiles of {len(tiles)}: " + "; ".join(counts))


class _Field:
    """The elevation alone, as `border_artefacts` reads it."""

    def __init__(self, elevation_m: np.ndarray):
        self.elevation_m = elevation_m


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.borders_mesa_tiny", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mesa-tiny")
    parser.add_argument("--tiles", type=int, default=256)
    parser.add_argument("--overscan", type=int, nargs="+", default=[24, 16])
    args = parser.parse_args(argv)
    pipe = TerrainPipeline.from_pretrained(args.model)
    reference = synthetic_reference(args.tiles, 16, pipe.native_size, pipe.meters_per_pixel, 0, 1)
    held_out = [np.asarray(t.elevation_m, np.float64) for t in reference.terrains]
    prompts = [t.prompt for t in reference.terrains]
    rng = np.random.default_rng(0)
    describe("held-out tiles", held_out, None, rng)
    first = None
    for overscan in args.overscan:
        started = time.perf_counter()
        canvases, tiles = generate(pipe, prompts, overscan)
        seconds = (time.perf_counter() - started) / len(tiles)
        if first is None:
            first = seconds
            canvas = rim_profile(canvases, tiles, rings=PROFILE_RINGS * 3)
            print(f"{'sampled canvas':16s} ({overscan} px overscan) rim profile in the tiles' reliefs, rings 0-"
                  f"{3 * PROFILE_RINGS - 1}: {np.array2string(canvas[0], precision=2, suppress_small=True)}")
        describe(f"overscan {overscan} px", tiles, held_out, rng)
        spiking = np.flatnonzero(corner_rises(tiles) > CORNER_SPIKE_RELIEFS)
        for index in spiking:
            corner, beyond = beyond_corner(canvases[index], tiles[index], overscan)
            high = float(np.percentile(tiles[index], 98))
            goes_on = beyond >= high + (corner - high) / 2  # at least half the rise, just outside the tile
            print(f"{'':16s} spike in tile {index} ({prompts[index]}): corner {corner:.0f} m, 98th percentile "
                  f"{high:.0f} m, canvas beyond it {beyond:.0f} m "
                  f"({'high ground that goes on past the tile' if goes_on else 'stands alone'})")
        print(f"{'':16s} {seconds:.2f} s per terrain ({seconds / first:.2f}x the first)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
