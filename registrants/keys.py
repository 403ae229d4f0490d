"""Matching keys derived from names, identifiers and dates of birth.

Stored in indexed columns when a record is saved or imported, so that identity matching finds
candidates through the index (blocking) instead of scanning the registry. Transliteration uses
anyascii, phonetic keys jellyfish's metaphone and NYSIIS.
"""

from __future__ import annotations

import re

import jellyfish
from anyascii import anyascii

_NON_ALNUM = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r"\s+")


def normalise_name(value: str | None) -> str:
    """Upper-case ASCII letters and single spaces: accents, case, punctuation and script removed
    ('Muñoz-García' -> 'MUNOZ GARCIA', 'Алекса́ндр' -> 'ALEKSANDR')."""
    if not value:
        return ""
    text = anyascii(value).upper().replace("-", " ").replace("'", "")
    text = _NON_ALNUM.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def compact(value: str) -> str:
    """A normalised name without spaces, for compound surnames ('DE LA CRUZ' -> 'DELACRUZ')."""
    return value.replace(" ", "")


def phonetic(value: str) -> str:
    """Metaphone of the compacted name ('' for no name); truncated to fit the column."""
    name = compact(normalise_name(value))
    return jellyfish.metaphone(name)[:32] if name else ""


def nysiis(value: str) -> str:
    name = compact(normalise_name(value))
    return jellyfish.nysiis(name)[:32] if name else ""


def normalise_identifier(value: str | None) -> str:
    """Document numbers compared without case, spaces or punctuation."""
    if not value:
        return ""
    return re.sub(r"[^A-Z0-9]", "", anyascii(value).upper())
