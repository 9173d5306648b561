"""What a table cell looks like: a figure as printed (`1,52`, `4.660`, `(12.3)`, `–`, `k.A.`) and its unit."""

from __future__ import annotations

import re

from qa.ingest.words import Word

_NUM = re.compile(
    r"^[(]?[-–−+±]?[<>≤≥~≈]?(?:€|\$|£)?\d[\d.,'’/:]*(?:%|‰|x)?[)]?[*⁰¹²³⁴⁵⁶⁷⁸⁹]*$"
    r"|^[-–—−]{1,2}$|^n/?a\.?$|^n\.\s?a\.?$|^k\.\s?A\.?$|^x$|^/$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:FY\s?)?(?:19|20)\d\d(?:/\d\d)?[*⁰¹²³⁴⁵⁶⁷⁸⁹]*$")
_UNIT = re.compile(r"^(?:[A-Za-z.]{1,4}|[A-Za-z€$£%‰/²³₂.]*[/%‰²³₂€$£][A-Za-z€$£%‰/²³₂.]*)$")
_UNITS = frozenset({"mwh", "kwh", "gwh", "twh", "tonnes", "tons", "liters", "litres", "hours", "days", "tco2e",
                    "co2e", "co₂e", "million", "billion", "thousand", "mio.", "mn", "bn", "units"})


def is_figure(w: Word) -> bool:
    return bool(_NUM.match(w.text))


def is_year(w: Word) -> bool:
    return bool(_YEAR.match(w.text))


def is_figure_phrase(ph: list[Word]) -> bool:
    """A table cell: figures, with at most two short unit words (`1,772.6 t`, `€ 12.3`, `45 %`)."""
    body = [w for w in ph if not w.sup]
    figures = [w for w in body if is_figure(w)]
    if not figures:
        return False
    others = [w for w in body if not is_figure(w)]
    return len(others) <= 2 and all(_UNIT.match(w.text) or w.text.lower() in _UNITS for w in others) \
        and len(figures) >= len(others)
