"""Commission arithmetic exactly as METRICS.md defines it (Decimal, unrounded).

Pure functions: the simulation feeds them the facts of one rep and plan period
and gets back the lines a warehouse implementing METRICS.md must compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from simco.timeutil import months_in, quarter_start, tenure_month

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")


def cents(x: Decimal) -> Decimal:
    """Round half away from zero to cents."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def ramp_share(ramp: tuple[tuple[int, Decimal], ...], tenure: int) -> Decimal:
    if tenure < 1:
        return ZERO
    for month, share in ramp:
        if month == tenure:
            return share
    return ONE


def ramped_quota(
    period_type: str,
    period_start: int,
    hire_day: int,
    termination_day: int | None,
    quota_rows: list[tuple[str, int, Decimal]],
    ramp_of_month,
) -> Decimal:
    """Ramp-adjusted quota of a plan period (USD quota rows only).

    quota_rows: (period_type, period_start, amount) of the rep. ramp_of_month:
    month first day -> the ramp schedule of the plan in force that month.
    """
    total = ZERO
    for m in months_in(period_start, period_type):
        month_quota = ZERO
        for ptype, pstart, amount in quota_rows:
            if termination_day is not None and pstart > termination_day:
                continue  # quotas for periods starting after the termination are ignored
            if ptype == "month" and pstart == m:
                month_quota += amount
            elif ptype == "quarter" and quarter_start(m) == pstart:
                month_quota += amount / 3  # a quarterly quota counts one third per month
        if month_quota:
            total += month_quota * ramp_share(ramp_of_month(m), tenure_month(hire_day, m))
    return total


def tier_commissions(
    credits: list[Decimal], quota: Decimal, tiers: tuple[tuple[Decimal, Decimal | None, Decimal], ...]
) -> list[Decimal]:
    """Commission of each credited amount, filling marginal bands in the given order."""
    if quota <= 0:
        return [ZERO] * len(credits)
    bands = [(lo * quota, None if hi is None else hi * quota, rate) for lo, hi, rate in tiers]
    out = []
    cum = ZERO
    for amount in credits:
        lo, hi = cum, cum + amount
        c = ZERO
        for b_lo, b_hi, rate in bands:
            top = hi if b_hi is None else min(hi, b_hi)
            bottom = max(lo, b_lo)
            if top > bottom:
                c += (top - bottom) * rate
        out.append(c)
        cum = hi
    return out


@dataclass
class Piece:
    """One rep's credit on one won deal."""

    close_day: int
    opp_id: str
    credit_usd: Decimal
    is_owner: bool
    opp_type: str


@dataclass
class PeriodResult:
    quota: Decimal
    credited: Decimal
    commission: Decimal
    spif: Decimal
    cap_adjustment: Decimal
    clawback: Decimal
    computed: Decimal
    pay_factor: Decimal  # share of commission + SPIF left after a binding cap
    per_deal: dict[str, Decimal]  # opp id -> commission + SPIF of this rep on it (before cap)
    n_deals: int

    @property
    def no_quota(self) -> bool:
        return self.n_deals > 0 and self.quota <= 0


def compute_period(
    pieces: list[Piece],
    quota: Decimal,
    tiers,
    cap: Decimal | None,
    spif_for,
    clawback: Decimal,
) -> PeriodResult:
    """Lines of one rep and plan period.

    spif_for: piece -> SPIF amount in USD the deal earns its owner (0 when none).
    clawback: the clawback lines (positive) that fall in this period.
    """
    ordered = sorted(pieces, key=lambda p: (p.close_day, p.opp_id))
    comms = tier_commissions([p.credit_usd for p in ordered], quota, tiers)
    per_deal: dict[str, Decimal] = {}
    spif_total = ZERO
    for p, c in zip(ordered, comms):
        s = spif_for(p) if p.is_owner else ZERO
        spif_total += s
        per_deal[p.opp_id] = c + s
    commission = sum(comms, ZERO)
    gross = commission + spif_total
    cap_adj = ZERO
    factor = ONE
    if cap is not None and gross > cap:
        cap_adj = cap - gross
        factor = cap / gross
    return PeriodResult(
        quota=quota,
        credited=sum((p.credit_usd for p in ordered), ZERO),
        commission=commission,
        spif=spif_total,
        cap_adjustment=cap_adj,
        clawback=clawback,
        computed=gross + cap_adj - clawback,
        pay_factor=factor,
        per_deal=per_deal,
        n_deals=len(ordered),
    )
