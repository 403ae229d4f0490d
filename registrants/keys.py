"""Matching keys derived from names, identifiers and dates of birth.

Stored in indexed columns when a record is saved or imported, so that identity matching finds
candidates through the index (blocking) instead of scanning the registry. Transliteration uses
anyascii, phonetic keys jellyfish's metaphone and NYSIIS.
"""

from __future__ import annotations

import re
from functools import lru_cache

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


@lru_cache(maxsize=16384)
def name_keys(given: str, middle: str, surname: str) -> tuple[str, str, str, str, str, str]:
    """The matching keys of one name as ``RegistrantName`` stores them: (norm_given, norm_middle,
    norm_surname, given_phonetic, surname_phonetic, surname_nysiis). Cached: names repeat a lot,
    and a bulk import derives the keys of thousands of them."""
    norm_given, norm_surname = normalise_name(given), normalise_name(surname)
    given_compact, surname_compact = compact(norm_given), compact(norm_surname)
    return (
        norm_given,
        normalise_name(middle),
        norm_surname,
        jellyfish.metaphone(given_compact)[:32] if given_compact else "",
        jellyfish.metaphone(surname_compact)[:32] if surname_compact else "",
        jellyfish.nysiis(surname_compact)[:32] if surname_compact else "",
    )


def normalise_identifier(value: str | None) -> str:
    """Document numbers compared without case, spaces or punctuation."""
    if not value:
        return ""
    return re.sub(r"[^A-Z0-9]", "", anyascii(value).upper())


# --- blocking keys ------------------------------------------------------------------------
# Identity matching looks candidates up by these strings in the indexed ``MatchKey`` table, so
# the work per reported identity depends on how many people share a key, not on the size of
# the registry. Every name (primary, alias, nickname) is combined with every date of birth:
#
#   Y|<sur>|<giv>|<yyyy> surname and given-name sounds with the year: the month or day may be wrong
#   M|<sur>|<giv>|<mmdd> the same with month and day: the year may be wrong (one digit, or ±1)
#   N|<sur>|<giv>        the name alone, for reports without a date of birth
#
# ``sur`` is the metaphone of the whole surname and of each part of a compound or hyphenated
# one ('GARCIA LOPEZ' gives GRSLPS, KRS and LPS); ``giv`` the metaphone of the first given name.
# The date of birth alone (``date_key``, ~40 people per date at 1,000,000 registrants) is looked
# up in the index of ``RegistrantBirthDate.date`` itself: a key row per date would repeat it.

NAME_PARTICLES = frozenset(
    {"AL", "EL", "DE", "DEL", "DELA", "LA", "LE", "DA", "DI", "DO", "DOS", "DAS", "VAN", "VON", "DER", "DEN", "BIN",
     "BEN", "IBN", "ABU", "ST", "Y", "E", "MC", "MAC", "O"}
)  # fmt: skip
KEY_CODE_LENGTH = 16


def _code(token: str) -> str:
    return jellyfish.metaphone(token)[:KEY_CODE_LENGTH] if token else ""


def name_parts(norm: str) -> list[str]:
    """The meaningful words of a normalised name (particles such as DE, AL, VAN dropped)."""
    return [p for p in norm.split() if p not in NAME_PARTICLES and len(p) > 1]


def surname_codes(norm_surname: str) -> set[str]:
    """Sound keys of a surname: the whole (compacted) name and each part of a compound one."""
    if not norm_surname:
        return set()
    codes = {_code(compact(norm_surname))}
    parts = name_parts(norm_surname)
    if len(parts) > 1:
        codes.update(_code(p) for p in parts)
    elif parts and parts[0] != compact(norm_surname):
        codes.add(_code(parts[0]))  # 'AL MASRI' is also found as 'MASRI'
    codes.discard("")
    return codes


def given_code(norm_given: str) -> str:
    """Sound key of the first given name ('JUAN CARLOS' -> JN)."""
    parts = norm_given.split()
    return _code(parts[0]) if parts else ""


@lru_cache(maxsize=16384)
def _name_codes(norm_given: str, norm_surname: str) -> tuple[str, tuple[str, ...]]:
    return given_code(norm_given), tuple(sorted(surname_codes(norm_surname)))


def name_date_keys(sur: str, giv: str, dob) -> list[str]:
    if dob is None:
        return [f"N|{sur}|{giv}"]
    return [f"Y|{sur}|{giv}|{dob.year:04d}", f"M|{sur}|{giv}|{dob.month:02d}{dob.day:02d}", f"N|{sur}|{giv}"]


def date_key(dob) -> str:
    """The lookup of a date of birth alone (in ``RegistrantBirthDate``, not stored as a key)."""
    return f"D{dob.year:04d}{dob.month:02d}{dob.day:02d}"


def registrant_match_keys(names, dates) -> set[str]:
    """Every stored blocking key of one registrant, from its names (``(norm_given,
    norm_surname)`` pairs) and its dates of birth."""
    result: set[str] = set()
    dates = list(dates) or [None]
    for norm_given, norm_surname in names:
        giv, surs = _name_codes(norm_given, norm_surname)
        for sur in surs:
            for dob in dates:
                result.update(name_date_keys(sur, giv, dob))
    return result
