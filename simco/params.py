"""The simulated company's true parameters: stages, segments, plans and rates.

Everything a test might want to recover from the marts (win probability and
cycle length per segment, tiers, ramps) is a constant here, so the ground truth
can quote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Salesforce's default opportunity stages: (name, probability, forecast category).
STAGES: tuple[tuple[str, int, str], ...] = (
    ("Prospecting", 10, "Pipeline"),
    ("Qualification", 10, "Pipeline"),
    ("Needs Analysis", 20, "Pipeline"),
    ("Value Proposition", 50, "Pipeline"),
    ("Id. Decision Makers", 60, "Best Case"),
    ("Perception Analysis", 70, "Best Case"),
    ("Proposal/Price Quote", 75, "Best Case"),
    ("Negotiation/Review", 90, "Commit"),
    ("Closed Won", 100, "Closed"),
    ("Closed Lost", 0, "Omitted"),
)
N_OPEN = 8
WON = 8
LOST = 9

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")


@dataclass(frozen=True)
class Segment:
    win_probability: float  # P(won) for every opportunity of the segment, any type
    cycle_mean_days: float  # mean created-to-close days of won deals
    amount_median_usd: float
    amount_sigma: float
    outbound_per_month: float  # self-sourced New Business per fully ramped AE
    accounts_per_territory: int
    quota_quarter_usd: int  # full quarterly AE quota before the rep factor
    lead_weight: float  # share of inbound new logos landing in the segment
    account_revenue: tuple[int, int]


SEGMENT = {
    "SMB": Segment(0.30, 30.0, 12_000, 0.55, 3.0, 60, 60_000, 0.55, (1_000_000, 50_000_000)),
    "Mid-Market": Segment(0.24, 65.0, 40_000, 0.60, 2.0, 40, 114_000, 0.33, (50_000_000, 1_000_000_000)),
    "Enterprise": Segment(0.18, 120.0, 120_000, 0.70, 1.2, 25, 171_000, 0.12, (1_000_000_000, 50_000_000_000)),
}
LOST_CYCLE_FACTOR = 0.8
CYCLE_SIGMA = 0.5  # lognormal sigma of the cycle length

LEAD_SOURCES = (
    ("Web", 40),
    ("Partner Referral", 15),
    ("Purchased List", 12),
    ("Trade Show", 10),
    ("Phone Inquiry", 10),
    ("Employee Referral", 5),
    ("Other", 8),
)
OUTBOUND_SOURCE = "Outbound"
LEADS_PER_SDR_MONTH = 25.0
AM_OPPS_PER_MONTH = 4.0
AM_AMOUNT_FACTOR = 0.5

# Probabilities of the shape of a deal's life.
P_SKIP_STAGE = 0.18
P_BACKWARDS = 0.12
P_AMOUNT_CHANGE = 0.30
P_CLOSE_DISCOUNT = 0.20
P_DELETE_OUTRIGHT = 0.004
P_REVERSAL = 0.025
P_SDR_SPLIT = 0.6
P_AE_SPLIT = 0.12

# Annual separation hazards (voluntary, involuntary) by role.
HAZARD = {
    "AE": (0.18, 0.08),
    "AM": (0.15, 0.06),
    "SDR": (0.25, 0.08),
    "BDR": (0.25, 0.08),
    "SE": (0.12, 0.03),
    "Manager": (0.10, 0.04),
}
EARLY_HAZARD_FACTOR = 2.5
GROWTH_PER_YEAR = 0.08
P_BACKFILL = 0.85
P_PROMOTION = 0.12
P_REGRETTED = 0.45

VOLUNTARY_REASONS = (
    "Better opportunity",
    "Compensation",
    "Relocation",
    "Career change",
    "Personal reasons",
    "Manager relationship",
)
INVOLUNTARY_REASONS = ("Performance", "Restructuring", "Policy violation")

REPORTING_CURRENCY = "USD"
FX_START = {"EUR": 1.09, "GBP": 1.27}


@dataclass(frozen=True)
class Plan:
    plan_id: str
    name: str
    period_type: str
    currency: str
    clawback_days: int
    payout_cap: Decimal | None
    tiers: tuple[tuple[Decimal, Decimal | None, Decimal], ...]
    ramp: tuple[tuple[int, Decimal], ...]


def _d(s: str) -> Decimal:
    return Decimal(s)


AE_TIERS = ((_d("0"), _d("1.0"), _d("0.08")), (_d("1.0"), _d("1.5"), _d("0.12")), (_d("1.5"), None, _d("0.15")))
ACC_TIERS = ((_d("0"), _d("0.5"), _d("0.06")), (_d("0.5"), _d("1.0"), _d("0.09")), (_d("1.0"), None, _d("0.14")))
AM_TIERS = ((_d("0"), _d("1.0"), _d("0.05")), (_d("1.0"), None, _d("0.07")))
SDR_TIERS = ((_d("0"), _d("1.0"), _d("0.15")), (_d("1.0"), None, _d("0.25")))
AE_RAMP = ((1, _d("0")), (2, _d("0.33")), (3, _d("0.66")))
AM_RAMP = ((1, _d("0.25")), (2, _d("0.5")), (3, _d("0.75")))
SDR_RAMP = ((1, _d("0.5")),)


def _plans() -> dict[str, Plan]:
    ps = [
        Plan("PLN-AE-SMB", "AE SMB Quarterly", "quarter", "USD", 90, None, AE_TIERS, AE_RAMP),
        Plan("PLN-AE-MM", "AE Mid-Market Quarterly", "quarter", "USD", 90, None, AE_TIERS, AE_RAMP),
        Plan("PLN-AE-ENT", "AE Enterprise Quarterly", "quarter", "USD", 90, _d("60000.00"), AE_TIERS, AE_RAMP),
        Plan("PLN-AE-SMB-ACC", "AE SMB Accelerator (H2)", "quarter", "USD", 90, None, ACC_TIERS, AE_RAMP),
        Plan("PLN-AE-EUR", "AE EMEA Quarterly (EUR)", "quarter", "EUR", 90, None, AE_TIERS, AE_RAMP),
        Plan("PLN-AE-GBP", "AE EMEA Quarterly (GBP)", "quarter", "GBP", 90, None, AE_TIERS, AE_RAMP),
        Plan("PLN-AM-USD", "Account Management Quarterly", "quarter", "USD", 90, None, AM_TIERS, AM_RAMP),
        Plan("PLN-AM-EUR", "Account Management Quarterly (EUR)", "quarter", "EUR", 90, None, AM_TIERS, AM_RAMP),
        Plan("PLN-AM-GBP", "Account Management Quarterly (GBP)", "quarter", "GBP", 90, None, AM_TIERS, AM_RAMP),
        Plan("PLN-SDR-USD", "SDR Monthly", "month", "USD", 60, _d("2500.00"), SDR_TIERS, SDR_RAMP),
        Plan("PLN-SDR-EUR", "SDR Monthly (EUR)", "month", "EUR", 60, None, SDR_TIERS, SDR_RAMP),
        Plan("PLN-SDR-GBP", "SDR Monthly (GBP)", "month", "GBP", 60, None, SDR_TIERS, SDR_RAMP),
    ]
    return {p.plan_id: p for p in ps}


PLANS = _plans()


def plan_for(role: str, segment: str | None, currency: str, accelerator: bool = False) -> str:
    """The plan id a quota carrier of this role, segment and pay currency is on."""
    if role in ("SDR", "BDR"):
        return f"PLN-SDR-{currency}"
    if role == "AM":
        return f"PLN-AM-{currency}"
    if currency != "USD":
        return f"PLN-AE-{currency}"
    if segment == "SMB":
        return "PLN-AE-SMB-ACC" if accelerator else "PLN-AE-SMB"
    return "PLN-AE-MM" if segment == "Mid-Market" else "PLN-AE-ENT"


# Monthly quotas (USD, before the rep factor).
SDR_QUOTA_MONTH = 5_000
AM_QUOTA_QUARTER = 60_000
AM_QUOTA_MONTH = 5_000

# Base salary (USD) and OTE multiple by role.
SALARY = {
    "AE": (85_000, 2.0),
    "AM": (80_000, 1.6),
    "SDR": (55_000, 1.35),
    "BDR": (55_000, 1.35),
    "SE": (120_000, 1.25),
    "Manager": (140_000, 1.5),
}

REGION_HOURS = {
    "North America": (14 * 3600, 23 * 3600),
    "NA East": (13 * 3600, 22 * 3600),
    "NA West": (16 * 3600, 23 * 3600 + 1800),
    "EMEA": (7 * 3600 + 1800, 17 * 3600),
    "APAC": (1 * 3600, 9 * 3600 + 1800),
}
