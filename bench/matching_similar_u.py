"""How often two people's names sound alike by the match rating approach by chance: the share
of random pairs of unequal names (metaphone different too) of the registry, drawn by how often
each name occurs, that ``jellyfish.match_rating_comparison`` finds alike. It sets the weight of
the "similar sound" level against "different" (``registrants/matching/engine.py``).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsoits_bench \\
    .venv/bin/python bench/matching_similar_u.py --pairs 20000
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsoits.settings")

import django  # noqa: E402

django.setup()

import jellyfish  # noqa: E402
import numpy as np  # noqa: E402

from registrants.matching import engine  # noqa: E402


def share_alike(counts: dict[str, int], pairs: int, seed: int) -> tuple[float, int]:
    names = [n for n in counts if n]
    weights = np.array([counts[n] for n in names], dtype=float)
    drawn = np.random.default_rng(seed).choice(len(names), size=(pairs, 2), p=weights / weights.sum())
    alike = compared = 0
    for i, j in drawn.tolist():
        a, b = names[i], names[j]
        if a == b or jellyfish.metaphone(a) == jellyfish.metaphone(b):
            continue
        compared += 1
        with contextlib.suppress(ValueError):  # a name the approach cannot code
            alike += bool(jellyfish.match_rating_comparison(a, b))
    return alike / max(compared, 1), compared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    freqs = engine.name_frequencies()
    for kind, counts in (("surname", freqs.surnames), ("given name", freqs.given)):
        u, n = share_alike(counts, args.pairs, args.seed)
        print(
            f"{kind}: {u:.3f} of {n} unequal pairs sound alike; log2((1 - u) / u) = {math.log2((1 - u) / u):.1f} bits"
        )


if __name__ == "__main__":
    main()
