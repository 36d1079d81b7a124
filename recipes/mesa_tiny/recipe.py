"""The mesa-tiny recipe: `python -m recipes.mesa_tiny.recipe [--config recipes/mesa_tiny/configs/recipe.json]`.

Every relative path in the recipe file is read relative to that file's folder, so the recipe runs
the same from any working directory.

Stages (each skipped or resumed when its output exists, so an interrupted run continues):

    1. components   tokenizer learnt from the prompt vocabulary, CLIP text encoder from the seed
                    (trained with the UNet in stage 4),
                    DDIM scheduler (SD 2.1 v-prediction, zero terminal SNR)      -> run/components/
    2. tiles        synthetic terrain tiles, generated once                     -> run/tiles/
    3. train-vae    AutoencoderKL from configs/vae.json on 64 px crops           -> run/vae/vae/
    3b. decoder     its decoder fine-tuned on whole tiles, edges weighted up,
                    encoder frozen (configs/vae_decoder_train.json)             -> run/vae_decoder/vae/
    3c. latent      (opt-in: elevation_latent) the UNet's elevation latent measured on the tiles:
                    centred, scaled to the image's within-tile spread           -> run/elevation_latent.json
    4. train        UNetDEMConditionModel from configs/unet.json                -> run/unet/model/
    4c. second cycle (opt-in: second_cycle_train_config) stage 4's model trained on
                    the same tiles for one more cosine cycle (configs/train_gpu_second_cycle.json
                    in recipe_gpu.json)                                         -> run/second_cycle/model/
    4b. seasons     (opt-in: seasons_stage) stage 4's (4c's) model trained on season twins
                    (each terrain in its month and six months later, run/tiles_seasons/),
                    most batches near pure noise (configs/seasons_train.json) -> run/seasons/model/
    5. assemble     the model (with the stage 3b VAE), its card, metrics and
                    validation images                                           -> model_dir

Stages 3, 3b and 4 are the repository's trainers (`mesa.training`), given the prepared tiles. Crops
make stage 3 four times cheaper but never show the decoder a tile's corners: alone, it decoded a
raised rim and corner spikes. Stage 3b leaves the encoder, so the latents the UNet learns, as they were.
Stage 4 alone reads the biome and the landform but not the month: a tile's colour is set by the caption
only near pure noise, which uniform timesteps rarely draw. Stage 4b shows it the same ground in two
seasons, with the timesteps where the month matters (docs/mesa_tiny.md, "The month"). It is off by
default: measured, it makes the UNet read the month, but too little to change the terrains (yet).
Stage 4c is how the GPU recipe (configs/recipe_gpu.json, `--device cuda`) spends its larger batches:
two cosine cycles on 8,000 tiles, the second from a lower peak (docs/mesa_tiny.md, "v2.6").
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mesa.atomic import atomic_write_text, staged_directory
from mesa.data.normalization import ElevationLatent
from mesa.errors import UserError
from recipes.mesa_tiny.components import read_json, write_components
from mesa.data.synthetic.prepared import PreparedTiles, prepare_tiles
from recipes.mesa_tiny.model_card import write_model_card
from mesa.models.colour_prior import CONFIG_NAME, WEIGHTS_NAME
from mesa.models.colour_prior import FOLDER as PRIOR_FOLDER
from mesa.training.colour_prior import ColourPriorTrainConfig, train_colour_prior
from mesa.training.config import TrainConfig, VaeTrainConfig, build_config, coerce
from mesa.training.data import Collator, normalization_of
from mesa.training.vae import measure_elevation_latent

logger = logging.getLogger(__name__)
DEFAULT_CONFIG = Path(__file__).resolve().parent / "configs" / "recipe.json"
PATH_FIELDS = ("run_dir", "model_dir", "text_encoder_config", "vae_config", "unet_config", "scheduler_config",
               "vae_train_config", "vae_decoder_train_config", "train_config", "seasons_train_config",
               "colour_prior_train_config", "second_cycle_train_config")
QUALITY_FILES = ("quality.json", "sampling_defaults.json")  # written by benchmarks/quality_mesa_tiny.py
SEASON_KEEP_PARTS = ("country", "month")  # stage 4b's captions always name both (biome and landform drop as in stage 4)


@dataclass
class RecipeConfig:
    """recipe.json: where things go and the one seed everything is drawn from (paths absolute
    after `read_recipe`)."""

    seed: int = 0
    tiles: int = 2400  # synthetic tiles prepared once and re-read every epoch
    workers: int = 2  # processes generating tiles
    vae_crop: int = 64  # the VAE trains on crops of this side, pixels
    run_dir: str = "../../../runs/mesa_tiny"
    model_dir: str = "../../../assets/models/mesa-tiny"
    text_encoder_config: str = "text_encoder.json"
    vae_config: str = "vae.json"
    unet_config: str = "unet.json"
    scheduler_config: str = "scheduler.json"
    vae_train_config: str = "vae_train.json"
    vae_decoder_train_config: str = "vae_decoder_train.json"
    train_config: str = "train.json"
    second_cycle_train_config: str = ""  # stage 4c's settings; empty: no stage 4c
    seasons_train_config: str = "seasons_train.json"
    seasons_stage: bool = False  # run stage 4b (the shipped mesa-tiny is stage 4's model: see docs/mesa_tiny.md)
    season_shift: int = 6  # stage 4b's twin of each terrain: this many months after its drawn month
    colour_prior_train_config: str = "colour_prior_train.json"
    colour_prior_stage: bool = True  # stage 5: the colour prior (mesa.models.colour_prior) on the season quads
    elevation_latent: bool = False  # stage 3c (opt-in): train the UNet on centred, scaled elevation latents
    elevation_latent_tiles: int = 256  # tiles stage 3c measures on


class TrainerConfigs(NamedTuple):
    """The typed configs of the recipe's four trainer runs."""

    vae: VaeTrainConfig  # stage 3: the VAE from scratch on crops
    decoder: VaeTrainConfig  # stage 3b: its decoder on whole tiles
    unet: TrainConfig  # stage 4
    seasons: TrainConfig  # stage 4b: stage 4's (4c's) model on season twins
    second_cycle: TrainConfig | None = None  # stage 4c: stage 4's model, one more cycle (None: not run)


