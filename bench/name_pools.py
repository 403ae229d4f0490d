# ruff: noqa: RUF001  (the Cyrillic transliteration table holds Cyrillic letters)
"""Weighted, long-tailed name pools for the synthetic registry and the matching evaluation set.

Names come from the person providers of Faker (census-weighted US given names and surnames;
Spanish and Mexican, Algerian and Pakistani, Russian, Ukrainian, Polish, Czech, Croatian,
Vietnamese, Chinese and Japanese name lists; Cyrillic transliterated to Latin), and a short
hand-made head per tradition holds the common names the matching variations need (the spelling
variants of ``matching_evalset.TRANSLITERATIONS``, Hispanic compound surnames, ...). Lists that
come without frequencies get a Zipf-like weight over a fixed shuffled order, so every pool has a
few common names and a long tail of rare ones, as real name distributions do. All combinations
are fake people.

Each tradition draws its surname and given name independently within the tradition; the
expected number of namesakes per person this gives is measured by ``python bench/name_pools.py``
(docs/performance.md, "Matching").
"""

from __future__ import annotations

import bisect
import importlib
import random
import unicodedata
from collections import Counter
from functools import lru_cache
from itertools import accumulate

# Hand-made heads: common names in rough order of frequency (the variations of the evaluation set
# need them to occur).
ANGLO_MIDDLE_COMMON = ["Lee", "Ann", "Marie", "Ray", "Allen", "Wayne", "Lynn", "James", "Michael", "Joseph",
                       "Edward", "Lee Roy", "Dean", "Scott", "Paul", "Eugene", "Louise", "Elizabeth", "Jean",
                       "Dale", "Alan", "Thomas", "John", "William", "David"]  # fmt: skip
HISPANIC_GIVEN_M = ["José", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Jorge", "Antonio", "Francisco",
                    "Alejandro", "Manuel", "Pedro", "Ricardo", "Fernando", "Javier", "Raúl", "Héctor",
                    "Sergio", "Eduardo", "Roberto", "Mario", "Arturo", "Rafael", "Ángel", "Óscar",
                    "Juan Carlos"]  # fmt: skip
HISPANIC_GIVEN_F = ["María", "Guadalupe", "Ana", "Rosa", "Carmen", "Juana", "Margarita", "Verónica",
                    "Leticia", "Sofía", "Lucía", "María José", "Isabel", "Patricia"]  # fmt: skip
HISPANIC_SURNAMES = ["García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez",
                     "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz", "Morales",
                     "Reyes", "Gutiérrez", "Ortiz", "Chávez", "Ramos", "Ruiz", "Álvarez", "Mendoza", "Castillo",
                     "Jiménez", "Moreno", "Romero", "Herrera", "Medina", "Aguilar", "Vargas", "Muñoz",
                     "Núñez", "Peña", "de la Cruz", "de León", "del Río"]  # fmt: skip
ARABIC_GIVEN_M = ["Mohammed", "Muhammad", "Mohamed", "Ahmed", "Ali", "Mohammad", "Omar", "Hassan", "Ahmad",
                  "Hussein", "Youssef", "Khalid", "Ibrahim", "Abdullah", "Mustafa", "Umar", "Yusuf",
                  "Abdel-Rahman", "Karim", "Tariq"]  # fmt: skip
ARABIC_GIVEN_F = ["Fatima", "Aisha", "Mariam", "Layla", "Zainab", "Noor", "Amina", "Huda"]
ARABIC_SURNAMES = ["Al-Sayed", "Haddad", "Khoury", "El-Sayed", "Nasser", "Saleh", "Hamdan", "Mansour",
                   "Abdullah", "Rahman", "Hussein", "Ibrahim", "Al-Masri", "Aziz", "Qureshi", "Farouk",
                   "Bakr", "Abu-Ghazaleh"]  # fmt: skip
SLAVIC_GIVEN_M = ["Aleksandr", "Sergei", "Dmitri", "Vladimir", "Andrei", "Alexander", "Ivan", "Mikhail",
                  "Nikolai", "Yuri", "Oleksandr", "Dmitriy", "Sergey", "Volodymyr", "Piotr", "Tomasz",
                  "Pavel"]  # fmt: skip
SLAVIC_GIVEN_F = ["Olga", "Natalia", "Svetlana", "Irina", "Tatiana", "Elena", "Anna"]
SLAVIC_SURNAMES = ["Ivanov", "Smirnov", "Kuznetsov", "Popov", "Petrov", "Sokolov", "Volkov", "Shevchenko",
                   "Nowak", "Kowalski", "Lebedev", "Kozlov", "Novikov", "Morozov", "Kovalenko",
                   "Bondarenko", "Wiśniewski", "Dvořák", "Horvat", "Novák", "Jovanović", "Petrović"]  # fmt: skip
