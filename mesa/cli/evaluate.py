"""Score a terrain model: realism against a held-out reference and its noise floor, prompt adherence
on composed four-part prompts, image-elevation coupling, diversity, memorisation, border artefacts
and speed. Writes OUT/scorecard.json, OUT/scorecard.md and contact sheets (docs/evaluation.md).

    python -m mesa evaluate --model mesa-tiny --reference synthetic --out scorecard/
    python -m mesa evaluate --model NewtNewt/MESA --device cuda --reference /data/majortom --out scorecard/

--reference synthetic: held-out tiles of the synthetic world (never trained on); a folder: held-out
Major TOM cells (FOLDER/Core-S2L2A, FOLDER/Core-DEM, optionally FOLDER/Core-S2L1C).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mesa.cli.models import add_model_arguments, load_chosen_model
from mesa.errors import UserError

DEFAULT_TILES = 64
DEFAULT_POOL = 500
DEFAULT_SEEDS = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reference", required=True, help='"synthetic" or a Major TOM folder (see above)')
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--prompts", type=Path, help="example prompts, one per line (default: issue 11's six)")
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="seeds per prompt (>= 2; default 2)")
    size = parser.add_argument_group("size of the run")
    size.add_argument("--tiles", type=int, default=DEFAULT_TILES, help="held-out reference tiles (>= 4; default 64)")
    size.add_argument("--pool", type=int, default=DEFAULT_POOL,
                      help="training tiles searched for near-copies (default 500)")
    size.add_argument("--partitions", type=int, default=200, help="random halvings of the realism protocol")
    size.add_argument("--quick", action="store_true",
                      help="five biomes, four-part prompts only, no season prompts (about 40 %% of the terrains)")
    size.add_argument("--workers", type=int, default=2, help="processes preparing the synthetic reference")
    reference = parser.add_argument_group("reference")
    reference.add_argument("--reference-seed", type=int, default=0, help="synthetic world seed (the recipe's: 0)")
    reference.add_argument("--ecoregions", type=Path, help="RESOLVE GeoJSON for Major TOM captions")
    sampling = parser.add_argument_group("sampling (default: the model's sampling_defaults.json)")
    sampling.add_argument("--steps", type=int)
    sampling.add_argument("--guidance", type=float)
    sampling.add_argument("--sampler")
    sampling.add_argument("--overscan", type=int, help="pixels sampled beyond each edge and cropped")
    add_model_arguments(parser)


def read_prompts(path: Path | None) -> tuple[str, ...] | None:
    """Prompts of a file, one per line (blank lines and # comments skipped); None without a file."""
    if path is None:
        return None
    if not path.is_file():
        raise UserError(f"prompts file not found: {path}")
    prompts = tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                    if line.strip() and not line.lstrip().startswith("#"))
    if not prompts:
        raise UserError(f"{path} holds no prompt (one per line)")
    return prompts


def check_sizes(args: argparse.Namespace) -> None:
    """UserError for sizes the scorecard cannot use."""
    limits = {"--seeds": (args.seeds, 2), "--tiles": (args.tiles, 4), "--pool": (args.pool, 1),
              "--partitions": (args.partitions, 1), "--workers": (args.workers, 1), "--reference-seed": (args.reference_seed, 0)}
    for name, (value, least) in limits.items():
        if value < least:
            raise UserError(f"{name} must be at least {least}, got {value}")


def run(args: argparse.Namespace) -> int:
    from mesa.evaluation.prompt_cases import FORM_LANDFORMS
    from mesa.evaluation.references import (
        SYNTHETIC,
        majortom_reference,
        synthetic_reference,
    )
    from mesa.evaluation.report import write_scorecard
    from mesa.evaluation.scorecard import ISSUE_PROMPTS, Plan, run_scorecard
    from mesa.evaluation.sheets import SHEET_BIOMES
    from mesa.pipeline.pipeline import SamplingDefaults

    check_sizes(args)
    prompts = read_prompts(args.prompts) or ISSUE_PROMPTS
    if args.reference != SYNTHETIC and not Path(args.reference).is_dir():
        raise UserError(f"--reference must be \"synthetic\" or a Major TOM folder; {args.reference} is neither")
    pipe = load_chosen_model(args)
    defaults = pipe.defaults
    settings = SamplingDefaults(defaults.sampler if args.sampler is None else args.sampler,
                                defaults.steps if args.steps is None else args.steps,
                                defaults.guidance if args.guidance is None else args.guidance,
                                defaults.overscan if args.overscan is None else args.overscan)
    print(f"preparing the reference ({args.tiles} held-out tiles, {args.pool} training tiles)")
    if args.reference == SYNTHETIC:
        reference = synthetic_reference(args.tiles, args.pool, pipe.native_size, pipe.meters_per_pixel,
                                        args.reference_seed, args.workers)
    else:
        reference = majortom_reference(Path(args.reference), args.tiles, args.pool, pipe.native_size,
                                       pipe.meters_per_pixel, args.ecoregions)
    plan = Plan(seeds=args.seeds, partitions=args.partitions, prompts=prompts,
                forms=("full",) if args.quick else tuple(FORM_LANDFORMS),
                biome_ids=SHEET_BIOMES if args.quick else None, season=not args.quick)
    result = run_scorecard(pipe, reference, settings, plan, log=print)
    paths = write_scorecard(result, args.out)
    realism = result.scorecard["realism"]
    print(f"realism distance {realism['distance']:.3f}, noise floor {realism['noise_floor']:.3f}; "
          f"wrote {', '.join(str(p) for p in paths)}")
    return 0