def read_recipe(path: str | Path, overrides: dict[str, str]) -> RecipeConfig:
    """The recipe from its JSON file, then KEY=VALUE overrides; unknown keys are errors. Relative
    paths (in the file or the overrides) are resolved against the recipe file's folder."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"recipe file not found: {path}")
    values = {**read_json(path), **overrides}
    hints = {f.name: f.type for f in dataclasses.fields(RecipeConfig)}
    unknown = sorted(set(values) - set(hints))
    if unknown:
        raise UserError(f"unknown recipe setting(s) {', '.join(unknown)}; accepted: {', '.join(sorted(hints))}")
    kinds = {"int": int, "str": str, "bool": bool}
    recipe = RecipeConfig(**{key: coerce(value, kinds[hints[key]], key) for key, value in values.items()})
    base = path.resolve().parent
    return dataclasses.replace(recipe, **{name: str((base / getattr(recipe, name)).resolve())
                                          for name in PATH_FIELDS if getattr(recipe, name)})


def trained_unet(recipe: RecipeConfig) -> Path:
    """The model stage 4b starts from: stage 4c's when the recipe has that stage, else stage 4's."""
    stage = "second_cycle" if recipe.second_cycle_train_config else "unet"
    return Path(recipe.run_dir) / stage / "model"


def trainer_configs(recipe: RecipeConfig) -> TrainerConfigs:
    """The trainers' typed configs: their files plus the recipe's paths and seed."""
    run = Path(recipe.run_dir)
    vae_config = build_config(VaeTrainConfig, read_json(recipe.vae_train_config), {
        "vae_config": recipe.vae_config, "output_dir": str(run / "vae"), "seed": recipe.seed, "resume": "latest"})
    decoder_config = build_config(VaeTrainConfig, read_json(recipe.vae_decoder_train_config), {
        "pretrained": str(run / "vae" / "vae"), "output_dir": str(run / "vae_decoder"), "seed": recipe.seed,
        "resume": "latest"})
    if not decoder_config.train_decoder_only:
        raise UserError(f"{recipe.vae_decoder_train_config} must set train_decoder_only: a new encoder would "
                        "change the latents the UNet is trained on")
    train_config = build_config(TrainConfig, read_json(recipe.train_config), {
        "init_from_config": recipe.unet_config, "components_from": str(run / "components"),
        "output_dir": str(run / "unet"), "seed": recipe.seed, "resume": "latest"})
    seasons_config = build_config(TrainConfig, read_json(recipe.seasons_train_config), {
        "pretrained": str(trained_unet(recipe)), "output_dir": str(run / "seasons"), "seed": recipe.seed,
        "resume": "latest"})
    if seasons_config.resolution != train_config.resolution:
        raise UserError(f"{recipe.seasons_train_config} trains at {seasons_config.resolution} px, stage 4 at "
                        f"{train_config.resolution} px: the twins must be the tiles stage 4 saw")
    second_cycle = None
    if recipe.second_cycle_train_config:
        # seed + 1: the second cycle draws other batches and noise than the first
        second_cycle = build_config(TrainConfig, read_json(recipe.second_cycle_train_config), {
            "pretrained": str(run / "unet" / "model"), "output_dir": str(run / "second_cycle"),
            "seed": recipe.seed + 1, "resume": "latest"})
        if second_cycle.resolution != train_config.resolution:
            raise UserError(f"{recipe.second_cycle_train_config} trains at {second_cycle.resolution} px, stage 4 at "
                            f"{train_config.resolution} px: the second cycle reads stage 4's tiles")
    configs = TrainerConfigs(vae_config, decoder_config, train_config, seasons_config, second_cycle)
    ranges = {(c.elevation_mode, c.elevation_min_m, c.elevation_max_m) for c in configs if c is not None}
    if len(ranges) != 1:
        raise UserError(f"the VAE and UNet configs normalise elevation differently: {sorted(ranges)}")
    return configs


def prepare_recipe_tiles(recipe: RecipeConfig) -> Path:
    """The recipe's synthetic tiles in run_dir/tiles/ (generated once; skipped when they are there)."""
    resolution = trainer_configs(recipe).unet.resolution
    return prepare_tiles(Path(recipe.run_dir) / "tiles", recipe.tiles, recipe.seed, resolution, recipe.workers)


