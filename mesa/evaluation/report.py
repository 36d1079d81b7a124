"""Writing a scorecard: DIR/scorecard.json (every figure), DIR/scorecard.md (the headline tables and
the sheets) and the contact sheets as PNG. Each file is written whole or not at all (mesa.atomic)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from mesa.atomic import atomic_write_bytes, atomic_write_text
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
    realism, adherence = card["realism"], card["adherence"]
    lines = [f"# Scorecard: {card['model']}", "",
             f"Reference: {card['reference'].get('source')} ({card['reference'].get('split')} split, "
             f"{card['plan']['tiles']} tiles); settings: {card['settings']['sampler']}, {card['settings']['steps']} "
             f"steps, guidance {card['settings']['guidance']}; {card['plan']['seeds']} seeds per prompt; "
             f"{card['plan']['terrains_generated']} terrains generated in {card['run_seconds'] / 60:.1f} min.", "",
             "## Headline", ""]
    lines += _table(["figure", "value"], headline_rows(card))
    lines += ["", "## Realism against the noise floor", "",
              f"Distance {_number(realism['distance'])} ± {_number(realism['distance_spread'])}, noise floor "
              f"{_number(realism['noise_floor'])} ± {_number(realism['noise_floor_spread'])} (± spread over "
              f"{realism['partitions']} partitions; halves of {realism['set_size']} tiles; 1 = one reference "
              "standard deviation).", ""]
    lines += _table(["statistic", "distance", "noise floor", "generated mean", "reference mean"],
                    [[name, t["distance"], t["noise_floor"], t["generated_mean"], t["reference_mean"]]
                     for name, t in realism["terms"].items()])
    lines += ["", "## Prompt adherence", ""]
    if card.get("elevation") == "relative":
        lines += ["Note: this model's elevation is relative (0..1) and its metres come from the landform the "
                  "prompt names (assets/vocab/landforms.json), so the relief ratios below show that table, not "
                  "the model.", ""]
    for form, effect in adherence["landform"].items():
        lines += [f"Landform, form `{form}` (e.g. \"{effect['example_prompt']}\"): relief(mountains) / "
                  f"relief(plains) >= 3 for {effect['biomes_with_ratio_at_least_target']} of {effect['biomes']} "
                  f"biome(s); ratio min / median / max {_number(effect['ratio_min'], 2)} / "
                  f"{_number(effect['ratio_median'], 2)} / {_number(effect['ratio_max'], 2)}"
                  + (f"; full ordering in {effect['biomes_with_full_ordering']}" if "biomes_with_full_ordering"
                     in effect else "") + ".", ""]
    full = adherence["landform"].get("full")
    if full:
        landforms = list(next(iter(full["relief_m"].values())))
        lines += _table(["biome (four-part prompt)", *[f"{lf} m" for lf in landforms], "mountains / plains"],
                        [[biome, *relief.values(), full["ratio_mountains_to_plains"][biome]]
                         for biome, relief in full["relief_m"].items()])
        lines.append("")
    contrasts = adherence.get("biome", {}).get("contrasts", {})
    season = adherence.get("season", {})
    effects = [[f"{name}: {c['high']} - {c['low']}", c["mean"], c["std"], c["mean_in_reference_sd"],
                c["share_positive"], c["holds"]] for name, c in contrasts.items()]
    effects += [[f"season: {name}", s["mean"], s["std"], s["mean_in_reference_sd"], s["share_positive"], s["holds"]]
                for name, s in season.items() if isinstance(s, dict) and "mean" in s]
    if effects:
        lines += _table(["effect (paired by seed)", "mean", "std", "mean / reference sd", "share > 0", "holds"],
                        effects)
        lines.append("")
    lines += ["Checks: " + ", ".join(f"{name} {'pass' if ok else 'FAIL'}" for name, ok in adherence["checks"].items()),
              "", "## Example prompts", ""]
    lines += _table(["prompt", "relief m", "mean elevation m", "greenness", "snow cover"],
                    [[p, f["relief_m"], f["mean_elevation_m"], f["greenness"], f["snow_cover"]]
                     for p, f in card["prompts"].items()])
    lines += ["", "## Sheets", ""] + [f"![{name}]({name})" for name in sheets]
    lines += ["", "Reference rows of sheet_reference.png:", ""]
    lines += [f"{k}. {caption}" for k, caption in enumerate(card.get("sheet_reference_captions", []), start=1)]
    return "\n".join(lines) + "\n"


def headline_rows(card: dict) -> list[list]:
    """[figure, value] rows of the headline table."""
    realism, coupling, borders = card["realism"], card["coupling"], card["borders"]
    memo, diversity, speed = card["memorisation"], card["diversity"], card["speed"]
    full = card["adherence"]["landform"].get("full")
    rows = [["realism distance / noise floor", f"{_number(realism['distance'])} / {_number(realism['noise_floor'])} "
             f"({_number(realism['ratio'], 2)}x)"]]
    if full:
        rows.append(["relief(mountains) >= 3x relief(plains), four-part prompts",
                     f"{full['biomes_with_ratio_at_least_target']} of {full['biomes']} biomes"])
    rows += [["shading correlation, generated (shuffled) / reference",
              f"{_number(coupling['generated']['shading'], 2)} ({_number(coupling['generated']['shading_shuffled'], 2)})"
              f" / {_number(coupling['reference']['shading'], 2)}"],
             ["distance correlation image-elevation, generated (shuffled) / reference",
              f"{_number(coupling['generated']['dcor'], 2)} ({_number(coupling['generated']['dcor_shuffled'], 2)})"
              f" / {_number(coupling['reference']['dcor'], 2)}"],
             ["border ring step, generated / reference (m)",
              f"{_number(borders['generated']['ring_step_m'], 1)} / {_number(borders['reference']['ring_step_m'], 1)}"],
             ["tiles with a corner spike, generated / reference",
              f"{_number(borders['generated']['corner_spike_share'], 2)} / "
              f"{_number(borders['reference']['corner_spike_share'], 2)}"],
             ["closest two seeds differ by (median over prompts, of relief)",
              f"{_number(diversity['median_elevation_difference'], 3)}"],
             ["near-copies of training tiles (held-out baseline)",
              f"{_number(memo['near_copy_share'], 3)} ({_number(memo['held_out_near_copy_share'], 3)})"],
             ["seconds per terrain (batched)",
              f"{_number(speed['seconds_per_terrain'], 2)} ({_number(speed['seconds_per_terrain_batched'], 2)}), "
              f"{speed['threads']} threads"]]
    return rows
