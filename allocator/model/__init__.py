"""The county model: immutable pydantic entities and results. Knows no solver, no files, no web."""

from allocator.model.base import DEFAULT_COUNTY_POOLS, WEEKDAYS, Frozen, NeedType
from allocator.model.calendar import (
    Closure,
    Term,
    bank_holidays,
    clip_to_year,
    meeting_days,
    term_days,
    week_start,
)
from allocator.model.cases import Agreement, Consent, PlannedSupport, PlanStatus, SenStage
from allocator.model.county import (
    District,
    GroupKind,
    LiftGroup,
    MeetingSlot,
    Phase,
    School,
    SpecialRole,
    SpecialSchool,
)
from allocator.model.details import AgreementDetails
from allocator.model.people import Person, Role, TravelTime, Unavailability
from allocator.model.requests import COUNTY_ROUTE_NEEDS, Request, RequestOutcome
from allocator.model.reviews import Review, ReviewKind
from allocator.model.scenario import RULES, Problem, Scenario, ScenarioError, find_problems
from allocator.model.settings import (
    AgendaSettings,
    CaseloadSettings,
    ReviewSettings,
    RotaSettings,
    ScenarioSettings,
)
from allocator.model.staffing import DistrictIndicators, HighIncidenceFormula, StaffingSettings

__all__ = [
    "COUNTY_ROUTE_NEEDS",
    "DEFAULT_COUNTY_POOLS",
    "RULES",
    "WEEKDAYS",
    "AgendaSettings",
    "Agreement",
    "AgreementDetails",
    "CaseloadSettings",
    "Closure",
    "Consent",
    "District",
    "DistrictIndicators",
    "Frozen",
    "GroupKind",
    "HighIncidenceFormula",
    "LiftGroup",
    "MeetingSlot",
    "NeedType",
    "Person",
    "Phase",
    "PlanStatus",
    "PlannedSupport",
    "Problem",
    "Request",
    "RequestOutcome",
    "Review",
    "ReviewKind",
    "ReviewSettings",
    "Role",
    "RotaSettings",
    "Scenario",
    "ScenarioError",
    "ScenarioSettings",
    "School",
    "SenStage",
    "SpecialRole",
    "SpecialSchool",
    "StaffingSettings",
    "Term",
    "TravelTime",
    "Unavailability",
    "bank_holidays",
    "clip_to_year",
    "find_problems",
    "meeting_days",
    "term_days",
    "week_start",
]
