"""Each rule in one plain sentence, for people who plan with the rules rather than read formulas.

The registry's `doc` states a rule with its formula (for the docs and the checker's readers); this
module gives the sentence a coordinator reads on the page. Every registered rule has one (a test keeps
the two lists in step).
"""

from __future__ import annotations

from allocator.constraints.registry import REGISTRY

PLAIN: dict[str, dict[str, str]] = {
    "rota": {
        "meets_every_half_term": (
            "Each group meets the agreed number of times in every half-term, in different weeks."
        ),
        "meeting_days_only": (
            "Groups meet only on their district's meeting days: term days that are not bank "
            "holidays or closures."
        ),
        "slot_capacity": "A meeting slot is never booked more times in a week than it allows.",
        "no_double_booking": "Nobody is asked to be in two meetings at the same time.",
        "attendees_available": "A group meets only on days when everyone who attends is available.",
        "keeps_promises": (
            "Meetings already published stay where they are, unless they were freed or can no "
            "longer happen there."
        ),
        "even_spacing": "Each group's meetings are spread evenly through the year.",
        "short_gaps": "Two meetings of a group close together are avoided more strongly.",
        "same_position": "A group meets in the same week of every half-term, so people can plan.",
        "edge_weeks": "Meetings avoid the first and last week of a half-term.",
        "case_balance": (
            "The cases expected at a meeting stay within what the meeting has room to discuss."
        ),
        "stability": "Each group keeps the weekday and weeks of last year's rota where it can.",
        "moved_meetings": "A published meeting that may move stays where it was if it can.",
    },
    "caseload": {
        "one_person_one_start": "Each case gets one person and one start week, or waits.",
        "specialism_covers_need": "A case goes only to someone trained for its need.",
        "served_by_its_team": (
            "A case is served by its school's district team (or an allowed neighbouring team), or "
            "by the county team for needs it covers."
        ),
        "weekly_capacity": (
            "Nobody is given more support and travel in a week than their hours allow, after "
            "leave, closures and the support they already give."
        ),
        "starts_after_agreement": (
            "A case starts in the school year, after it was agreed and the lead time has passed."
        ),
        "consent_required": (
            "A case starts only with the family's consent or a recorded exception; without it, "
            "it waits."
        ),
        "running_support_never_moves": (
            "Support that has already started keeps its person and weeks."
        ),
        "urgent_not_started": "When re-planning, urgent cases are started first.",
        "broken_promises": (
            "When re-planning, as few cases as possible lose the person or start week they were "
            "promised."
        ),
        "not_started": "As many cases as possible start this year, the highest priority first.",
        "waiting": "Cases wait as little as possible between agreement and start, by priority.",
        "travel": "Staff travel as little as possible to the schools they support.",
        "neighbour": (
            "A neighbouring district's team takes a case only when it is worth their extra time."
        ),
        "balance": "Work is shared fairly: no team member is much busier than the rest.",
        "changes": "When re-planning, as few planned cases as possible change.",
        "start_shift": "When re-planning, planned start weeks move as little as possible.",
    },
    "agenda": {
        "one_meeting_each": "A request goes to one meeting at most.",
        "meeting_capacity": "A meeting takes no more requests than it has room for.",
        "own_district": "A request goes to a meeting of its school's district.",
        "after_received": "A request goes to a meeting after the day it was received.",
        "group_route": (
            "A routine request goes to its own group's meeting; an urgent one to the first "
            "suitable meeting of its district."
        ),
        "county_route": "Hearing and vision requests go to the county coordinators, not a meeting.",
        "unplaced": "Every request that needs a meeting gets one, the highest priority first.",
        "days_to_meeting": "Requests are discussed as soon as possible after they arrive.",
    },
}


def explanation(problem: str, name: str) -> str:
    """A rule's plain sentence (the registry's statement before its formula if none is written)."""
    written = PLAIN.get(problem, {}).get(name)
    if written:
        return written
    info = REGISTRY.get(problem, {}).get(name)
    if info is None:
        return ""
    return info.doc.split(": ", 1)[0].rstrip(".") + "."


def explanations(problem: str) -> dict[str, str]:
    """Every registered rule of `problem`, by name, with its plain sentence."""
    return {name: explanation(problem, name) for name in REGISTRY.get(problem, {})}
