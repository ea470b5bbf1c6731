"""The written agreements and reviews of a synthetic county: plain, generic text for about 60% of the
agreements (`agreement_details.csv`), and entry, review and exit measures for the cases whose support
would have ended well before the year's end (`reviews.csv`).

Drawn after everything else (requests included) from the builder's one generator, so adding them
changes no other part of a county. No solver: a case's support is taken to end roughly `weeks` weeks
after `agreed_on`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from allocator.model import Agreement, AgreementDetails, Review, ReviewKind
from allocator.model.details import review_date_bounds
from allocator.synthetic.kent_facts import KENT_ACADEMIC_YEAR
from allocator.synthetic.state import _CountyState

DETAILS_SHARE = 0.6
"""Share of agreements whose written agreement is recorded."""
TEXT_SHARE = 0.9
"""Share of recorded agreements holding each item other than the support (else "not recorded")."""
REVIEW_DATE_SHARE = 0.4
"""Share of recorded agreements with an agreed review date (mid-way through the support)."""
ENDED_BEFORE = timedelta(weeks=4)
"""Cases get measures when their rough end is at least this long before the year's last term day."""
ENTRY_AFTER = timedelta(weeks=2)
"""The entry measure is taken about two weeks after agreed_on."""
MID_REVIEW_SHARE = 0.5
"""Share of measured cases with a mid-way review."""
MEASURE = "target met (%)"
"""The one measure recorded: the share of the agreed targets met."""

_WORK = (
    "direct work with the pupil in class and in small groups, and advice to staff",
    "modelling strategies for staff and a short weekly session with the pupil",
    "observation, a programme for the class team and regular joint planning",
)
_CRITERIA = (
    "Progress below expectations after two cycles of school-based support at SEN support.",
    "Needs not met by the school's own provision despite targeted interventions over two terms.",
    "The school has used its own resources and advice without the progress expected.",
)
_ENTRY = (
    "Baseline assessment in the first session, targets agreed with the class teacher and SENCO.",
    "Observation and baseline measures in the first two weeks, then an agreed programme.",
)
_EXIT = (
    "Support reduced over the last weeks as staff take over the programme.",
    "Hand over to the school's own staff with written advice and a final review meeting.",
)
_OUTCOMES = (
    "The pupil meets most of the agreed targets and staff use the strategies independently.",
    "Improved access to the curriculum and greater independence in class.",
)
_MEASURES = (
    "Share of agreed targets met, recorded at entry, at review and at exit.",
    "Targets met (%) at entry and exit, with staff questionnaires.",
)
_EVIDENCE = (
    "Target records, observation notes and work samples, shared with the SENCO.",
    "Review notes, the school's tracking data and feedback from staff and parents.",
)
_NOTES = {
    ReviewKind.ENTRY: "baseline agreed with the school",
    ReviewKind.REVIEW: "mid-way review with the class teacher",
    ReviewKind.EXIT: "support ended as planned",
}


class _DetailsPart(_CountyState):
    """Written agreements and reviews of the year's agreements."""

    def _details(
        self, agreements: Sequence[Agreement], year_end: date
    ) -> tuple[list[AgreementDetails], list[Review]]:
        """The written agreements of about `DETAILS_SHARE` of the agreements, and the measures of
        the cases with consent whose support would end at least `ENDED_BEFORE` before `year_end`."""
        rng = self.rng
        low, high = review_date_bounds(KENT_ACADEMIC_YEAR)
        details: list[AgreementDetails] = []
        reviews: list[Review] = []
        for a in agreements:
            end = a.agreed_on + timedelta(weeks=a.weeks)
            if rng.random() < DETAILS_SHARE:
                texts = {
                    "support": (
                        f"Specialist teaching ({a.need_type.value}): {a.minutes_per_week} "
                        f"minutes a week for {a.weeks} school weeks, {rng.choice(_WORK)}."
                    ),
                    "criteria": rng.choice(_CRITERIA),
                    "entry_strategy": rng.choice(_ENTRY),
                    "exit_strategy": rng.choice(_EXIT),
                    "expected_outcomes": rng.choice(_OUTCOMES),
                    "progress_measures": rng.choice(_MEASURES),
                    "evidence": rng.choice(_EVIDENCE),
                }
                kept = {
                    k: v for k, v in texts.items() if k == "support" or rng.random() < TEXT_SHARE
                }
                review = None
                if rng.random() < REVIEW_DATE_SHARE:
                    mid = a.agreed_on + timedelta(weeks=(a.weeks + 2) // 2)
                    review = max(a.agreed_on, low, min(mid, high))
                details.append(
                    AgreementDetails.model_validate(
                        {"case_id": a.case_id, **kept, "review_date": review}
                    )
                )
            if a.consent.plannable and end <= year_end - ENDED_BEFORE:
                reviews.extend(self._measures(a, end))
        return details, reviews

    def _measures(self, a: Agreement, end: date) -> list[Review]:
        """Entry about two weeks after agreed_on, now and then a review mid-way, exit at the rough
        end; the share of targets met rising from entry to exit."""
        rng = self.rng
        entry = rng.randrange(0, 45, 5)
        exit_ = min(100, entry + 5 * round(rng.triangular(2, 12, 7)))
        start = a.agreed_on + ENTRY_AFTER
        rows = [(start, ReviewKind.ENTRY, entry)]
        if rng.random() < MID_REVIEW_SHARE:
            mid = a.agreed_on + timedelta(weeks=(a.weeks + 2) // 2)
            rows.append((mid, ReviewKind.REVIEW, 5 * round((entry + exit_) / 10)))
        rows.append((end, ReviewKind.EXIT, exit_))
        return [
            Review(
                case_id=a.case_id,
                date=day,
                kind=kind,
                measure=MEASURE,
                value=value,
                note=_NOTES[kind],
            )
            for day, kind, value in rows
        ]
