"""Identity matching: each variation of a reported identity finds the registrant behind it,
against a registry that also holds decoys (same names, same dates of birth, similar people)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from registrants.choices import IdentifierKind
from registrants.keys import registrant_match_keys
from registrants.matching import Decision, Document, Subject, match_subject, match_subjects
from registrants.models import MatchKey, Registrant
from registrants.services import registrant_create, registrant_update
from tests.conftest import requires_postgres
from tests.factories import AgencyFactory

PEOPLE = {
    # targets
    "william": dict(given_name="William", middle_name="Robert", surname="Johnson", date_of_birth=date(1975, 3, 14),
                    sex="M", citizenships=["US"],
                    identifiers=[{"kind": IdentifierKind.PASSPORT, "value": "512 345 678", "issuing_country": "US"}]),
    "margaret": dict(given_name="Margaret", middle_name="Ann", surname="O'Brien", date_of_birth=date(1968, 11, 5),
                     sex="F", citizenships=["US"]),
    "mohammed": dict(given_name="Mohammed", surname="Al-Masri", date_of_birth=date(1980, 6, 21), sex="M",
                     citizenships=["JO"]),
    "aleksandr": dict(given_name="Aleksandr", surname="Ivanov", date_of_birth=date(1979, 12, 1), sex="M",
                      citizenships=["US", "RU"]),
    "thanh": dict(given_name="Thanh", surname="Nguyen", date_of_birth=date(1983, 4, 9), sex="M"),
    "jose": dict(given_name="José", surname="García López", date_of_birth=date(1970, 8, 25), sex="M",
                 citizenships=["MX"]),
    "catherine": dict(given_name="Catherine", surname="Müller-Schmidt", date_of_birth=date(1977, 9, 30), sex="F"),
    "robert": dict(given_name="Robert", surname="Smith", date_of_birth=date(1965, 1, 22), sex="M",
                   aliases=[{"given_name": "Bobby", "middle_name": "", "surname": "Stone"}]),
    "aisha": dict(given_name="Aisha", surname="Haddad", date_of_birth=date(1986, 2, 3), sex="F"),
    # decoys: the same or similar names with other dates of birth, other people on the same dates
    "william_other": dict(given_name="William", surname="Johnson", date_of_birth=date(1982, 7, 2), sex="M"),
    "richard_johnson": dict(given_name="Richard", surname="Johnson", date_of_birth=date(1975, 3, 14), sex="M"),
    "willa": dict(given_name="Willa", surname="Johnston", date_of_birth=date(1975, 3, 14), sex="F"),
    "margaret_other": dict(given_name="Margaret", surname="O'Brien", date_of_birth=date(1971, 2, 20), sex="F"),
    "mahmoud": dict(given_name="Mahmoud", surname="Al-Masri", date_of_birth=date(1990, 1, 15), sex="M"),
    "ahmed": dict(given_name="Ahmed", surname="Al-Masri", date_of_birth=date(1980, 6, 21), sex="M"),
    "aleksandr_other": dict(given_name="Aleksandr", surname="Ivanov", date_of_birth=date(1985, 5, 5), sex="M"),
    "dmitri": dict(given_name="Dmitri", surname="Ivanov", date_of_birth=date(1979, 12, 1), sex="M"),
    "minh": dict(given_name="Minh", surname="Nguyen", date_of_birth=date(1983, 4, 9), sex="M"),
    "jose_other": dict(given_name="José", surname="García", date_of_birth=date(1966, 2, 17), sex="M"),
    "john_1": dict(given_name="John", surname="Smith", date_of_birth=date(1960, 1, 1), sex="M"),
    "john_2": dict(given_name="John", surname="Smith", date_of_birth=date(1972, 6, 30), sex="M"),
    "john_3": dict(given_name="John", middle_name="Paul", surname="Smith", date_of_birth=date(1988, 10, 10), sex="M"),
    "john_4": dict(given_name="Jon", surname="Smyth", date_of_birth=date(1950, 5, 6), sex="M"),
}  # fmt: skip


@pytest.fixture
def registry(db):
    agency = AgencyFactory(code="TX", name="Texas DPS SOR", jurisdiction="TX", ori="TX0000000")
    people = {}
    for n, (label, fields) in enumerate(PEOPLE.items()):
        people[label] = registrant_create(actor=None, registering_agency=agency, external_id=f"TX-{n:04d}", **fields)
    return people


def best(result):
    assert result.candidates, "no candidate"
    return result.candidates[0]


def assert_found(subject: Subject, person: Registrant, *, explains: str = "", decisions=("match", "review")):
    result = match_subject(subject)
    top = best(result)
    assert top.registrant_id == person.pk, f"top candidate {top.external_id}: {top.explanation}"
    assert top.decision in decisions, f"{top.decision} {top.score}: {top.explanation}"
    assert explains in top.explanation
    assert 0.0 <= top.score <= 1.0
    return top


def test_exact_copy_is_a_match(registry):
    top = assert_found(
        Subject(
            given_name="William",
            middle_name="Robert",
            surname="Johnson",
            date_of_birth=date(1975, 3, 14),
            sex="M",
            nationality="US",
        ),
        registry["william"],
        decisions=("match",),
    )
    assert top.fields["surname"] == "exact JOHNSON"
    assert top.fields["DOB"] == "exact"
    assert top.external_id == registry["william"].external_id


def test_typo(registry):
    assert_found(
        Subject(given_name="Wiliam", surname="Johmson", date_of_birth=date(1975, 3, 14)),
        registry["william"],
        explains="JOHMSON~JOHNSON",
    )


def test_transposed_letters(registry):
    assert_found(
        Subject(given_name="Thanh", surname="Nugyen", date_of_birth=date(1983, 4, 9)),
        registry["thanh"],
        explains="surname: spelling variant NUGYEN~NGUYEN",
    )


def test_missing_middle_name(registry):
    assert_found(
        Subject(given_name="Margaret", surname="O'Brien", date_of_birth=date(1968, 11, 5), sex="F"),
        registry["margaret"],
        explains="surname: exact OBRIEN",
    )


def test_extra_middle_name(registry):
    assert_found(
        Subject(given_name="Thanh", middle_name="Van", surname="Nguyen", date_of_birth=date(1983, 4, 9)),
        registry["thanh"],
        explains="given name: exact THANH",
    )


def test_a_middle_name_on_one_side_only_costs_a_little_and_is_explained(registry):
    from registrants.matching import engine

    def weight(**fields):
        found = {
            c.registrant_id: c for c in match_subject(Subject(date_of_birth=date(1968, 11, 5), **fields)).candidates
        }
        return found[registry["margaret"].pk]

    names = dict(given_name="Margaret", surname="O'Brien", sex="F")
    both = weight(middle_name="Ann", **names)
    registered_only = weight(**names)  # the registry has Ann, the report no middle name
    assert "middle name: in the registry only (ANN)" in registered_only.explanation
    assert both.weight - registered_only.weight == pytest.approx(
        engine.MIDDLE_WEIGHT[engine.EXACT] - engine.MIDDLE_ONE_SIDED
    )
    assert registered_only.decision == "match"  # a dropped middle name alone changes nothing
    # ... and a middle name the registry does not hold
    thanh = match_subject(
        Subject(given_name="Thanh", middle_name="Van", surname="Nguyen", date_of_birth=date(1983, 4, 9))
    )
    assert "middle name: in the report only (VAN)" in best(thanh).explanation
    # no middle name on either side costs nothing, and is not mentioned
    plain = match_subject(Subject(given_name="Thanh", surname="Nguyen", date_of_birth=date(1983, 4, 9)))
    assert "middle name" not in best(plain).explanation
    assert best(plain).weight - best(thanh).weight == pytest.approx(-engine.MIDDLE_ONE_SIDED)


@pytest.mark.parametrize("side", ["report", "registry"])
def test_a_middle_name_written_after_the_given_name_counts_as_the_middle_name(registry, side):
    if side == "report":  # "Margaret Ann" in the given name field, as some feeds send it
        subject = Subject(given_name="Margaret Ann", surname="O'Brien", date_of_birth=date(1968, 11, 5), sex="F")
        person = registry["margaret"]
    else:
        person = registrant_create(
            actor=None,
            registering_agency=registry["margaret"].registering_agency,
            external_id="TX-ANN",
            given_name="Lucinda Ann",
            surname="Featherstonehaugh",
            date_of_birth=date(1969, 4, 2),
            sex="F",
        )
        subject = Subject(
            given_name="Lucinda",
            middle_name="Ann",
            surname="Featherstonehaugh",
            date_of_birth=date(1969, 4, 2),
            sex="F",
        )
    top = best(match_subject(subject))
    assert top.registrant_id == person.pk
    assert "middle name: exact ANN" in top.explanation


def test_given_name_and_surname_swapped(registry):
    assert_found(
        Subject(given_name="Ivanov", surname="Aleksandr", date_of_birth=date(1979, 12, 1)),
        registry["aleksandr"],
        explains="names: given name and surname swapped",
    )


def test_compound_surname_reported_in_part(registry):
    assert_found(
        Subject(given_name="Jose", surname="Garcia", date_of_birth=date(1970, 8, 25)),
        registry["jose"],
        explains="surname: compound surname part GARCIA~GARCIA LOPEZ",
    )


def test_compound_surname_hyphenated(registry):
    assert_found(
        Subject(given_name="Jose", surname="Garcia-Lopez", date_of_birth=date(1970, 8, 25)),
        registry["jose"],
        explains="surname: exact GARCIA LOPEZ",
    )


def test_hyphenated_surname_reported_in_part(registry):
    assert_found(
        Subject(given_name="Catherine", surname="Schmidt", date_of_birth=date(1977, 9, 30)),
        registry["catherine"],
        explains="compound surname part SCHMIDT~MULLER SCHMIDT",
    )


@pytest.mark.parametrize(
    ("given", "person", "explains"),
    [("Bill", "william", "nickname BILL~WILLIAM"), ("Peggy", "margaret", "nickname PEGGY~MARGARET")],
)
def test_nicknames(registry, given, person, explains):
    target = registry[person]
    assert_found(
        Subject(given_name=given, surname=target.surname, date_of_birth=target.date_of_birth),
        target,
        explains=explains,
    )


@pytest.mark.parametrize(
    ("given", "surname", "person"),
    [
        ("Muhammad", "Al Masri", "mohammed"),
        ("Mohamed", "Almasri", "mohammed"),
        ("Alexander", "Ivanov", "aleksandr"),
        ("Thanh", "Nguen", "thanh"),
    ],
)
def test_transliteration(registry, given, surname, person):
    target = registry[person]
    assert_found(Subject(given_name=given, surname=surname, date_of_birth=target.date_of_birth), target)


def test_given_name_transliterated_beyond_phonetic_keys(registry):
    # Eysha and Aisha differ in metaphone and spelling, and the transliteration tables do not have
    # Eysha: only the match rating approach joins them.
    top = assert_found(
        Subject(given_name="Eysha", surname="Haddad", date_of_birth=date(1986, 2, 3), sex="F"),
        registry["aisha"],
        explains="given name: similar sound EYSHA~AISHA",
    )
    assert top.fields["surname"] == "exact HADDAD"


def test_given_name_in_the_transliteration_tables(registry):
    # Ayesha and Aisha are one Arabic name in two romanizations (the name-variants tables).
    top = assert_found(
        Subject(given_name="Ayesha", surname="Haddad", date_of_birth=date(1986, 2, 3), sex="F"),
        registry["aisha"],
        explains="given name: transliteration variant AYESHA~AISHA",
        decisions=("match",),
    )
    assert top.fields["surname"] == "exact HADDAD"


@pytest.fixture
def register(db):
    """Registers people with one SORA for the test: ``register(external_id, **fields)``."""
    agency = AgencyFactory(code="CA", name="California DOJ", jurisdiction="CA", ori="CA0000000")

    def register(external_id: str, **fields) -> Registrant:
        return registrant_create(actor=None, registering_agency=agency, external_id=external_id, **fields)

    return register


@pytest.mark.parametrize(
    ("registered", "reported"),
    [("Lee", "Rhee"), ("Park", "Bak"), ("Wu", "Ng"), ("Zhou", "Chow")],
)
def test_east_asian_surname_in_another_romanization(register, registered, reported):
    """Korean and Chinese surnames romanized another way (Lee~Rhee, Park~Bak, Cantonese Ng for
    Wu) neither sound alike by metaphone nor are spelling variants; the transliteration tables join
    them, as rare as all their spellings together."""
    person = register("CA-1", given_name="Min-jun", surname=registered, date_of_birth=date(1981, 6, 17), sex="M")
    top = assert_found(
        Subject(given_name="Min-jun", surname=reported, date_of_birth=date(1981, 6, 17), sex="M"), person
    )
    assert top.fields["surname"] == f"transliteration variant {reported.upper()}~{registered.upper()}"
    assert top.fields["given name"] == "exact MIN"


def test_another_romanization_is_found_without_the_exact_date_of_birth(register):
    """With the date of birth one digit off, only the name keys find a candidate: the subject's
    surname is also looked up as its other romanizations (RHEE as LEE), and its given name as
    the other romanizations of it."""
    lee = register("CA-1", given_name="Min-jun", surname="Lee", date_of_birth=date(1981, 6, 17), sex="M")
    aisha = register("CA-2", given_name="Aisha", surname="Qasim", date_of_birth=date(1990, 2, 11), sex="F")
    result = match_subject(Subject(given_name="Min-jun", surname="Rhee", date_of_birth=date(1981, 6, 27), sex="M"))
    assert [c.registrant_id for c in result.candidates] == [lee.pk]
    assert result.candidates[0].fields["surname"] == "transliteration variant RHEE~LEE"
    assert result.candidates[0].fields["DOB"] == "one digit different"
    result = match_subject(Subject(given_name="Ayesha", surname="Qasim", date_of_birth=date(1990, 2, 21), sex="F"))
    assert [c.registrant_id for c in result.candidates] == [aisha.pk]
    assert result.candidates[0].fields["given name"] == "transliteration variant AYESHA~AISHA"


def test_a_transliteration_weighs_as_rare_as_its_family():
    """A surname agreeing only as a transliteration agrees by chance as often as any spelling of
    its family does: Yi~Rhee counts the registry's Lees and Lis as well."""
    from registrants.matching.engine import PRIOR_PEOPLE, SURNAME_PRIOR_FREQUENCY, Frequencies

    freqs = Frequencies(1000, {"LEE": 40, "LI": 30, "YI": 5, "RHEE": 1, "SMITH": 924}, {}, {}, 0.0)
    prior = PRIOR_PEOPLE * SURNAME_PRIOR_FREQUENCY
    exact, _sound, _part, family = freqs.surname_stats("RHEE")
    assert exact == pytest.approx((0 + prior) / (1000 + PRIOR_PEOPLE))
    assert family >= (40 + 30 + 5 + 1 - 1 + prior) / (1000 + PRIOR_PEOPLE)
    assert family < (924 + prior) / (1000 + PRIOR_PEOPLE)
    # a name in no cluster: its family is itself
    assert freqs.surname_stats("SMITH")[3] == freqs.surname_stats("SMITH")[0]