def prepare_season_twins(recipe: RecipeConfig) -> Path:
    """Stage 4b's tiles in run_dir/tiles_seasons/: the same terrains as run_dir/tiles/, each four times
    (its drawn month and `season_shift` months later, in its own country and in one of the other
    hemisphere), adjacent: the season flips with the hemisphere in the data, not only with the month."""
    resolution = trainer_configs(recipe).seasons.resolution
    return prepare_tiles(Path(recipe.run_dir) / "tiles_seasons", recipe.tiles, recipe.seed, resolution,
                         recipe.workers, month_shifts=(0, recipe.season_shift), other_hemisphere=True)


def final_model(recipe: RecipeConfig) -> Path:
    """The run's last trained model: stage 4b's when the recipe runs it and it finished, else stage 4c's
    (likewise), else stage 4's."""
    run = Path(recipe.run_dir)
    stages = (("seasons", recipe.seasons_stage), ("second_cycle", bool(recipe.second_cycle_train_config)))
    for stage, opted_in in stages:
        if opted_in and (run / stage / "model" / "model_index.json").is_file():
            return run / stage / "model"
    return run / "unet" / "model"


def run_recipe(recipe: RecipeConfig) -> Path:
    """Run every stage; return the assembled model folder."""
    from mesa.training.vae import train_vae

    run = Path(recipe.run_dir)
    configs = trainer_configs(recipe)
    started = time.perf_counter()
    components = run / "components"
    if not (components / "text_encoder" / "config.json").is_file():
        write_components(components, read_json(recipe.text_encoder_config), read_json(recipe.scheduler_config),
                         recipe.seed)
    logger.info("components ready in %s", components)

    tiles = prepare_recipe_tiles(recipe)
    logger.info("%d tiles ready in %s (%.0f s so far)", recipe.tiles, tiles, time.perf_counter() - started)

    vae_dir = run / "vae" / "vae"
    if not (vae_dir / "config.json").is_file():
        vae_dir = train_vae(configs.vae, dataset=PreparedTiles(tiles, recipe.seed, crop=recipe.vae_crop)).vae_dir
        if vae_dir is None:
            raise UserError("train-vae stopped before max_steps; run the recipe again to resume it")
    decoder_dir = run / "vae_decoder" / "vae"
    if not (decoder_dir / "config.json").is_file():
        decoder_dir = train_vae(configs.decoder, dataset=PreparedTiles(tiles, recipe.seed)).vae_dir
        if decoder_dir is None:
            raise UserError("train-vae (decoder) stopped before max_steps; run the recipe again to resume it")
    shutil.rmtree(components / "vae", ignore_errors=True)
    shutil.copytree(decoder_dir, components / "vae")
    logger.info("VAE ready (%.0f s so far)", time.perf_counter() - started)
    if recipe.elevation_latent:
        latent = recipe_elevation_latent(recipe, components / "vae", tiles, configs.unet)
        logger.info("elevation latent: shift %s, scale %.4f", list(latent.shift), latent.scale)
        configs = configs._replace(unet=dataclasses.replace(
            configs.unet, elevation_latent_shift=list(latent.shift), elevation_latent_scale=latent.scale))

    model = train_stage(configs.unet, lambda: PreparedTiles(tiles, recipe.seed))
    logger.info("UNet trained (%.0f s so far)", time.perf_counter() - started)
    if configs.second_cycle is not None:
        model = train_stage(configs.second_cycle, lambda: PreparedTiles(tiles, configs.second_cycle.seed), " (second cycle)")
        logger.info("second cycle trained (%.0f s so far)", time.perf_counter() - started)
    if recipe.seasons_stage:
        def season_quads() -> PreparedTiles:
            twins = prepare_season_twins(recipe)
            logger.info("season twins ready in %s (%.0f s so far)", twins, time.perf_counter() - started)
            return PreparedTiles(twins, recipe.seed, keep_parts=SEASON_KEEP_PARTS)

        model = train_stage(configs.seasons, season_quads, " (seasons)")
        logger.info("seasons trained (%.0f s so far)", time.perf_counter() - started)
    if recipe.colour_prior_stage and not (run / PRIOR_FOLDER / WEIGHTS_NAME).is_file():
        train_colour_prior(colour_prior_config(recipe, model, prepare_season_twins(recipe)))
        logger.info("colour prior trained (%.0f s so far)", time.perf_counter() - started)
    return assemble(recipe, model)


