"""The organisation on the first simulated day, and the rows that describe people and accounts.

Emitters here format users, employees, job history, salaries, plan assignments, accounts and
territory assignments; the `_h_*` methods are agenda handlers that emit a planned snapshot.
"""

from __future__ import annotations

import math
import random
from datetime import date

from simco import names
from simco.model import Account, Employee, Job, Pod, Team, Territory
from simco.params import PLANS, SALARY, SEGMENT, SEGMENTS, plan_for
from simco.simbase import _CUR_SALARY, QUOTA_ROLES, SELLER_ROLES, B, apportion
from simco.timeutil import DAY, iso_date, iso_ts


class OrgMixin:
    """Part of `Simulation` (see simco.sim); reads and writes its state."""

    def _new_emp(self, region: str, hire: int, title: str | None = None) -> Employee:
        r = self.r_org
        first, last = names.person(r)
        base = names.ascii_fold(f"{first}.{last}").lower().replace("'", "")
        n = self._emails.get(base, 0)
        self._emails[base] = n + 1
        email = f"{base}{n if n else ''}@simco.example"
        if region == "EMEA":
            country, cur = names.country(r, "EMEA")
        else:
            country, cur = names.country(r, region)[0], "USD"
        self._emp_n += 1
        emp = Employee(f"E{self._emp_n}", self.id_user.next(), first, last, email, region, country, cur, hire, title)
        emp.qfactor = r.uniform(0.85, 1.15)
        self.employees[emp.id] = emp
        self.emp_by_user[emp.user] = emp
        return emp

    def _salary_amount(self, emp: Employee, role: str) -> tuple[int, int]:
        base, mult = SALARY[role]
        b = base * self.r_org.uniform(0.9, 1.15) * _CUR_SALARY[emp.currency]
        b = int(round(b / 500.0)) * 500
        return b, int(round(b * mult / 500.0)) * 500

    def _role_id(self, emp: Employee, day: int) -> str:
        j = emp.job_at(day) or emp.jobs[0]
        if emp.title == "VP":
            return self.role_ids[("vp",)]
        if emp.title == "Director":
            return self.role_ids[("dir", emp.region)]
        if j.role == "SE":
            return self.role_ids[("se", self.teams[j.team].region if j.team in self.teams else emp.region)]
        key = ("mgr" if j.role == "Manager" else "rep", j.team)
        return self.role_ids.get(key) or self.role_ids[("vp",)]

    def _init_org(self) -> None:
        r = self.r_org
        N, W = self.reps, self.W
        if N < 15:
            self.regions, self.region_weights = ("North America", "EMEA"), (0.6, 0.4)
        elif N < 150:
            self.regions, self.region_weights = ("NA East", "NA West", "EMEA"), (0.35, 0.35, 0.30)
        else:
            self.regions, self.region_weights = ("NA East", "NA West", "EMEA", "APAC"), (0.3, 0.3, 0.25, 0.15)
        n_sdr, n_am = round(N * 0.25), round(N * 0.18)
        if N >= 4:
            n_sdr, n_am = max(1, n_sdr), max(1, n_am)
        n_ae = max(1, N - n_sdr - n_am)
        ae_r = apportion(n_ae, self.region_weights)
        am_r = apportion(n_am, self.region_weights)
        sdr_r = apportion(n_sdr, self.region_weights)
        se_r = apportion(max(1, round(n_ae / 5)), self.region_weights)

        admin_role = self.id_role.next()
        self.role_ids[("vp",)] = self.id_role.next()
        self._role_rows = [(admin_role, "System Administrator", ""), (self.role_ids[("vp",)], "VP Sales", "")]
        self.admin_user, self.integration_user, self.marketing_user = (self.id_user.next() for _ in range(3))
        self._admin_users = [
            (self.admin_user, "Sales Ops Admin", "salesops.admin@simco.example", admin_role),
            (self.integration_user, "Integration User", "integration@simco.example", ""),
            (self.marketing_user, "Marketing Automation", "marketing.automation@simco.example", ""),
        ]
        lead_team = Team("Sales Leadership", self.regions[0], "LEAD", None)
        self.teams[lead_team.name] = lead_team

        def tenure(lo: int, hi: int) -> int:
            return W - r.randint(lo, hi)

        def rep_hire() -> int:
            if r.random() < 0.15:
                return W - r.randint(20, 150)
            return W - 150 - int(r.expovariate(1 / 700.0))

        vp = self._new_emp(self.regions[0], tenure(1200, 3000), "VP")
        self.vp = vp
        self._first_job(vp, "Manager", lead_team.name, None, None)
        if len(self.regions) >= 2 and N >= 20:
            for reg in self.regions:
                d = self._new_emp(reg, tenure(700, 2500), "Director")
                self.directors[reg] = d
                self.role_ids[("dir", reg)] = self.id_role.next()
                self._role_rows.append((self.role_ids[("dir", reg)], f"Director, {reg}", self.role_ids[("vp",)]))
                self._first_job(d, "Manager", lead_team.name, vp.id, None)

        for ri, reg in enumerate(self.regions):
            boss = self.directors.get(reg, vp)
            boss_role = self.role_ids.get(("dir", reg), self.role_ids[("vp",)])
            seg_counts = apportion(ae_r[ri], (0.45, 0.35, 0.20))
            slots = [seg for seg, c in zip(SEGMENTS, seg_counts) for _ in range(c)]
            groups: list[tuple[str, str | None, list[str]]] = []
            if len(slots) > 8:
                for seg, c in zip(SEGMENTS, seg_counts):
                    k = math.ceil(c / 8) if c else 0
                    chunk = [seg] * c
                    for i in range(k):
                        part = chunk[i::k]
                        groups.append((f"{reg} {seg}" + (f" {i + 1}" if k > 1 else ""), seg, part))
            elif slots:
                groups.append((f"{reg} Sales", None, slots))
            ae_teams = []
            for tname, seg, part in groups:
                team = self._make_team(tname, reg, "AE", seg, boss, boss_role)
                ae_teams.append(team)
                for s in part:
                    terr = self._make_territory(reg, s, team.name)
                    emp = self._new_emp(reg, rep_hire())
                    self._first_job(emp, "AE", team.name, team.mgr_at(W), terr.id, past_sdr=True)
                    terr.owners.append((-1, emp.user))
            home = ae_teams[0] if ae_teams else None
            am_teams = self._support_teams(reg, "AM", am_r[ri], "Account Management", 8, home, boss, boss_role)
            region_terrs = [t for t in self.territories.values() if t.region == reg]
            for i in range(am_r[ri]):
                team = am_teams[i % len(am_teams)]
                pod = Pod(len(self.pods), reg)
                self.pods.append(pod)
                emp = self._new_emp(reg, rep_hire())
                pod.owners.append((-1, emp.user))
                self.pod_by_user[emp.user] = pod
                for k, t in enumerate(region_terrs):
                    if k % am_r[ri] == i:
                        pod.territories.append(t)
                        t.pod = pod
                self._first_job(
                    emp, "AM", team.name, team.mgr_at(W), pod.territories[0].id if pod.territories else None
                )
            sdr_teams = self._support_teams(reg, "SDR", sdr_r[ri], "Sales Development", 10, home, boss, boss_role)
            for i in range(sdr_r[ri]):
                team = sdr_teams[i % len(sdr_teams)]
                emp = self._new_emp(reg, rep_hire())
                self._first_job(emp, "BDR" if r.random() < 0.3 else "SDR", team.name, team.mgr_at(W), None)
            if se_r[ri]:
                se_team = Team(f"{reg} Solutions Engineering", reg, "SE", None)
                se_team.mgr_timeline.append((-1, boss.id))
                self.teams[se_team.name] = se_team
                self.role_ids[("se", reg)] = self.id_role.next()
                self._role_rows.append((self.role_ids[("se", reg)], f"{reg} Solutions Engineer", boss_role))
                for _ in range(se_r[ri]):
                    emp = self._new_emp(reg, W - r.randint(200, 2000))
                    self._first_job(emp, "SE", se_team.name, boss.id, None)
        self._make_accounts()
        self._emit_initial()

    def _support_teams(
        self,
        region: str,
        kind: str,
        count: int,
        label: str,
        size: int,
        home: Team | None,
        boss: Employee,
        boss_role: str,
    ) -> list[Team]:
        """Teams for a region's account managers or SDRs; fewer than four join the AE team."""
        if count == 0:
            return []
        if count >= 4 or home is None:
            k = max(1, math.ceil(count / size))
            return [
                self._make_team(
                    f"{region} {label}" + (f" {i + 1}" if k > 1 else ""), region, kind, None, boss, boss_role
                )
                for i in range(k)
            ]
        return [home]

    def _make_team(
        self, name: str, region: str, kind: str, segment: str | None, boss: Employee, boss_role: str
    ) -> Team:
        team = Team(name, region, kind, segment)
        self.teams[name] = team
        mgr = self._new_emp(region, self.W - self.r_org.randint(400, 2500))
        self._first_job(mgr, "Manager", name, boss.id, None)
        team.mgr_timeline.append((-1, mgr.id))
        mrole, rrole = self.id_role.next(), self.id_role.next()
        self.role_ids[("mgr", name)] = mrole
        self.role_ids[("rep", name)] = rrole
        self._role_rows.append((mrole, f"{name} Manager", boss_role))
        self._role_rows.append((rrole, f"{name} Rep", mrole))
        return team

    def _make_territory(self, region: str, segment: str, team: str) -> Territory:
        n = sum(1 for t in self.territories.values() if t.region == region and t.segment == segment) + 1
        t = Territory(self.id_terr.next(), f"{region} {segment} {n:02d}", region, segment, team)
        self.territories[t.id] = t
        return t

    def _first_job(
        self, emp: Employee, role: str, team: str, mgr: str | None, terr: str | None, past_sdr: bool = False
    ) -> None:
        """The job history of an employee who is there when the simulation starts."""
        r = self.r_org
        hire = emp.hire
        base, ote = self._salary_amount(emp, role)
        if past_sdr and self.W - hire > 730 and r.random() < 0.3:
            promo = hire + r.randint(300, 600)
            emp.jobs.append(Job(hire, promo - 1, "SDR", f"{emp.region} Sales Development", mgr, None))
            sb, so = self._salary_amount(emp, "SDR")
            self._salary_rows_init.append((emp, hire, sb, so))
            self._salary_rows_init.append((emp, promo, base, ote))
            emp.jobs.append(Job(promo, None, role, team, mgr, terr))
        else:
            self._salary_rows_init.append((emp, hire, base, ote))
            emp.jobs.append(Job(hire, None, role, team, mgr, terr))
        emp.salary = base
        if role in QUOTA_ROLES:
            seg = self.territories[terr].segment if terr in self.territories else None
            frm = max(hire, date.fromordinal(self.W).replace(month=1, day=1).toordinal())
            emp.assigns.append([plan_for(role, seg, emp.currency), frm, None])

    def _make_accounts(self) -> None:
        r = self.r_org
        for t in self.territories.values():
            seg = SEGMENT[t.segment]
            owner = t.owner_at(self.W)
            for _ in range(int(seg.accounts_per_territory * r.uniform(0.8, 1.2))):
                acc = self._new_account(
                    t, owner, self.W - r.randint(60, 3000), r, "Customer" if r.random() < 0.25 else "Prospect"
                )
                if r.random() < 0.04:
                    acc.owner, acc.sticky_admin = self.admin_user, True
        total = sum(len(t.accounts) for t in self.territories.values())
        for _ in range(max(2, total // 100)):
            reg = r.choice(self.regions)
            acc = self._new_account(None, self.admin_user, self.W - r.randint(60, 3000), r, "Prospect", region=reg)
            acc.sticky_admin = True
            self.unassigned_accounts.append(acc)

    def _new_account(
        self,
        terr: Territory | None,
        owner: str | None,
        created_day: int,
        r: random.Random,
        atype: str,
        region: str | None = None,
    ) -> Account:
        reg = terr.region if terr else region
        country, cur = names.country(r, reg)
        seg = SEGMENT[terr.segment] if terr else SEGMENT["SMB"]
        lo, hi = seg.account_revenue
        revenue = int(math.exp(r.uniform(math.log(lo), math.log(hi))) // 1000 * 1000)
        created = self._biz(r, created_day, reg)
        acc = Account(
            self.id_account.next(),
            names.company(r),
            owner or self.admin_user,
            r.choice(names.INDUSTRIES),
            atype,
            country,
            cur,
            revenue,
            created,
            terr,
        )
        if created_day < self.W:
            acc.mod = acc.at_mod = created + r.randint(0, max(0, (self.W - 1) * DAY - created))
        if terr is not None:
            terr.accounts.append(acc)
        return acc

    def _emit_initial(self) -> None:
        W = self.W
        ts = W * DAY + 60
        for rid, name, parent in self._role_rows:
            self.emit("user_role", rid, [rid, name, parent], ts, True)
        for t in self.territories.values():
            self.emit("territory", t.id, [t.id, t.name, t.region, t.segment], ts, True)
        old = (W - 2000) * DAY + 9 * 3600
        for uid, name, email, role in self._admin_users:
            self.emit("user", uid, [uid, name, email, role, "", "true", iso_ts(old), iso_ts(old)], old)
        for emp in self.employees.values():
            self._emit_user(emp, emp.hire * DAY + 600)
            self._emit_emp(emp, False, emp.hire * DAY + 9 * 3600)
            for job in emp.jobs:
                self._emit_job_row(emp, job)
            for a in emp.assigns:
                values = self._assign_values(emp, a)
                self.emit("plan_assignment", (emp.id, values[2]), values, None)
        for emp, eff, base, ote in self._salary_rows_init:
            self._emit_salary(emp, eff, base, ote)
        for t in list(self.territories.values()):
            for acc in t.accounts:
                self._emit_account(acc, acc.mod, True)
                self._emit_account_territory(acc, acc.at_mod, True)
        for acc in self.unassigned_accounts:
            self._emit_account(acc, acc.mod, True)
        for p in PLANS.values():
            self.emit(
                "comp_plan",
                p.plan_id,
                [
                    p.plan_id,
                    p.name,
                    p.period_type,
                    p.currency,
                    str(p.clawback_days),
                    "" if p.payout_cap is None else f"{p.payout_cap:.2f}",
                ],
                None,
                True,
            )
            for lo, hi, rate in p.tiers:
                self.emit(
                    "comp_plan_tier", None, [p.plan_id, str(lo), "" if hi is None else str(hi), str(rate)], None, True
                )
            for month, share in p.ramp:
                self.emit("ramp_schedule", None, [p.plan_id, str(month), str(share)], None, True)
        for sp in self.payroll.spifs:
            self.schedule(
                max(W, sp[2] - 7) * DAY + 10 * 3600,
                self._h_emit,
                "spif",
                [sp[0], sp[1], iso_date(sp[2]), iso_date(sp[3]), sp[4] or "", f"{sp[5]:.2f}", sp[6]],
            )
        for ps, pt, closed_on, land, _ in self.payroll.closed_rows:
            self.schedule(
                max(W, land) * DAY + 15 * 3600, self._h_emit, "closed_period", [iso_date(ps), pt, iso_date(closed_on)]
            )
        for d in range(self.fx.first, W):
            for cur, text in self.fx.published(d):
                self.emit("fx_rate", None, [iso_date(d), cur, text], None, True)
        for emp in self.employees.values():
            if emp.jobs[-1].role in SELLER_ROLES:
                self.schedule(self._biz(self.r_act, W + self.r_act.randint(0, 4), emp.region), self._h_rep_act, emp)

    def _h_emit(self, table: str, values: list[str]) -> None:
        self.emit(table, None, values, self.now, True)

    def _emit_user(self, emp: Employee, ts: int) -> None:
        ts = max(ts, emp.user_mod + 1)
        emp.user_mod = ts
        day = ts // DAY
        j = emp.job_at(day) or emp.jobs[0]
        mgr = self.employees.get(j.mgr) if j.mgr else None
        active = emp.term is None or day <= emp.term
        created = (emp.rehire_of or emp).hire * DAY + 600  # a rehire's CRM user is the earlier one
        self.emit(
            "user",
            emp.user,
            [
                emp.user,
                emp.name,
                emp.email,
                self._role_id(emp, day),
                mgr.user if mgr else "",
                B[active],
                iso_ts(created),
                iso_ts(ts),
            ],
            ts,
        )

    def _h_user(self, emp: Employee, _=None) -> None:
        self._emit_user(emp, self.now)

    def _emit_emp(self, emp: Employee, show_term: bool, ts: int) -> None:
        ts = max(ts, emp.emp_mod + 1)
        emp.emp_mod = ts
        t = emp.term if show_term else None
        # a new hire's CRM user is created on the first day, and HR learns its id then
        user = emp.user if ts // DAY >= emp.hire else ""
        self.emit(
            "employee",
            emp.id,
            [
                emp.id,
                user,
                emp.name,
                emp.email,
                iso_date(emp.hire),
                iso_date(t) if t is not None else "",
                emp.term_type if t is not None else "",
                emp.reason if t is not None else "",
                B[bool(emp.regretted)] if t is not None else "",
                iso_ts(ts),
            ],
            ts,
        )
        self.truth.hr_seen[emp.id] = (
            emp.hire,
            t,
            emp.term_type if t is not None else None,
            bool(emp.regretted) if t is not None else False,
        )

    def _h_emp(self, emp: Employee, show_term: bool) -> None:
        self._emit_emp(emp, show_term, self.now)

    def _job_values(self, emp: Employee, job: Job) -> list[str]:
        return [
            emp.id,
            iso_date(job.eff),
            "" if job.end is None else iso_date(job.end),
            job.role,
            job.team,
            job.mgr or "",
            job.territory or "",
            job.fte,
        ]

    def _emit_job_row(self, emp: Employee, job: Job) -> None:
        self.emit("job_history", (emp.id, job.eff), self._job_values(emp, job), None)

    def _h_job(self, emp: Employee, snap: tuple) -> None:
        job, token, values = snap
        if token[0] and any(j is job for j in emp.jobs):
            self.emit("job_history", (emp.id, job.eff), values, None)

    def _schedule_job(self, emp: Employee, job: Job, ts: int) -> None:
        self.schedule(ts, self._h_job, emp, (job, job.token, self._job_values(emp, job)))

    def _emit_salary(self, emp: Employee, eff: int, base: int, ote: int) -> None:
        # keyed: a merit raise and a promotion on one day land as one row
        self.emit("salary", (emp.id, eff), [emp.id, iso_date(eff), f"{base}.00", f"{ote}.00", emp.currency], None)

    def _h_salary(self, emp: Employee, row: tuple) -> None:
        self._emit_salary(emp, *row)

    def _assign_values(self, emp: Employee, a: list) -> list[str]:
        return [emp.id, a[0], iso_date(a[1]), "" if a[2] is None else iso_date(a[2])]

    def _h_assign(self, emp: Employee, values: list[str]) -> None:
        self.emit("plan_assignment", (emp.id, values[2]), values, None)

    def _emit_account(self, acc: Account, ts: int, initial: bool = False) -> None:
        mod = ts if initial else max(ts, acc.mod + 1)
        acc.mod = mod
        self.emit(
            "account",
            acc.id,
            [
                acc.id,
                acc.name,
                acc.owner,
                acc.industry,
                acc.type,
                acc.country,
                f"{acc.revenue}.00",
                acc.currency,
                iso_ts(acc.created),
                iso_ts(mod),
                "false",
            ],
            mod,
        )

    def _emit_account_territory(self, acc: Account, ts: int, initial: bool = False) -> None:
        mod = ts if initial else max(ts, acc.at_mod + 1)
        acc.at_mod = mod
        self.emit("account_territory", acc.id, [acc.id, acc.terr.id, iso_ts(mod), "false"], mod)
