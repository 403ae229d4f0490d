"""The blocking index: ``MatchKey`` rows kept in step with the registrants' names and dates of
birth. The services call ``refresh_match_keys`` after every change of a record; bulk loaders
call it once per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ..keys import registrant_match_keys
from ..models import MatchKey, RegistrantBirthDate, RegistrantName


def wanted_match_keys(registrant_ids: Iterable[int]) -> dict[int, set[str]]:
    ids = list(registrant_ids)
    names: dict[int, list[tuple[str, str]]] = defaultdict(list)
    dates: dict[int, list] = defaultdict(list)
    for rid, given, surname in RegistrantName.objects.filter(registrant_id__in=ids).values_list(
        "registrant_id", "norm_given", "norm_surname"
    ):
        names[rid].append((given, surname))
    for rid, dob in RegistrantBirthDate.objects.filter(registrant_id__in=ids).values_list("registrant_id", "date"):
        dates[rid].append(dob)
    return {rid: registrant_match_keys(names[rid], dates[rid]) for rid in ids}


def refresh_match_keys(registrant_ids: Iterable[int]) -> None:
    """Make the stored keys of these registrants equal to the keys their names and dates of
    birth give (four queries at most, whatever the number of registrants)."""
    wanted = wanted_match_keys(registrant_ids)
    if not wanted:
        return
    stale: list[tuple[int, str]] = []
    have: dict[int, set[str]] = defaultdict(set)
    for rid, key in MatchKey.objects.filter(registrant_id__in=list(wanted)).values_list("registrant_id", "key"):
        if key in wanted[rid]:
            have[rid].add(key)
        else:
            stale.append((rid, key))
    if stale:
        MatchKey.objects.filter(pk__in=stale).delete()
    missing = [MatchKey(registrant_id=rid, key=key) for rid, keys in wanted.items() for key in keys - have[rid]]
    if missing:
        MatchKey.objects.bulk_create(missing, batch_size=5000)