def train_stage(config: TrainConfig, dataset, name: str = "") -> Path:
    """A UNet stage's model (4, 4c, 4b): its folder when the stage finished, else trained (or resumed)
    now on `dataset()`, which is built only then."""
    from mesa.training.train import train

    model = Path(config.output_dir) / "model"
    if (model / "model_index.json").is_file():
        return model
    model = train(config, dataset=dataset()).model_dir
    if model is None:
        raise UserError(f"train{name} stopped before max_steps; run the recipe again to resume it")
    return model


def recipe_elevation_latent(recipe: RecipeConfig, vae_dir: Path, tiles: Path, config: TrainConfig) -> ElevationLatent:
    """Stage 3c: the UNet's elevation latent, measured once on `elevation_latent_tiles` of the tiles
    (drawn from the seed) with the final VAE and kept in run/elevation_latent.json, so a resumed run
    trains in the same one."""
    record = Path(recipe.run_dir) / "elevation_latent.json"
    if record.is_file():
        return ElevationLatent.from_json(read_json(record))
    from diffusers import AutoencoderKL

    store = PreparedTiles(tiles, recipe.seed, split="all")
    chosen = np.sort(np.random.default_rng(recipe.seed).choice(len(store), min(recipe.elevation_latent_tiles,
                                                                               len(store)), replace=False))
    vae = AutoencoderKL.from_pretrained(vae_dir).eval()
    collate = Collator(None, normalization_of(config), latent_factor=2 ** (len(vae.config.block_out_channels) - 1))
    batch = collate([(int(position), store.sample_at(int(position))) for position in chosen], 0, 0)
    latent = measure_elevation_latent(vae, batch.rgb, batch.elevation)
    atomic_write_text(record, json.dumps(latent.to_json(), indent=2) + "\n")
    return latent


def colour_prior_config(recipe: RecipeConfig, model: Path, quads: Path) -> ColourPriorTrainConfig:
    """Stage 5's settings: its file, on `model`'s VAE and text encoder and the season quads."""
    values = {key: value for key, value in read_json(recipe.colour_prior_train_config).items()
              if not key.startswith("_")}
    names = {f.name for f in dataclasses.fields(ColourPriorTrainConfig)} - {"model", "tiles", "output_dir", "seed"}
    if unknown := sorted(set(values) - names):
        raise UserError(f"{recipe.colour_prior_train_config}: unknown setting(s) {', '.join(unknown)}; "
                        f"accepted: {', '.join(sorted(names))}")
    if "keep_parts" in values:
        values["keep_parts"] = tuple(values["keep_parts"])
    return ColourPriorTrainConfig(model=str(model), tiles=str(quads), output_dir=str(Path(recipe.run_dir) / PRIOR_FOLDER),
                                  seed=recipe.seed, **values)


