"""Real facts about Kent used by the embedded scenario, each with its source.

Everything else in `scenarios/kent/` is synthetic (see `allocator.synthetic.generate` and the scenario's
README).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from allocator.model.base import NeedType
from allocator.model.county import SpecialRole


@dataclass(frozen=True)
class DistrictFact:
    """A Kent County Council district, its Census 2021 population and its main town."""

    district: str
    lad_code: str
    population: int
    town: str
    lat: float
    lon: float
    prospectus_name: str = ""
    """The name the 2012 prospectus uses where it differs from today's."""


# Districts, LAD codes and populations: shared/refdata/kent/kent_districts_population.csv, column
# census2021_usual_residents_rounded100 (ONS Census 2021 first release, rounded to 100; ONSvisual/
# census-population-scrolly, see PROVENANCE.txt). Today's names are used: the prospectus says
# "Gravesend" for Gravesham and "Shepway" for Folkestone and Hythe (renamed 2018).
# Town coordinates: the Wikipedia infobox coordinates of each district's main town (town centre),
# rounded to 4 decimal places.
KENT_DISTRICTS: tuple[DistrictFact, ...] = (
    DistrictFact("Ashford", "E07000105", 132_700, "Ashford", 51.1465, 0.8750),
    DistrictFact("Canterbury", "E07000106", 157_400, "Canterbury", 51.2800, 1.0800),
    DistrictFact("Dartford", "E07000107", 116_800, "Dartford", 51.4450, 0.2190),
    DistrictFact("Dover", "E07000108", 116_400, "Dover", 51.1295, 1.3089),
    DistrictFact("Gravesham", "E07000109", 106_900, "Gravesend", 51.4415, 0.3685, "Gravesend"),
    DistrictFact("Maidstone", "E07000110", 175_800, "Maidstone", 51.2720, 0.5290),
    DistrictFact("Sevenoaks", "E07000111", 120_500, "Sevenoaks", 51.2781, 0.1874),
    DistrictFact(
        "Folkestone and Hythe", "E07000112", 109_800, "Folkestone", 51.0810, 1.1660, "Shepway"
    ),
    DistrictFact("Swale", "E07000113", 151_700, "Sittingbourne", 51.3406, 0.7319),
    DistrictFact("Thanet", "E07000114", 140_600, "Margate", 51.3850, 1.3838),
    DistrictFact("Tonbridge and Malling", "E07000115", 132_200, "Tonbridge", 51.1987, 0.2764),
    DistrictFact("Tunbridge Wells", "E07000116", 115_300, "Royal Tunbridge Wells", 51.1320, 0.2630),
)


@dataclass(frozen=True)
class SpecialSchoolFact:
    """A lead (SLA-holding) or link special school of a district, as Appendix 1 lists it."""

    school: str
    district: str
    role: SpecialRole
    need_types: tuple[NeedType, ...]
    note: str = ""


_CI, _BL, _BESD, _PSCN, _PD = NeedType.CI, NeedType.BL, NeedType.BESD, NeedType.PSCN, NeedType.PD
_LEAD, _LINK = SpecialRole.LEAD, SpecialRole.LINK
INTERIM = "lead in interim caretaking capacity (Appendix 1)"

