"""The mesa-tiny tokenizer: CLIP format, every vocabulary prompt within 77 tokens, reproducible."""

from __future__ import annotations

import json
import re

import pytest
from transformers import CLIPTokenizer

from mesa.prompts import PromptParts, build_prompt, load_vocabulary
from recipes.mesa_tiny.tokenizer import EOS, MAX_LENGTH, learn_merges, merge_pair, vocabulary_phrases, write_tokenizer
from tests.tiny.conftest import MODEL_DIR


@pytest.fixture(scope="module")
def tokenizer() -> CLIPTokenizer:
    return CLIPTokenizer.from_pretrained(MODEL_DIR / "tokenizer")


def token_count(tokenizer, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False).input_ids)


def test_bundled_tokenizer_has_the_published_files():
    names = {path.name for path in (MODEL_DIR / "tokenizer").iterdir()}
    assert {"vocab.json", "merges.txt", "tokenizer_config.json"} <= names
    assert (MODEL_DIR / "tokenizer" / "merges.txt").read_text(encoding="utf-8").startswith("#version: 0.2\n")


def test_loads_from_vocab_and_merges_alone(tmp_path, tokenizer):
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json"):
        (tmp_path / name).write_bytes((MODEL_DIR / "tokenizer" / name).read_bytes())
    alone = CLIPTokenizer.from_pretrained(tmp_path)
    prompt = build_prompt(PromptParts("montane forests", "mountains", "Switzerland", "August"))
    assert alone(prompt).input_ids == tokenizer(prompt).input_ids


def test_every_vocabulary_word_is_one_token(tokenizer):
    for phrase in vocabulary_phrases():
        for word in re.findall(r"[^\W\d_]+", phrase):
            assert token_count(tokenizer, word) == 1, word


def test_longest_prompt_with_all_four_parts_fits(tokenizer):
    vocabulary = load_vocabulary()
    longest = [max(words, key=lambda text: token_count(tokenizer, text))
               for words in (vocabulary.biomes, vocabulary.landforms, vocabulary.countries, vocabulary.months)]
    prompt = build_prompt(PromptParts(*longest))
    assert len(tokenizer(prompt).input_ids) <= MAX_LENGTH, prompt
    # Parts are whole words, so no other combination is longer.
    assert len(tokenizer(prompt).input_ids) < 40


def test_every_country_prompt_fits_and_round_trips(tokenizer):
    vocabulary = load_vocabulary()
    for country in vocabulary.countries:
        prompt = build_prompt(PromptParts("dry woodlands steppe", "high mountains", country, "September"))
        ids = tokenizer(prompt).input_ids
        assert len(ids) <= MAX_LENGTH, prompt
        decoded = tokenizer.decode(ids, skip_special_tokens=True)
        assert re.sub(r"\s", "", decoded) == re.sub(r"\s", "", prompt.lower()), prompt


def test_padding_uses_end_of_text(tokenizer):
    ids = tokenizer("A Sentinel-2 image of plains", padding="max_length", max_length=MAX_LENGTH).input_ids
    assert len(ids) == MAX_LENGTH and ids[-1] == tokenizer.convert_tokens_to_ids(EOS)


def test_bundled_tokenizer_is_rebuilt_identically(tmp_path):
    write_tokenizer(tmp_path)

    def read(folder):
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        merges = (folder / "merges.txt").read_text(encoding="utf-8").splitlines()[1:]
        return vocab, merges

    rebuilt, bundled = read(tmp_path), read(MODEL_DIR / "tokenizer")
    assert rebuilt == bundled
    assert sorted(rebuilt[0].values()) == list(range(len(rebuilt[0])))


def test_learn_merges_joins_each_word_into_one_symbol():
    merges = learn_merges({"hills": 2, "hill": 1, "ice": 1})
    for word in ("hills", "hill", "ice"):
        symbols = (*word[:-1], word[-1] + "</w>")
        for pair in merges:
            symbols = merge_pair(symbols, pair)
        assert symbols == (word + "</w>",)