VIETNAMESE_SURNAMES = [("Nguyen", 38), ("Tran", 11), ("Le", 9.5), ("Pham", 7), ("Huynh", 5), ("Hoang", 5),
                       ("Vu", 4), ("Phan", 4), ("Vo", 4), ("Dang", 2), ("Bui", 2), ("Do", 1.5), ("Ho", 1.5),
                       ("Ngo", 1.3), ("Duong", 1), ("Ly", 0.5), ("Truong", 1), ("Dinh", 0.5), ("Lam", 0.5),
                       ("Mai", 0.5), ("Ha", 0.5), ("Ta", 0.3), ("Luong", 0.3), ("Trinh", 0.3)]  # fmt: skip
VIETNAMESE_GIVEN_M = ["Minh", "Tuan", "Anh", "Duc", "Hung", "Thanh", "Long", "Hieu", "Khoa", "Phuong", "Dung",
                      "Quoc", "Hai", "Son", "Cuong", "Thang", "Huy", "Bao", "Vinh", "Tri", "Dat", "Khanh"]  # fmt: skip
VIETNAMESE_MIDDLE = ["Van", "Van", "Van", "Duc", "Quang", "Huu", "Minh", "Thanh", "Ngoc", "Cong", "Dinh",
                     "Xuan", "Hoang", "Tan", "Trung"]  # fmt: skip
CHINESE_HEAD = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Lin", "Xu"]
CHINESE_GIVEN = ["Wei", "Jun", "Hao", "Ming", "Xiaoming", "Jian", "Yong", "Lei", "Tao", "Qiang", "Bin", "Gang",
                 "Jie", "Peng", "Hui", "Feng", "Bo", "Chao", "Yu", "Hong", "Kai", "Long", "Ping", "Xin"]  # fmt: skip
KOREAN_SURNAMES = [("Kim", 21.5), ("Lee", 14.7), ("Park", 8.4), ("Choi", 4.7), ("Jung", 4.3), ("Kang", 2.3),
                   ("Cho", 2.1), ("Yoon", 2.0), ("Jang", 2.0), ("Lim", 1.7), ("Han", 1.5), ("Oh", 1.5),
                   ("Seo", 1.5), ("Shin", 1.4), ("Kwon", 1.4), ("Hwang", 1.4), ("Ahn", 1.3), ("Song", 1.3),
                   ("Yoo", 1.2), ("Hong", 1.1), ("Jeon", 1.1), ("Ko", 0.9), ("Moon", 0.9), ("Yang", 0.9),
                   ("Son", 0.9), ("Bae", 0.8), ("Baek", 0.7), ("Heo", 0.6), ("Nam", 0.5), ("Noh", 0.4)]  # fmt: skip
KOREAN_GIVEN = ["Min-jun", "Ji-hoon", "Sung-min", "Hyun-woo", "Jae-won", "Dong-hyun", "Jun-ho", "Sang-hoon",
                "Young-ho", "Seung-woo", "Jin-woo", "Tae-yang", "Kyung-soo", "Seo-yeon", "Ji-yeon",
                "Min-ji", "Eun-ji", "Hye-jin", "Soo-jin", "Yoon-seo"]  # fmt: skip
JAPANESE_SURNAMES = ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
                     "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto"]  # fmt: skip
JAPANESE_GIVEN = ["Hiroshi", "Takeshi", "Kenji", "Akira", "Satoshi", "Makoto", "Kazuki", "Daisuke", "Yuki"]
INITIALS = [f"{c}." for c in "ABCDEFGHJKLMNPRSTW"]
SUFFIXES = ["Jr.", "Sr.", "II", "III"]

# Cyrillic to Latin (close to BGN/PCGN; Ukrainian with its own letters).
CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ye", "ж": "zh",
    "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "'": "", "’": "",
}  # fmt: skip
UKRAINIAN = {**CYRILLIC, "г": "h", "и": "y", "е": "e"}


def transliterate(text: str, table: dict[str, str] = CYRILLIC) -> str:
    out = "".join(table.get(c.lower(), c.lower()) for c in text)
    return "-".join(part[:1].upper() + part[1:] for part in out.split("-"))


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _faker(locale: str, attribute: str):
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    return getattr(provider, attribute)


