"""Writing a scorecard: DIR/scorecard.json (every figure), DIR/scorecard.md (the headline tables and
the sheets) and the contact sheets as PNG. Each file is written whole or not at all (mesa.atomic)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from mesa.atomic import atomic_write_bytes, atomic_write_text
from mesa.evaluation.adherence import HILLS_RATIO_TARGET, RELIEF_RATIO_TARGET
from mesa.evaluation.scorecard import ScorecardRun


def write_scorecard(run: ScorecardRun, out_dir: Path) -> list[Path]:
    """Write the run's files into `out_dir` (created if needed); returns their paths."""
    from PIL import Image

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [atomic_write_text(out_dir / "scorecard.json", json.dumps(run.scorecard, indent=2) + "\n")]
    for name, sheet in run.sheets.items():
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(sheet, np.uint8)).save(buffer, format="PNG")
        paths.append(atomic_write_bytes(out_dir / name, buffer.getvalue()))
    paths.append(atomic_write_text(out_dir / "scorecard.md", markdown(run.scorecard, list(run.sheets))))
    return paths


def _number(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return f"{value:,.{digits}f}" if abs(value) < 1000 else f"{value:,.0f}"


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(c if isinstance(c, str) else _number(c) for c in row) + " |" for row in rows]


def markdown(card: dict, sheets: list[str]) -> str:
    """The human-readable scorecard: headline figures, then one section per measurement."""
    settings, plan = card["settings"], card["plan"]
    summary = (f"Reference: {card['reference'].get('source')} ({card['reference'].get('split')} split, "
               f"{plan['tiles']} tiles); settings: {settings['sampler']}, {settings['steps']} steps, guidance "
               f"{settings['guidance']}, overscan {settings.get('overscan', 0)} px; {plan['seeds']} seeds per prompt; "
               f"{plan['terrains_generated']} terrains generated in {card['run_seconds'] / 60:.1f} min.")
    lines = [f"# Scorecard: {card['model']}", "", summary, "", "## Headline", ""]
    lines += _table(["figure", "value"], headline_rows(card))
    lines += realism_lines(card["realism"]) + adherence_lines(card) + example_lines(card["prompts"])
    lines += ["", "## Sheets", ""] + [f"![{name}]({name})" for name in sheets]
    lines += ["", "Reference rows of sheet_reference.png:", ""]
    lines += [f"{k}. {caption}" for k, caption in enumerate(card.get("sheet_reference_captions", []), start=1)]
    return "\n".join(lines) + "\n"


def realism_lines(realism: dict) -> list[str]:
    """The realism section: distance and floor with their spreads, then the per-statistic terms."""
    text = (f"Distance {_number(realism['distance'])} ± {_number(realism['distance_spread'])}, noise floor "
            f"{_number(realism['noise_floor'])} ± {_number(realism['noise_floor_spread'])} (± spread over "
            f"{realism['partitions']} partitions; halves of {realism['set_size']} tiles; 1 = one reference "
            "standard deviation).")
    rows = [[name, t["distance"], t["noise_floor"], t["generated_mean"], t["reference_mean"]]
            for name, t in realism["terms"].items()]
    return (["", "## Realism against the noise floor", "", text, ""]
            + _table(["statistic", "distance", "noise floor", "generated mean", "reference mean"], rows))


