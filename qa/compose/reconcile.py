"""Choosing the quotes after ranking: diverse sources, both reports' figures for the same year (with a
note when they differ), and a quote for each year the question names."""

from __future__ import annotations

import math
import re

from qa.compose.candidate import Candidate
from qa.compose.question import QuestionInfo
from qa.compose.span import SpanExtractor
from qa.models import ReportInfo


class Reconciler:
    def __init__(self, reports: dict[str, ReportInfo], extractor: SpanExtractor) -> None:
        self.reports = reports
        self.extractor = extractor

    def diverse(self, cands: list[Candidate], top_k: int) -> list[Candidate]:
        chosen: list[Candidate] = [cands[0]]
        used_chunks = {cands[0].chunk.id}
        used_sections = {(cands[0].chunk.report_id, cands[0].chunk.section)}
        for c in cands[1:]:
            if len(chosen) >= top_k:
                break
            if c.chunk.id in used_chunks:
                continue
            if len(chosen) < 2 and (c.chunk.report_id, c.chunk.section) in used_sections:
                # prefer another section for the second quote when one scores close
                alt = next(
                    (x for x in cands if x.chunk.id not in used_chunks and (x.chunk.report_id, x.chunk.section) not in used_sections
                     and x.score >= c.score - 0.1),
                    None,
                )
                if alt is not None:
                    c = alt
            chosen.append(c)
            used_chunks.add(c.chunk.id)
            used_sections.add((c.chunk.report_id, c.chunk.section))
        return chosen

    def cross_report(self, info: QuestionInfo, chosen: list[Candidate], cands: list[Candidate]) -> tuple[list[Candidate], str | None]:
        """Both reports' figures for a year both cover: the report about that year first, a note if they differ."""
        best = chosen[0]
        if not (info.wants_number and best.value is not None):
            return chosen, None
        # close to the best: among the three best ranked, or within half a point of its score (a ranker's
        # scores have no fixed scale, so rank counts as well as distance)
        near = {id(c) for c in cands[:3]}  # `cands` come ranked, best first
        others = [
            c for c in cands
            if c.chunk.report_id != best.chunk.report_id
            and self.reports[c.chunk.report_id].company == self.reports[best.chunk.report_id].company and c.value is not None
            and (c.score >= best.score - 0.5 or id(c) in near)
            and c.coverage >= 0.8 * best.coverage and c.type_fit >= 0.9
            and (c.chunk.kind not in ("kpi", "table_row") or c.label_precision >= 0.5)
        ]
        if not others:
            return chosen, None
        years = info.years
        if years:
            y = years[0]

            def gives_year(c: Candidate) -> bool:
                report = self.reports[c.chunk.report_id]
                return y in report.years_covered and (self.about_year(c, y) or (c.column is None and report.year == y))

            if not gives_year(best):
                return chosen, None  # quotes[0] is about another year: no same-year pair to compare
            others = [c for c in others if gives_year(c)]
            if not others:
                return chosen, None
        elif best.column is not None:
            return chosen, None  # no year named: the latest figure answers; other reports stay as sources
        other = max(others, key=lambda c: c.score)
        rest = [c for c in chosen if c.chunk.id != other.chunk.id]
        pair = [best, other]
        if years:
            pair.sort(key=lambda c: 0 if self.reports[c.chunk.report_id].year == years[0] else 1)
        ordered = pair + [c for c in rest if c is not best]
        note = None
        a, b = pair[0], pair[1]
        if a.value is not None and b.value is not None and not math.isclose(a.value, b.value, rel_tol=0.005):
            ra, rb = self.reports[a.chunk.report_id], self.reports[b.chunk.report_id]
            ya = f" for {years[0]}" if years else ""
            note = (
                f"The reports differ{ya}: {ra.title} gives {a.answer.text if a.answer else a.value}, "
                f"{rb.title} gives {b.answer.text if b.answer else b.value}"
                + (" (a later report may restate earlier figures on a wider scope)." if rb.year != ra.year else ".")
            )
        return ordered[: max(len(chosen), 2)], note

    def about_year(self, c: Candidate, year: int) -> bool:
        """Does the unit give something for `year`: its table column, or the year named (not as a range's end)?"""
        if c.column is not None:
            return c.column == str(year)
        return bool(re.search(rf"(?<![–\-]\s)(?<![–\-])\b{year}\b(?!\s?[–\-]\s?\d)", c.quote_text))

    def cover_years(self, info: QuestionInfo, chosen: list[Candidate], cands: list[Candidate], top_k: int) -> list[Candidate]:
        """A question naming several years ("between 2020 and 2022") gets a quote for each among the first three."""
        years = self.extractor.reporting_years(info, self.reports.get(chosen[0].chunk.report_id))
        if len(years) < 2:
            return chosen
        best = chosen[0]
        for y in years:
            if any(self.about_year(c, y) for c in chosen[:3]):
                continue
            used = {c.chunk.id for c in chosen}
            pick = next(
                (c for c in cands
                 if c.chunk.id not in used and self.about_year(c, y) and c.coverage >= 0.6 * best.coverage
                 and (not info.wants_number or (c.value is not None and c.type_fit >= 0.9))),
                None,
            )
            if pick is None:
                continue
            # replace the first of quotes 2-3 that gives none of the asked years
            slot = next((i for i in (1, 2) if i < len(chosen) and not any(self.about_year(chosen[i], x) for x in years)), None)
            if slot is None:
                chosen = (chosen + [pick])[:top_k]
            else:
                chosen = chosen[:slot] + [pick] + chosen[slot:]
                chosen = chosen[:top_k]
        return chosen