class Pool:
    """Names with cumulative weights: ``pick(rng)`` is one ``bisect`` per draw."""

    def __init__(self, weights: dict[str, float]):
        items = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
        self.names = [name for name, _ in items]
        total = sum(w for _, w in items)
        self.probability = {name: w / total for name, w in items}
        self.cumulative = list(accumulate(w / total for _, w in items))
        self.cumulative[-1] = 1.0

    def pick(self, rng: random.Random) -> str:
        return self.names[bisect.bisect_right(self.cumulative, rng.random())]

    def __len__(self) -> int:
        return len(self.names)


def _zipf(names, seed: int, exponent: float = 1.0, offset: int = 5, shuffle: bool = True) -> dict[str, float]:
    """Zipf-like weights over a list that has no frequencies (after a fixed shuffle when the list
    is alphabetical)."""
    names = list(dict.fromkeys(n for n in names if n))
    if shuffle:
        random.Random(seed).shuffle(names)
    return {name: 1.0 / (rank + offset) ** exponent for rank, name in enumerate(names)}


def _mix(*parts: tuple[dict[str, float], float]) -> Pool:
    """One pool out of several weighted lists, each given its share of the whole."""
    weights: Counter = Counter()
    for part, share in parts:
        total = sum(part.values())
        for name, weight in part.items():
            weights[name] += share * weight / total
    return Pool(weights)


def _weighted(pairs) -> dict[str, float]:
    return {name: float(weight) for name, weight in pairs}


def _ok(name: str) -> bool:
    return name.replace("-", "").replace(" ", "").replace("'", "").isalpha() and len(name) >= 2


