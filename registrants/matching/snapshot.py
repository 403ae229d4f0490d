"""The registry's matching data read once, for screening a large file.

Matching one batch reads its candidates' names, dates of birth, sex and citizenships through
the indexes: about 60 registrants per record, most of them found by a date of birth alone. A
file of 100,000 records meets nearly every registrant several times over, so ``manage.py
screen`` reads them all once instead, in three sequential scans, and keeps them in arrays
(about 300 MB a process at a million registrants). Blocking still looks the keys and
identifiers up in the database; the dates of birth and the candidates' data come from the
arrays.

The snapshot is the registry as it was when it was read: a registrant added later is not
proposed, one deleted later still is. A screen is a test of a feed, not a decision.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date
from functools import cached_property

import numpy as np
from django.db import connection, transaction

from ..keys import compact
from ..models import Registrant, RegistrantBirthDate, RegistrantName
from .engine import (
    NAME_KINDS,
    SEX_CODE,
    CandidateData,
    Frequencies,
    Vocabulary,
    _expand,
    _json_list,
    candidate_documents,
    compound_parts,
    distinct,
    middle_of,
)

FETCH_ROWS = 50_000


def _chunks(sql: str) -> Iterator[list[tuple]]:
    """The rows of ``sql`` in lists of at most ``FETCH_ROWS``: columns become arrays chunk by
    chunk, so no list of a million Python objects is ever built."""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH_ROWS):
            yield rows


def _column(chunks: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)


def _grouped_by(owner: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of a child table ordered by their owner: (row order, start and count per owner in
    ``ids``). Rows of an owner not in ``ids`` are never pointed at."""
    order = np.argsort(owner, kind="stable")
    ordered = owner[order]
    start = np.searchsorted(ordered, ids, side="left")
    count = np.searchsorted(ordered, ids, side="right") - start
    return order, start, count


def position_table(ids: np.ndarray, sparse: bool = False) -> np.ndarray | None:
    """The position of each of these sorted ids, at the id (-1 elsewhere): a direct lookup while
    the ids are not too sparse (None when they are, unless ``sparse``)."""
    top = int(ids[-1]) + 1 if len(ids) else 0
    if top > 4 * len(ids) + 1_000 and not sparse:
        return None
    table = np.full(top, -1, dtype=np.int64)
    table[ids] = np.arange(len(ids))
    return table


