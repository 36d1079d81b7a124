"""File-name fragments from free text (prompts): one slug rule for every file MESA Studio names."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def slug(text: str, max_chars: int = 48, separator: str = "-", lowercase: bool = True,
         empty: str = "terrain") -> str:
    """ASCII letters and digits joined by `separator`, at most `max_chars` long, cut at a word
    boundary (a first word longer than the limit is cut inside); `empty` when nothing is left.

    >>> slug("A Sentinel-2 image of montane forests", 30)
    'a-sentinel-2-image-of-montane'
    >>> slug("Hills in Scotland", separator="_", lowercase=False)
    'Hills_in_Scotland'
    """
    words = [word for word in _UNSAFE.split(text.lower() if lowercase else text) if word]
    kept: list[str] = []
    for word in words:
        candidate = separator.join([*kept, word])
        if len(candidate) > max_chars:
            if not kept:
                kept = [word[:max_chars]]
            break
        kept.append(word)
    return separator.join(kept) or empty