def adherence_lines(card: dict) -> list[str]:
    """The adherence section: landform effect per form, the relief table, the other effects, checks."""
    adherence = card["adherence"]
    lines = ["", "## Prompt adherence", ""]
    if card.get("elevation") == "relative":
        lines += [("Note: this model's elevation is relative (0..1) and its metres come from the landform the "
                   "prompt names (assets/vocab/landforms.json), so the relief ratios below show that table, not "
                   "the model."), ""]
    for form, effect in adherence["landform"].items():
        ordering = (f"; full ordering in {effect['biomes_with_full_ordering']}"
                    if "biomes_with_full_ordering" in effect else "")
        if "biomes_with_hills_at_least_target" in effect:
            ordering += f"; relief(hills) / relief(plains) >= {HILLS_RATIO_TARGET:g} in {effect['biomes_with_hills_at_least_target']}"
        lines += [(f"Landform, form `{form}` (e.g. \"{effect['example_prompt']}\"): relief(mountains) / "
                   f"relief(plains) >= {RELIEF_RATIO_TARGET:g} for {effect['biomes_with_ratio_at_least_target']} of {effect['biomes']} "
                   f"biome(s); ratio min / median / max {_number(effect['ratio_min'], 2)} / "
                   f"{_number(effect['ratio_median'], 2)} / {_number(effect['ratio_max'], 2)}{ordering}."), ""]
    full = adherence["landform"].get("full")
    if full:
        landforms = list(next(iter(full["relief_m"].values())))
        hills = full.get("ratio_hills_to_plains")  # scorecards before session 12 lack it
        rows = [[biome, *relief.values(), full["ratio_mountains_to_plains"][biome], *([hills[biome]] if hills else [])]
                for biome, relief in full["relief_m"].items()]
        lines += _table(["biome (four-part prompt)", *[f"{lf} m" for lf in landforms], "mountains / plains",
                         *(["hills / plains"] if hills else [])], rows)
        lines.append("")
    effects = [[f"{name}: {c['high']} - {c['low']}", c["mean"], c["std"], c["mean_in_reference_sd"],
                c["share_positive"], c["holds"]] for name, c in adherence.get("biome", {}).get("contrasts", {}).items()]
    effects += [[f"season: {name}", s["mean"], s["std"], s["mean_in_reference_sd"], s["share_positive"], s["holds"]]
                for name, s in adherence.get("season", {}).items() if isinstance(s, dict) and "mean" in s]
    if effects:
        lines += _table(["effect (paired by seed)", "mean", "std", "mean / reference sd", "share > 0", "holds"],
                        effects)
        lines.append("")
    checks = ", ".join(f"{name} {'pass' if ok else 'FAIL'}" for name, ok in adherence["checks"].items())
    return [*lines, f"Checks: {checks}"]


def example_lines(prompts: dict) -> list[str]:
    """The example prompts' figures (means over seeds)."""
    rows = [[p, f["relief_m"], f["mean_elevation_m"], f["greenness"], f["snow_cover"]] for p, f in prompts.items()]
    if not rows:
        return []
    return ["", "## Example prompts", ""] + _table(["prompt", "relief m", "mean elevation m", "greenness",
                                                    "snow cover"], rows)


def _with_baseline(value, baseline, reference=None, digits: int = 2) -> str:
    """"value (baseline)" or "value (baseline) / reference"."""
    text = f"{_number(value, digits)} ({_number(baseline, digits)})"
    return text if reference is None else f"{text} / {_number(reference, digits)}"


def headline_rows(card: dict) -> list[list]:
    """[figure, value] rows of the headline table."""
    realism, borders, speed = card["realism"], card["borders"], card["speed"]
    generated, reference = card["coupling"]["generated"], card["coupling"]["reference"]
    memo, full = card["memorisation"], card["adherence"]["landform"].get("full")
    rows = [["realism distance (noise floor)", _with_baseline(realism["distance"], realism["noise_floor"], digits=3)
             + f", {_number(realism['ratio'], 2)}x"]]
    if full:
        rows.append(["relief(mountains) >= 3x relief(plains), four-part prompts",
                     f"{full['biomes_with_ratio_at_least_target']} of {full['biomes']} biomes"])
    return rows + [
        ["shading correlation, generated (shuffled) / reference",
         _with_baseline(generated["shading"], generated["shading_shuffled"], reference["shading"])],
        ["distance correlation image-elevation, generated (shuffled) / reference",
         _with_baseline(generated["dcor"], generated["dcor_shuffled"], reference["dcor"])],
        ["border ring step |outer 4 px - next 4 px| m, generated (reference)",
         _with_baseline(borders["generated"]["ring_step_abs_m"], borders["reference"]["ring_step_abs_m"], digits=1)],
        ["tiles with a corner spike, generated (reference)",
         _with_baseline(borders["generated"]["corner_spike_share"], borders["reference"]["corner_spike_share"])],
        ["closest two seeds differ by (median over prompts, of relief)",
         _number(card["diversity"]["median_elevation_difference"])],
        ["near-copies of training tiles (held-out baseline)",
         _with_baseline(memo["near_copy_share"], memo["held_out_near_copy_share"], digits=3)],
        ["seconds per terrain (batched)",
         (_with_baseline(speed["seconds_per_terrain"], speed["seconds_per_terrain_batched"])
          + f", {speed['threads']} threads, load average {_number(speed['load_average_1min'], 1)}")],
    ]