class RegistrySnapshot:
    """Every registrant's matching data as arrays indexed by the position of its id in ``ids``."""

    def __init__(self) -> None:
        started = time.monotonic()
        self.vocab = Vocabulary()
        self.countries = Vocabulary()
        consistent = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            if consistent:  # the three scans see the registry at one instant
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self._read_registrants()
            self._read_names()
            self.vocab.keep_what_is_computed()  # the registry's strings keep their ids in every batch
            self._read_birth_dates()
        self.seconds = time.monotonic() - started

    def _read_registrants(self) -> None:
        ids, external_id, sex, citizenships, cit_codes = [], [], [], [], []
        text = "citizenships::text" if connection.vendor == "postgresql" else "citizenships"
        country_id = self.countries.id
        for rows in _chunks(
            f"SELECT id, external_id, sex, {text} FROM {Registrant._meta.db_table} ORDER BY id"  # noqa: S608
        ):
            n = len(rows)
            ids.append(np.fromiter((r[0] for r in rows), np.int64, n))
            external_id.append(np.fromiter((r[1] for r in rows), object, n))
            sex.append(np.fromiter((SEX_CODE.get(r[2], 0) for r in rows), np.int8, n))
            # ``_json_list`` keeps one tuple per distinct value: ("US",) is shared by most people
            codes = [_json_list(r[3]) if isinstance(r[3], str) else tuple(r[3] or ()) for r in rows]
            citizenships.append(np.fromiter(codes, object, n))
            cit_codes.append(np.fromiter((country_id(c) for cs in codes for c in cs), np.int64))
        self.ids = _column(ids, np.int64)
        self.position_of = position_table(self.ids)
        # object arrays: a batch gathers its candidates' values in one indexing operation
        self.external_id = _column(external_id, object)
        self.sex = _column(sex, np.int8)
        self.citizenships = _column(citizenships, object)
        self.cit_count = np.fromiter(map(len, self.citizenships), np.int64, len(self.citizenships))
        self.cit_start = np.concatenate(([0], np.cumsum(self.cit_count)[:-1])).astype(np.int64)
        self.cit_codes = _column(cit_codes, np.int64)

    def _read_names(self) -> None:
        kind_code = {kind: code for code, kind in enumerate(NAME_KINDS)}
        first_token: dict[str, int] = {}
        vocab_id = self.vocab.id

        def first(given: str) -> int:
            found = first_token.get(given)
            if found is None:
                found = first_token[given] = vocab_id((given.split() or [""])[0])
            return found

        owner, kinds, sur, giv, mid = [], [], [], [], []
        for rows in _chunks(
            f"SELECT registrant_id, kind, norm_given, norm_middle, norm_surname FROM {RegistrantName._meta.db_table}"  # noqa: S608
        ):
            n = len(rows)
            owner.append(np.fromiter((r[0] for r in rows), np.int64, n))
            kinds.append(np.fromiter((kind_code.get(r[1], 0) for r in rows), np.int8, n))
            giv.append(np.fromiter((first(r[2]) for r in rows), np.int64, n))
            mid.append(np.fromiter((vocab_id(middle_of(r[2], r[3])) for r in rows), np.int64, n))
            sur.append(np.fromiter((vocab_id(r[4]) for r in rows), np.int64, n))
        order, self.name_start, self.name_count = _grouped_by(_column(owner, np.int64), self.ids)
        self.name_kind = _column(kinds, np.int8)[order]
        self.name_surname = _column(sur, np.int64)[order]
        self.name_given = _column(giv, np.int64)[order]
        self.name_middle = _column(mid, np.int64)[order]

    def _read_birth_dates(self) -> None:
        owner, ymd = [], []
        for rows in _chunks(
            f"SELECT registrant_id, year * 10000 + month * 100 + day FROM {RegistrantBirthDate._meta.db_table}"  # noqa: S608
        ):
            n = len(rows)
            owner.append(np.fromiter((r[0] for r in rows), np.int64, n))
            ymd.append(np.fromiter((r[1] for r in rows), np.int64, n))
        owner_array, ymd_array = _column(owner, np.int64), _column(ymd, np.int64)
        order, self.date_start, self.date_count = _grouped_by(owner_array, self.ids)
        self.date_ymd = ymd_array[order]
        # the dates of birth themselves, for blocking: (date, registrant) in date order
        by_date = np.lexsort((owner_array, ymd_array))
        self.sorted_ymd = ymd_array[by_date]
        self.sorted_owner = owner_array[by_date]

    def __len__(self) -> int:
        return len(self.ids)

    # --- blocking ---------------------------------------------------------------------------

    def born_on(self, dates: Sequence[date]) -> list[tuple[date, np.ndarray]]:
        """Each of these dates of birth with the ids of the registrants born on it (in id order)."""
        if not dates:
            return []
        values = np.array([d.year * 10000 + d.month * 100 + d.day for d in dates], dtype=np.int64)
        lo = np.searchsorted(self.sorted_ymd, values, side="left").tolist()
        hi = np.searchsorted(self.sorted_ymd, values, side="right").tolist()
        owners = self.sorted_owner
        return [(day, owners[a:b]) for day, a, b in zip(dates, lo, hi, strict=True) if b > a]

    def positions(self, registrant_ids: np.ndarray) -> np.ndarray:
        """The position of each of these ids in ``ids``; -1 for an id the snapshot does not hold
        (a registrant added since it was read)."""
        if not len(self.ids):
            return np.full(len(registrant_ids), -1, dtype=np.int64)
        if self.position_of is not None:
            inside = (registrant_ids >= 0) & (registrant_ids < len(self.position_of))
            return np.where(inside, self.position_of[np.where(inside, registrant_ids, 0)], -1)
        pos = np.minimum(np.searchsorted(self.ids, registrant_ids), len(self.ids) - 1)
        return np.where(self.ids[pos] == registrant_ids, pos, -1)

    def knows(self, registrant_ids: np.ndarray) -> np.ndarray:
        """Which of these ids the snapshot holds (not registrants added since it was read)."""
        return self.positions(registrant_ids) >= 0

    def unknown(self, registrant_ids: Collection[int]) -> set[int]:
        """The ids not in the snapshot (registrants added since it was read)."""
        ids = np.fromiter(registrant_ids, dtype=np.int64, count=len(registrant_ids))
        return set(ids[~self.knows(ids)].tolist())

    # --- candidates ---------------------------------------------------------------------------

    def batch_vocabularies(self) -> tuple[Vocabulary, Vocabulary]:
        """Vocabularies for one batch: the snapshot's strings, to which the batch adds its own."""
        return self.vocab.copy(), self.countries.copy()

    def candidates(self, ids: Iterable[int], document_kinds: Collection[str], countries: Vocabulary) -> CandidateData:
        """``engine.fetch`` from the arrays: only the documents are read from the database."""
        id_array = distinct(np.fromiter(ids, dtype=np.int64))
        at = self.positions(id_array)
        n = len(id_array)
        batch = np.arange(n)

        def gathered(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            counts = count[at]
            starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64) if n else counts
            return starts, counts, _expand(batch, start[at], count[at])[1]

        _, _, cit_rows = gathered(self.cit_start, self.cit_count)
        cit_owner = np.repeat(batch, self.cit_count[at])
        name_start, name_count, name_rows = gathered(self.name_start, self.name_count)
        date_start, date_count, date_rows = gathered(self.date_start, self.date_count)
        documents = candidate_documents(id_array.tolist(), document_kinds)
        return CandidateData(
            ids=id_array,
            external_id=self.external_id[at],
            sex=self.sex[at],
            citizenship_codes=np.sort(cit_owner * 1000 + self.cit_codes[cit_rows]),
            has_citizenship=self.cit_count[at] > 0,
            citizenships=self.citizenships[at],
            name_start=name_start,
            name_count=name_count,
            name_surname=self.name_surname[name_rows],
            name_given=self.name_given[name_rows],
            name_middle=self.name_middle[name_rows],
            name_kind=self.name_kind[name_rows],
            date_start=date_start,
            date_count=date_count,
            date_ymd=self.date_ymd[date_rows],
            documents=documents,
            name_pair_frequency=self.name_pair_frequency[name_rows],
        )

    # --- name frequencies ---------------------------------------------------------------------

    @cached_property
    def _compacted(self) -> tuple[list[str], np.ndarray]:
        """The distinct compacted vocabulary strings, and for each vocabulary id its number among
        them (surnames are counted compacted: "DE LA CRUZ" and "DELACRUZ" are one)."""
        items = self.vocab.items
        compact_id: dict[str, int] = {}
        compact_of = np.fromiter(
            (compact_id.setdefault(compact(s), len(compact_id)) for s in items), dtype=np.int64, count=len(items)
        )
        return list(compact_id), compact_of

    @cached_property
    def name_pair_frequency(self) -> np.ndarray:
        """``Frequencies.full_name`` of every name of the snapshot, in the order of its name
        arrays, counted at once: how many of the registry's names share its first given name and
        (compacted) surname, as ``Frequencies.pairs`` counts them."""
        from . import engine

        compact_names, compact_of = self._compacted
        by_compact = self.name_given * len(compact_names) + compact_of[self.name_surname]
        _, inverse, counts = np.unique(by_compact, return_inverse=True, return_counts=True)
        prior = engine.PRIOR_PEOPLE * engine.SURNAME_PRIOR_FREQUENCY * engine.GIVEN_PRIOR_FREQUENCY
        shared = counts[inverse.reshape(-1)]
        return (np.maximum(shared - 1, 0) + prior) / (len(self.name_surname) + engine.PRIOR_PEOPLE)

    @cached_property
    def frequencies(self) -> Frequencies:
        """``engine.name_frequencies`` counted from the arrays instead of a grouped query."""
        items = self.vocab.items
        compact_names, compact_of = self._compacted
        surnames = compact_of[self.name_surname]
        surname_counts = np.bincount(surnames, minlength=len(compact_names))
        given_counts = np.bincount(self.name_given, minlength=len(items))
        pair_codes, pair_counts = np.unique(self.name_given * len(compact_names) + surnames, return_counts=True)
        width = len(compact_names)
        parts: dict[str, int] = defaultdict(int)
        for i, c in enumerate(np.bincount(self.name_surname, minlength=len(items)).tolist()):
            if c:
                for part in compound_parts(items[i]):
                    parts[part] += c
        frequencies = Frequencies(
            total=len(self.name_surname),
            surnames={compact_names[i]: int(c) for i, c in enumerate(surname_counts.tolist()) if c},
            given={items[i]: int(c) for i, c in enumerate(given_counts.tolist()) if c},
            pairs={
                (items[code // width], compact_names[code % width]): int(c)
                for code, c in zip(pair_codes.tolist(), pair_counts.tolist(), strict=True)
            },
            loaded_at=time.monotonic(),
            surname_parts=dict(parts),
        )
        frequencies.warm()
        return frequencies


_snapshot: RegistrySnapshot | None = None


def registry_snapshot() -> RegistrySnapshot:
    """This process's snapshot, read at the first call."""
    global _snapshot
    if _snapshot is None:
        _snapshot = RegistrySnapshot()
    return _snapshot


def forget_snapshot() -> None:
    global _snapshot
    _snapshot = None
