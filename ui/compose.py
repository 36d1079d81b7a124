"""Composing the prompt: dropdown parts + free text -> the caption the model reads."""

from __future__ import annotations

from mesa.errors import UserError
from mesa.pipeline.elevation import CheckpointElevation, elevation_scale
from mesa.prompts import PREFIX, PromptParts, Vocabulary, build_prompt
from ui.vocabulary import NONE_CHOICE, part_or_none

MAX_PROMPT_CHARS = 400  # the text encoder reads 77 tokens (roughly 50-60 words); far beyond that is a mistake

# (biome, landform, country, month, free text): the paper's kind of captions, one click away
EXAMPLES: list[tuple[str, str, str, str, str]] = [
    ("montane forests", "mountains", "Mexico", "August", ""),
    ("deserts", "dunes", "Algeria", "June", ""),
    ("rock and ice", "high mountains", "Nepal", "January", ""),
    ("tropical rainforests", "hills", "Brazil", "March", ""),
    ("boreal forests", "plains", "Canada", "October", ""),
    (NONE_CHOICE, "volcanoes", NONE_CHOICE, NONE_CHOICE, "with snow on the summits"),
]


def compose_prompt(biome: str | None, landform: str | None, country: str | None, month: str | None,
                   free_text: str = "", use_prefix: bool = True) -> str:
    """The assembled prompt. "(none)" leaves a part out; free text follows the parts after a comma,
    or is the whole subject when no part is chosen.

    >>> compose_prompt("montane forests", "mountains", "Mexico", "August")
    'A Sentinel-2 image of montane forests and mountains in Mexico in August'
    >>> compose_prompt("(none)", "hills", "(none)", "May", "with a river", use_prefix=False)
    'hills in May, with a river'
    """
    parts = PromptParts(*(part_or_none(p) for p in (biome, landform, country, month)))
    free = " ".join((free_text or "").split())
    if not parts.present():
        if not free:
            return build_prompt(parts, prefix=True) if use_prefix else ""
        if use_prefix and not free.lower().startswith(PREFIX.lower()):
            return f"{PREFIX} of {free}"
        return free
    structured = build_prompt(parts, prefix=use_prefix)
    return f"{structured}, {free}" if free else structured


def check_prompt(prompt: str) -> str:
    """The prompt, stripped; UserError when it is empty or absurdly long."""
    if prompt is not None and not isinstance(prompt, str):
        raise UserError(f"the prompt must be text, got {type(prompt).__name__}")
    prompt = (prompt or "").strip()
    if not prompt:
        raise UserError("the prompt is empty: choose a biome, landform, country or month, or type a description")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise UserError(f"the prompt has {len(prompt)} characters; at most {MAX_PROMPT_CHARS} are accepted "
                        "(the model reads only about the first 60 words)")
    return prompt


RELIEF_EXPLAINED = "The model draws heights from 0 to 1; the relief is how many metres that span stands for."


def relief_hint(prompt: str, checkpoint: CheckpointElevation) -> str:
    """One line under the relief box: what the model does with relief and what 0 (automatic) gives."""
    scale = elevation_scale(prompt or "", checkpoint)
    if checkpoint.min_m is not None and checkpoint.max_m is not None:
        why = "the range this model was trained with (its elevation.json), whatever the prompt says"
    elif scale.source.startswith("landform table: "):
        why = f"typical of {scale.source.removeprefix('landform table: ')}, the landform in the prompt"
    else:
        why = "the default: the prompt names no landform"
    return f"{RELIEF_EXPLAINED} 0 = automatic: {scale.relief_m:,.0f} m, {why}."


def prompt_note(prompt: str, dropped_words: list[str]) -> str:
    """The line under the prompt preview, live while typing: the length against MAX_PROMPT_CHARS
    (longer is refused at Generate) and the words the text encoder will not read (accepted, ignored)."""
    count = len((prompt or "").strip())
    if count > MAX_PROMPT_CHARS:
        return (f"{count} / {MAX_PROMPT_CHARS} characters: too long, Generate will refuse it; "
                f"remove {count - MAX_PROMPT_CHARS} characters.")
    note = f"{count} / {MAX_PROMPT_CHARS} characters."
    if dropped_words:
        note += f" The model reads only the first 77 tokens and will ignore: “{' '.join(dropped_words)}”."
    return note


def examples_for(vocabulary: Vocabulary) -> list[list[str]]:
    """The EXAMPLES whose parts are all in the dropdowns' vocabulary (as lists for gr.Examples)."""
    allowed = (vocabulary.biomes, vocabulary.landforms, vocabulary.countries, vocabulary.months)
    kept = []
    for example in EXAMPLES:
        if all(value == NONE_CHOICE or value in choices for value, choices in zip(example, allowed)):
            kept.append(list(example))
    return kept