def test_sounding_alike_is_compared_only_for_candidates_it_can_bring_to_review(registry, monkeypatch):
    """The match rating approach runs pair by pair, so only where a name sounding alike could
    lift a candidate to the review threshold: not for people merely born on the reported day."""
    from registrants.matching import engine

    compared = []
    similar_sound = engine._similar_sound

    def recording(a, b):
        compared.append((a, b))
        return similar_sound(a, b)

    monkeypatch.setattr(engine, "_similar_sound", recording)
    # William Johnson's date of birth, a name nobody on that date has: three candidates by the date alone
    result = match_subject(Subject(given_name="Eysha", surname="Haddad", date_of_birth=date(1975, 3, 14)))
    assert result.blocked == 3 and result.decision == Decision.NO_MATCH
    assert compared == []
    # Aisha Haddad's own date: the given name is compared, and sounds alike
    result = match_subject(Subject(given_name="Eysha", surname="Haddad", date_of_birth=date(1986, 2, 3)))
    assert ("EYSHA", "AISHA") in compared
    assert result.candidates[0].fields["given name"] == "similar sound EYSHA~AISHA"


def test_surname_transliterated_beyond_phonetic_keys(register):
    taras = register("TX-UA", given_name="Taras", surname="Shevchenko", date_of_birth=date(1974, 3, 9), sex="M")
    top = assert_found(
        Subject(given_name="Taras", surname="Schewtschenko", date_of_birth=date(1974, 3, 9), sex="M"), taras
    )
    assert top.fields["surname"] == "similar sound SCHEWTSCHENKO~SHEVCHENKO"


