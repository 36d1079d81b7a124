"""Dropdown vocabularies: from the model's training captions (`prompts.csv`) when it has them,
else the bundled lists in `assets/vocab/`."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from mesa.prompts import PREFIX, Vocabulary, load_vocabulary

NONE_CHOICE = "(none)"
PROMPTS_FILE = "prompts.csv"
_CAPTION_COLUMNS = ("prompt", "prompts", "caption", "captions", "text")


def with_none(choices: list[str]) -> list[str]:
    """Dropdown choices with "(none)" first, so any part can be left out."""
    return [NONE_CHOICE, *choices]


def part_or_none(choice: str | None) -> str | None:
    """A dropdown value as a prompt part: None for "(none)" or empty."""
    return None if not choice or choice == NONE_CHOICE else choice


def read_captions(path: Path) -> list[str]:
    """Captions from a CSV: the column named prompt/caption/text, else the first column."""
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(name) for name in _CAPTION_COLUMNS if name in header), None)
    body = rows[1:] if column is not None else rows
    column = column or 0
    return [row[column].strip() for row in body if len(row) > column and row[column].strip()]


def parse_caption(caption: str, landforms: set[str], months: set[str]) -> dict[str, str]:
    """Split "A Sentinel-2 image of {biome} and {landform} in {country} in {month}" into parts.

    A known landform at the end of the subject is the landform, the rest the biome ("rock and
    ice" stays whole);
    " in " clauses that are a month count as the month, the rest as the country.
    """
    text = caption.strip().rstrip(".")
    text = re.sub(rf"^{re.escape(PREFIX)}( of)?\s*", "", text, flags=re.IGNORECASE)
    subject, *places = re.split(r"(?:^|\s)in\s", text)
    parts: dict[str, str] = {}
    subject = subject.strip()
    landform = next((lf for lf in sorted(landforms, key=len, reverse=True)
                     if subject == lf or subject.endswith(f" and {lf}")), None)
    if landform:
        parts["landform"], subject = landform, subject[: -len(landform)].removesuffix(" and ").strip()
    if subject:
        parts["biome"] = subject
    for place in (p.strip() for p in places if p.strip()):
        parts["month" if place in months else "country"] = place
    return parts


def vocabulary_from_captions(captions: list[str], fallback: Vocabulary) -> Vocabulary:
    """Sorted phrases seen in `captions`; a part never seen keeps the fallback's list."""
    landforms, months = set(fallback.landforms), set(fallback.months)
    seen: dict[str, set[str]] = {"biome": set(), "landform": set(), "country": set(), "month": set()}
    for caption in captions:
        for name, value in parse_caption(caption, landforms, months).items():
            seen[name].add(value)
    month_order = {m: i for i, m in enumerate(fallback.months)}
    return Vocabulary(
        biomes=sorted(seen["biome"]) or fallback.biomes,
        landforms=sorted(seen["landform"]) or fallback.landforms,
        countries=sorted(seen["country"]) or fallback.countries,
        months=sorted(seen["month"], key=lambda m: month_order.get(m, 99)) or fallback.months,
    )


def dropdown_vocabulary(model_dir: Path | None) -> tuple[Vocabulary, str]:
    """(vocabulary, source): the model's `prompts.csv` when present, else the bundled lists."""
    bundled = load_vocabulary()
    csv_path = Path(model_dir) / PROMPTS_FILE if model_dir else None
    if csv_path is None or not csv_path.is_file():
        return bundled, "bundled vocabulary"
    captions = read_captions(csv_path)
    if not captions:
        return bundled, "bundled vocabulary (the model's prompts.csv is empty)"
    return vocabulary_from_captions(captions, bundled), f"{len(captions)} training captions in {PROMPTS_FILE}"
