"""CSV of the International Megan's Law annual report (spreadsheet formulas neutralised)."""

from __future__ import annotations

import tablib

from registrants.export import safe_cell

from .selectors_foreign import CountryRow

HEADERS = [
    "country",
    "country_name",
    "notices_sent",
    "responses",
    "decisions_not_to_send",
    "sent_after_travel_began",
    "sent_under_48h_before_departure",
    "corrections",
    "complaints",
]


def iml_report_csv(rows: list[CountryRow], totals: CountryRow) -> str:
    data = tablib.Dataset(headers=HEADERS)
    for r in [*rows, totals]:
        name = r.country_name if r is not totals else ""
        values = [
            r.country, name, r.notices, r.responses, r.not_sent, r.late, r.angel_watch_late, r.corrections, r.complaints
        ]  # fmt: skip
        data.append([safe_cell(v) for v in values])
    return data.export("csv")