def test_transliteration_from_another_script(registry):
    assert_found(
        Subject(given_name="Александр", surname="Иванов", date_of_birth=date(1979, 12, 1)),
        registry["aleksandr"],
    )


def test_accents(registry):
    assert_found(
        Subject(given_name="Catherine", surname="Muller-Schmidt", date_of_birth=date(1977, 9, 30), sex="F"),
        registry["catherine"],
        explains="surname: exact MULLER SCHMIDT",
        decisions=("match",),
    )


def test_dob_day_and_month_swapped(registry):
    assert_found(
        Subject(given_name="Thanh", surname="Nguyen", date_of_birth=date(1983, 9, 4)),
        registry["thanh"],
        explains="DOB: day and month swapped",
    )


@pytest.mark.parametrize("dob", [date(1979, 12, 7), date(1978, 12, 1), date(1989, 12, 1)])
def test_dob_one_digit_wrong(registry, dob):
    assert_found(Subject(given_name="Aleksandr", surname="Ivanov", date_of_birth=dob), registry["aleksandr"])


def test_alias_instead_of_primary_name(registry):
    top = assert_found(
        Subject(given_name="Bobby", surname="Stone", date_of_birth=date(1965, 1, 22)),
        registry["robert"],
        explains="name used: alias",
    )
    assert top.fields["surname"] == "exact STONE"


