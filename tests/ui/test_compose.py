"""Prompt composition: parts, "(none)", free text, prefix toggle, limits."""

import pytest

from mesa.errors import UserError
from mesa.pipeline.elevation import CheckpointElevation
from mesa.prompts import load_vocabulary
from ui.compose import EXAMPLES, MAX_PROMPT_CHARS, check_prompt, compose_prompt, examples_for, relief_hint
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


def test_relief_hint_names_the_landform():
    hint = relief_hint("A Sentinel-2 image of high mountains", CheckpointElevation())
    assert hint.startswith("auto: ") and "high mountains" in hint
    assert "checkpoint" in relief_hint("x", CheckpointElevation(0.0, 2000.0))


def test_examples_fit_the_bundled_vocabulary():
    assert len(examples_for(load_vocabulary())) == len(EXAMPLES)