@lru_cache(maxsize=1)
def pools() -> dict[str, Pool]:
    us_last = _weighted(_faker("en_US", "last_names").items())
    us_male = _weighted(_faker("en_US", "first_names_male").items())
    us_female = _weighted(_faker("en_US", "first_names_female").items())
    # Surnames of European origin outside the US top 1,000 (the long tail of American surnames).
    tail_last = [
        n
        for locale, attr in (
            ("en_IE", "last_names"),
            ("en_GB", "last_names"),
            ("de_DE", "last_names"),
            ("it_IT", "last_names"),
            ("fr_FR", "last_names"),
            ("nl_NL", "last_names"),
            ("sv_SE", "last_names"),
            ("pl_PL", "unisex_last_names"),
            ("hu_HU", "last_names"),
            ("en_NZ", "last_names"),
            ("fr_CA", "last_names"),
        )
        for n in _faker(locale, attr)
        if _ok(n) and n not in us_last
    ]
    tail_male = [
        n
        for locale in ("en_IE", "en_GB", "de_DE", "it_IT", "fr_FR", "nl_NL")
        for n in _faker(locale, "first_names_male")
        if _ok(n) and n not in us_male
    ]
    tail_female = [
        n
        for locale in ("en_IE", "en_GB", "de_DE", "it_IT", "fr_FR", "nl_NL")
        for n in _faker(locale, "first_names_female")
        if _ok(n) and n not in us_female
    ]
    es_last = [n for loc in ("es_MX", "es_ES") for n in _faker(loc, "last_names") if _ok(n)]
    es_male = [n for loc in ("es_MX", "es_ES") for n in _faker(loc, "first_names_male") if _ok(n)]
    es_female = [n for loc in ("es_MX", "es_ES") for n in _faker(loc, "first_names_female") if _ok(n)]
    ar_last = [n for loc in ("fr_DZ", "en_PK") for n in _faker(loc, "last_names") if _ok(n)]
    ar_male = [n for n in _faker("fr_DZ", "first_names_male") if _ok(n)]
    ar_male += [n for n in _faker("en_PK", "first_names") if _ok(n)]
    ar_female = [n for n in _faker("fr_DZ", "first_names_female") if _ok(n)]
    ru_last = [transliterate(n) for n in _faker("ru_RU", "last_names_male")]
    ua_last = [transliterate(n, UKRAINIAN) for n in _faker("uk_UA", "last_names_male")]
    pl_last = list(_faker("pl_PL", "male_last_names"))
    other_slavic_last = list(_faker("cs_CZ", "last_names_male")) + list(_faker("hr_HR", "last_names"))
    ru_male = [transliterate(n) for n in _faker("ru_RU", "first_names_male")]
    ua_male = [transliterate(n, UKRAINIAN) for n in _faker("uk_UA", "first_names_male")]
    ru_female = [transliterate(n) for n in _faker("ru_RU", "first_names_female")]
    pl_male = list(_faker("pl_PL", "first_names_male"))
    cs_male = list(_faker("cs_CZ", "first_names_male"))
    zh_last = list(_faker("zh_CN", "last_romanized_names"))
    ja_last = [pair[2] for pair in _faker("ja_JP", "last_name_pairs")]
    ja_male = [pair[2] for pair in _faker("ja_JP", "first_name_male_pairs")]
    vi_male = [strip_accents(n) for n in _faker("vi_VN", "first_names_male") + _faker("vi_VN", "first_names_unisex")]
    vi_female = [strip_accents(n) for n in _faker("vi_VN", "first_names_female")]
    # fmt: off
    return {
        "anglo_surname": _mix((us_last, 0.5), (_zipf(tail_last, 1, 0.5, 20), 0.5)),
        "anglo_male": _mix((us_male, 0.8), (_zipf(tail_male, 2, 0.7), 0.2)),
        "anglo_female": _mix((us_female, 0.88), (_zipf(tail_female, 3), 0.12)),
        "anglo_middle": _mix((us_male, 0.55), (_zipf(ANGLO_MIDDLE_COMMON, 0, shuffle=False), 0.45)),
        "anglo_middle_f": _mix((us_female, 0.5), (_zipf(ANGLO_MIDDLE_COMMON, 0, shuffle=False), 0.5)),
        "hispanic_surname": _mix((_zipf(HISPANIC_SURNAMES, 0, 0.6, 4, shuffle=False), 0.3),
                                 (_zipf(es_last, 4, 0.6, 20), 0.7)),
        "hispanic_male": _mix((_zipf(HISPANIC_GIVEN_M, 0, 0.7, 4, shuffle=False), 0.4),
                              (_zipf(es_male, 5, 0.6, 10), 0.6)),
        "hispanic_female": _mix((_zipf(HISPANIC_GIVEN_F, 0, 0.7, 4, shuffle=False), 0.4),
                                (_zipf(es_female, 6, 0.6, 10), 0.6)),
        "arabic_surname": _mix((_zipf(ARABIC_SURNAMES, 0, 0.8, 3, shuffle=False), 0.3),
                               (_zipf(ar_last, 7, 0.6, 10), 0.7)),
        "arabic_male": _mix((_zipf(ARABIC_GIVEN_M, 0, 0.9, 3, shuffle=False), 0.6), (_zipf(ar_male, 8, 0.7, 10), 0.4)),
        "arabic_female": _mix((_zipf(ARABIC_GIVEN_F, 0, 0.9, 2, shuffle=False), 0.5),
                              (_zipf(ar_female, 9, 0.7, 10), 0.5)),
        "slavic_surname": _mix((_zipf(SLAVIC_SURNAMES, 0, 0.8, 3, shuffle=False), 0.25),
                               (_zipf(ru_last, 0, 0.8, 10, shuffle=False), 0.3),
                               (_zipf(ua_last, 10, 0.6, 10), 0.2),
                               (_zipf(pl_last, 0, 0.8, 10, shuffle=False), 0.15),
                               (_zipf(other_slavic_last, 11, 0.6, 10), 0.1)),
        "slavic_male": _mix((_zipf(SLAVIC_GIVEN_M, 0, 0.9, 3, shuffle=False), 0.55),
                            (_zipf(ru_male + ua_male, 12, 0.9, 10), 0.2),
                            (_zipf(pl_male + cs_male, 0, 0.8, 5, shuffle=False), 0.25)),
        "slavic_female": _mix((_zipf(SLAVIC_GIVEN_F, 0, 0.9, 3, shuffle=False), 0.5),
                              (_zipf(ru_female, 13, 0.9, 10), 0.5)),
        "vietnamese_surname": Pool(_weighted(VIETNAMESE_SURNAMES)),
        "vietnamese_male": _mix((_zipf(VIETNAMESE_GIVEN_M, 0, 0.3, 3, shuffle=False), 0.5),
                                (_zipf(vi_male, 14, 0.3), 0.5)),
        "vietnamese_female": _mix((_zipf(vi_female, 15), 1.0),),
        "vietnamese_middle": _mix((_zipf(VIETNAMESE_MIDDLE, 0, 0.5, 1, shuffle=False), 1.0),),
        "chinese_surname": _mix((_zipf(CHINESE_HEAD, 0, 0.8, 2, shuffle=False), 0.6), (_zipf(zh_last, 16, 0.7), 0.4)),
        "chinese_given": _mix((_zipf(CHINESE_GIVEN, 17, 0.3, 3), 1.0),),
        "korean_surname": Pool(_weighted(KOREAN_SURNAMES)),
        "korean_given": _mix((_zipf(KOREAN_GIVEN, 18, 0.5, 3), 1.0),),
        "japanese_surname": _mix((_zipf(JAPANESE_SURNAMES, 0, 0.8, 3, shuffle=False), 0.5),
                                 (_zipf(ja_last, 19, 0.7), 0.5)),
        "japanese_given": _mix((_zipf(JAPANESE_GIVEN + ja_male, 20, 0.7, 3), 1.0),),
    }
    # fmt: on