def test_common_name_other_dob_is_not_a_match(registry):
    result = match_subject(Subject(given_name="John", surname="Smith", date_of_birth=date(1961, 4, 17), sex="M"))
    assert result.decision != Decision.MATCH
    assert all(c.decision != Decision.MATCH for c in result.candidates)


def test_same_name_other_dob_is_not_a_match(registry):
    # William Johnson born 1975-03-14 is registered; another William Johnson with another DOB is not him.
    result = match_subject(Subject(given_name="William", surname="Johnson", date_of_birth=date(1990, 10, 23)))
    assert all(c.decision != Decision.MATCH for c in result.candidates)


def test_same_dob_other_name_is_no_match(registry):
    result = match_subject(Subject(given_name="Peter", surname="Kowalski", date_of_birth=date(1975, 3, 14)))
    assert result.decision == Decision.NO_MATCH
    assert result.candidates == []


def test_a_date_of_birth_alone_finds_its_registrants_without_a_key_row(registry):
    """Nothing in the name sounds like the record, so no name key finds it: the date of birth
    (and the date with day and month swapped) is looked up in the birth dates' own index."""
    from registrants.matching.engine import block, prepare

    thanh = registry["thanh"]  # born 1983-04-09
    for dob in (date(1983, 4, 9), date(1983, 9, 4)):
        (found,) = block([prepare(Subject(given_name="Xq", surname="Zzyzx", date_of_birth=dob))], [()])
        assert thanh.pk in found.candidates
    (found,) = block([prepare(Subject(given_name="Xq", surname="Zzyzx", date_of_birth=date(1983, 4, 8)))], [()])
    assert thanh.pk not in found.candidates


def test_passport_with_consistent_names_is_a_match_without_dob(registry):
    top = assert_found(
        Subject(
            given_name="Bill",
            surname="Johnson",
            documents=[Document(kind=IdentifierKind.PASSPORT, number="512345678", country="USA")],
        ),
        registry["william"],
        decisions=("match",),
    )
    assert top.fields["passport"] == "exact"


def test_passport_with_another_name_is_only_review(registry):
    result = match_subject(
        Subject(
            given_name="Peter",
            surname="Kowalski",
            documents=[Document(kind=IdentifierKind.PASSPORT, number="512345678", country="US")],
        )
    )
    assert best(result).registrant_id == registry["william"].pk
    assert result.decision == Decision.REVIEW


def test_exclude_drops_a_decided_false_match(registry):
    subject = Subject(given_name="Thanh", surname="Nguyen", date_of_birth=date(1983, 4, 9))
    result = match_subject(subject, exclude=[registry["thanh"].pk])
    assert registry["thanh"].pk not in [c.registrant_id for c in result.candidates]


def test_ranked_best_first_with_reasons(registry):
    result = match_subject(
        Subject(given_name="Mohammed", surname="Al-Masri", date_of_birth=date(1980, 6, 21), sex="M", nationality="JOR")
    )
    ids = [c.registrant_id for c in result.candidates]
    assert ids[0] == registry["mohammed"].pk
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert registry["mohammed"].pk in ids and result.decision == Decision.MATCH


def test_batch_results_in_order_and_queries_bounded(registry, django_assert_max_num_queries):
    subjects = [
        Subject(given_name="Bill", surname="Johnson", date_of_birth=date(1975, 3, 14)),
        Subject(given_name="Nobody", surname="Atall", date_of_birth=date(2001, 1, 1)),
        Subject(given_name="Peggy", surname="OBrien", date_of_birth=date(1968, 11, 5)),
        Subject(given_name="Thanh", surname="Nguen", date_of_birth=date(1983, 4, 9)),
    ] * 5
    with django_assert_max_num_queries(8):
        results = match_subjects(subjects)
    assert len(results) == 20
    assert [best(results[i]).registrant_id for i in (0, 2, 3)] == [
        registry["william"].pk,
        registry["margaret"].pk,
        registry["thanh"].pk,
    ]
    assert results[1].candidates == [] and results[1].decision == Decision.NO_MATCH


