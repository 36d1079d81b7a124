"""A CLIP-compatible BPE tokenizer whose merges make every prompt-vocabulary word one token.

Same format as the published CLIP tokenizer (vocab.json + merges.txt, byte-level alphabet,
"</w>" end-of-word suffix, <|startoftext|> / <|endoftext|>), so `CLIPTokenizer` loads it without a
tokenizer.json. Vocabulary order follows CLIP: the 256 byte symbols, the same with "</w>", one
token per merge in merge order, then the two special tokens.

Merges are learnt with the classic BPE algorithm (Sennrich et al. 2016) on the words of every
vocabulary phrase (biomes, landforms, countries, months and the caption template), split exactly
as `CLIPTokenizer` splits text, until every such word is a single token.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from mesa.prompts import PREFIX, load_vocabulary

BOS, EOS = "<|startoftext|>", "<|endoftext|>"
END_OF_WORD = "</w>"
MAX_LENGTH = 77
TEMPLATE_WORDS = (PREFIX, "of", "and", "in")


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible map from the 256 byte values to printable unicode symbols."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes, extra = printable[:], 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, codes)))


def base_vocabulary() -> list[str]:
    """The 512 symbols every CLIP vocabulary starts with: each byte, then each byte + "</w>"."""
    symbols = list(bytes_to_unicode().values())
    return symbols + [symbol + END_OF_WORD for symbol in symbols]


def vocabulary_phrases() -> list[str]:
    """Every phrase a MESA prompt can contain: the template words and all four vocabularies."""
    vocabulary = load_vocabulary()
    return [*TEMPLATE_WORDS, *vocabulary.biomes, *vocabulary.landforms, *vocabulary.countries, *vocabulary.months]


def split_words(texts: list[str], pre_tokenizer) -> Counter:
    """Byte-level words -> count, split by a CLIP tokenizer's normaliser and pre-tokenizer."""
    words: Counter = Counter()
    for text in texts:
        normalised = pre_tokenizer.normalizer.normalize_str(text)
        words.update(word for word, _ in pre_tokenizer.pre_tokenizer.pre_tokenize_str(normalised))
    return words


def learn_merges(word_counts: Counter) -> list[tuple[str, str]]:
    """Classic BPE: repeatedly merge the most frequent adjacent pair (ties: the first seen)
    until every word is one symbol. Words end in a "</w>" symbol, as in CLIP."""
    words = {tuple(word[:-1]) + (word[-1] + END_OF_WORD,): count for word, count in word_counts.items()}
    merges = []
    while True:
        pairs: Counter = Counter()
        for symbols, count in words.items():
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] += count
        if not pairs:
            return merges
        best = max(pairs, key=pairs.__getitem__)
        merges.append(best)
        words = {merge_pair(symbols, best): count for symbols, count in words.items()}


def merge_pair(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    """Replace every occurrence of `pair` in `symbols` (left to right) by the joined symbol."""
    merged, index = [], 0
    while index < len(symbols):
        if index + 1 < len(symbols) and (symbols[index], symbols[index + 1]) == pair:
            merged.append(symbols[index] + symbols[index + 1])
            index += 2
        else:
            merged.append(symbols[index])
            index += 1
    return tuple(merged)


def build_vocabulary(merges: list[tuple[str, str]]) -> dict[str, int]:
    """Token -> id in CLIP's order: bytes, bytes + "</w>", merges, then the special tokens."""
    tokens = base_vocabulary() + [left + right for left, right in merges] + [BOS, EOS]
    return {token: index for index, token in enumerate(dict.fromkeys(tokens))}


def write_tokenizer(directory: str | Path) -> Path:
    """Learn the merges from the prompt vocabulary and write a CLIPTokenizer folder."""
    from tokenizers import Tokenizer, models

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    splitter = clip_splitter(Tokenizer(models.BPE()))
    merges = learn_merges(split_words(vocabulary_phrases(), splitter))
    (directory / "vocab.json").write_text(json.dumps(build_vocabulary(merges), ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    lines = ["#version: 0.2"] + [f"{left} {right}" for left, right in merges]
    (directory / "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    special = {"bos_token": BOS, "eos_token": EOS, "pad_token": EOS, "unk_token": EOS}
    (directory / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n", encoding="utf-8")
    config = {"tokenizer_class": "CLIPTokenizer", "model_max_length": MAX_LENGTH, "do_lower_case": True,
              "errors": "replace", **special}
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return directory


def clip_splitter(tokenizer):
    """Give `tokenizer` CLIP's normaliser (NFC, collapse spaces, lower case) and pre-tokenizer
    (CLIP's word regex, then the byte-level map), exactly as transformers' CLIPTokenizer builds them."""
    from tokenizers import Regex, normalizers, pre_tokenizers

    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    pattern = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    return tokenizer
