"""The matching engine: blocking through the indexed keys, batched retrieval of the candidates,
scoring with batched string kernels, and the decision.

Scoring follows the Fellegi-Sunter model: every field adds the log2 likelihood ratio of what it
shows (agreement level), the sum is set against the prior odds that a reported person is a given
registrant (``MATCH_PRIOR_BITS``), and the score is the resulting probability. Agreement on a
name counts for less the more common the name is in the registry (frequency weighting), so two
different people called John Smith born on the same day do not confirm each other
automatically. See docs/matching.md.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import jellyfish
import numpy as np
from django.conf import settings
from django.db import connection, connections
from django.db.models import Count
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from ..choices import NameKind
from ..keys import (
    compact,
    date_key,
    given_code,
    name_parts,
    normalise_identifier,
    normalise_name,
    surname_codes,
)
from ..models import Identifier, MatchKey, Registrant, RegistrantBirthDate, RegistrantName

if TYPE_CHECKING:
    from . import MatchResult, Subject
    from .snapshot import RegistrySnapshot

logger = logging.getLogger(__name__)

# --- nicknames ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _nicknamer():
    from nicknames import NickNamer

    return NickNamer()


@lru_cache(maxsize=20000)
def nickname_family(token: str) -> frozenset[str]:
    """A given name with its nicknames and the names it is short for (William: Bill, Will, ...;
    Peggy: Margaret), upper-case, from the ``nicknames`` dataset."""
    if not token or len(token) < 2:
        return frozenset({token} if token else ())
    namer = _nicknamer()
    low = token.lower()
    family = {low} | set(namer.nicknames_of(low)) | set(namer.canonicals_of(low))
    return frozenset(normalise_name(n) for n in family)


# --- transliteration variants ---------------------------------------------------------------


@lru_cache(maxsize=1)
def _transliteration_clusters() -> tuple[dict[str, tuple[int, ...]], list[frozenset[str]]]:
    """The ``name-variants`` tables: every spelling of one name across romanization systems and
    dialects (Chinese Li~Lee~Ly, Wu~Ng; Korean Lee~Yi~Rhee, Park~Pak~Bak; Vietnamese, Japanese,
    Arabic Mohammed~Muhammad, Russian Ivanov~Ivanoff, ...), each spelling normalised and
    compacted as the registry's names are. Returns, per spelling, the clusters it belongs to
    (a spelling may belong to several: LEE is Chinese, Korean and Vietnamese), and the
    clusters' spellings."""
    from name_variants import ALL_TABLES

    clusters: list[frozenset[str]] = []
    index: dict[str, set[int]] = defaultdict(set)
    for table in ALL_TABLES.values():
        for entry in table.values():
            forms = frozenset(filter(None, (compact(normalise_name(f)) for f in entry["forms"])))
            if len(forms) < 2:
                continue
            for form in forms:
                index[form].add(len(clusters))
            clusters.append(forms)
    return {form: tuple(sorted(ids)) for form, ids in index.items()}, clusters


@lru_cache(maxsize=65536)
def transliteration_family(compact_name: str) -> frozenset[str]:
    """The spellings sharing a transliteration cluster with a compacted name (empty when it is
    in none): how often a name agrees with this one *as a transliteration* by chance."""
    index, clusters = _transliteration_clusters()
    ids = index.get(compact_name, ())
    return frozenset().union(*(clusters[i] for i in ids)) if ids else frozenset()


def _transliterated(strings: _Strings) -> np.ndarray:
    """Pairs of distinct names that are spellings of one name in another romanization (one
    cluster of the ``name-variants`` tables). The strings are single words: compacted surnames,
    first given names."""
    index, _ = _transliteration_clusters()
    items = strings.items
    known = np.fromiter(map(index.__contains__, items), bool, len(items))  # (most names are in none)
    rows = np.nonzero(known[strings.left] & known[strings.right] & (strings.left != strings.right))[0]
    found = np.zeros(len(strings.left), dtype=bool)
    for k, a, b in zip(rows.tolist(), strings.left[rows].tolist(), strings.right[rows].tolist(), strict=True):
        found[k] = not set(index[items[a]]).isdisjoint(index[items[b]])
    return found


@lru_cache(maxsize=100000)
def _metaphone(value: str) -> str:
    return jellyfish.metaphone(value) if value else ""


@lru_cache(maxsize=100000)
def _nysiis(value: str) -> str:
    return jellyfish.nysiis(value) if value else ""


# --- name frequencies -------------------------------------------------------------------------

# Smoothing: a registry of a few hundred people says little about how common a name is, so the
# counts are blended with a population prior worth this many people.
PRIOR_PEOPLE = 100_000
SURNAME_PRIOR_FREQUENCY = 1 / 3000
GIVEN_PRIOR_FREQUENCY = 1 / 800


def compound_parts(norm_surname: str) -> set[str]:
    """The parts of a compound surname (normalised: hyphens are spaces; particles dropped), for
    ``Frequencies.surname_parts``; nothing for a surname of one word."""
    if " " not in norm_surname:
        return set()
    return {compact(p) for p in name_parts(norm_surname)}


@dataclass
class Frequencies:
    total: int
    surnames: dict[str, int]
    given: dict[str, int]
    pairs: dict[tuple[str, str], int]  # (first given name, compact surname)
    loaded_at: float
    # per part of a compound surname (compact), the names whose surname has that part
    surname_parts: dict[str, int] = field(default_factory=dict)
    _surname_stats: dict[str, tuple[float, ...]] = field(default_factory=dict, repr=False, compare=False)
    _given_stats: dict[str, tuple[float, ...]] = field(default_factory=dict, repr=False, compare=False)

    # Counts leave one person out: how common a name is among the *other* people, so that the
    # candidate's own record does not make its name look common in a small registry.

    def _share(self, count: int, prior_frequency: float) -> float:
        """The share of the registry's names that ``count`` names (one of them the candidate's
        own, left out) make, blended with the population prior."""
        return (max(count - 1, 0) + PRIOR_PEOPLE * prior_frequency) / (self.total + PRIOR_PEOPLE)

    def surname(self, compact_surname: str) -> float:
        return self._share(self.surnames.get(compact_surname, 0), SURNAME_PRIOR_FREQUENCY)

    def given_name(self, token: str) -> float:
        return self._share(self.given.get(token, 0), GIVEN_PRIOR_FREQUENCY)

    def warm(self) -> None:
        """Count the sounds and read the transliteration tables now (in the thread that reads the
        frequencies), not in a request."""
        self._surname_sounds, self._given_sounds  # noqa: B018
        _transliteration_clusters()

    @cached_property
    def _surname_sounds(self) -> dict[str, int]:
        return _counted_by_sound(self.surnames)

    @cached_property
    def _given_sounds(self) -> dict[str, int]:
        return _counted_by_sound(self.given)

    def surname_stats(self, norm_surname: str) -> tuple[float, ...]:
        """``surname``, ``surname_sound``, ``surname_part`` and ``surname_family`` of a
        normalised surname, kept per spelling (a batch asks for tens of thousands)."""
        stats = self._surname_stats.get(norm_surname)
        if stats is None:
            c = compact(norm_surname)
            stats = self._surname_stats[norm_surname] = (
                self.surname(c),
                self.surname_sound(c),
                self.surname_part(c),
                self._family(self.surnames, c, SURNAME_PRIOR_FREQUENCY),
            )
        return stats

    def given_stats(self, token: str) -> tuple[float, ...]:
        """``given_name``, ``given_sound`` and the given name's transliteration family, kept per
        spelling."""
        stats = self._given_stats.get(token)
        if stats is None:
            stats = self._given_stats[token] = (
                self.given_name(token),
                self.given_sound(token),
                self._family(self.given, token, GIVEN_PRIOR_FREQUENCY),
            )
        return stats

    def _family(self, counts: dict[str, int], name: str, prior: float) -> float:
        """How often a name agrees with this one as a transliteration by chance: every registry
        name of its ``transliteration_family`` (LEE: Li, Yi, Rhee, Ly, ...), itself included."""
        return self._share(sum(counts.get(form, 0) for form in transliteration_family(name) | {name}), prior)

    def surname_sound(self, compact_surname: str) -> float:
        """How often a surname *sounding* like this one (the same metaphone) occurs: two
        people's surnames agree phonetically by chance this often, however rare each spelling."""
        return self._share(self._surname_sounds.get(_metaphone(compact_surname), 0), SURNAME_PRIOR_FREQUENCY)

    def given_sound(self, token: str) -> float:
        return self._share(self._given_sounds.get(_metaphone(token), 0), GIVEN_PRIOR_FREQUENCY)

    def surname_part(self, compact_surname: str) -> float:
        """How often a surname equal to this one or holding it as a part of a compound occurs:
        "García" agrees by chance with "García López" and "Martínez García" as well."""
        count = self.surnames.get(compact_surname, 0) + self.surname_parts.get(compact_surname, 0)
        return self._share(count, SURNAME_PRIOR_FREQUENCY)

    def full_name(self, token: str, compact_surname: str) -> float:
        """Given names and surnames go together (by language and family), so the frequency of
        the pair, not the product of both, says how rare a full name is."""
        count = max(self.pairs.get((token, compact_surname), 0) - 1, 0)
        prior = PRIOR_PEOPLE * SURNAME_PRIOR_FREQUENCY * GIVEN_PRIOR_FREQUENCY
        return (count + prior) / (self.total + PRIOR_PEOPLE)


