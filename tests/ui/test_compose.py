"""Prompt composition: parts, "(none)", free text, prefix toggle, limits."""

import pytest

from mesa.errors import UserError
from mesa.pipeline.elevation import CheckpointElevation
from mesa.prompts import load_vocabulary
from ui.compose import (EXAMPLES, MAX_PROMPT_CHARS, check_prompt, compose_prompt, examples_for, prompt_note,
                        relief_hint)
from ui.vocabulary import NONE_CHOICE as NONE


def test_all_parts_give_the_papers_caption():
    assert compose_prompt("montane forests", "mountains", "Mexico", "August") == (
        "A Sentinel-2 image of montane forests and mountains in Mexico in August")


def test_none_leaves_parts_out_and_prefix_toggles():
    assert compose_prompt(NONE, "hills", NONE, "May") == "A Sentinel-2 image of hills in May"
    assert compose_prompt(NONE, "hills", NONE, "May", use_prefix=False) == "hills in May"
    assert compose_prompt(NONE, NONE, "Chile", NONE) == "A Sentinel-2 image in Chile"
    assert compose_prompt(NONE, NONE, NONE, NONE) == "A Sentinel-2 image"
    assert compose_prompt(NONE, NONE, NONE, NONE, use_prefix=False) == ""


def test_free_text_follows_parts_or_is_the_subject():
    assert compose_prompt(NONE, "dunes", NONE, NONE, "  with  oases ") == "A Sentinel-2 image of dunes, with oases"
    assert compose_prompt(NONE, NONE, NONE, NONE, "a braided river") == "A Sentinel-2 image of a braided river"
    own = "A Sentinel-2 image of glaciers"
    assert compose_prompt(NONE, NONE, NONE, NONE, own) == own
    assert compose_prompt(None, None, None, None, "fjords", use_prefix=False) == "fjords"


def test_check_prompt_rejects_empty_and_absurdly_long():
    assert check_prompt("  hills ") == "hills"
    with pytest.raises(UserError, match="empty"):
        check_prompt("   ")
    with pytest.raises(UserError, match=f"at most {MAX_PROMPT_CHARS}"):
        check_prompt("mountains " * 100)


def test_relief_hint_says_what_automatic_gives_and_why():
    hint = relief_hint("A Sentinel-2 image of high mountains", CheckpointElevation())
    assert "0 = automatic: 2,500 m, typical of high mountains, the landform in the prompt" in hint
    trained = relief_hint("A Sentinel-2 image of high mountains", CheckpointElevation(0.0, 2000.0))
    assert "0 = automatic: 2,000 m, the range this model was trained with" in trained
    assert "landform in the prompt" not in trained  # the checkpoint's range wins: no contradiction
    assert "names no landform" in relief_hint("x", CheckpointElevation())


def test_prompt_note_counts_while_typing():
    assert prompt_note("hills", []) == f"5 / {MAX_PROMPT_CHARS} characters."
    long = "a" * (MAX_PROMPT_CHARS + 3)
    assert prompt_note(long, []).startswith(f"{MAX_PROMPT_CHARS + 3} / {MAX_PROMPT_CHARS} characters: too long")
    assert "remove 3 characters" in prompt_note(long, [])
    assert "will ignore: “river delta”" in prompt_note("hills and a river delta", ["river", "delta"])


def test_examples_fit_the_bundled_vocabulary():
    assert len(examples_for(load_vocabulary())) == len(EXAMPLES)
