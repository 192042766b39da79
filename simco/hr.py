"""HR planning: terminations, hires and backfills, promotions, transfers and manager changes.

Planned on each quarter's first day for the whole quarter, so the quarter's forecasts and
commissions can be known in advance; the rows land on their days through the agenda.
"""

from __future__ import annotations

import math
from datetime import date

from simco.model import Account, Employee, Job, Pod, Team, Territory
from simco.params import (
    EARLY_HAZARD_FACTOR,
    GROWTH_PER_YEAR,
    HAZARD,
    INVOLUNTARY_REASONS,
    P_BACKFILL,
    P_PROMOTION,
    P_REGRETTED,
    SALARY,
    SEGMENT,
    SEGMENTS,
    VOLUNTARY_REASONS,
    plan_for,
)
from simco.simbase import BOOKKEEPING, QUOTA_ROLES, SELLER_ROLES
from simco.timeutil import DAY, add_months, iso_date, next_monday, next_weekday, quarter_start, weekday


class HrMixin:
    """Part of `Simulation` (see simco.sim); reads and writes its state."""

    def _stable(self, emp: Employee, day: int) -> bool:
        return emp.term is None and emp.protected_until < day

    def _job_change(self, emp: Employee, eff: int, ts: int, **changes) -> Job:
        """A new job_history row from `eff` (the previous one ends the day before)."""
        cur = emp.jobs[-1]
        if cur.eff == eff:
            for k, v in changes.items():
                setattr(cur, k, v)
            self._schedule_job(emp, cur, ts)
            return cur
        new = Job(
            eff,
            None,
            changes.get("role", cur.role),
            changes.get("team", cur.team),
            changes.get("mgr", cur.mgr),
            changes.get("territory", cur.territory),
            cur.fte,
        )
        if emp.term is not None and cur.end == emp.term:
            # a planned leaver: the new job ends on the last day worked, and the row
            # version that ended the old one there is superseded
            cur.token[0] = False
            new.end = emp.term
        cur.end = eff - 1
        cur.token = new.token
        emp.jobs.append(new)
        self._schedule_job(emp, cur, ts)
        self._schedule_job(emp, new, ts)
        return new

    def _change_plan(self, emp: Employee, eff: int, plan_id: str) -> None:
        ts = eff * DAY + BOOKKEEPING
        same_day = next((a for a in emp.assigns if a[1] == eff), None)
        if same_day is not None:
            # a second change on one day (e.g. accelerator plan, then a transfer): one row
            same_day[0] = plan_id
            self.schedule(ts, self._h_assign, emp, self._assign_values(emp, same_day))
            return
        cur = emp.assignment_at(eff - 1)
        if cur is not None and cur[0] == plan_id:
            return
        if cur is not None:
            cur[2] = eff - 1
            self.schedule(ts, self._h_assign, emp, self._assign_values(emp, cur))
        a = [plan_id, eff, None]
        emp.assigns.append(a)
        self.schedule(ts, self._h_assign, emp, self._assign_values(emp, a))

    def _quarter_start_changes(self, P: int) -> None:
        r = self.r_hr
        ts = P * DAY + BOOKKEEPING
        if date.fromordinal(P).month == 1:
            for emp in self.employees.values():
                if emp.active(P) and emp.hire < P - 180 and r.random() < 0.7:
                    emp.salary = int(round(emp.salary * r.uniform(1.02, 1.06) / 500.0)) * 500
                    mult = SALARY[emp.jobs[-1].role][1]
                    self.schedule(ts, self._h_salary, emp, (P, emp.salary, int(round(emp.salary * mult / 500.0)) * 500))
        forcing = P >= self.force_after
        # H2 accelerator plan for some NA SMB account executives
        mid = quarter_start(self.start + (self.horizon - self.start) // 2)
        if P == mid or (P == add_months(mid, 3) and self.counters["plan_change"] == 0):
            for emp in self.employees.values():
                a = emp.assignment_at(P)
                if a and a[0] == "PLN-AE-SMB" and emp.active(P) and self._stable(emp, P) and r.random() < 0.35:
                    self._change_plan(emp, P, "PLN-AE-SMB-ACC")
                    self._count("plan_change", P)
        # promotions SDR -> AE
        sdrs = [
            e
            for e in self.employees.values()
            if e.role_at(P) in ("SDR", "BDR") and P - e.hire >= 270 and self._stable(e, P)
        ]
        want_force = forcing and self.counters["promotion"] == 0
        for emp in sdrs:
            if r.random() < P_PROMOTION or want_force:
                terr = self._vacant_territory(emp.region, P) or self._growth_territory(emp.region, P)
                if terr is None:
                    continue
                self._promote(emp, terr, P)
                want_force = False
        # transfers of account executives into vacant territories
        want_force = forcing and self.counters["transfer"] == 0
        for terr in list(self.territories.values()):
            if terr.owner_at(P) is not None or terr.pending is None or terr.pending.get("created"):
                continue
            if not (r.random() < 0.3 or want_force):
                continue
            cands = [
                e
                for e in self.employees.values()
                if e.role_at(P) == "AE"
                and e.region == terr.region
                and P - e.hire > 365
                and self._stable(e, P)
                and e.jobs[-1].territory != terr.id
            ]
            if not cands:
                continue
            self._transfer(r.choice(cands), terr, P)
            want_force = False
        # solutions engineers move between regions now and then
        se_teams = [t for t in self.teams.values() if t.kind == "SE"]
        if len(se_teams) > 1:
            want_force = forcing and self.counters["team_transfer"] == 0
            for emp in list(self.employees.values()):
                if emp.role_at(P) == "SE" and self._stable(emp, P) and (r.random() < 0.04 or want_force):
                    team = r.choice([t for t in se_teams if t.name != emp.jobs[-1].team])
                    self._job_change(emp, P, ts, team=team.name, mgr=team.mgr_at(P))
                    self.schedule(ts + 3600, self._h_user, emp)
                    want_force = False
                    self._count("team_transfer", P)
        # territory realignment: a few accounts move between territories of one region and segment
        if P == mid:
            groups: dict[tuple[str, str], list[Territory]] = {}
            for t in self.territories.values():
                groups.setdefault((t.region, t.segment), []).append(t)
            for ts_list in groups.values():
                if len(ts_list) < 2:
                    continue
                for t in ts_list:
                    for acc in list(t.accounts):
                        if r.random() < 0.03:
                            dest = r.choice([x for x in ts_list if x is not t])
                            t.accounts.remove(acc)
                            dest.accounts.append(acc)
                            acc.terr = dest
                            self.schedule(P * DAY + BOOKKEEPING + 1200, self._h_account_moved, acc)

    def _vacant_territory(self, region: str, P: int) -> Territory | None:
        for t in self.territories.values():
            if t.region == region and t.owner_at(P) is None and not (t.pending and t.pending.get("created")):
                return t
        return None

    def _growth_territory(self, region: str, P: int) -> Territory | None:
        teams = [t for t in self.teams.values() if t.kind == "AE" and t.region == region]
        if not teams:
            return None
        team = teams[0]
        seg = team.segment or "SMB"
        terr = self._new_territory(region, seg, team.name, P)
        return terr

    def _new_territory(self, region: str, seg: str, team: str, day: int) -> Territory:
        """A territory created mid-span: its row and fresh prospect accounts land on `day`."""
        terr = self._make_territory(region, seg, team)
        terr.owners.append((-1, None))
        terr.live_from = day
        r = self.r_org
        accounts = []
        for _ in range(int(SEGMENT[terr.segment].accounts_per_territory * r.uniform(0.6, 0.9))):
            acc = self._new_account(terr, None, day, r, "Prospect")
            acc.created = acc.mod = acc.at_mod = day * DAY + BOOKKEEPING + 600
            accounts.append(acc)
        self.schedule(day * DAY + BOOKKEEPING + 600, self._h_new_territory, terr, accounts)
        return terr

    def _h_new_territory(self, terr: Territory, accounts: list) -> None:
        self.emit("territory", terr.id, [terr.id, terr.name, terr.region, terr.segment], self.now, True)
        owner = terr.owner_at(self.today) or self.admin_user
        for acc in accounts:
            acc.owner = owner
            self._emit_account(acc, acc.mod, True)
            self._emit_account_territory(acc, acc.at_mod, True)

    def _take_territory(self, emp: Employee, terr: Territory, day: int) -> None:
        if terr.pending is not None and not terr.pending.get("created"):
            terr.pending["cancelled"] = True
        terr.pending = None
        terr.owners.append((day, emp.user))
        self.schedule(day * DAY + BOOKKEEPING + 900, self._h_account_owner, terr, day)

    def _promote(self, emp: Employee, terr: Territory, P: int) -> None:
        ts = P * DAY + BOOKKEEPING
        old_team = emp.jobs[-1].team
        team = self.teams[terr.team]
        self._job_change(emp, P, ts, role="AE", team=team.name, mgr=team.mgr_at(P), territory=terr.id)
        self._take_territory(emp, terr, P)
        self._change_plan(emp, P, plan_for("AE", terr.segment, emp.currency))
        base, ote = self._salary_amount(emp, "AE")
        emp.salary = max(base, emp.salary + 5000)
        self.schedule(ts, self._h_salary, emp, (P, emp.salary, int(round(emp.salary * 2.0 / 500.0)) * 500))
        self.schedule(ts + 3600, self._h_user, emp)
        self._reassign_leads(emp, P - 1)
        self.schedule(self._biz(self.r_act, P, emp.region), self._h_rep_act, emp)
        self._add_pending(P + self.r_hr.randint(21, 60), "SDR", emp.region, old_team, None, None)
        self._count("promotion", P)
        self.truth.promotions.append({"employee_id": emp.id, "effective_date": iso_date(P), "from": "SDR", "to": "AE"})

    def _transfer(self, emp: Employee, terr: Territory, P: int) -> None:
        ts = P * DAY + BOOKKEEPING
        old = self.territories.get(emp.jobs[-1].territory)
        team = self.teams[terr.team]
        if team.name != emp.jobs[-1].team:
            self._count("team_transfer", P)
        self._job_change(emp, P, ts, team=team.name, mgr=team.mgr_at(P), territory=terr.id)
        self._take_territory(emp, terr, P)
        self._change_plan(emp, P, plan_for("AE", terr.segment, emp.currency))
        self.schedule(ts + 3600, self._h_user, emp)
        if old is not None:
            old.owners.append((P, None))
            self.schedule(ts + 1800, self._h_account_owner, old, P)
            self._add_pending(P + self.r_hr.randint(21, 75), "AE", old.region, old.team, old, None)
        self._count("transfer", P)

    def _add_pending(
        self,
        hire: int,
        role: str,
        region: str,
        team: str,
        terr: Territory | None,
        pod: Pod | None,
        replaces: str | None = None,
    ) -> None:
        p = {
            "hire": next_monday(hire),
            "role": role,
            "region": region,
            "team": team,
            "terr": terr,
            "pod": pod,
            "created": False,
            "cancelled": False,
            "replaces": replaces,
        }
        self.pending_hires.append(p)
        if terr is not None:
            terr.pending = p
        if pod is not None:
            pod.pending = p

    # terminations

    def _plan_terminations(self, q0: int, q1: int) -> None:
        r = self.r_hr
        chosen: list[tuple[int, Employee, str, bool]] = []
        forcing = q0 >= self.force_after
        for emp in self.employees.values():
            if emp.title in ("VP", "Director") or not emp.active(q0) or not self._stable(emp, q0):
                continue
            role = emp.role_at(q0)
            if role is None:
                continue
            hv, hi = HAZARD[role]
            early = q0 - emp.hire < 180
            f = EARLY_HAZARD_FACTOR if early else 1.0
            p = 1 - math.exp(-(hv + hi) * f * 0.25)
            if r.random() >= p:
                continue
            T = self._term_day(emp, role, q0, q1)
            if T is None:
                continue
            vol = r.random() < hv / (hv + hi)
            chosen.append((T, emp, "voluntary" if vol else "involuntary", vol and r.random() < P_REGRETTED))
        picked = {e.id for _, e, _, _ in chosen}
        if forcing:

            def force(pred, kind: str, regretted: bool) -> None:
                for emp in self.employees.values():
                    if (
                        emp.id in picked
                        or emp.title in ("VP", "Director")
                        or not emp.active(q0)
                        or not self._stable(emp, q0)
                    ):
                        continue
                    role = emp.role_at(q0)
                    if role is None or role == "Manager":
                        continue
                    T = self._term_day(emp, role, q0, q1)
                    if T is None or not pred(emp, T):
                        continue
                    chosen.append((T, emp, kind, regretted))
                    picked.add(emp.id)
                    return

            if self.counters["early"] == 0:
                force(lambda e, T: T - e.hire < 170, "voluntary", False)
            if self.counters["regretted"] == 0:
                force(lambda e, T: T - e.hire > 190, "voluntary", True)
            if self.counters["involuntary"] == 0:
                force(lambda e, T: T - e.hire > 190, "involuntary", False)
        chosen.sort(key=lambda c: (c[0], c[1].id))
        for T, emp, _kind, _regretted in chosen:
            emp.term = T
        for T, emp, kind, regretted in chosen:
            self._terminate(emp, T, kind, regretted)

    def _term_day(self, emp: Employee, role: str, q0: int, q1: int) -> int | None:
        r = self.r_hr
        lo = add_months(q0, 2) if role in SELLER_ROLES else q0
        lo = max(lo, emp.hire + 20, self.today)
        for _ in range(6):
            if lo > q1:
                return None
            T = r.randint(lo, q1)
            if weekday(T) >= 5:
                T -= weekday(T) - 4
            if T < lo:
                continue
            if 170 <= T - emp.hire <= 190:
                continue  # keep clear of the 180-day early-attrition boundary
            return T
        return None

    def _terminate(self, emp: Employee, T: int, kind: str, regretted: bool) -> None:
        r = self.r_hr
        emp.term_type = kind
        emp.regretted = regretted if kind == "voluntary" else False
        emp.reason = r.choice(VOLUNTARY_REASONS if kind == "voluntary" else INVOLUNTARY_REASONS)
        if T - emp.hire < 180:
            self._count("early", T)
        if emp.regretted:
            self._count("regretted", T)
        if kind == "involuntary":
            self._count("involuntary", T)
        notice = max(self.today, T - r.randint(7, 21)) if kind == "voluntary" else T
        self.schedule(notice * DAY + 16 * 3600 + r.randint(0, 3600), self._h_emp, emp, True)
        for j in emp.jobs:
            if j.eff > T:
                j.token[0] = False
        emp.jobs = [j for j in emp.jobs if j.eff <= T]
        last = emp.jobs[-1]
        last.end = T
        last.token = [True]
        self._schedule_job(emp, last, T * DAY + 17 * 3600)
        emp.assigns = [a for a in emp.assigns if a[1] <= T]
        if emp.assigns:
            a = emp.assigns[-1]
            if a[2] is None or a[2] > T:
                a[2] = T
                self.schedule(T * DAY + 17 * 3600, self._h_assign, emp, self._assign_values(emp, a))
        after = (T + 1) * DAY
        self.schedule(after + BOOKKEEPING + 300, self._h_user, emp)
        role = last.role
        region = emp.region
        if role == "AE":
            terr = self.territories.get(last.territory)
            if terr is not None and terr.owner_at(T) == emp.user:
                terr.owners.append((T + 1, None))
                self.schedule(after + BOOKKEEPING + 900, self._h_account_owner, terr, T + 1)
                if r.random() < P_BACKFILL:
                    self._add_pending(T + r.randint(21, 75), "AE", region, last.team, terr, None, emp.id)
        elif role == "AM":
            pod = self.pod_by_user.get(emp.user)
            if pod is not None and pod.owner_at(T) == emp.user:
                pod.owners.append((T + 1, None))
                if r.random() < P_BACKFILL:
                    self._add_pending(T + r.randint(21, 75), "AM", region, last.team, None, pod, emp.id)
        elif role in ("SDR", "BDR", "SE") and r.random() < P_BACKFILL:
            self._add_pending(T + r.randint(21, 75), role, region, last.team, None, None, emp.id)
        elif role == "Manager" and emp.title is None:
            team = self.teams[last.team]
            interim = self.directors.get(team.region, self.vp)
            team.mgr_timeline.append((T + 1, interim.id))
            self._move_reports(team, T + 1, interim.id)
            self._add_pending(T + r.randint(30, 80), "Manager", region, team.name, None, None, emp.id)
        for opp in self.opps_by_user.get(emp.user, ()):
            self._fix_departures(opp)
        self._reassign_leads(emp, T)

    def _move_reports(self, team: Team, day: int, mgr_id: str) -> None:
        ts = day * DAY + BOOKKEEPING
        for e in list(self.employees.values()):
            if e.title is not None or not e.active(day):
                continue
            j = e.job_at(day)
            if j is None or j.team != team.name or j.role == "Manager" or j.mgr == mgr_id:
                continue
            self._job_change(e, day, ts, mgr=mgr_id)
            self.schedule(ts + 600, self._h_user, e)

    def _cover(self, emp: Employee, day: int, roles: tuple[str, ...]) -> Employee | None:
        """A colleague who takes over a leaver's deals (tenured, not leaving, same team first)."""
        key = (day, roles)
        pools = self._cover_cache.get(key)
        if pools is None:
            by_team: dict[str, list[Employee]] = {}
            by_region: dict[str, list[Employee]] = {}
            everyone: list[Employee] = []
            for e in self.employees.values():
                if e.term is None and e.hire <= day - 90 and e.active(day) and e.role_at(day) in roles:
                    by_team.setdefault(e.job_at(day).team, []).append(e)
                    by_region.setdefault(e.region, []).append(e)
                    everyone.append(e)
            pools = (by_team, by_region, everyone)
            self._cover_cache[key] = pools
        team = (emp.job_at(emp.term or day) or emp.jobs[-1]).team
        by_team, by_region, everyone = pools
        cands = (
            [e for e in by_team.get(team, ()) if e is not emp]
            or [e for e in by_region.get(emp.region, ()) if e is not emp]
            or [e for e in everyone if e is not emp]
        )
        return self.r_hr.choice(cands) if cands else None

    def _reassign_leads(self, emp: Employee, T: int) -> None:
        leads = [ld for ld in self.leads_by_user.get(emp.user, ()) if ld.planned_owner == emp.user and not ld.done]
        if not leads:
            return
        for ld in leads:
            if ld.steps and ld.steps[-1][0] // DAY <= T:
                continue
            new = self._cover(emp, T + 1, ("SDR", "BDR"))
            if new is None:
                continue
            ld.planned_owner = new.user
            self.leads_by_user.setdefault(new.user, []).append(ld)
            self.schedule((T + 1) * DAY + BOOKKEEPING, self._h_lead_reassign, ld, new.user)

    # hires

    def _plan_growth(self, q0: int, q1: int) -> None:
        r = self.r_hr
        expected = self.reps * GROWTH_PER_YEAR / 4
        n = int(expected) + (1 if r.random() < expected - int(expected) else 0)
        for _ in range(n):
            hire = next_monday(r.randint(max(q0, self.today) + 14, q1))
            region = r.choices(self.regions, weights=self.region_weights)[0]
            x = r.random()
            role = "AE" if x < 0.55 else ("SDR" if x < 0.8 else "AM")
            if role == "AE":
                teams = [t for t in self.teams.values() if t.kind == "AE" and t.region == region]
                if not teams:
                    continue
                team = r.choice(teams)
                seg = team.segment or r.choices(SEGMENTS, weights=(0.45, 0.35, 0.2))[0]
                terr = self._new_territory(region, seg, team.name, hire)
                self._add_pending(hire, "AE", region, team.name, terr, None)
                terr.pending["growth"] = True
            elif role == "AM":
                pods = [p for p in self.pods if p.region == region]
                if not pods:
                    continue
                team_name = self._team_of_role(region, "AM")
                if team_name is None:
                    continue
                # split the biggest pod of the region
                big = max(pods, key=lambda p: (len(p.territories), -p.id))
                if len(big.territories) < 2:
                    continue
                pod = Pod(len(self.pods), region)
                self.pods.append(pod)
                pod.owners.append((-1, None))
                half = big.territories[len(big.territories) // 2 :]
                pod.territories = half
                big.territories = big.territories[: len(big.territories) // 2]
                for t in half:
                    t.pod = pod
                self._add_pending(hire, "AM", region, team_name, None, pod)
            else:
                team_name = self._team_of_role(region, "SDR")
                if team_name is None:
                    continue
                self._add_pending(hire, "SDR", region, team_name, None, None)

    def _team_of_role(self, region: str, role: str) -> str | None:
        for e in self.employees.values():
            if (
                e.region == region
                and e.term is None
                and e.jobs
                and e.jobs[-1].role in ((role,) if role != "SDR" else ("SDR", "BDR"))
            ):
                return e.jobs[-1].team
        teams = [t for t in self.teams.values() if t.kind == "AE" and t.region == region]
        return teams[0].name if teams else None

    def _create_pending_hires(self, q0: int, q1: int) -> None:
        keep = []
        for p in self.pending_hires:
            if p["cancelled"]:
                continue
            if p["hire"] - 10 > q1:
                keep.append(p)
                continue
            self._hire(p)
        self.pending_hires = keep

    def _hire(self, p: dict) -> None:
        r = self.r_hr
        H = max(p["hire"], self.today + 3)
        if weekday(H) >= 5:
            H = next_monday(H)
        land = max(self.today, H - r.randint(3, 10))
        role, region = p["role"], p["region"]
        team = self.teams[p["team"]]
        emp = self._new_emp(region, H)
        leaver = self.employees.get(p["replaces"] or "")
        if self.rehires_left > 0 and leaver is not None and self._rehirable(leaver, H):
            self._rehire(emp, leaver)
        p["created"] = True
        terr = p["terr"]
        if role == "SDR" and r.random() < 0.3:
            role = "BDR"
        mgr = team.mgr_at(H) if role != "Manager" else (self.directors.get(region, self.vp).id)
        territory = (
            terr.id if terr is not None else (p["pod"].territories[0].id if p["pod"] and p["pod"].territories else None)
        )
        job = Job(H, None, role, team.name, mgr, territory)
        emp.jobs.append(job)
        land_ts = land * DAY + 10 * 3600 + r.randint(0, 3600)
        self.schedule(land_ts, self._h_emp, emp, False)
        self._schedule_job(emp, job, land_ts)
        base, ote = self._salary_amount(emp, role)
        emp.salary = base
        self.schedule(land_ts, self._h_salary, emp, (H, base, ote))
        if role in QUOTA_ROLES:
            seg = terr.segment if terr is not None else None
            a = [plan_for(role, seg, emp.currency), H, None]
            emp.assigns.append(a)
            self.schedule(land_ts, self._h_assign, emp, self._assign_values(emp, a))
        self.schedule(H * DAY + BOOKKEEPING + 300, self._h_user, emp)
        self.schedule(H * DAY + BOOKKEEPING + 600, self._h_hire_setup, emp)
        if terr is not None:
            terr.pending = None
            terr.owners.append((H, emp.user))
            self.schedule(H * DAY + BOOKKEEPING + 900, self._h_account_owner, terr, H)
        if p["pod"] is not None:
            p["pod"].pending = None
            p["pod"].owners.append((H, emp.user))
            self.pod_by_user[emp.user] = p["pod"]
        if role == "Manager":
            team.mgr_timeline.append((H, emp.id))
            self._move_reports(team, H, emp.id)
        self.truth.hires.append(
            {"employee_id": emp.id, "hire_date": iso_date(H), "role": role, "backfill_for": p.get("replaces")}
        )

    def _rehirable(self, leaver: Employee, H: int) -> bool:
        """A rehire: an SDR or BDR who left of their own accord within the span comes back as
        their own backfill, early enough in the planting year (see Simulation.horizon) to book
        deals again (METRICS.md, Reps and rehires). SDRs forecast nothing, so the forecasts
        stay one employment per user."""
        return (
            leaver.jobs[-1].role in ("SDR", "BDR")
            and leaver.term_type == "voluntary"
            and leaver.term is not None
            and leaver.term >= self.start
            and H <= self.horizon - 60
        )

    def _rehire(self, emp: Employee, leaver: Employee) -> None:
        """Make the new employment `emp` the return of `leaver`: the same person (name, e-mail,
        country) and CRM user, a new employee record. Every draw for the new hire has been
        made, so the rest of the company is the same as without the rehire."""
        self.rehires_left -= 1
        emp.rehire_of = leaver
        emp.first, emp.last, emp.email = leaver.first, leaver.last, leaver.email
        emp.country, emp.currency = leaver.country, leaver.currency
        self.crm_user_of[emp.user] = leaver.user
        self.truth.rehires.append(
            {
                "crm_user_id": leaver.user,
                "left": {"employee_id": leaver.id, "hire_date": iso_date(leaver.hire),
                         "termination_date": iso_date(leaver.term), "role": leaver.jobs[-1].role},
                "rehired": {"employee_id": emp.id, "hire_date": iso_date(emp.hire)},
            }
        )

    # leads and opportunities

    def _h_hire_setup(self, emp: Employee, _=None) -> None:
        day = self.today
        self._emit_emp(emp, False, self.now)
        self.payroll.quota_rows(emp, day, day, self.territories)
        role = emp.jobs[0].role
        if role in SELLER_ROLES:
            self.schedule(self._biz(self.r_act, next_weekday(day + 1), emp.region), self._h_rep_act, emp)

    def _h_account_owner(self, terr: Territory, day: int) -> None:
        owner = terr.owner_at(day) or self.admin_user
        for acc in terr.accounts:
            if acc.sticky_admin or acc.owner == owner:
                continue
            acc.owner = owner
            self._emit_account(acc, self.now)

    def _h_account_moved(self, acc: Account, _=None) -> None:
        owner = acc.terr.owner_at(self.today) or self.admin_user
        if not acc.sticky_admin:
            acc.owner = owner
        self._emit_account(acc, self.now)
        self._emit_account_territory(acc, self.now)