_frequencies: Frequencies | None = None
_refreshing = threading.Lock()


def _counted_by_sound(counts: dict[str, int]) -> dict[str, int]:
    """The counts of names summed per metaphone."""
    sounds: dict[str, int] = defaultdict(int)
    for name, n in counts.items():
        sounds[_metaphone(name)] += n
    return dict(sounds)


def name_frequencies() -> Frequencies:
    """How often each surname, first given name and pair of them occurs among the registry's
    names: one grouped query, kept for ``MATCH_FREQUENCY_TTL`` seconds per process.

    Only the first call of a process waits for the query (the web process makes it at start,
    ``warm_up``). Once the frequencies are older than the TTL, the next call starts reading them
    again in a background thread and goes on with the ones it has: at a million registrants the
    grouped count takes seconds, which a request must not wait for every quarter of an hour."""
    ttl = settings.MATCH_FREQUENCY_TTL
    current = _frequencies
    if current is None or not ttl:
        return _load_frequencies()
    if time.monotonic() - current.loaded_at >= ttl and _refreshing.acquire(blocking=False):
        threading.Thread(target=_refresh_frequencies, name="name-frequencies", daemon=True).start()
    return current


def _refresh_frequencies() -> None:
    try:
        _load_frequencies()
    except Exception:  # the old frequencies stay in use; the next call past the TTL tries again
        logger.exception("Reading the name frequencies failed")
    finally:
        connections.close_all()  # this thread's own connection
        _refreshing.release()


def _load_frequencies() -> Frequencies:
    global _frequencies
    surnames: dict[str, int] = defaultdict(int)
    given: dict[str, int] = defaultdict(int)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    total = 0
    rows = RegistrantName.objects.values_list("norm_given", "norm_surname").annotate(n=Count("id")).order_by()
    parts: dict[str, int] = defaultdict(int)
    for given_name, surname, n in rows:
        token = (given_name.split() or [""])[0]
        sur = compact(surname)
        surnames[sur] += n
        given[token] += n
        pairs[(token, sur)] += n
        total += n
        for part in compound_parts(surname):
            parts[part] += n
    _frequencies = Frequencies(total, dict(surnames), dict(given), dict(pairs), time.monotonic(), dict(parts))
    _frequencies.warm()
    return _frequencies


def warm_up() -> None:
    """Read the name frequencies now (a web worker, before it serves its first request): without
    a database to read them from yet, the first match reads them instead."""
    from django.db import DatabaseError

    try:
        name_frequencies()
    except DatabaseError:
        logger.warning("Name frequencies not read at start: the database is not ready")
    finally:
        connections.close_all()  # no connection carried into a forked worker


def forget_frequencies() -> None:
    global _frequencies
    _frequencies = None


# --- prepared subjects -----------------------------------------------------------------------


@dataclass
class Prepared:
    given: str
    given_first: str
    middle: str
    surname: str
    dob: date | None
    swapped_dob: date | None
    sex: str
    nationality: str
    documents: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, norm number, country)


def _alpha2(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) == 3:
        import pycountry

        country = pycountry.countries.get(alpha_3=code)
        return country.alpha_2 if country else code
    return code


def _swap(dob: date | None) -> date | None:
    if dob is None or dob.day > 12 or dob.day == dob.month:
        return None
    return date(dob.year, dob.day, dob.month)


def prepare(subject: Subject) -> Prepared:
    given = normalise_name(subject.given_name)
    sex = (subject.sex or "").strip().upper()[:1]
    docs = []
    for doc in subject.documents:
        number = normalise_identifier(doc.number)
        if number:
            docs.append((doc.kind, number, _alpha2(doc.country)))
    return Prepared(
        given=given,
        given_first=given.split()[0] if given else "",
        middle=normalise_name(subject.middle_name),
        surname=normalise_name(subject.surname),
        dob=subject.date_of_birth,
        swapped_dob=_swap(subject.date_of_birth),
        sex=sex if sex in ("M", "F") else "",
        nationality=_alpha2(subject.nationality),
        documents=docs,
    )


# --- blocking ---------------------------------------------------------------------------------

# How much each kind of key says about a candidate, to keep the best MATCH_MAX_BLOCK.
KEY_PRIORITY = {"D": 10, "DS": 4, "Y": 6, "M": 6, "N": 3}
IDENTIFIER_PRIORITY = 1000


# Spellings of a name's nickname or transliteration family looked up as blocking keys, at most.
FAMILY_KEYS = 12


def given_codes(p: Prepared) -> set[str]:
    """Sound keys for the subject's given name, its nickname and transliteration families and its
    middle name (an extra or missing middle name shifts names between the two fields)."""
    codes = {given_code(p.given)}
    if p.given_first:
        codes.update(given_code(n) for n in sorted(nickname_family(p.given_first))[:FAMILY_KEYS])
        codes.update(given_code(n) for n in sorted(transliteration_family(p.given_first))[:FAMILY_KEYS])
    if p.middle:
        codes.add(given_code(p.middle))
    if not p.given and not p.middle:
        codes.add("")
    return codes


@lru_cache(maxsize=65536)
def _name_key_parts(given: str, given_first: str, middle: str, surname: str) -> tuple[str, ...]:
    """The ``surname|given`` parts of a subject's name keys, as reported and with given name and
    surname swapped (computed once per name: a feed repeats its names)."""
    p = Prepared(given, given_first, middle, surname, None, None, "", "", ())
    # the surname's sounds, and those of its other romanizations (RHEE is also looked up as LEE)
    surs = surname_codes(surname)
    for spelling in sorted(transliteration_family(compact(surname)))[:FAMILY_KEYS]:
        surs |= surname_codes(spelling)
    orientations = [(surs, given_codes(p))]
    if given and surname:  # given name and surname swapped
        orientations.append((surname_codes(given), {given_code(surname)}))
    return tuple(dict.fromkeys(f"{sur}|{giv}" for surs, givs in orientations for sur in surs for giv in givs))


def lookup_keys(p: Prepared) -> dict[str, int]:
    """The subject's blocking keys with their weights (``KEY_PRIORITY``)."""
    keys: dict[str, int] = {}
    names = _name_key_parts(p.given, p.given_first, p.middle, p.surname)
    if p.dob:
        keys[date_key(p.dob)] = KEY_PRIORITY["D"]
        if p.swapped_dob:  # (never the same day: ``_swap``)
            keys[date_key(p.swapped_dob)] = KEY_PRIORITY["DS"]
        year = f"{p.dob.year:04d}"
        mmdds = [f"{p.dob.month:02d}{p.dob.day:02d}"]
        if p.swapped_dob:
            mmdds.append(f"{p.swapped_dob.month:02d}{p.swapped_dob.day:02d}")
        for name in names:
            keys[f"Y|{name}|{year}"] = KEY_PRIORITY["Y"]
            for mmdd in mmdds:
                keys[f"M|{name}|{mmdd}"] = KEY_PRIORITY["M"]
    else:
        for name in names:
            keys[f"N|{name}"] = KEY_PRIORITY["N"]
    return keys