# Appendix 1 of the Specialist Teaching Services prospectus (KCC, 2012; shared/seed/), in its order,
# with today's district names. Ifield leads Dartford (interim) and Gravesend; Meadowfield leads
# Canterbury (interim) and Swale. Gravesham and Swale have no link school. "St Anthony's" is written
# with a plain apostrophe.
KENT_SPECIAL_SCHOOLS: tuple[SpecialSchoolFact, ...] = (
    SpecialSchoolFact("Valence", "Sevenoaks", _LEAD, (_PD,)),
    SpecialSchoolFact("Furness", "Sevenoaks", _LINK, (_BESD,)),
    SpecialSchoolFact("Ridgeview", "Tonbridge and Malling", _LEAD, (_PSCN,)),
    SpecialSchoolFact("Grange Park", "Tonbridge and Malling", _LINK, (_CI,)),
    SpecialSchoolFact("Broomhill Bank", "Tunbridge Wells", _LEAD, (_CI,)),
    SpecialSchoolFact("Oakley", "Tunbridge Wells", _LINK, (_PSCN,)),
    SpecialSchoolFact("Ifield", "Dartford", _LEAD, (_PSCN,), INTERIM),
    SpecialSchoolFact("Rowhill", "Dartford", _LINK, (_BL,)),
    SpecialSchoolFact("Milestone", "Dartford", _LINK, (_PSCN,)),
    SpecialSchoolFact("Ifield", "Gravesham", _LEAD, (_PSCN,)),
    SpecialSchoolFact("Bower Grove", "Maidstone", _LEAD, (_BL,)),
    SpecialSchoolFact("Five Acre Wood", "Maidstone", _LINK, (_PSCN,)),
    SpecialSchoolFact("Meadowfield", "Canterbury", _LEAD, (_PSCN,), INTERIM),
    SpecialSchoolFact("St Nicholas", "Canterbury", _LINK, (_PSCN,)),
    SpecialSchoolFact("Orchard", "Canterbury", _LINK, (_BL,)),
    SpecialSchoolFact("Goldwyn", "Ashford", _LEAD, (_BESD,)),
    SpecialSchoolFact("Wyvern", "Ashford", _LINK, (_PSCN,)),
    SpecialSchoolFact("Harbour", "Dover", _LEAD, (_BL,)),
    SpecialSchoolFact("Portal House", "Dover", _LINK, (_BESD,)),
    SpecialSchoolFact("Aspen", "Dover", _LINK, (_PSCN,)),
    SpecialSchoolFact("Highview", "Folkestone and Hythe", _LEAD, (_PSCN,)),
    SpecialSchoolFact("Foxwood", "Folkestone and Hythe", _LINK, (_PSCN,)),
    SpecialSchoolFact("Meadowfield", "Swale", _LEAD, (_PSCN,)),
    SpecialSchoolFact("Laleham Gap", "Thanet", _LEAD, (_CI,)),
    SpecialSchoolFact("St Anthony's", "Thanet", _LINK, (_BL,)),
    SpecialSchoolFact("Foreland", "Thanet", _LINK, (_PSCN,)),
    SpecialSchoolFact("Stone Bay", "Thanet", _LINK, (_PSCN,)),
)

# Where each special school itself is placed (schools.csv): the district Appendix 1 lists it under,
# except the two interim caretakers, placed in the district they lead outright.
SPECIAL_SCHOOL_HOME: dict[str, str] = {
    "Ifield": "Gravesham",
    "Meadowfield": "Swale",
}

KENT_ACADEMIC_YEAR = "2025-26"

# Kent's six terms of 2025-26: shared/refdata/kent/kent_term_dates.csv (KCC pattern as published by
# Kent schools following KCC dates; sources W, GC, WC, HH in PROVENANCE.txt).
KENT_TERMS_2025_26: tuple[tuple[int, date, date], ...] = (
    (1, date(2025, 9, 1), date(2025, 10, 17)),
    (2, date(2025, 10, 27), date(2025, 12, 19)),
    (3, date(2026, 1, 5), date(2026, 2, 13)),
    (4, date(2026, 2, 23), date(2026, 4, 2)),
    (5, date(2026, 4, 20), date(2026, 5, 22)),
    (6, date(2026, 6, 1), date(2026, 7, 21)),
)

# Five county-wide INSET days, chosen from the notes of kent_term_dates.csv: Mon 1 and Tue 2 Sep
# 2025 (GC, WC and HH: pupils start Wed 3 Sep), Mon 27 Oct 2025 (W puts its INSET days on 27-31
# Oct, the first week of term 2) and Mon 20 and Tue 21 Jul 2026 (GC's last two days are INSET).
# With them the year has 195 - 5 = 190 pupil days, the statutory pattern PROVENANCE.txt quotes.
KENT_INSET_2025_26: tuple[date, ...] = (
    date(2025, 9, 1),
    date(2025, 9, 2),
    date(2025, 10, 27),
    date(2026, 7, 20),
    date(2026, 7, 21),
)
