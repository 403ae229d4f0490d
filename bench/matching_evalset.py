"""Labelled evaluation set for identity matching: hits derived from registrants by each variation
the matcher must catch, plus hits of people who are not registered, drawn from the same name
pools (so that collisions with registrants are common).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_match_bench \
    .venv/bin/python bench/matching_evalset.py --registered 50000 --unregistered 50000 --out var/match_eval

Writes ``hits.csv`` (the columns of ``manage.py screen``) and ``labels.csv`` (record_id, variation,
true registrant external_id or empty for an unregistered person). Registered hits are made from
registrants sampled at random from the database; every variation is applied only where it can
be (a nickname needs a given name that has one, a compound surname needs two parts, ...), and
the variations are spread evenly. All data is synthetic (``BENCH-`` registrants).

Two errors in one report: ``--combine transliteration --with dob_digit --base var/match_eval
--out var/match_eval_combo`` applies a second variation to the hits of one variation of an
existing set (here a date of birth one digit off on top of a name in another romanization) and
writes them, labelled ``transliteration+dob_digit``, as a set of their own for
``bench/matching_bench.py --data var/match_eval_combo``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import unicodedata
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from generate_registrants import DOB_SPAN, DOB_START, MIDDLE, random_person  # noqa: E402
from nicknames import NickNamer  # noqa: E402

from registrants.matching.screening import COLUMNS  # noqa: E402

# Spelling variants seen across transliteration systems (Arabic, Cyrillic, Vietnamese, ...).
TRANSLITERATIONS = [
    {"Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed", "Mohamad"},
    {"Ahmed", "Ahmad"},
    {"Omar", "Umar"},
    {"Youssef", "Yusuf", "Yousef", "Youssouf"},
    {"Hussein", "Husein", "Hussain", "Husayn"},
    {"Hassan", "Hasan"},
    {"Khalid", "Khaled"},
    {"Abdullah", "Abdallah", "Abdulla"},
    {"Mustafa", "Mostafa", "Moustafa"},
    {"Tariq", "Tarik", "Tareq"},
    {"Aisha", "Ayesha", "Aicha"},
    {"Mariam", "Maryam", "Miriam"},
    {"Aleksandr", "Alexander", "Aleksander", "Alexandr"},
    {"Oleksandr", "Olexandr", "Aleksandr"},
    {"Dmitri", "Dmitriy", "Dmitry", "Dimitri"},
    {"Sergei", "Sergey", "Serguei"},
    {"Nikolai", "Nikolay", "Nicolai"},
    {"Mikhail", "Michail"},
    {"Andrei", "Andrey"},
    {"Yuri", "Yuriy", "Iouri"},
    {"Volodymyr", "Vladimir", "Wolodymyr"},
    {"Natalia", "Natalya", "Nataliya"},
    {"Tatiana", "Tatyana", "Tatjana"},
    {"Piotr", "Pyotr", "Petr"},
    {"Nguyen", "Nguen", "Nguyễn", "Nguyn"},
    {"Tran", "Trần"},
    {"Pham", "Phạm", "Fam"},
    {"Le", "Lê"},
    {"Zhang", "Chang"},
    {"Liu", "Lau"},
    {"Huang", "Wong", "Hwang"},
    {"Chen", "Chan", "Chin"},
    {"Wu", "Woo", "Ng"},
    {"Choi", "Choe", "Chey"},
    {"Jung", "Chung", "Jeong"},
    {"Park", "Pak", "Bak"},
    {"Lee", "Yi", "Rhee"},
    {"Ivanov", "Ivanoff", "Iwanow"},
    {"Smirnov", "Smirnoff"},
    {"Popov", "Popoff"},
    {"Kuznetsov", "Kuznetzov", "Kusnezow"},
    {"Petrov", "Petroff"},
    {"Volkov", "Wolkow"},
    {"Shevchenko", "Schewtschenko", "Sevcenko"},
    {"Al-Sayed", "El-Sayed", "Al Sayed", "Alsayed", "Elsayed"},
    {"Al-Masri", "El-Masri", "Almasri"},
    {"Abdel-Rahman", "Abdul Rahman", "Abdelrahman", "Abd al-Rahman"},
    {"Qureshi", "Kureshi", "Qurashi"},
    {"Khoury", "Khouri", "Khuri"},
    {"Mansour", "Mansur"},
    {"Farouk", "Farooq", "Faruk"},
]
TRANSLIT = {}
for group in TRANSLITERATIONS:
    for name in group:
        TRANSLIT.setdefault(name, set()).update(group - {name})

ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ü", "n": "ñ", "c": "ç"}

VARIATIONS = [
    "exact", "typo", "transposition", "middle_missing", "middle_extra", "swapped", "compound", "nickname",
    "transliteration", "accents", "dob_swapped", "dob_digit", "alias",
]  # fmt: skip


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


class Variations:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.namer = NickNamer()

    def _pick_field(self, person: dict, min_len: int = 4) -> str | None:
        fields = [f for f in ("surname", "given_name") if len(strip_accents(person[f]).replace(" ", "")) >= min_len]
        return self.rng.choice(fields) if fields else None

    def typo(self, p: dict) -> dict | None:
        f = self._pick_field(p)
        if f is None:
            return None
        text = p[f]
        i = self.rng.randrange(1, len(text))  # the first letter is kept, as in most keying errors
        letter = self.rng.choice("abcdefghiklmnoprstuvwy")
        op = self.rng.choice(("delete", "insert", "replace"))
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + letter + text[i:]
        else:
            if text[i].lower() == letter:
                letter = "x"
            text = text[:i] + letter + text[i + 1 :]
        return {**p, f: text}

    def transposition(self, p: dict) -> dict | None:
        f = self._pick_field(p)
        if f is None:
            return None
        text = p[f]
        spots = [
            i for i in range(1, len(text) - 1) if text[i] != text[i + 1] and text[i].isalpha() and text[i + 1].isalpha()
        ]
        if not spots:
            return None
        i = self.rng.choice(spots)
        return {**p, f: text[:i] + text[i + 1] + text[i] + text[i + 2 :]}

    def middle_missing(self, p: dict) -> dict | None:
        return {**p, "middle_name": ""} if p["middle_name"] else None

    def middle_extra(self, p: dict) -> dict | None:
        if p["middle_name"]:
            return None
        return {**p, "middle_name": self.rng.choice([m for m in MIDDLE if len(m) > 2])}

    def swapped(self, p: dict) -> dict | None:
        return {**p, "given_name": p["surname"], "surname": p["given_name"]}

    def compound(self, p: dict) -> dict | None:
        surname = p["surname"]
        parts = surname.replace("-", " ").split()
        if len(parts) < 2:
            return None
        choice = self.rng.choice(("first", "last", "hyphen", "space"))
        if choice == "first":
            text = parts[0] if len(parts[0]) > 3 else " ".join(parts[:2])
        elif choice == "last":
            text = parts[-1]
        elif choice == "hyphen":
            text = "-".join(parts)
        else:
            text = " ".join(parts)
        if text == surname:
            text = parts[-1]
        return {**p, "surname": text}

    def nickname(self, p: dict) -> dict | None:
        given = p["given_name"].split()[0] if p["given_name"] else ""
        nicks = sorted(n for n in self.namer.nicknames_of(strip_accents(given).lower()) if len(n) > 1)
        if not nicks:
            return None
        return {**p, "given_name": self.rng.choice(nicks).title()}

    def transliteration(self, p: dict) -> dict | None:
        options = [f for f in ("given_name", "surname") if p[f] in TRANSLIT]
        if not options:
            return None
        f = self.rng.choice(options)
        return {**p, f: self.rng.choice(sorted(TRANSLIT[p[f]]))}

    def accents(self, p: dict) -> dict | None:
        f = self.rng.choice(("given_name", "surname"))
        text = p[f]
        if strip_accents(text) != text:
            return {**p, f: strip_accents(text)}
        spots = [i for i, c in enumerate(text) if c in ACCENTED]
        if not spots:
            return None
        i = self.rng.choice(spots)
        return {**p, f: text[:i] + ACCENTED[text[i]] + text[i + 1 :]}

    def dob_swapped(self, p: dict) -> dict | None:
        d = p["dob"]
        if d.day > 12 or d.day == d.month:
            return None
        return {**p, "dob": date(d.year, d.day, d.month)}

    def dob_digit(self, p: dict) -> dict | None:
        d = p["dob"]
        text = d.strftime("%Y%m%d")
        for _ in range(20):
            i = self.rng.choice((2, 3, 4, 5, 6, 7))  # century digits stay
            digit = str(self.rng.randrange(10))
            if digit == text[i]:
                continue
            candidate = text[:i] + digit + text[i + 1 :]
            try:
                new = date(int(candidate[:4]), int(candidate[4:6]), int(candidate[6:]))
            except ValueError:
                continue
            if new <= date(2008, 1, 1):
                return {**p, "dob": new}
        return None

    def alias(self, p: dict) -> dict | None:
        if not p["aliases"]:
            return None
        given, middle, surname = self.rng.choice(p["aliases"])
        return {**p, "given_name": given, "middle_name": middle, "surname": surname}

    def exact(self, p: dict) -> dict | None:
        return dict(p)


def _first_citizenship(value) -> str:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return (value or ["US"])[0]


def sample_registrants(rng: random.Random, count: int) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id), count(*) FROM registrants_registrant")
        low, high, total = cursor.fetchone()
        # Keys drawn over the whole range, as many more as the range has gaps (deleted records).
        span = high - low + 1
        ids = sorted(set(rng.sample(range(low, high + 1), min(span, (int(count * 1.05) + 100) * span // total))))
        cursor.execute(
            "SELECT id, external_id, given_name, middle_name, surname, date_of_birth, sex, citizenships "
            "FROM registrants_registrant WHERE id = ANY(%s) AND date_of_birth IS NOT NULL",
            [ids],
        )
        people = {
            row[0]: {
                "external_id": row[1], "given_name": row[2], "middle_name": row[3], "surname": row[4], "dob": row[5],
                "sex": row[6], "nationality": _first_citizenship(row[7]), "aliases": [],
            }
            for row in cursor.fetchall()
        }  # fmt: skip
        cursor.execute(
            "SELECT registrant_id, given_name, middle_name, surname FROM registrants_registrantname "
            "WHERE registrant_id = ANY(%s) AND kind = 'alias'",
            [list(people)],
        )
        for rid, given, middle, surname in cursor.fetchall():
            people[rid]["aliases"].append((given, middle, surname))
        # Aliases are rare (a few per cent): make sure the alias variation has people to work on.
        cursor.execute(
            "SELECT DISTINCT registrant_id FROM registrants_registrantname WHERE kind = 'alias' "
            "AND registrant_id %% 97 = %s LIMIT %s",
            [rng.randrange(97), max(count // len(VARIATIONS), 1) * 2],
        )
        extra = [row[0] for row in cursor.fetchall() if row[0] not in people]
        if extra:
            cursor.execute(
                "SELECT r.id, r.external_id, r.given_name, r.middle_name, r.surname, r.date_of_birth, r.sex, "
                "r.citizenships, n.given_name, n.middle_name, n.surname FROM registrants_registrant r "
                "JOIN registrants_registrantname n ON n.registrant_id = r.id AND n.kind = 'alias' WHERE r.id = ANY(%s)",
                [extra],
            )
            for row in cursor.fetchall():
                person = people.setdefault(
                    row[0],
                    {
                        "external_id": row[1], "given_name": row[2], "middle_name": row[3], "surname": row[4],
                        "dob": row[5], "sex": row[6], "nationality": _first_citizenship(row[7]), "aliases": [],
                    },
                )  # fmt: skip
                person["aliases"].append((row[8], row[9], row[10]))
    result = list(people.values())
    rng.shuffle(result)
    return result


def combine(base: Path, out: Path, variation: str, second: str, seed: int) -> None:
    """The hits of ``variation`` in the set at ``base`` with ``second`` applied as well."""
    vary = Variations(random.Random(seed))
    with (base / "labels.csv").open(encoding="utf-8") as f:
        labels = {row["record_id"]: row for row in csv.DictReader(f)}
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    with (
        (base / "hits.csv").open(encoding="utf-8") as source,
        (out / "hits.csv").open("w", newline="", encoding="utf-8") as hits_file,
        (out / "labels.csv").open("w", newline="", encoding="utf-8") as labels_file,
    ):
        reader = csv.DictReader(source)
        hits = csv.DictWriter(hits_file, reader.fieldnames)
        hits.writeheader()
        labels_out = csv.writer(labels_file)
        labels_out.writerow(["record_id", "variation", "registrant_external_id"])
        for row in reader:
            label = labels[row["record_id"]]
            if label["variation"] != variation:
                continue
            person = {
                "given_name": row["given_name"], "middle_name": row["middle_name"], "surname": row["surname"],
                "dob": date.fromisoformat(row["date_of_birth"]), "sex": row["sex"],
                "nationality": row["nationality"], "aliases": [],
            }  # fmt: skip
            varied = getattr(vary, second)(person)
            if varied is None:
                continue
            row.update(given_name=varied["given_name"], middle_name=varied["middle_name"], surname=varied["surname"])
            row["date_of_birth"] = varied["dob"].isoformat()
            hits.writerow(row)
            labels_out.writerow([row["record_id"], f"{variation}+{second}", label["registrant_external_id"]])
            written += 1
    print(f"written {written} hits ({variation}+{second}) to {out / 'hits.csv'}, labels to {out / 'labels.csv'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registered", type=int, default=50000, help="hits of registered people")
    parser.add_argument("--unregistered", type=int, default=50000, help="hits of people not in the registry")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="var/match_eval")
    parser.add_argument("--combine", choices=VARIATIONS, help="derive from --base the hits of this variation ...")
    parser.add_argument("--with", dest="second", choices=VARIATIONS, help="... with this variation applied as well")
    parser.add_argument("--base", default="var/match_eval", help="the set --combine derives from")
    args = parser.parse_args()
    if args.combine:
        if not args.second:
            parser.error("--combine needs --with")
        combine(Path(args.base), Path(args.out), args.combine, args.second, args.seed)
        return
    rng = random.Random(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    people = sample_registrants(rng, args.registered * 3)
    vary = Variations(rng)
    per_variation = args.registered // len(VARIATIONS)
    # Rare variations (alias, compound, nickname, ...) first take the people they can work on.
    pools: dict[str, list[dict]] = defaultdict(list)
    used: set[str] = set()
    order = ["alias", "compound", "transliteration", "nickname", "dob_swapped", "middle_missing", "middle_extra"]
    order += [v for v in VARIATIONS if v not in order]
    for variation in order:
        fn = getattr(vary, variation)
        for person in people:
            if len(pools[variation]) >= per_variation:
                break
            if person["external_id"] in used:
                continue
            hit = fn(person)
            if hit is not None:
                pools[variation].append(hit)
                used.add(person["external_id"])
    counts = Counter()
    with (
        (out / "hits.csv").open("w", newline="", encoding="utf-8") as hits_file,
        (out / "labels.csv").open("w", newline="", encoding="utf-8") as labels_file,
    ):
        hits = csv.writer(hits_file)
        labels = csv.writer(labels_file)
        hits.writerow(COLUMNS)
        labels.writerow(["record_id", "variation", "registrant_external_id"])
        n = 0

        def write(hit: dict, variation: str, truth: str) -> None:
            nonlocal n
            n += 1
            record_id = f"EV{n:07d}"
            hits.writerow([
                record_id, "arrival", "TECS", "2026-11-20T10:00:00Z", "IAD", hit["given_name"], hit["middle_name"],
                hit["surname"], hit["dob"].isoformat(), hit["sex"], hit["nationality"], "", "", "", "XX100",
            ])  # fmt: skip
            labels.writerow([record_id, variation, truth])
            counts[variation] += 1

        for variation, pool in pools.items():
            for hit in pool:
                write(hit, variation, hit["external_id"])
        for _ in range(args.unregistered):
            sex, given, middle, surname = random_person(rng)
            dob = DOB_START + timedelta(days=rng.randrange(DOB_SPAN))
            nationality = "US" if rng.random() < 0.93 else rng.choice(["MX", "CA", "GB", "VN", "PH", "IN"])
            write(
                {"given_name": given, "middle_name": middle, "surname": surname, "dob": dob, "sex": sex,
                 "nationality": nationality},
                "unregistered",
                "",
            )  # fmt: skip
    for variation, count in sorted(counts.items()):
        print(f"{variation:16} {count:>7}")
    print(f"written {sum(counts.values())} hits to {out / 'hits.csv'}, labels to {out / 'labels.csv'}")


if __name__ == "__main__":
    main()