def _pg_array(values: Sequence[Any]) -> tuple[str, str]:
    """An array of dates, strings or ids for PostgreSQL: (its SQL, with one placeholder; the one
    text parameter the server splits). Quoting a long array client-side costs more."""
    if isinstance(values[0], date):
        return "string_to_array(%s, chr(10))::date[]", "\n".join(v.isoformat() for v in values)
    if isinstance(values[0], str):
        return "string_to_array(%s, chr(10))", "\n".join(values)
    return "string_to_array(%s, ',')::bigint[]", ",".join(map(str, values))


def _select(table: str, columns: Sequence[str], column: str, values: Sequence[Any]) -> list[tuple]:
    """``SELECT columns FROM table WHERE column IN values`` in one statement on PostgreSQL (an
    array parameter), in chunks elsewhere."""
    if not values:
        return []
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            array, param = _pg_array(values)
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {column} = ANY({array})", [param])  # noqa: S608
            return cursor.fetchall()
        rows: list[tuple] = []
        values = list(values)
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {column} IN ({marks})", chunk)  # noqa: S608
            rows.extend(cursor.fetchall())
        return rows


def _keys_and_dates(keys: Sequence[str], dates: Sequence[date]) -> list[tuple[str, int]]:
    """The registrants of the keys, and those born on the dates (as ``date_key``), in one
    statement (PostgreSQL): a hit through the API waits for the server once, not twice."""
    (key_array, key_param), (date_array, date_param) = _pg_array(keys), _pg_array(dates)
    sql = (
        f"SELECT key, registrant_id FROM {MatchKey._meta.db_table} WHERE key = ANY({key_array}) "  # noqa: S608
        f"UNION ALL SELECT 'D' || to_char(date, 'YYYYMMDD'), registrant_id FROM {RegistrantBirthDate._meta.db_table} "
        f"WHERE date = ANY({date_array})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_param, date_param])
        return cursor.fetchall()


@dataclass
class Block:
    candidates: list[int]
    identifier_hits: dict[int, list[str]]  # registrant id -> labels of the equal documents
    keys_found: int = 0  # registrants the keys found before the cap


def block(
    prepared: Sequence[Prepared], exclude: Sequence[Collection[int]], snapshot: RegistrySnapshot | None = None
) -> list[Block]:
    """Candidates per subject from the indexed keys, dates of birth and identifiers: three
    queries for the batch (two with a ``snapshot``, which knows the dates of birth and leaves
    out registrants added since it was read; two on PostgreSQL, which reads keys and dates in
    one). Each candidate's priority is the sum of the weights of the keys that found it (and of
    its equal documents); the ``MATCH_MAX_BLOCK`` first by priority, then id, are kept."""
    per_subject = [lookup_keys(p) for p in prepared]
    key_ids: dict[str, int] = {}
    e_subject, e_key, e_weight = [], [], []  # one entry per (subject, key)
    for i, keys in enumerate(per_subject):
        for key, weight in keys.items():
            e_subject.append(i)
            e_key.append(key_ids.setdefault(key, len(key_ids)))
            e_weight.append(weight)
    all_keys = sorted(k for k in key_ids if not k.startswith("D"))
    # Dates of birth alone, through the index on the dates themselves (``keys.date_key``).
    dates = sorted({d for p in prepared for d in (p.dob, p.swapped_dob) if d})
    f_key: list[int] = []  # what the keys found: (key id, registrant id)
    f_rid: list[int] = []
    if snapshot is None and connection.vendor == "postgresql" and all_keys and dates:
        rows = _keys_and_dates(all_keys, dates)
    else:
        rows = _select(MatchKey._meta.db_table, ("key", "registrant_id"), "key", all_keys)
        if snapshot is None:
            rows += [
                (date_key(_as_date(dob)), rid)
                for rid, dob in _select(RegistrantBirthDate._meta.db_table, ("registrant_id", "date"), "date", dates)
            ]
    for key, rid in rows:
        f_key.append(key_ids[key])
        f_rid.append(rid)
    found_key = np.array(f_key, dtype=np.int64)
    found_rid = np.array(f_rid, dtype=np.int64)
    if snapshot is not None:
        born = snapshot.born_on(dates)
        found_key = np.concatenate([found_key, *(np.full(len(r), key_ids[date_key(d)]) for d, r in born)])
        found_rid = np.concatenate([found_rid, *(r for _, r in born)])
    numbers = sorted({number for p in prepared for _, number, _ in p.documents})
    by_number: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for rid, kind, number, country in _select(
        Identifier._meta.db_table, ("registrant_id", "kind", "norm_value", "issuing_country"), "norm_value", numbers
    ):
        by_number[number].append((rid, kind, country))
    if snapshot is not None:
        known = snapshot.knows(found_rid)
        found_key, found_rid = found_key[known], found_rid[known]
        unknown = snapshot.unknown({rid for rows in by_number.values() for rid, _, _ in rows})
        if unknown:
            by_number = {n: [row for row in rows if row[0] not in unknown] for n, rows in by_number.items()}

    # every (subject, registrant, weight) the keys give, then the documents
    order = np.argsort(found_key, kind="stable")
    found_rid = found_rid[order]
    per_key = np.bincount(found_key, minlength=len(key_ids)) if len(found_key) else np.zeros(len(key_ids), np.int64)
    key_start = np.concatenate(([0], np.cumsum(per_key)[:-1]))
    entry_key = np.array(e_key, dtype=np.int64)
    entry_index, row = _expand(entry_key, key_start, per_key)
    subject = np.array(e_subject, dtype=np.int64)[entry_index]
    rid = found_rid[row]
    weight = np.array(e_weight, dtype=np.int64)[entry_index]
    identifier_hits: list[dict[int, list[str]]] = [{} for _ in prepared]
    extra_subject, extra_rid = [], []
    for i, p in enumerate(prepared):
        for kind, number, country in p.documents:
            for their_rid, their_kind, their_country in by_number.get(number, ()):
                if their_kind == kind and not (country and their_country and country != their_country):
                    identifier_hits[i].setdefault(their_rid, []).append(kind)
                    extra_subject.append(i)
                    extra_rid.append(their_rid)
    if extra_subject:
        subject = np.concatenate((subject, np.array(extra_subject, dtype=np.int64)))
        rid = np.concatenate((rid, np.array(extra_rid, dtype=np.int64)))
        weight = np.concatenate((weight, np.full(len(extra_subject), IDENTIFIER_PRIORITY, dtype=np.int64)))

    # summed per (subject, registrant), without the excluded pairs
    width = int(rid.max()) + 1 if len(rid) else 1
    code = subject * width + rid
    skipped = [i * width + r for i, skip in enumerate(exclude) for r in skip if 0 <= r < width]
    for i, skip in enumerate(exclude):
        for r in skip:
            identifier_hits[i].pop(r, None)
    if skipped:
        keep = ~np.isin(code, np.array(skipped, dtype=np.int64))
        code, weight = code[keep], weight[keep]
    pairs, inverse = np.unique(code, return_inverse=True)
    priority = np.bincount(inverse.reshape(-1), weights=weight, minlength=len(pairs)).astype(np.int64)
    pair_subject, pair_rid = pairs // width, pairs % width
    # ranked within each subject: priority first, then registrant id; the first ``limit`` kept
    ranked = np.lexsort((pair_rid, -priority, pair_subject))
    pair_subject, pair_rid = pair_subject[ranked], pair_rid[ranked]
    found_per_subject = np.bincount(pair_subject, minlength=len(prepared)) if len(pairs) else np.zeros(len(prepared))
    starts = np.concatenate(([0], np.cumsum(found_per_subject)[:-1])).astype(np.int64)
    limit = settings.MATCH_MAX_BLOCK
    kept = np.minimum(found_per_subject, limit).astype(np.int64)
    return [
        Block(pair_rid[a : a + k].tolist(), identifier_hits[i], int(n))
        for i, (a, k, n) in enumerate(zip(starts.tolist(), kept.tolist(), found_per_subject.tolist(), strict=True))
    ]


# --- candidate data ---------------------------------------------------------------------------


class Vocabulary:
    """Strings of a batch numbered once, so that comparisons run on unique pairs of numbers."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {"": 0}
        self.items: list[str] = [""]
        # What is computed from a string (its codes, its frequencies) can be remembered per id
        # for the ids that keep their strings: a registry snapshot's, shared by every batch's copy.
        self.memory: dict | None = None
        self.stable = 0

    def id(self, value: str) -> int:
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.items)
            self.items.append(value)
        return found

    def ids(self, values: Iterable[str]) -> np.ndarray:
        return np.fromiter((self.id(v) for v in values), dtype=np.int64)

    def copy(self) -> Vocabulary:
        """A vocabulary to which a batch adds its own strings: the ids of these stay the same,
        and so does what is remembered about them (``remembered``)."""
        other = Vocabulary()
        other.index, other.items = dict(self.index), list(self.items)
        other.memory, other.stable = self.memory, self.stable
        return other

    def keep_what_is_computed(self) -> None:
        """Remember values per id from now on, for the ids given so far."""
        self.memory, self.stable = {}, len(self.items)


def remembered(vocab: Vocabulary, key, ids: np.ndarray, compute, dtype, width: int = 0) -> np.ndarray:
    """``compute(ids)`` (one value, or a row of ``width``, per id) for these distinct vocabulary
    ids; for the ids of a snapshot's vocabulary, computed once per process and then looked up."""
    if vocab.memory is None:
        return _computed(compute, ids, dtype, width)
    stable = vocab.stable
    found = vocab.memory.get(key)
    if found is None:
        found = vocab.memory[key] = (
            np.zeros((stable, width) if width else stable, dtype=dtype),
            np.zeros(stable, bool),
        )
    table, known = found
    inside = ids < stable
    kept = ids[inside]
    missing = kept[~known[kept]]
    if len(missing):
        table[missing] = _computed(compute, missing, dtype, width)
        known[missing] = True
    if inside.all():
        return table[ids]
    values = np.empty((len(ids), width) if width else len(ids), dtype=dtype)
    values[inside] = table[kept]
    values[~inside] = _computed(compute, ids[~inside], dtype, width)
    return values


def _computed(compute, ids: np.ndarray, dtype, width: int) -> np.ndarray:
    values = np.asarray(compute(ids), dtype=dtype)
    return values.reshape((len(ids), width) if width else len(ids))


@dataclass
class CandidateData:
    """Everything scoring needs about the candidates of a batch, as arrays indexed by the
    position of the registrant id in ``ids`` (sorted)."""

    ids: np.ndarray
    external_id: Sequence[str]
    sex: np.ndarray  # 0 unknown, 1 M, 2 F
    citizenship_codes: np.ndarray  # position * 1000 + country vocabulary id, sorted
    has_citizenship: np.ndarray
    citizenships: Sequence[Sequence[str]]
    name_start: np.ndarray
    name_count: np.ndarray
    name_surname: np.ndarray  # vocabulary ids, grouped by candidate
    name_given: np.ndarray  # first given name
    name_middle: np.ndarray  # ``middle_of`` the given name and the middle name
    name_kind: np.ndarray  # position in NAME_KINDS
    date_start: np.ndarray
    date_count: np.ndarray
    date_ymd: np.ndarray
    documents: dict[int, list[tuple[str, str, str]]]  # position -> (kind, norm number, country)
    # ``Frequencies.full_name`` of each name's (first given name, surname), when known in advance
    name_pair_frequency: np.ndarray | None = None

    def position(self, registrant_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ids, registrant_ids)


SEX_CODE = {"M": 1, "F": 2}
NAME_KINDS = list(NameKind.values)


def _grouped(positions: list[int], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order rows by candidate position: (row order, start per candidate, count per candidate)."""
    pos = np.array(positions, dtype=np.int64)
    order = np.argsort(pos, kind="stable")
    count = np.bincount(pos, minlength=n) if len(pos) else np.zeros(n, dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(count)[:-1])) if n else np.zeros(0, dtype=np.int64)
    return order, start, count


def fetch(
    ids: Iterable[int], document_kinds: Collection[str], vocab: Vocabulary, countries: Vocabulary
) -> CandidateData:
    """Read the candidates of a batch: two statements whatever their number (PostgreSQL; one
    more for the documents when the batch reports any)."""
    id_list = sorted(set(ids))
    id_array = np.array(id_list, dtype=np.int64)
    n = len(id_list)
    where = {rid: k for k, rid in enumerate(id_list)}
    external_id = [""] * n
    sex = np.zeros(n, dtype=np.int8)
    citizenships: list[list[str]] = [[] for _ in range(n)]
    codes = []
    if connection.vendor == "postgresql" and id_list:
        registrants, rows, dates = _candidate_rows(id_list)
    else:
        registrants = _select(Registrant._meta.db_table, ("id", "external_id", "sex", "citizenships"), "id", id_list)
        rows = _select(
            RegistrantName._meta.db_table,
            ("registrant_id", "kind", "norm_given", "norm_middle", "norm_surname"),
            "registrant_id",
            id_list,
        )
        dates = _select(RegistrantBirthDate._meta.db_table, ("registrant_id", "date"), "registrant_id", id_list)
    for rid, ext, their_sex, their_citizenships in registrants:
        k = where[rid]
        external_id[k] = ext
        sex[k] = SEX_CODE.get(their_sex, 0)
        if isinstance(their_citizenships, str):
            their_citizenships = _json_list(their_citizenships)
        citizenships[k] = list(their_citizenships or [])
        codes.extend(k * 1000 + countries.id(c) for c in citizenships[k])
    order, name_start, name_count = _grouped([where[r[0]] for r in rows], n)
    rows = [rows[i] for i in order]
    d_order, date_start, date_count = _grouped([where[r[0]] for r in dates], n)
    documents = candidate_documents(id_list, document_kinds)
    return CandidateData(
        ids=id_array,
        external_id=external_id,
        sex=sex,
        citizenship_codes=np.sort(np.array(codes, dtype=np.int64)),
        has_citizenship=np.array([bool(c) for c in citizenships], dtype=bool),
        citizenships=citizenships,
        name_start=name_start,
        name_count=name_count,
        name_surname=vocab.ids(r[4] for r in rows),
        name_given=vocab.ids((r[2].split() or [""])[0] for r in rows),
        name_middle=vocab.ids(middle_of(r[2], r[3]) for r in rows),
        name_kind=np.fromiter((NAME_KINDS.index(r[1]) for r in rows), dtype=np.int8, count=len(rows)),
        date_start=date_start,
        date_count=date_count,
        date_ymd=np.fromiter((_ymd(_as_date(dates[i][1])) for i in d_order), dtype=np.int64, count=len(dates)),
        documents=documents,
    )


def _candidate_rows(id_list: Sequence[int]) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The registrants, their names and their dates of birth, in one statement (PostgreSQL):
    ``(id, external_id, sex, citizenships)``, ``(registrant id, kind, given, middle, surname)``,
    ``(registrant id, date)``, the dates and citizenships as text."""
    registrant, name, birth = (m._meta.db_table for m in (Registrant, RegistrantName, RegistrantBirthDate))
    wanted = "= ANY((SELECT ids FROM wanted)::bigint[])"  # (the array, read once; each table through its index)
    array, param = _pg_array(id_list)
    sql = (
        f"WITH wanted AS (SELECT {array} AS ids) "  # noqa: S608
        f"SELECT 'r', id, external_id, sex, citizenships::text, NULL FROM {registrant} WHERE id {wanted} "
        f"UNION ALL SELECT 'n', registrant_id, kind, norm_given, norm_middle, norm_surname FROM {name} "
        f"WHERE registrant_id {wanted} "
        f"UNION ALL SELECT 'd', registrant_id, date::text, NULL, NULL, NULL FROM {birth} WHERE registrant_id {wanted}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [param])
        rows = cursor.fetchall()
    registrants = [r[1:5] for r in rows if r[0] == "r"]
    names = [r[1:] for r in rows if r[0] == "n"]
    dates = [r[1:3] for r in rows if r[0] == "d"]
    return registrants, names, dates


def candidate_documents(
    id_list: Sequence[int], document_kinds: Collection[str]
) -> dict[int, list[tuple[str, str, str]]]:
    """The documents of these kinds held by the registrants of ``id_list`` (sorted), by position
    in it: (kind, normalised number, issuing country). No query when no kind is asked for."""
    documents: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    if not document_kinds:
        return documents
    where = {rid: k for k, rid in enumerate(id_list)}
    for rid, kind, number, country in _select(
        Identifier._meta.db_table, ("registrant_id", "kind", "norm_value", "issuing_country"), "registrant_id", id_list
    ):
        if kind in document_kinds:
            documents[where[rid]].append((kind, number, country))
    return documents


@lru_cache(maxsize=4096)
def _json_list(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text or "[]") or ())


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


# NumPy 2.3 and later find the distinct values of an integer array with a hash table unless
# positions are asked for; on a batch's arrays (10^5 ids) that is several times slower than
# sorting them, and ids below a known bound need neither.


def distinct(values: np.ndarray, bound: int | None = None) -> np.ndarray:
    """``np.unique(values)`` of an integer array: by marking them when they are known to lie in
    ``[0, bound)``, otherwise by sorting."""
    if bound is not None:
        present = np.zeros(bound, dtype=bool)
        present[values] = True
        return np.flatnonzero(present)
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def numbered(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` of integers in ``[0, bound)``, without sorting:
    the distinct values in order, and each value's number among them."""
    present = np.zeros(bound, dtype=bool)
    present[values] = True
    used = np.flatnonzero(present)
    number = np.empty(bound, dtype=np.int64)
    number[used] = np.arange(len(used))
    return used, number[values]


def contained(values: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """``np.isin(values, ordered)`` for a sorted ``ordered``, by binary search."""
    if not len(ordered):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return ordered[at] == values


def _expand(pair_pos: np.ndarray, start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pair, one row per child of its candidate: (pair index, child index)."""
    per_pair = count[pair_pos]
    total = int(per_pair.sum())
    pair_index = np.repeat(np.arange(len(pair_pos)), per_pair)
    offsets = np.arange(total) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    return pair_index, start[pair_pos][pair_index] + offsets


# --- field comparisons (batched over unique pairs of strings) --------------------------------

# Agreement levels of a name, weakest first (a level agrees from TYPO on).
MISSING, DIFFERENT, SIMILAR, INITIAL, TYPO, TRANSLITERATED, PHONETIC, NICKNAME, PART, EXACT = range(10)
# A middle name on one side only (reported, or registered), not missing on both.
REPORT_ONLY, REGISTRY_ONLY = 10, 11


def _on_unique(left: np.ndarray, right: np.ndarray, vocab: Vocabulary, levels) -> np.ndarray:
    """Compute ``levels(pairs of strings)`` once per distinct pair of vocabulary ids."""
    if not len(left):
        return np.zeros(0, dtype=np.int8)
    width = len(vocab.items) + 1
    uniq, inverse = np.unique(left * width + right, return_inverse=True)
    sides = np.concatenate((uniq // width, uniq % width))
    used, local = numbered(sides, width)
    items = vocab.items
    strings = _Strings([items[i] for i in used.tolist()], local[: len(uniq)], local[len(uniq) :], vocab, used)
    return levels(strings)[inverse.reshape(-1)]


def _workers(n: int) -> int:
    """All cores for big batches; one thread for small ones (starting threads costs more)."""
    return -1 if n >= 20000 else 1


def _similar_sound(a: str, b: str) -> bool:
    if not a or not b or a == b:
        return False
    try:
        return bool(jellyfish.match_rating_comparison(a, b))
    except ValueError:
        return False


class _Strings:
    """Pairs of strings as two arrays of numbers into their distinct strings (``items``), so that
    comparisons other than the rapidfuzz kernels (codes, equality, nicknames) run once per
    string and then on integer arrays."""

    def __init__(
        self,
        items: list[str],
        left: np.ndarray,
        right: np.ndarray,
        vocab: Vocabulary | None = None,
        ids: np.ndarray | None = None,
        made_by: tuple = (),
    ) -> None:
        self.items = items
        self.left = left
        self.right = right
        # where the strings come from: the vocabulary ids of strings that ``made_by`` (functions
        # applied one after the other) turns into these, so that codes are remembered per id
        self.vocab, self.ids, self.made_by = vocab, ids, made_by
        self.length = np.fromiter(map(len, items), np.int64, len(items))
        self.shortest = np.minimum(self.length[left], self.length[right])

    @property
    def index(self) -> dict[str, int]:
        return {x: i for i, x in enumerate(self.items)}

    @cached_property
    def _array(self) -> np.ndarray:
        array = np.empty(len(self.items), dtype=object)
        array[:] = self.items
        return array

    def side(self, ids: np.ndarray) -> list[str]:
        """The strings of one side of the pairs, for the rapidfuzz kernels."""
        return self._array[ids].tolist()

    def mapped(self, function) -> _Strings:
        """The same pairs with ``function`` applied to every string (equal results numbered
        once)."""
        vocab = self.vocab
        if vocab is None or vocab.memory is None or self.ids is None:
            ids: dict[str, int] = {}
            codes = np.fromiter((ids.setdefault(function(x), len(ids)) for x in self.items), np.int64, len(self.items))
            return _Strings(list(ids), codes[self.left], codes[self.right])
        # A snapshot's strings: the results numbered once per process, and remembered per id.
        made_by = (*self.made_by, function)
        numbering, names = vocab.memory.setdefault(("numbering", made_by), ({}, []))
        order = np.argsort(self.ids)
        items = self.items

        def compute(ids: np.ndarray) -> list[int]:
            found = []
            for k in order[np.searchsorted(self.ids, ids, sorter=order)].tolist():
                result = function(items[k])
                number = numbering.get(result)
                if number is None:
                    number = numbering[result] = len(names)
                    names.append(result)
                found.append(number)
            return found

        codes = remembered(vocab, ("code", made_by), self.ids, compute, np.int64)
        used, local = numbered(codes, len(names))
        # for the functions applied after this one, a string of ``ids`` stands for each result
        representative = np.empty(len(used), dtype=np.int64)
        representative[local] = self.ids
        return _Strings(
            [names[i] for i in used.tolist()], local[self.left], local[self.right], vocab, representative, made_by
        )

    def equal(self, code) -> np.ndarray:
        """Pairs whose ``code(string)`` is equal (computed once per distinct string)."""
        coded = self.mapped(code)
        return coded.left == coded.right


def _initial(name: str) -> str:
    return name[:1]


def _sound_alike(left: np.ndarray, right: np.ndarray, vocab: Vocabulary, code) -> np.ndarray:
    """``_similar_sound`` of ``code(string)`` for pairs of vocabulary ids, once per distinct pair:
    the match rating approach (jellyfish), the one comparison still made pair by pair."""
    if not len(left):
        return np.zeros(0, dtype=bool)
    width = len(vocab.items) + 1
    uniq, inverse = np.unique(left * width + right, return_inverse=True)
    items = vocab.items
    alike = np.fromiter(
        (_similar_sound(code(items[c // width]), code(items[c % width])) for c in uniq.tolist()), bool, len(uniq)
    )
    return alike[inverse.reshape(-1)]


def surname_levels(strings: _Strings) -> np.ndarray:
    """Agreement level of normalised surnames: exact, part of a compound, phonetic,
    transliteration variant, spelling variant (typo, transposed letters), different, missing.
    Sounding alike by the match rating approach is looked for later, among the pairs found
    different (``_sound_alike``)."""
    compacted = strings.mapped(compact)
    lc, rc = compacted.side(compacted.left), compacted.side(compacted.right)
    n = len(lc)
    # only whether each score reaches its threshold counts: the kernels may stop at the cutoff
    jw = process.cpdist(lc, rc, scorer=JaroWinkler.normalized_similarity, score_cutoff=0.9, workers=_workers(n))
    osa = process.cpdist(lc, rc, scorer=OSA.distance, score_cutoff=1, workers=_workers(n))
    parts = process.cpdist(
        strings.side(strings.left),
        strings.side(strings.right),
        scorer=fuzz.token_set_ratio,
        score_cutoff=100,
        workers=_workers(n),
    )
    shortest = compacted.shortest
    level = np.full(n, DIFFERENT, dtype=np.int8)
    level[(jw >= 0.9) | ((osa <= 1) & (shortest >= 4))] = TYPO
    level[_transliterated(compacted)] = TRANSLITERATED
    phonetic = (compacted.length[compacted.left] > 0) & (compacted.equal(_metaphone) | compacted.equal(_nysiis))
    level[phonetic] = PHONETIC
    level[parts >= 100] = PART
    level[compacted.left == compacted.right] = EXACT
    level[(shortest == 0)] = MISSING
    return level


def given_levels(strings: _Strings) -> np.ndarray:
    """Agreement level of first given names: exact, nickname, phonetic, transliteration variant,
    spelling variant, initial only, different, missing (sounding alike: ``_sound_alike``, later)."""
    ul, ur = strings.side(strings.left), strings.side(strings.right)
    jw = process.cpdist(ul, ur, scorer=JaroWinkler.normalized_similarity, score_cutoff=0.9, workers=_workers(len(ul)))
    osa = process.cpdist(ul, ur, scorer=OSA.distance, score_cutoff=1, workers=_workers(len(ul)))
    shortest = strings.shortest
    level = np.full(len(ul), DIFFERENT, dtype=np.int8)
    level[(jw >= 0.9) | ((osa <= 1) & (shortest >= 4))] = TYPO
    level[_transliterated(strings)] = TRANSLITERATED
    level[(strings.length[strings.left] > 0) & strings.equal(_metaphone)] = PHONETIC
    # Nicknames: the pairs of distinct strings (both longer than an initial) in each other's family.
    width = len(strings.items) + 1
    index = strings.index
    nick_codes = []
    for i, name in enumerate(strings.items):
        if len(name) > 1:
            for other in nickname_family(name):
                j = index.get(other)
                if j is not None and j != i and len(other) > 1:
                    nick_codes += (i * width + j, j * width + i)
    level[np.isin(strings.left * width + strings.right, np.array(nick_codes, dtype=np.int64))] = NICKNAME
    level[(shortest == 1) & strings.equal(_initial)] = INITIAL
    level[strings.left == strings.right] = EXACT
    level[shortest == 0] = MISSING
    return level


def middle_levels(strings: _Strings) -> np.ndarray:
    level = np.full(len(strings.left), DIFFERENT, dtype=np.int8)
    level[(strings.shortest == 1) & strings.equal(_initial)] = INITIAL
    level[strings.left == strings.right] = EXACT
    reported, registered = strings.length[strings.left] > 0, strings.length[strings.right] > 0
    level[reported & ~registered] = REPORT_ONLY
    level[registered & ~reported] = REGISTRY_ONLY
    level[~reported & ~registered] = MISSING
    return level


def middle_of(given: str, middle: str) -> str:
    """A normalised name's middle name as compared: its own field, or else what follows the first
    word of the given name ("JOHN WAYNE" with no middle name has the middle name WAYNE)."""
    return middle or given.partition(" ")[2]


def _table(mapping: dict[int, float], size: int = 16) -> np.ndarray:
    table = np.zeros(size)
    for level, weight in mapping.items():
        table[level] = weight
    return table


# --- weights (log2 likelihood ratios) ---------------------------------------------------------

M_NAME = 0.95  # a true pair's name agrees exactly this often
NAME_WEIGHT_CAP = {"surname": 14.0, "given": 12.0}
SURNAME_DROP = {EXACT: 0.0, PART: 1.5, PHONETIC: 3.0, TRANSLITERATED: 3.0, TYPO: 3.5}
# Sounding alike only by the match rating approach: weak, but not a contradiction. The approach
# is lenient (MORA~GARCIA, JESSE~JACK agree by it): of random pairs of the registry's unequal
# names 8.9 % of surnames and 13 % of given names sound alike by it, so with a transliteration
# beyond the other keys about as common among true pairs as an unrelated name, the level weighs
# log2(u_different / u_similar) over "different": surnames -7 + 3.4 (kept at -4), given names -8 + 2.7
# (bench/matching_similar_u.py measures the shares on a registry).
SURNAME_SIMILAR = -4.0
GIVEN_DROP = {EXACT: 0.0, NICKNAME: 2.0, PHONETIC: 2.5, TRANSLITERATED: 2.5, TYPO: 3.5}
SURNAME_DIFFERENT = -7.0
GIVEN_DIFFERENT = -8.0  # a true pair's given names are unrelated in well under 1 % of reports
GIVEN_INITIAL = 1.5
GIVEN_SIMILAR = -5.3
# A middle name on one side only: a report drops or adds one in about 17 % of true pairs (the
# evaluation set), while two different people differ so in half of all pairs (45.5 % of the
# registry's names have one, 2 x 0.455 x 0.545 = 0.50): log2(0.17 / 0.50) = -1.6.
MIDDLE_ONE_SIDED = -1.6
MIDDLE_WEIGHT = {
    EXACT: 3.5,
    INITIAL: 2.0,
    DIFFERENT: -3.5,
    REPORT_ONLY: MIDDLE_ONE_SIDED,
    REGISTRY_ONLY: MIDDLE_ONE_SIDED,
    MISSING: 0.0,
}
SWAP_PENALTY = 1.5

DOB_EXACT, DOB_SWAPPED, DOB_DIGIT, DOB_YEAR, DOB_DIFFERENT, DOB_MISSING = 5, 4, 3, 2, 1, 0
DOB_WEIGHT = {DOB_EXACT: 14.0, DOB_SWAPPED: 8.0, DOB_DIGIT: 4.5, DOB_YEAR: 4.5, DOB_DIFFERENT: -6.0, DOB_MISSING: 0.0}
DOB_TEXT = {
    DOB_EXACT: "exact",
    DOB_SWAPPED: "day and month swapped",
    DOB_DIGIT: "one digit different",
    DOB_YEAR: "year one off",
    DOB_DIFFERENT: "different",
}
IDENTIFIER_WEIGHT = 25.0
DOCUMENT_DIFFERENT = -1.0
SEX_AGREE = {"M": 0.3, "F": 3.0}
SEX_DIFFERENT = -4.0
NATIONALITY_AGREE = {"US": 0.5}
NATIONALITY_AGREE_OTHER = 3.0
NATIONALITY_DIFFERENT = -1.0


def _name_weight(
    level: np.ndarray, freq: np.ndarray, kind: str, level_freq: dict[int, np.ndarray] | None = None
) -> np.ndarray:
    """``level_freq``: for a partial level, how often two people's names agree at that level by
    chance when it is more often than the names themselves are shared (a sound, a part of a
    compound surname): the weight is that of the more common."""
    level_freq = level_freq or {}
    drops = SURNAME_DROP if kind == "surname" else GIVEN_DROP
    weight = np.zeros(len(level))
    for lvl, drop in drops.items():
        mask = level == lvl
        u = freq[mask] if lvl not in level_freq else np.maximum(freq[mask], level_freq[lvl][mask])
        weight[mask] = np.maximum(np.clip(np.log2(M_NAME / u), 1.0, NAME_WEIGHT_CAP[kind]) - drop, 1.0)
    weight[level == DIFFERENT] = SURNAME_DIFFERENT if kind == "surname" else GIVEN_DIFFERENT
    if kind == "surname":
        weight[level == SIMILAR] = SURNAME_SIMILAR
    if kind == "given":
        weight[level == INITIAL] = GIVEN_INITIAL
        weight[level == SIMILAR] = GIVEN_SIMILAR
    return weight


def _digits_differing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    count = np.zeros(len(a), dtype=np.int8)
    x, y = a.copy(), b.copy()
    for _ in range(8):
        count += (x % 10 != y % 10).astype(np.int8)
        x //= 10
        y //= 10
    return count


def _ymd(d: date | None) -> int:
    return d.year * 10000 + d.month * 100 + d.day if d else -1


MIDDLE_TABLE = _table(MIDDLE_WEIGHT)
DOB_TABLE = _table(DOB_WEIGHT)


# --- the batch -------------------------------------------------------------------------------

SURNAME_TEXT = {
    EXACT: "exact {b}",
    PART: "compound surname part {a}~{b}",
    PHONETIC: "phonetic match {a}~{b}",
    TRANSLITERATED: "transliteration variant {a}~{b}",
    TYPO: "spelling variant {a}~{b}",
    SIMILAR: "similar sound {a}~{b}",
    DIFFERENT: "different ({a} / {b})",
}
GIVEN_TEXT = {
    EXACT: "exact {b}",
    NICKNAME: "nickname {a}~{b}",
    PHONETIC: "phonetic match {a}~{b}",
    TRANSLITERATED: "transliteration variant {a}~{b}",
    TYPO: "spelling variant {a}~{b}",
    INITIAL: "initial {a}~{b}",
    SIMILAR: "similar sound {a}~{b}",
    DIFFERENT: "different ({a} / {b})",
}
MIDDLE_TEXT = {
    EXACT: "exact {b}",
    INITIAL: "initial {a}~{b}",
    DIFFERENT: "different ({a} / {b})",
    REPORT_ONLY: "in the report only ({a})",
    REGISTRY_ONLY: "in the registry only ({b})",
}


def _review_floor_bits() -> float:
    """The evidence (bits over the prior) from which a candidate's score reaches
    ``MATCH_REVIEW_THRESHOLD``, less a margin for rounding; minus infinity when every candidate
    may reach it."""
    review = settings.MATCH_REVIEW_THRESHOLD
    if review <= 0:
        return -math.inf
    # From 50 bits on, a score rounds to 1.0, which even a threshold of 1 lets through.
    floor = 50.0 if review >= 1 else min(math.log2(review / (1 - review)), 50.0)
    return -math.inf if floor <= -60 else settings.MATCH_PRIOR_BITS + floor - 1e-6


def match_batch(
    subjects: Sequence[Subject], exclude: Sequence[Collection[int]], snapshot: RegistrySnapshot | None = None
) -> list[MatchResult]:
    """Match a batch; with a ``snapshot`` (``manage.py screen`` over a large file) the dates of
    birth, the candidates' data and the name frequencies come from it instead of the database."""
    from . import Candidate, Decision, MatchResult

    prepared = [prepare(s) for s in subjects]
    blocks = block(prepared, exclude, snapshot)
    results = [MatchResult(decision=Decision.NO_MATCH, blocked=len(b.candidates)) for b in blocks]
    pair_subject = np.fromiter(
        (i for i, b in enumerate(blocks) for _ in b.candidates),
        dtype=np.int64,
        count=sum(len(b.candidates) for b in blocks),
    )
    if not len(pair_subject):
        return results
    pair_rid = np.fromiter((rid for b in blocks for rid in b.candidates), dtype=np.int64, count=len(pair_subject))
    kinds = {kind for p in prepared for kind, _, _ in p.documents}
    if snapshot is not None:
        vocab, countries = snapshot.batch_vocabularies()
        data = snapshot.candidates(pair_rid.tolist(), kinds, countries)
        freqs = snapshot.frequencies
    else:
        vocab, countries = Vocabulary(), Vocabulary()
        data = fetch(pair_rid.tolist(), kinds, vocab, countries)
        freqs = name_frequencies()
    pair_pos = data.position(pair_rid)
    n_pairs = len(pair_rid)

    # the subject's fields as vocabulary ids
    s_sur = vocab.ids(p.surname for p in prepared)
    s_giv = vocab.ids(p.given_first for p in prepared)
    s_mid = vocab.ids(middle_of(p.given, p.middle) for p in prepared)
    s_giv_as_sur = vocab.ids(p.given if p.given and p.surname else "" for p in prepared)
    s_sur_as_giv = vocab.ids(p.surname.split()[0] if p.given and p.surname else "" for p in prepared)

    # names: one row per (pair, candidate name), as reported and with given name and surname swapped
    row_pair, row_name = _expand(pair_pos, data.name_start, data.name_count)
    row_subject = pair_subject[row_pair]
    can_swap = s_giv_as_sur[row_subject] > 0
    swap_rows = np.nonzero(can_swap)[0]
    row_pair = np.concatenate((row_pair, row_pair[swap_rows]))
    row_name = np.concatenate((row_name, row_name[swap_rows]))
    swapped = np.concatenate((np.zeros(len(row_subject), dtype=bool), np.ones(len(swap_rows), dtype=bool)))
    row_subject = pair_subject[row_pair]
    left_sur = np.where(swapped, s_giv_as_sur[row_subject], s_sur[row_subject])
    left_giv = np.where(swapped, s_sur_as_giv[row_subject], s_giv[row_subject])
    left_mid = s_mid[row_subject]
    right_sur = data.name_surname[row_name]
    right_giv = data.name_given[row_name]
    right_mid = data.name_middle[row_name]
    sur_level = _on_unique(left_sur, right_sur, vocab, surname_levels)
    giv_level = _on_unique(left_giv, right_giv, vocab, given_levels)
    mid_level = _on_unique(left_mid, right_mid, vocab, middle_levels)
    # name frequencies per vocabulary id (only the candidates' names are looked up)
    # A name agreeing counts as much as the more common of the two spellings is rare.
    # ... agreeing by sound as much as the more common of the two sounds is rare, as part of a
    # compound surname as the more common of the surnames holding it, and as a transliteration as
    # the more common of the two families of spellings.
    # (a snapshot's frequencies are those of its own registry: remembered with its strings)
    items = vocab.items
    sur_stats = np.zeros((len(items), 4))
    uniq = distinct(np.concatenate((right_sur, left_sur)), len(items))
    if len(uniq):
        sur_stats[uniq] = remembered(
            vocab, "surname stats", uniq, lambda ids: [freqs.surname_stats(items[i]) for i in ids.tolist()], float, 4
        )
    giv_stats = np.zeros((len(items), 3))
    uniq = distinct(np.concatenate((right_giv, left_giv)), len(items))
    if len(uniq):
        giv_stats[uniq] = remembered(
            vocab, "given stats", uniq, lambda ids: [freqs.given_stats(items[i]) for i in ids.tolist()], float, 3
        )
    sur_r, sur_l, giv_r, giv_l = sur_stats[right_sur], sur_stats[left_sur], giv_stats[right_giv], giv_stats[left_giv]
    u_sur = np.maximum(np.maximum(sur_r[:, 0], sur_l[:, 0]), 1e-9)
    u_giv = np.maximum(np.maximum(giv_r[:, 0], giv_l[:, 0]), 1e-9)
    s_sur_sound = np.maximum(sur_r[:, 1], sur_l[:, 1])
    s_sur_part = np.maximum(sur_r[:, 2], sur_l[:, 2])
    s_giv_sound = np.maximum(giv_r[:, 1], giv_l[:, 1])
    s_sur_family = np.maximum(sur_r[:, 3], sur_l[:, 3])
    s_giv_family = np.maximum(giv_r[:, 2], giv_l[:, 2])
    # When both names agree, their weights are capped by the rarity of the full name (the pair).
    width = len(vocab.items) + 1

    # As for each name, the full name counts as much as the more common of the two is rare.
    def full_names(giv: np.ndarray, sur: np.ndarray) -> np.ndarray:
        codes, inverse = np.unique(giv * width + sur, return_inverse=True)
        if not len(codes):
            return np.zeros(0)
        items = vocab.items
        return np.array([freqs.full_name(items[c // width], compact(items[c % width])) for c in codes.tolist()])[
            inverse.reshape(-1)
        ]

    # the candidates' pairs are the registry's own: a snapshot knows them all
    known = data.name_pair_frequency
    u_pair = np.maximum(
        full_names(right_giv, right_sur) if known is None else known[row_name], full_names(left_giv, left_sur)
    )
    independent = _name_weight(np.full(len(u_sur), EXACT), u_sur, "surname") + _name_weight(
        np.full(len(u_giv), EXACT), u_giv, "given"
    )
    joint = np.clip(np.log2(M_NAME * M_NAME / np.maximum(u_pair, 1e-12)), 2.0, independent)

    def bits_of_names(sur_level: np.ndarray, giv_level: np.ndarray) -> np.ndarray:
        both_agree = (sur_level >= TYPO) & (giv_level >= TYPO)
        return (
            _name_weight(
                sur_level, u_sur, "surname", {PHONETIC: s_sur_sound, PART: s_sur_part, TRANSLITERATED: s_sur_family}
            )
            + _name_weight(giv_level, u_giv, "given", {PHONETIC: s_giv_sound, TRANSLITERATED: s_giv_family})
            - np.where(both_agree, independent - joint, 0.0)
            + MIDDLE_TABLE[mid_level]
            - SWAP_PENALTY * swapped
        )

    # dates of birth: the best agreement over the candidate's dates
    s_ymd = np.array([_ymd(p.dob) for p in prepared], dtype=np.int64)
    dob_level = np.full(n_pairs, DOB_MISSING, dtype=np.int8)
    with_dob = np.nonzero(s_ymd[pair_subject] > 0)[0]
    d_pair, d_index = _expand(pair_pos[with_dob], data.date_start, data.date_count)
    if len(d_pair):
        d_pair = with_dob[d_pair]
        a = s_ymd[pair_subject[d_pair]]
        b = data.date_ymd[d_index]
        swapped_a = (a // 10000) * 10000 + (a % 100) * 100 + (a // 100) % 100
        level = np.full(len(a), DOB_DIFFERENT, dtype=np.int8)
        level[((a % 10000) == (b % 10000)) & (np.abs(a // 10000 - b // 10000) == 1)] = DOB_YEAR
        level[_digits_differing(a, b) == 1] = DOB_DIGIT
        level[(swapped_a == b) & ((a % 100) <= 12)] = DOB_SWAPPED
        level[a == b] = DOB_EXACT
        np.maximum.at(dob_level, d_pair, level)
    dob_bits = DOB_TABLE[dob_level]

    # sex and nationality
    s_sex = np.array([SEX_CODE.get(p.sex, 0) for p in prepared], dtype=np.int8)[pair_subject]
    c_sex = data.sex[pair_pos]
    known_sex = (s_sex > 0) & (c_sex > 0)
    sex_bits = np.where(known_sex & (s_sex == c_sex), np.where(s_sex == 2, SEX_AGREE["F"], SEX_AGREE["M"]), 0.0)
    sex_bits = np.where(known_sex & (s_sex != c_sex), SEX_DIFFERENT, sex_bits)
    s_nat = np.array([countries.id(p.nationality) for p in prepared], dtype=np.int64)[pair_subject]
    nat_known = (s_nat > 0) & data.has_citizenship[pair_pos]
    nat_agree = nat_known & contained(pair_pos * 1000 + s_nat, data.citizenship_codes)
    us = countries.index.get("US", -1)
    nat_bits = np.where(nat_agree, np.where(s_nat == us, NATIONALITY_AGREE["US"], NATIONALITY_AGREE_OTHER), 0.0)
    nat_bits = np.where(nat_known & ~nat_agree, NATIONALITY_DIFFERENT, nat_bits)

    # documents (only the subjects that carry any)
    doc_bits = np.zeros(n_pairs)
    id_equal = np.zeros(n_pairs, dtype=bool)
    doc_text: dict[int, dict[str, str]] = {}
    for k in np.nonzero(np.array([bool(prepared[i].documents) for i in pair_subject.tolist()], dtype=bool))[0].tolist():
        i, rid = int(pair_subject[k]), int(pair_rid[k])
        equal_kinds = blocks[i].identifier_hits.get(rid)
        if equal_kinds:
            id_equal[k] = True
            doc_bits[k] = IDENTIFIER_WEIGHT
            doc_text[k] = {kind: "exact" for kind in equal_kinds}
            continue
        theirs = data.documents.get(int(pair_pos[k]), ())
        for kind, _number, country in prepared[i].documents:
            if any(t == kind and (not country or not c or c == country) for t, _n, c in theirs):
                doc_bits[k] = DOCUMENT_DIFFERENT
                doc_text[k] = {kind: "different number"}
                break

    other_bits = dob_bits + sex_bits + nat_bits + doc_bits
    # Names that are different by every other comparison may still sound alike by the match
    # rating approach (transliterations the other keys miss: Schewtschenko~Shevchenko,
    # Wolkow~Volkov, Aisha~Ayesha, Pyotr~Petr). It is the one comparison still made pair by pair,
    # so it is made only for the candidates it can bring to the review threshold: a name
    # sounding alike weighs more than a different one, so the candidates that stay under the
    # threshold even with every different name sounding alike are left as they are (most of
    # them: people born on the reported day with unrelated names). What is reported is the same.
    sur_open, giv_open = sur_level == DIFFERENT, giv_level == DIFFERENT
    open_rows = sur_open | giv_open
    if open_rows.any():
        hopeful = bits_of_names(np.where(sur_open, SIMILAR, sur_level), np.where(giv_open, SIMILAR, giv_level))
        best_hope = np.full(n_pairs, -np.inf)
        np.maximum.at(best_hope, row_pair, hopeful)
        reachable = id_equal | (best_hope + other_bits >= _review_floor_bits())
        rows = np.nonzero(open_rows & reachable[row_pair])[0]
        sur_rows, giv_rows = rows[sur_open[rows]], rows[giv_open[rows]]
        sur_level[sur_rows[_sound_alike(left_sur[sur_rows], right_sur[sur_rows], vocab, compact)]] = SIMILAR
        giv_level[giv_rows[_sound_alike(left_giv[giv_rows], right_giv[giv_rows], vocab, str)]] = SIMILAR
    name_bits = bits_of_names(sur_level, giv_level)
    # the best name row of each pair
    best_row = np.full(n_pairs, -1, dtype=np.int64)
    if len(row_pair):
        order = np.lexsort((-name_bits, row_pair))
        first = np.ones(len(order), dtype=bool)
        first[1:] = row_pair[order][1:] != row_pair[order][:-1]
        best_row[row_pair[order][first]] = order[first]
    has_name = best_row >= 0
    safe_row = np.maximum(best_row, 0)
    names_bits = np.where(has_name, name_bits[safe_row] if len(name_bits) else 0.0, 0.0)

    total_bits = names_bits + dob_bits + sex_bits + nat_bits + doc_bits  # (in this order: the same float sums)
    scores = 1.0 / (1.0 + np.exp2(-np.clip(total_bits - settings.MATCH_PRIOR_BITS, -60, 60)))
    best_sur = np.where(has_name, sur_level[safe_row] if len(sur_level) else MISSING, MISSING)
    best_giv = np.where(has_name, giv_level[safe_row] if len(giv_level) else MISSING, MISSING)
    # Consistent names: neither surname nor given name contradicts the record, and one agrees.
    consistent = (
        has_name & (best_sur != DIFFERENT) & (best_giv != DIFFERENT) & ((best_sur > MISSING) | (best_giv > MISSING))
    )
    auto, review = settings.MATCH_AUTO_THRESHOLD, settings.MATCH_REVIEW_THRESHOLD
    decision = np.where((id_equal & consistent) | (scores >= auto), 2, np.where((scores >= review) | id_equal, 1, 0))
    decision_value = {2: Decision.MATCH.value, 1: Decision.REVIEW.value, 0: Decision.NO_MATCH.value}

    per_subject: dict[int, list[int]] = defaultdict(list)
    for k in np.nonzero(decision > 0)[0].tolist():
        per_subject[int(pair_subject[k])].append(k)
    limit = settings.MATCH_MAX_CANDIDATES
    items = vocab.items
    for i, ks in per_subject.items():
        ks.sort(key=lambda k: (-decision[k], -scores[k], pair_rid[k]))
        candidates = []
        for k in ks[:limit]:
            fields: dict[str, str] = {}
            row = int(best_row[k])
            if row >= 0:
                if swapped[row]:
                    fields["names"] = "given name and surname swapped"
                kind = NAME_KINDS[int(data.name_kind[int(row_name[row])])]
                if kind != "primary":
                    fields["name used"] = kind
                for label, level, texts, a, b in (
                    ("surname", sur_level[row], SURNAME_TEXT, left_sur[row], right_sur[row]),
                    ("given name", giv_level[row], GIVEN_TEXT, left_giv[row], right_giv[row]),
                    ("middle name", mid_level[row], MIDDLE_TEXT, left_mid[row], right_mid[row]),
                ):
                    text = texts.get(int(level))
                    if text:
                        fields[label] = text.format(a=items[int(a)], b=items[int(b)])
            if dob_level[k] != DOB_MISSING:
                fields["DOB"] = DOB_TEXT[int(dob_level[k])]
            if known_sex[k]:
                fields["sex"] = "same" if s_sex[k] == c_sex[k] else "different"
            if nat_known[k]:
                their = ", ".join(data.citizenships[int(pair_pos[k])])
                fields["nationality"] = "citizen" if nat_agree[k] else f"different (citizen of {their})"
            fields.update(doc_text.get(k, {}))
            candidates.append(
                Candidate(
                    registrant_id=int(pair_rid[k]),
                    score=round(float(scores[k]), 6),
                    decision=decision_value[int(decision[k])],
                    explanation="; ".join(f"{name}: {text}" for name, text in fields.items()),
                    fields=fields,
                    external_id=data.external_id[int(pair_pos[k])],
                    weight=round(float(total_bits[k]), 2),
                )
            )
        results[i].candidates = candidates
        results[i].decision = candidates[0].decision
    return results
