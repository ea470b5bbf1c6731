"""The calibration of the synthetic counties: settings, staffing and case mix, scaled from Kent."""

from __future__ import annotations

from allocator.model import NeedType, Phase, SenStage
from allocator.synthetic.kent_facts import KENT_DISTRICTS

KENT_POPULATION = sum(d.population for d in KENT_DISTRICTS)
MINUTES_PER_FTE_WEEK = 1110

# Counts of settings per resident, calibrated on Kent (1,576,100 residents): about 460 primary and
# 100 secondary schools, a few pupil referral units and some early-years settings.
SETTINGS_PER_KENT = {Phase.PRIMARY: 460, Phase.SECONDARY: 100, Phase.PRU: 6, Phase.EARLY_YEARS: 60}
# Pupils on roll by phase: (low, high, mode) of a triangular draw.
PUPILS = {
    Phase.PRIMARY: (60, 630, 120),
    Phase.SECONDARY: (450, 1900, 1000),
    Phase.SPECIAL: (60, 320, 150),
    Phase.PRU: (20, 110, 45),
    Phase.EARLY_YEARS: (16, 70, 30),
}
SCHOOL_SPREAD_KM = 5.0
"""Standard deviation of a school's distance from its district's main town, each way."""

# The staffing formula of DESIGN.md's staffing.toml; pools and the total scale with population.
HIGH_INCIDENCE_FTE = 46.2
POOL_FTE = {NeedType.HI: 5.9, NeedType.VI: 4.1, NeedType.PI: 4.5}
FORMULA_WEIGHTS = {"pupils": 0.4, "sen_support": 0.4, "fsm_share": 0.2}
HIGH_INCIDENCE = (NeedType.CI, NeedType.BL, NeedType.BESD, NeedType.PSCN, NeedType.PD)

CASES_PER_SEN_SUPPORT_PUPIL = 0.049
"""Agreements a year per SEN-support pupil: about 1,500 for Kent."""

# Need type of an agreement by phase of the referring setting (about 10% HI/VI/PI overall).
NEED_MIX: dict[Phase, dict[NeedType, float]] = {
    Phase.PRIMARY: {
        NeedType.CI: 0.30, NeedType.BL: 0.20, NeedType.BESD: 0.14, NeedType.PSCN: 0.18,
        NeedType.PD: 0.085, NeedType.HI: 0.04, NeedType.VI: 0.025, NeedType.PI: 0.03,
    },
    Phase.SECONDARY: {
        NeedType.CI: 0.25, NeedType.BL: 0.22, NeedType.BESD: 0.25, NeedType.PSCN: 0.10,
        NeedType.PD: 0.085, NeedType.HI: 0.04, NeedType.VI: 0.025, NeedType.PI: 0.03,
    },
    Phase.PRU: {NeedType.BL: 0.40, NeedType.BESD: 0.45, NeedType.CI: 0.10, NeedType.PD: 0.05},
    Phase.EARLY_YEARS: {
        NeedType.CI: 0.35, NeedType.PSCN: 0.26, NeedType.PD: 0.17, NeedType.BL: 0.05,
        NeedType.HI: 0.07, NeedType.VI: 0.05, NeedType.PI: 0.05,
    },
}  # fmt: skip
REFERRALS_PER_PUPIL = {Phase.PRIMARY: 1.0, Phase.SECONDARY: 0.8, Phase.PRU: 4.0}
EARLY_YEARS_SHARE = 0.06
SCHOOL_STAGES = {
    SenStage.SEN_SUPPORT: 0.40, SenStage.EYA_PLUS_SA_PLUS: 0.20, SenStage.EYA_SA: 0.12,
    SenStage.EHCP: 0.20, SenStage.SSEN: 0.08,
}  # fmt: skip
EARLY_YEARS_STAGES = {
    SenStage.EYA_SA: 0.30, SenStage.EYA_PLUS_SA_PLUS: 0.35, SenStage.SEN_SUPPORT: 0.20,
    SenStage.EHCP: 0.15,
}  # fmt: skip
# Weekly minutes (multiples of 15) and their weights; sensory support runs a little longer.
MINUTES = (30, 45, 60, 75, 90, 105, 120, 150, 180)
MINUTE_WEIGHTS = (10, 16, 20, 12, 16, 6, 10, 5, 5)
POOL_MINUTE_WEIGHTS = (0, 4, 14, 12, 18, 8, 14, 6, 4)
PRIORITIES = {1: 0.12, 2: 0.40, 3: 0.48}
CONSENT = {"yes": 0.94, "no": 0.02, "exception": 0.04}
CONSENT_EXCEPTIONS = (
    "parent could not be reached before the meeting; consent to follow",
    "urgent concern raised by the school; parent informed",
)
EARLY_YEARS_EXCEPTION = "very young child at diagnosis; views to be recorded by the key worker"
LOOKED_AFTER_EXCEPTION = "child looked after; social worker consulted"

_REFERRING = (Phase.PRIMARY, Phase.SECONDARY, Phase.ALL_THROUGH, Phase.PRU)
"""Phases whose schools form the school LIFT groups and refer cases (special schools do neither)."""