def store_half(weights: Path) -> None:
    """Rewrite a safetensors file with its floating-point tensors in float16 (metadata kept): the
    UNet's storage, half the bytes; pipelines load it into the float32 model they compute in."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(weights, "pt") as handle:
        metadata = handle.metadata()
    tensors = load_file(weights)
    save_file({name: tensor.half() if tensor.is_floating_point() else tensor for name, tensor in tensors.items()},
              weights, metadata=metadata)


def assemble(recipe: RecipeConfig, model: Path) -> Path:
    """Copy the exported model (its UNet stored in float16) with the run's final VAE (stage 3b's), its
    training record (configs, metrics, validation images) and a model card into `recipe.model_dir`,
    replacing what was there in one step (the quality figures are kept)."""
    run, target = Path(recipe.run_dir), Path(recipe.model_dir)
    with staged_directory(target) as staging:
        shutil.copytree(model, staging, dirs_exist_ok=True)
        shutil.rmtree(staging / "vae")
        shutil.copytree(run / "components" / "vae", staging / "vae")
        store_half(staging / "unet" / "diffusion_pytorch_model.safetensors")  # since v2.6
        for config_file in staging.glob("*/config.json"):  # no folder of the machine that trained it
            config = json.loads(config_file.read_text(encoding="utf-8"))
            if config.pop("_name_or_path", None) is not None:
                atomic_write_text(config_file, json.dumps(config, indent=2, sort_keys=True) + "\n")
        record = staging / "training"
        (record / "configs").mkdir(parents=True)
        for path in (recipe.text_encoder_config, recipe.scheduler_config, recipe.vae_config, recipe.unet_config,
                     recipe.vae_train_config, recipe.vae_decoder_train_config):
            shutil.copy(path, record / "configs" / Path(path).name)
        shutil.copy(recipe.train_config, record / "configs" / "train.json")  # by its stage (the card reads it)
        shutil.copy(run / "vae" / "metrics.jsonl", record / "vae_metrics.jsonl")
        shutil.copy(run / "vae_decoder" / "metrics.jsonl", record / "vae_decoder_metrics.jsonl")
        shutil.copy(run / "unet" / "metrics.jsonl", record / "metrics.jsonl")
        if recipe.second_cycle_train_config:
            shutil.copy(recipe.second_cycle_train_config, record / "configs" / "second_cycle_train.json")
            shutil.copy(run / "second_cycle" / "metrics.jsonl", record / "second_cycle_metrics.jsonl")
        last_stage = model.parent  # run/seasons, run/second_cycle or run/unet
        if last_stage.name == "seasons":
            shutil.copy(recipe.seasons_train_config, record / "configs" / Path(recipe.seasons_train_config).name)
            shutil.copy(last_stage / "metrics.jsonl", record / "seasons_metrics.jsonl")
        prior = run / PRIOR_FOLDER
        if recipe.colour_prior_stage and (prior / WEIGHTS_NAME).is_file():
            (staging / PRIOR_FOLDER).mkdir()
            for name in (CONFIG_NAME, WEIGHTS_NAME):
                shutil.copy(prior / name, staging / PRIOR_FOLDER / name)
            shutil.copy(prior / "metrics.json", record / "colour_prior_metrics.json")
            shutil.copy(recipe.colour_prior_train_config, record / "configs" / Path(recipe.colour_prior_train_config).name)
        if (last_stage / "validation").is_dir():
            shutil.copytree(last_stage / "validation", record / "validation")
        for name in QUALITY_FILES:
            if (target / name).is_file():
                shutil.copy(target / name, staging / name)
        write_model_card(staging)
    logger.info("wrote %s", target)
    return target


def use_device(device: str) -> None:
    """Where the trainers (stages 3-4c, Accelerate) run: `auto` a GPU when one is visible, `cpu` the CPU
    even beside a GPU, `cuda` a GPU or a clear refusal. Stage 5's small prior trains on the CPU."""
    if device == "cpu":
        os.environ["ACCELERATE_USE_CPU"] = "true"
    elif device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UserError("--device cuda: torch sees no CUDA GPU here; accepted: auto (a GPU when one is visible), "
                            "cpu, or cuda on a machine with one")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipes.mesa_tiny.recipe", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG, help=f"recipe file (default {DEFAULT_CONFIG})")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a recipe setting, e.g. --set run_dir=/tmp/tiny (repeatable)")
    parser.add_argument("--assemble-only", action="store_true",
                        help="only re-assemble the model folder from a finished run")
    parser.add_argument("--tiles-only", action="store_true",
                        help="only prepare the tiles (run_dir/tiles/; mesa-tiny-fast distils on them)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where the trainers run: auto (a GPU when one is visible), cpu, or cuda")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        overrides = dict(text.split("=", 1) for text in args.overrides)
    except ValueError:
        parser.error("--set expects KEY=VALUE")
    try:
        recipe = read_recipe(args.config, overrides)
        use_device(args.device)
        if args.assemble_only:
            assemble(recipe, final_model(recipe))
        elif args.tiles_only:
            prepare_recipe_tiles(recipe)
        else:
            run_recipe(recipe)
    except UserError as error:
        print(f"error: {error}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