def test_exclude_must_match_subjects(registry):
    with pytest.raises(ValueError, match="one collection"):
        match_subjects([Subject(surname="X")], exclude=[])


def test_blocking_keeps_at_most_the_configured_candidates(registry, settings):
    settings.MATCH_MAX_BLOCK = 2
    result = match_subject(Subject(given_name="Richard", surname="Johnson", date_of_birth=date(1975, 3, 14)))
    assert result.blocked == 2
    assert best(result).registrant_id == registry["richard_johnson"].pk


def test_blocking_ranks_by_the_summed_weights_of_what_found_each_registrant(registry, settings):
    """Every candidate's priority is the sum of the weights of the subject's keys that find it
    (each read here on its own, as an oracle) and of its equal documents; excluded registrants
    are left out; the first ``MATCH_MAX_BLOCK`` by priority, then id, are kept."""
    from registrants.matching.engine import IDENTIFIER_PRIORITY, block, lookup_keys, prepare
    from registrants.models import Identifier, RegistrantBirthDate

    settings.MATCH_MAX_BLOCK = 3
    subjects = [
        Subject(given_name="John", surname="Smith", date_of_birth=date(1960, 1, 1)),
        Subject(given_name="William", surname="Johnson", date_of_birth=date(1975, 3, 14)),
        Subject(given_name="William", surname="Johnson", date_of_birth=date(1975, 3, 14)),
        Subject(given_name="Bill", surname="Jonson", date_of_birth=date(1975, 3, 14),
                documents=[Document(IdentifierKind.PASSPORT, "512345678", "US")]),
        Subject(given_name="Thanh", surname="Nguyen", date_of_birth=date(1983, 9, 4)),
        Subject(given_name="Nobody", surname="Atall"),
    ]  # fmt: skip
    exclude = [(), (), {registry["william"].pk}, (), (), ()]
    prepared = [prepare(s) for s in subjects]
    blocks = block(prepared, exclude)
    for p, skip, found in zip(prepared, exclude, blocks, strict=True):
        priority: dict[int, int] = {}
        for key, weight in lookup_keys(p).items():
            if key.startswith("D"):
                day = date(int(key[1:5]), int(key[5:7]), int(key[7:9]))
                rids = RegistrantBirthDate.objects.filter(date=day).values_list("registrant_id", flat=True)
            else:
                rids = MatchKey.objects.filter(key=key).values_list("registrant_id", flat=True)
            for rid in rids:
                priority[rid] = priority.get(rid, 0) + weight
        for kind, number, _country in p.documents:
            for rid in Identifier.objects.filter(kind=kind, norm_value=number).values_list("registrant_id", flat=True):
                priority[rid] = priority.get(rid, 0) + IDENTIFIER_PRIORITY
        for rid in skip:
            priority.pop(rid, None)
        assert found.candidates == sorted(priority, key=lambda rid: (-priority[rid], rid))[:3]
        assert found.keys_found == len(priority)
    assert blocks[1].candidates[0] == registry["william"].pk
    assert registry["william"].pk not in blocks[2].candidates
    assert blocks[3].identifier_hits == {registry["william"].pk: [IdentifierKind.PASSPORT]}
    assert blocks[3].candidates[0] == registry["william"].pk
    assert registry["thanh"].pk in blocks[4].candidates  # day and month swapped
    assert blocks[5].candidates == [] and blocks[5].keys_found == 0


# --- the blocking index stays in step with the record -------------------------------------------


def stored_keys(registrant: Registrant) -> set[str]:
    return set(MatchKey.objects.filter(registrant=registrant).values_list("key", flat=True))


def test_keys_stored_on_create(registry):
    person = registry["jose"]
    keys = stored_keys(person)
    assert keys == registrant_match_keys([("JOSE", "GARCIA LOPEZ")], [date(1970, 8, 25)])
    assert {"Y|KRX|JS|1970", "M|LPS|JS|0825", "N|KRXLPS|JS"} <= keys
    assert not any(k.startswith("D") for k in keys)  # dates alone: RegistrantBirthDate's index


def test_keys_follow_changes_of_name_alias_and_dob(registry):
    person = registry["thanh"]
    registrant_update(
        actor=None,
        registrant=person,
        surname="Tran",
        date_of_birth=date(1983, 4, 10),
        aliases=[{"given_name": "Tommy", "middle_name": "", "surname": "Tran"}],
    )
    keys = stored_keys(person)
    assert "M|TRN|TM|0410" in keys and not any(k.endswith("|0409") for k in keys)
    assert not any("|NKYN|" in k for k in keys)
    assert "Y|TRN|TM|1983" in keys
    top = assert_found(Subject(given_name="Tommy", surname="Tran", date_of_birth=date(1983, 4, 10)), person)
    assert top.fields["name used"] == "alias"
    assert match_subject(Subject(given_name="Thanh", surname="Nguyen", date_of_birth=date(1983, 4, 9))).decision != (
        Decision.MATCH
    )


def test_keys_are_deleted_with_their_registrant(registry):
    """The keys carry no database-level foreign key: deleting the record deletes them through
    the model's ``on_delete``, and nobody else's keys go with them."""
    person, other = registry["thanh"], registry["jose"]
    others = stored_keys(other)
    assert stored_keys(person) and others
    person_id = person.pk
    person.delete()
    assert not MatchKey.objects.filter(registrant_id=person_id).exists()
    assert stored_keys(other) == others


