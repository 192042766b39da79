"""The day-by-day simulation of the sales organisation.

Each quarter is planned on its first day: HR events (terminations, hires,
promotions, transfers), the leads and opportunities created in the quarter with
their whole life, which won deals will be reversed, and so every forecaster's
actual bookings for the quarter and its months. Then the days are played: the
agenda fires timed events that emit row versions into the landing writer, and
plan periods are closed and paid exactly as METRICS.md prescribes.

Two parts stand alone, each a class that takes what it needs and returns its rows:
payroll (simco.payroll: plan periods, the commission ledger, quotas, payouts) and
forecasts (simco.forecasting). The organisation, HR and CRM are still mixins sharing
the simulation's state: organisation set-up and record emitters (simco.org), HR
planning (simco.hr) and the CRM pipeline (simco.crm). This module holds the state,
the agenda and the day loop.
"""

from __future__ import annotations

import heapq
import random
from datetime import date
from pathlib import Path

from simco.crm import CrmMixin
from simco.forecasting import Forecasts
from simco.fx import Fx
from simco.hr import HrMixin
from simco.ids import IdFactory
from simco.landing import Landing
from simco.model import Account, Employee, Lead, Opp, Pod, Team, Territory
from simco.org import OrgMixin
from simco.params import REGION_HOURS
from simco.payroll import Payroll
from simco.timeutil import DAY, iso_date, month_start, next_monday, quarter_end, quarter_start, weekday
from simco.truth import Truth


