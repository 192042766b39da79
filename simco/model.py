"""The simulated organisation's entities (plain mutable records)."""

from __future__ import annotations

from decimal import Decimal


def _at(timeline: list[tuple[int, str | None]], day: int) -> str | None:
    """Value of a (since, value) timeline on a day: the latest start on or before it wins."""
    best, found = None, None
    for since, value in timeline:
        if since <= day and (best is None or since >= best):
            best, found = since, value
    return found


class Job:
    """One row of hr.job_history. end is the last day of the job (None: current)."""

    __slots__ = ("eff", "end", "role", "team", "mgr", "territory", "fte", "token")

    def __init__(
        self, eff: int, end: int | None, role: str, team: str, mgr: str | None, territory: str | None, fte: str = "1.0"
    ) -> None:
        self.eff, self.end, self.role, self.team = eff, end, role, team
        self.mgr, self.territory, self.fte = mgr, territory, fte
        # Shared by the row versions one planned change lands; cleared when the change is cancelled.
        self.token = [True]


class Employee:
    __slots__ = (
        "id",
        "user",
        "first",
        "last",
        "email",
        "region",
        "country",
        "currency",
        "title",
        "hire",
        "term",
        "term_type",
        "reason",
        "regretted",
        "jobs",
        "assigns",
        "quotas",
        "quota_keys",
        "qfactor",
        "bias",
        "protected_until",
        "salary",
        "user_mod",
        "emp_mod",
        "rehire_of",
    )

    def __init__(
        self,
        emp_id: str,
        user: str,
        first: str,
        last: str,
        email: str,
        region: str,
        country: str,
        currency: str,
        hire: int,
        title: str | None,
    ) -> None:
        self.id, self.user, self.first, self.last, self.email = emp_id, user, first, last, email
        self.region, self.country, self.currency, self.hire, self.title = region, country, currency, hire, title
        self.term: int | None = None
        self.term_type: str | None = None
        self.reason: str | None = None
        self.regretted: bool | None = None
        self.jobs: list[Job] = []
        self.assigns: list[list] = []  # [plan_id, effective_from, effective_to | None]
        self.quotas: list[tuple[str, int, Decimal]] = []
        self.quota_keys: set[tuple[str, int]] = set()
        self.qfactor = 1.0
        self.bias: float | None = None
        self.protected_until = -1  # no HR change while a planned reversal may claw back
        self.salary = 0
        self.user_mod = -1  # last SystemModstamp of the CRM user row
        self.emp_mod = -1  # last updated_at of the HR employee row
        self.rehire_of: Employee | None = None  # a rehire: the earlier employment of the person

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    def job_at(self, day: int) -> Job | None:
        found = None
        for j in self.jobs:
            if j.eff <= day:
                found = j
            else:
                break
        return found

    def active(self, day: int) -> bool:
        return self.hire <= day and (self.term is None or self.term >= day)

    def role_at(self, day: int) -> str | None:
        j = self.job_at(day)
        return j.role if j is not None and self.active(day) else None

    def assignment_at(self, day: int) -> list | None:
        for a in self.assigns:
            if a[1] <= day and (a[2] is None or day <= a[2]):
                return a
        return None


class Team:
    __slots__ = ("name", "region", "kind", "segment", "mgr_timeline")

    def __init__(self, name: str, region: str, kind: str, segment: str | None) -> None:
        self.name, self.region, self.kind, self.segment = name, region, kind, segment
        self.mgr_timeline: list[tuple[int, str | None]] = []

    def mgr_at(self, day: int) -> str | None:
        return _at(self.mgr_timeline, day)


class Territory:
    __slots__ = ("id", "name", "region", "segment", "team", "accounts", "owners", "pod", "pending", "live_from")

    def __init__(self, tid: str, name: str, region: str, segment: str, team: str) -> None:
        self.id, self.name, self.region, self.segment, self.team = tid, name, region, segment, team
        self.accounts: list[Account] = []
        self.owners: list[tuple[int, str | None]] = []  # (from day, AE user id or None = vacant)
        self.pod: Pod | None = None
        self.pending: dict | None = None  # the backfill hire on its way
        self.live_from = -1  # the day its row and accounts land

    def owner_at(self, day: int) -> str | None:
        return _at(self.owners, day)


class Pod:
    """The territories an account manager covers."""

    __slots__ = ("id", "region", "territories", "owners", "pending")

    def __init__(self, pid: int, region: str) -> None:
        self.id, self.region = pid, region
        self.territories: list[Territory] = []
        self.owners: list[tuple[int, str | None]] = []
        self.pending: dict | None = None

    def owner_at(self, day: int) -> str | None:
        return _at(self.owners, day)


class Account:
    __slots__ = (
        "id",
        "name",
        "owner",
        "industry",
        "type",
        "country",
        "currency",
        "revenue",
        "created",
        "mod",
        "terr",
        "sticky_admin",
        "at_mod",
    )

    def __init__(
        self,
        aid: str,
        name: str,
        owner: str,
        industry: str,
        atype: str,
        country: str,
        currency: str,
        revenue: int,
        created: int,
        terr: Territory | None,
    ) -> None:
        self.id, self.name, self.owner, self.industry, self.type = aid, name, owner, industry, atype
        self.country, self.currency, self.revenue, self.created = country, currency, revenue, created
        self.mod = created
        self.at_mod = created
        self.terr = terr
        self.sticky_admin = False


class Opp:
    __slots__ = (
        "id",
        "acct",
        "seg",
        "type",
        "source",
        "currency",
        "name",
        "created",
        "steps",
        "i",
        "owner",
        "planned_owner",
        "splits",
        "planned_splits",
        "reversal",
        "hist_base",
        "keep_hist",
        "closed",
        "deleted",
        "last_mod",
        "stage",
        "amount",
        "close_date",
        "end_day",
        "won_planned",
        "close_day",
        "new_account",
        "region",
        "cycle_days",
    )

    def __init__(self) -> None:
        self.i = 0
        self.closed = False
        self.deleted = False
        self.reversal: tuple[int, int] | None = None
        self.last_mod = 0
        self.new_account = False
        self.splits: list[list] = []  # [split id, user id, pct, is_deleted, last modstamp]
        self.planned_splits: list[list] = []


class Lead:
    __slots__ = (
        "id",
        "company",
        "source",
        "owner",
        "planned_owner",
        "created",
        "steps",
        "i",
        "status",
        "mql",
        "sql",
        "conv_ts",
        "conv_opp",
        "conv_acct",
        "done",
        "deleted",
        "last_mod",
        "region",
        "converted_day",
    )

    def __init__(self) -> None:
        self.i = 0
        self.status = "Open - Not Contacted"
        self.mql: int | None = None
        self.sql: int | None = None
        self.conv_opp: str | None = None
        self.conv_acct: str | None = None
        self.converted_day: int | None = None
        self.done = False
        self.deleted = False
        self.last_mod = 0