def test_name_frequency_weighting(registry):
    """A common surname agreeing says less than a rare one (same given name and DOB evidence)."""
    common = match_subject(Subject(given_name="John", surname="Smith", date_of_birth=date(1960, 1, 1)))
    rare = match_subject(Subject(given_name="Catherine", surname="Muller-Schmidt", date_of_birth=date(1977, 9, 30)))
    assert best(common).weight < best(rare).weight


def test_agreeing_by_sound_weighs_as_rare_as_the_sound(registry, monkeypatch):
    """SMYTHE~SMYTH agree by sound (metaphone SM0), a sound the registry's Smiths share: by chance
    that happens as often as the sound occurs, not as rarely as the spelling Smyth."""
    from registrants.matching import engine

    monkeypatch.setattr(engine, "PRIOR_PEOPLE", 100)  # the test registry's own counts decide
    exact = best(match_subject(Subject(given_name="Jon", surname="Smyth", date_of_birth=date(1950, 5, 6))))
    sound = best(match_subject(Subject(given_name="Jon", surname="Smythe", date_of_birth=date(1950, 5, 6))))
    assert "surname: phonetic match SMYTHE~SMYTH" in sound.explanation
    assert exact.registrant_id == sound.registrant_id == registry["john_4"].pk
    # more than the fixed drop of a phonetic agreement (3 bits): the four Smiths count too
    assert exact.weight - sound.weight > engine.SURNAME_DROP[engine.PHONETIC] + 3


def test_part_of_a_compound_surname_weighs_as_rare_as_the_surnames_holding_it(registry, monkeypatch):
    """ "García" agrees by chance with García, García López, Martínez García...: its weight is
    that of all the surnames holding it, not of the rare compound."""
    from registrants.matching import engine

    monkeypatch.setattr(engine, "PRIOR_PEOPLE", 100)
    whole = best(match_subject(Subject(given_name="José", surname="García López", date_of_birth=date(1970, 8, 25))))
    part = best(match_subject(Subject(given_name="José", surname="García", date_of_birth=date(1970, 8, 25))))
    assert "surname: compound surname part GARCIA~GARCIA LOPEZ" in part.explanation
    assert whole.registrant_id == part.registrant_id == registry["jose"].pk
    assert whole.weight - part.weight > engine.SURNAME_DROP[engine.PART] + 3


def read_frequencies():
    """The name frequencies read afresh by the grouped query (and not kept after)."""
    from registrants.matching import engine

    engine.forget_frequencies()
    try:
        return engine.name_frequencies()
    finally:
        engine.forget_frequencies()


def test_frequencies_count_the_parts_of_compound_surnames(registry):
    freqs = read_frequencies()
    # García López, Müller-Schmidt, and the three Al-Masri (the particle is no part)
    assert freqs.surname_parts == {"GARCIA": 1, "LOPEZ": 1, "MULLER": 1, "SCHMIDT": 1, "MASRI": 3}
    assert freqs.surname_part("GARCIA") > freqs.surname("GARCIA")


@requires_postgres
def test_blocking_on_postgres_uses_array_lookups(registry, django_assert_max_num_queries):
    subjects = [Subject(given_name="Bill", surname="Johnson", date_of_birth=date(1975, 3, 14))] * 300
    with django_assert_max_num_queries(8):
        results = match_subjects(subjects)
    assert all(best(r).registrant_id == registry["william"].pk for r in results)