class Simulation(OrgMixin, HrMixin, CrmMixin):
    def __init__(self, out: Path, reps: int, start: date, end: date, seed: int, rehires: int = 1) -> None:
        if reps < 1:
            raise ValueError("reps must be at least 1")
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        self.out, self.reps, self.seed = out, reps, seed
        # Prefix stability: the simulation never reads `end` (only the day loop stops there and
        # the ground truth describes the files as of it), so generating the same company with a
        # later --end writes the same files for every earlier day. The planted cases (forced HR
        # events and reversals, the H2 plan change and realignment, SPIFs, closed-period rows,
        # payroll errors) are placed on a notional year from the first landing day, `horizon`.
        self.start, self.end = start.toordinal(), end.toordinal()
        self.horizon = self.start + 364
        self.W = quarter_start(self.start - 182)  # warm-up start
        self.force_after = self.start + int((self.horizon - self.start) * 0.4)

        def stream(name: str) -> random.Random:
            return random.Random(f"{seed}:{name}")

        self.r_org, self.r_hr, self.r_pipe = stream("org"), stream("hr"), stream("pipeline")
        self.r_lead, self.r_act, self.r_fc = stream("leads"), stream("activity"), stream("forecast")
        self.r_comp = stream("comp")
        r_ids = stream("ids")
        self.id_account, self.id_user = IdFactory("001", r_ids), IdFactory("005", r_ids)
        self.id_opp, self.id_hist = IdFactory("006", r_ids), IdFactory("008", r_ids)
        self.id_lead, self.id_task = IdFactory("00Q", r_ids), IdFactory("00T", r_ids)
        self.id_event, self.id_role = IdFactory("00U", r_ids), IdFactory("00E", r_ids)
        self.id_terr, self.id_split = IdFactory("0MI", r_ids), IdFactory("149", r_ids)
        self.id_fc = IdFactory("a0F", r_ids)
        self.fx = Fx(seed, next_monday(self.W - 63))
        self.land = Landing(out, self.start)
        self.truth = Truth(self)
        self.forecasts = Forecasts(
            seed=seed, rng=self.r_fc, ids=self.id_fc, fx=self.fx, emit=self.emit,
            business_time=self._biz, truth=self.truth,
        )

        self.agenda: dict[int, list] = {}
        self._heap: list | None = None
        self._seq = 0
        self.today = self.W
        self.now = self.W * DAY

        self.employees: dict[str, Employee] = {}
        self.emp_by_user: dict[str, Employee] = {}
        self.teams: dict[str, Team] = {}
        self.territories: dict[str, Territory] = {}
        self.pods: list[Pod] = []
        self.role_ids: dict[tuple, str] = {}
        self.regions: tuple[str, ...] = ()
        self.region_weights: tuple[float, ...] = ()
        self.vp: Employee | None = None
        self.directors: dict[str, Employee] = {}
        self.unassigned_accounts: list[Account] = []
        self.pod_by_user: dict[str, Pod] = {}
        self.leads_by_user: dict[str, list[Lead]] = {}
        self.region_terrs: dict[tuple[str, str | None], list[Territory]] = {}
        self.ae_by_team: dict[str, list[Employee]] = {}
        self.se_by_region: dict[str, list[Employee]] = {}
        self._salary_rows_init: list[tuple] = []
        self._emails: dict[str, int] = {}
        self._emp_n = 10000

        self.open_opps: dict[str, Opp] = {}
        self.opps_by_user: dict[str, list[Opp]] = {}
        self.leads: dict[str, Lead] = {}
        self.deferred: list[Lead] = []
        self.pending_hires: list[dict] = []
        # Rehires (simco.hr, _rehire): a rehire is simulated as an employment of its own, with an
        # internal CRM user id of its own, and lands with the person's earlier CRM user id:
        # internal user id -> the CRM user id written.
        self.rehires_left = rehires
        self.crm_user_of: dict[str, str] = {}
        self._rr: dict[str, int] = {}
        self._cover_cache: dict = {}
        # planted events dated on or after the first landing day, by kind (they steer the
        # forcing); self.counted: (kind, day) of each, for the ground truth's count by `end`
        self.counted: list[tuple[str, int]] = []
        self.counters = {
            "promotion": 0,
            "transfer": 0,
            "early": 0,
            "regretted": 0,
            "involuntary": 0,
            "reversal": 0,
            "late_reversal": 0,
            "team_transfer": 0,
            "plan_change": 0,
        }

        # comp
        self.payroll = Payroll(
            start=self.start, horizon=self.horizon, warmup_start=self.W, reps=reps, rng=self.r_comp, fx=self.fx,
            emit=self.emit, emit_at=lambda ts, table, values: self.schedule(ts, self._h_emit, table, values),
            truth=self.truth,
        )

    def schedule(self, ts: int, fn, a=None, b=None) -> None:
        self._seq += 1
        day = ts // DAY
        # leave the last minute of a day free, so a handler's +1s stamps stay on its landing day
        ts = min(ts, day * DAY + DAY - 60)
        if day <= self.today and self._heap is not None:
            heapq.heappush(self._heap, (max(ts, self.now), self._seq, fn, a, b))
        else:
            if day < self.today:
                day, ts = self.today, self.today * DAY
            self.agenda.setdefault(day, []).append((ts, self._seq, fn, a, b))

    def run(self) -> None:
        self._init_org()
        for day in range(self.W, self.end + 1):
            self.today = day
            self.now = day * DAY
            if day == quarter_start(day):
                self._plan_quarter(day)
            if day == month_start(day):
                self.payroll.open_periods(day)
                self.payroll.month_quotas(day, self.employees, self.territories)
            for cur, text in self.fx.published(day):
                self.land.emit("fx_rate", None, [iso_date(day), cur, text], None, True)
            if weekday(day) == 0:
                self.forecasts.submit(day, self.employees)
            items = self.agenda.pop(day, [])
            heapq.heapify(items)
            self._heap = items
            while items:
                ts, _, fn, a, b = heapq.heappop(items)
                self.now = ts
                fn(a, b)
            self._heap = None
            self.now = day * DAY + DAY - 1
            for ptype, pstart in self.payroll.close_days.get(day, ()):
                self.payroll.close_period(ptype, pstart, day, self.employees)
            self.land.end_day(day)

    def emit(self, table: str, key, values: list[str], ts: int | None, final: bool = False) -> None:
        if self.crm_user_of:
            alias = self.crm_user_of
            values = [alias.get(v, v) for v in values]
            key = tuple(alias.get(k, k) for k in key) if isinstance(key, tuple) else alias.get(key, key)
        self.land.emit(table, key, values, ts, final)

    def _biz(self, rng: random.Random, day: int, region: str) -> int:
        h = REGION_HOURS[region]
        return day * DAY + rng.randint(h[0], h[1])

    def _plan_quarter(self, q0: int) -> None:
        q1 = quarter_end(q0)
        self._cover_cache = {}
        self.opps_by_user = {}
        for opp in self.open_opps.values():
            for u in self._credited_users(opp):
                self.opps_by_user.setdefault(u, []).append(opp)
        self.leads_by_user = {}
        for ld in self.leads.values():
            self.leads_by_user.setdefault(ld.planned_owner, []).append(ld)
        if q0 > self.W:
            self._quarter_start_changes(q0)
        self._plan_terminations(q0, q1)
        self._plan_growth(q0, q1)
        self._create_pending_hires(q0, q1)
        self._index_quarter(q0, q1)
        self._plan_leads(q0, q1)
        self._plan_outbound(q0, q1)
        self._plan_reversals(q0, q1)
        self.forecasts.plan_actuals(q0, q1, self.open_opps, self.employees, self.emp_by_user)

    def _index_quarter(self, q0: int, q1: int) -> None:
        """Who may sell, cover or support in the quarter, for fast look-ups while planning it."""
        self.region_terrs = {}
        for t in self.territories.values():
            self.region_terrs.setdefault((t.region, None), []).append(t)
            self.region_terrs.setdefault((t.region, t.segment), []).append(t)
        self.ae_by_team, self.se_by_region = {}, {}
        for e in self.employees.values():
            if e.hire > q1 or (e.term is not None and e.term < q0):
                continue
            for j in e.jobs:
                if j.role == "AE" and (j.end is None or j.end >= q0) and j.eff <= q1:
                    lst = self.ae_by_team.setdefault(j.team, [])
                    if not lst or lst[-1] is not e:
                        lst.append(e)
                if j.role == "SE":
                    lst = self.se_by_region.setdefault(e.region, [])
                    if not lst or lst[-1] is not e:
                        lst.append(e)

    def _count(self, kind: str, day: int) -> None:
        """Count a planted event of `kind` dated `day` (from the first landing day on)."""
        if day >= self.start:
            self.counters[kind] += 1
            self.counted.append((kind, day))