# Middle names a hit may add (the middle_extra variation of the evaluation set).
MIDDLE = ANGLO_MIDDLE_COMMON + INITIALS


def random_person(rng: random.Random) -> tuple[str, str, str, str]:
    """(sex, given, middle, surname) drawn from a mix of naming traditions."""
    p = pools()
    roll = rng.random()
    female = rng.random() < 0.06  # registries are overwhelmingly male
    sex = "F" if female else "M"
    middle = ""
    if roll < 0.61:
        given = p["anglo_female" if female else "anglo_male"].pick(rng)
        surname = p["anglo_surname"].pick(rng)
        if rng.random() < 0.03:
            surname = f"{surname}-{p['anglo_surname'].pick(rng)}"  # hyphenated
        m = rng.random()
        if m < 0.15:
            middle = rng.choice(INITIALS)
        elif m < 0.62:
            middle = p["anglo_middle_f" if female else "anglo_middle"].pick(rng)
        if middle == given:
            middle = ""
    elif roll < 0.83:
        given = p["hispanic_female" if female else "hispanic_male"].pick(rng)
        surname = p["hispanic_surname"].pick(rng)
        if rng.random() < 0.35:
            surname = f"{surname} {p['hispanic_surname'].pick(rng)}"  # compound: "García López"
        if rng.random() < 0.2:
            middle = p["hispanic_female" if female else "hispanic_male"].pick(rng)
            middle = "" if middle == given else middle
    elif roll < 0.89:
        given = p["arabic_female" if female else "arabic_male"].pick(rng)
        surname = p["arabic_surname"].pick(rng)
        if rng.random() < 0.25:
            middle = p["arabic_male"].pick(rng)  # father's name
    elif roll < 0.95:
        given = p["slavic_female" if female else "slavic_male"].pick(rng)
        surname = p["slavic_surname"].pick(rng)
        if female and surname.endswith(("ov", "ev", "in")):
            surname += "a"
        elif female and surname.endswith(("ski", "cki")):
            surname = surname[:-1] + "a"
        if rng.random() < 0.2:
            middle = p["slavic_male"].pick(rng) + ("ovna" if female else "ovich")  # patronymic
    else:
        sub = rng.random()
        if sub < 0.3:
            given = p["vietnamese_female" if female else "vietnamese_male"].pick(rng)
            surname = p["vietnamese_surname"].pick(rng)
            if rng.random() < 0.6:
                middle = "Thi" if female else p["vietnamese_middle"].pick(rng)
        elif sub < 0.75:
            given = p["chinese_given"].pick(rng)
            surname = p["chinese_surname"].pick(rng)
        elif sub < 0.93:
            given = p["korean_given"].pick(rng)
            surname = p["korean_surname"].pick(rng)
        else:
            given = p["japanese_given"].pick(rng)
            surname = p["japanese_surname"].pick(rng)
        if rng.random() < 0.03:
            surname = f"{surname}-{p['chinese_surname'].pick(rng)}"
    return sex, given, middle, surname


def main() -> None:
    """Expected namesakes per person (same given name and surname) among N people."""
    import argparse
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from registrants.keys import compact, normalise_name

    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    full: Counter = Counter()
    surnames: Counter = Counter()
    for _ in range(args.people):
        _, given, _, surname = random_person(rng)
        g = (normalise_name(given).split() or [""])[0]
        s = compact(normalise_name(surname))
        full[(g, s)] += 1
        surnames[s] += 1
    n = args.people
    namesakes = sum(c * (c - 1) for c in full.values()) / n
    print(f"people {n}, distinct full names {len(full)}, distinct surnames {len(surnames)}")
    print(f"namesakes per person (same first given name and surname): mean {namesakes:.1f}")
    shares = sorted(full.values(), reverse=True)
    print(f"most common full names: {full.most_common(8)}")
    print(f"people whose full name is unique: {sum(1 for c in shares if c == 1) / n:.1%}")
    print(f"most common surnames: {[(s, f'{c / n:.2%}') for s, c in surnames.most_common(8)]}")


if __name__ == "__main__":
    main()