@requires_postgres
def test_one_subject_reads_the_registry_in_two_statements_on_postgres(registry, settings):
    """A hit through the API waits for the server twice: the blocking keys with the dates of
    birth, then the candidates' records, names and dates together (a reported document adds its
    look-up and the candidates' documents)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.MATCH_FREQUENCY_TTL = 900  # (as in service: the name frequencies are kept)
    subject = Subject(given_name="Bill", surname="Johnson", date_of_birth=date(1975, 3, 14))
    match_subject(subject)
    with CaptureQueriesContext(connection) as ctx:
        result = match_subject(subject)
    assert best(result).registrant_id == registry["william"].pk
    keys, candidates = (q["sql"] for q in ctx.captured_queries)
    assert "registrants_matchkey" in keys and "registrants_registrantbirthdate" in keys
    for table in ("registrants_registrant ", "registrants_registrantname", "registrants_registrantbirthdate"):
        assert table in candidates
    documented = Subject(
        given_name="Bill", surname="Johnson", date_of_birth=date(1975, 3, 14), documents=[Document("passport", "X1")]
    )
    with CaptureQueriesContext(connection) as ctx:
        match_subject(documented)
    assert len(ctx.captured_queries) == 4


def test_imported_registrants_are_indexed_and_found(db):
    import io

    from registrants.importer import import_registrants

    agency = AgencyFactory(code="NV", name="Nevada SOR", jurisdiction="NV", ori="NV0000000")
    csv_text = (
        "external_id,given_name,middle_name,surname,date_of_birth,sex,aliases\n"
        "NV-1,Dmitriy,,Kuznetsov,1971-05-09,M,Dima Kuz\n"
        "NV-2,Ana,,Peña Ruiz,19880212,F,\n"
    )
    result = import_registrants(io.BytesIO(csv_text.encode()), "r.csv", agency=agency)
    assert result.created == 2
    person = Registrant.objects.get(external_id="NV-1")
    assert "M|KSNTSF|TMTR|0509" in stored_keys(person) and "Y|KSNTSF|TMTR|1971" in stored_keys(person)
    assert_found(Subject(given_name="Dmitri", surname="Kuznetsov", date_of_birth=date(1971, 5, 9)), person)
    assert_found(Subject(given_name="Dima", surname="Kuz", date_of_birth=date(1971, 5, 9)), person)
    assert_found(
        Subject(given_name="Ana", surname="Pena", date_of_birth=date(1988, 2, 12)),
        Registrant.objects.get(external_id="NV-2"),
        explains="compound surname part PENA~PENA RUIZ",
    )


@pytest.mark.django_db(transaction=True)
def test_name_frequencies_past_their_ttl_are_read_again_in_the_background(settings):
    """The first call reads the frequencies; once they are older than MATCH_FREQUENCY_TTL a call
    answers at once with the ones it has and a background thread reads them again."""
    import threading

    from registrants.matching import engine

    settings.MATCH_FREQUENCY_TTL = 60
    agency = AgencyFactory(code="TX", name="Texas DPS SOR", jurisdiction="TX", ori="TX0000000")
    registrant_create(actor=None, registering_agency=agency, external_id="F-1", given_name="Ann", surname="Quill")
    engine.forget_frequencies()
    try:
        first = engine.name_frequencies()
        assert first.surnames.get("QUILL") == 1
        assert engine.name_frequencies() is first  # within the TTL: kept
        registrant_create(actor=None, registering_agency=agency, external_id="F-2", given_name="Bo", surname="Quill")
        first.loaded_at -= 61  # past the TTL
        assert engine.name_frequencies() is first  # answered at once with what it has ...
        for thread in threading.enumerate():
            if thread.name == "name-frequencies":
                thread.join(timeout=30)
        refreshed = engine.name_frequencies()
        assert refreshed is not first and refreshed.surnames.get("QUILL") == 2  # ... and read again behind it
    finally:
        engine.forget_frequencies()


def test_warm_up_reads_the_frequencies_and_survives_a_database_not_ready(registry, monkeypatch):
    from django.db import DatabaseError

    from registrants.matching import engine

    engine.forget_frequencies()
    engine.warm_up()
    assert engine._frequencies is not None and engine._frequencies.total >= len(PEOPLE)

    def not_ready():
        raise DatabaseError("relation does not exist")

    engine.forget_frequencies()
    monkeypatch.setattr(engine, "_load_frequencies", not_ready)
    engine.warm_up()  # logged, not raised
    assert engine._frequencies is None


# --- the registry snapshot (``manage.py screen`` over a large file) ----------------------------

VARIED_SUBJECTS = [
    Subject(given_name="William", middle_name="Robert", surname="Johnson", date_of_birth=date(1975, 3, 14), sex="M",
            nationality="US"),
    Subject(given_name="Bill", surname="Jonhson", date_of_birth=date(1975, 3, 14), sex="M"),
    Subject(given_name="Johnson", surname="William", date_of_birth=date(1975, 3, 14)),
    Subject(given_name="Peggy", surname="OBrien", date_of_birth=date(1968, 5, 11), sex="F", nationality="US"),
    Subject(given_name="Muhammad", surname="Almasri", date_of_birth=date(1980, 6, 21), nationality="JO"),
    Subject(given_name="Alexander", surname="Ivanov", date_of_birth=date(1979, 12, 7), nationality="RU"),
    Subject(given_name="Thanh", surname="Nguen", date_of_birth=date(1983, 4, 9)),
    Subject(given_name="Jose", surname="Garcia", date_of_birth=date(1970, 8, 25), nationality="MX"),
    Subject(given_name="Catherine", surname="Mueller Schmidt", date_of_birth=date(1977, 9, 30), sex="M"),
    Subject(given_name="Bobby", surname="Stone", date_of_birth=date(1965, 1, 22)),
    Subject(given_name="Ayesha", surname="Hadad"),
    Subject(given_name="Peter", surname="Kowalski", documents=[Document(IdentifierKind.PASSPORT, "512345678", "US")]),
    Subject(given_name="William", surname="Johnson", date_of_birth=date(1975, 3, 14),
            documents=[Document(IdentifierKind.PASSPORT, "999999999", "US")]),
    Subject(given_name="Nobody", surname="Atall", date_of_birth=date(2001, 1, 1)),
]  # fmt: skip


def _comparable(results):
    return [
        (
            r.decision,
            r.blocked,
            [(c.registrant_id, c.score, c.decision, c.explanation, c.external_id) for c in r.candidates],
        )
        for r in results
    ]


def test_a_snapshot_of_the_registry_matches_exactly_as_the_indexes_do(registry):
    from registrants.matching import engine
    from registrants.matching.snapshot import RegistrySnapshot

    exclude = [()] * len(VARIED_SUBJECTS)
    exclude[1] = {registry["william_other"].pk}
    snapshot = RegistrySnapshot()
    assert len(snapshot) == len(PEOPLE)
    by_index = engine.match_batch(VARIED_SUBJECTS, exclude)
    assert _comparable(engine.match_batch(VARIED_SUBJECTS, exclude, snapshot)) == _comparable(by_index)
    assert snapshot.vocab.memory  # codes and frequencies of the registry's strings, remembered ...
    assert _comparable(engine.match_batch(VARIED_SUBJECTS, exclude, snapshot)) == _comparable(by_index)  # ... and used
    assert [r.candidates[0].registrant_id for r in by_index[:10]] == [
        registry[label].pk
        for label in ("william", "william", "william", "margaret", "mohammed", "aleksandr", "thanh", "jose",
                      "catherine", "robert")
    ]  # fmt: skip
    assert by_index[-1].decision == Decision.NO_MATCH


def test_a_snapshot_gives_the_full_name_frequency_of_each_of_its_names_at_once(registry):
    from registrants.keys import compact
    from registrants.matching.snapshot import RegistrySnapshot

    snapshot = RegistrySnapshot()
    items = snapshot.vocab.items
    given, surname = snapshot.name_given, snapshot.name_surname
    at_once = snapshot.name_pair_frequency
    one_by_one = [
        snapshot.frequencies.full_name(items[g], compact(items[s]))
        for g, s in zip(given.tolist(), surname.tolist(), strict=True)
    ]
    assert at_once.tolist() == one_by_one  # the same floats, bit for bit
    john, smith = snapshot.vocab.index["JOHN"], snapshot.vocab.index["SMITH"]
    assert at_once[(given == john) & (surname == smith)][0] > at_once.min()  # three John Smiths


def test_a_snapshot_counts_the_name_frequencies_as_the_grouped_query_does(registry):
    from registrants.matching.snapshot import RegistrySnapshot

    from_query = read_frequencies()
    counted = RegistrySnapshot().frequencies
    assert counted.total == from_query.total == len(PEOPLE) + 1  # Robert Smith's alias
    assert (counted.surnames, counted.given, counted.pairs) == (from_query.surnames, from_query.given, from_query.pairs)
    assert counted.surname_parts == from_query.surname_parts and counted.surname_parts["MASRI"] == 3
    assert counted.surnames["SMITH"] == 4 and counted.pairs[("JOHN", "SMITH")] == 3


@pytest.mark.parametrize("sparse", [False, True], ids=["id table", "sparse ids"])
def test_a_snapshot_leaves_out_registrants_added_after_it_was_read(registry, sparse):
    from registrants.matching import engine
    from registrants.matching.snapshot import RegistrySnapshot, position_table

    snapshot = RegistrySnapshot()
    # ids are looked up in a table, or by binary search where they are too sparse for one
    snapshot.position_of = None if sparse else position_table(snapshot.ids, sparse=True)
    later = registrant_create(
        actor=None,
        registering_agency=registry["william"].registering_agency,
        external_id="TX-LATER",
        given_name="Zebulon",
        surname="Quixley",
        date_of_birth=date(1975, 3, 14),  # William Johnson's date of birth: found through the snapshot's dates too
        identifiers=[{"kind": IdentifierKind.PASSPORT, "value": "Z1234567", "issuing_country": "US"}],
    )
    subject = Subject(
        given_name="Zebulon",
        surname="Quixley",
        date_of_birth=date(1975, 3, 14),
        documents=[Document(IdentifierKind.PASSPORT, "Z1234567", "US")],
    )
    from_snapshot = engine.match_batch([subject], [()], snapshot)[0]
    assert later.pk not in {c.registrant_id for c in from_snapshot.candidates}
    assert from_snapshot.decision == Decision.NO_MATCH
    assert match_subject(subject).candidates[0].registrant_id == later.pk  # the indexes see it
    ids = np.array([registry["william"].pk, later.pk, -1, 10**9], dtype=np.int64)
    assert snapshot.positions(ids).tolist() == [snapshot.ids.tolist().index(registry["william"].pk), -1, -1, -1]


def test_a_snapshot_vocabulary_computes_a_value_once_per_registry_string_and_every_time_for_a_batch_string():
    from registrants.matching.engine import Vocabulary, remembered

    snapshot_vocab = Vocabulary()
    snapshot_vocab.ids(["SMITH", "JONES"])
    snapshot_vocab.keep_what_is_computed()
    asked = []

    def length(ids):
        asked.append(ids.tolist())
        return [len(batch.items[i]) for i in ids.tolist()]

    for extra in ("NGUYEN", "LI"):
        batch = snapshot_vocab.copy()
        ids = batch.ids(["JONES", extra, "SMITH"])
        assert remembered(batch, "length", ids, length, np.int64).tolist() == [5, len(extra), 5]
    # the registry's strings once, in the first batch; each batch's own string in its batch
    assert asked == [[2, 1], [3], [3]]
    assert Vocabulary().memory is None  # a batch read through the indexes remembers nothing


def test_a_position_table_is_kept_only_for_ids_that_are_not_too_sparse():
    from registrants.matching.snapshot import position_table

    assert position_table(np.array([2, 5, 7])).tolist() == [-1, -1, 0, -1, -1, 1, -1, 2]
    assert position_table(np.array([1, 10_000])) is None
    assert position_table(np.array([], dtype=np.int64)).tolist() == []


def test_the_set_operations_on_id_arrays_give_what_numpy_gives():
    from registrants.matching.engine import contained, distinct, numbered

    rng = np.random.default_rng(7)
    for size in (0, 1, 2, 1_000, 50_000):
        values = rng.integers(0, 3_000, size)
        assert np.array_equal(distinct(values), np.unique(values))
        assert np.array_equal(distinct(values, 3_000), np.unique(values))
        used, number = numbered(values, 3_000)
        expected_used, expected_number = np.unique(values, return_inverse=True)
        assert np.array_equal(used, expected_used) and np.array_equal(number, expected_number)
        ordered = np.sort(rng.integers(0, 3_000, size // 2))
        assert np.array_equal(contained(values, ordered), np.isin(values, ordered))
