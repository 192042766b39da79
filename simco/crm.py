"""The CRM: leads, opportunities with their whole planned life, splits, reassignments and activities."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

from simco import names
from simco.comp import Piece, cents
from simco.model import Account, Employee, Lead, Opp, Territory
from simco.params import (
    AM_AMOUNT_FACTOR,
    AM_OPPS_PER_MONTH,
    LEAD_SOURCES,
    LEADS_PER_SDR_MONTH,
    LOST,
    OUTBOUND_SOURCE,
    P_AE_SPLIT,
    P_DELETE_OUTRIGHT,
    P_REVERSAL,
    P_SDR_SPLIT,
    PLANS,
    REGION_HOURS,
    SEGMENT,
    SEGMENTS,
    STAGES,
    WON,
)
from simco.pipeline import (
    DELETE,
    L_CLOSE,
    L_CONVERT,
    L_DELETE,
    L_MEETING,
    L_MQL,
    L_SQL,
    L_TOUCH,
    REVERSE,
    STEP,
    draw_amount,
    plan_lead,
    plan_opportunity,
)
from simco.simbase import BOOKKEEPING, L_CREATE, SELLER_ROLES, B, poisson
from simco.timeutil import (
    DAY,
    iso_date,
    iso_ts,
    month_start,
    next_weekday,
    period_start,
    tenure_month,
    weekday,
)


class CrmMixin:
    """Part of `Simulation` (see simco.sim); reads and writes its state."""

    def _credited_users(self, opp: Opp) -> list[str]:
        users = [opp.planned_owner]
        for s in opp.planned_splits:
            if not s[3] and s[1] != opp.planned_owner:
                users.append(s[1])
        return users

    def _fix_departures(self, opp: Opp) -> None:
        """Plan the reassignment of a deal whose owner or split owner leaves before it ends."""
        for _ in range(6):
            moved = False
            for u in self._credited_users(opp):
                emp = self.emp_by_user.get(u)
                if emp is None or emp.term is None or opp.end_day <= emp.term:
                    continue
                when = (emp.term + 1) * DAY + BOOKKEEPING
                if u == opp.planned_owner:
                    role = emp.role_at(emp.term)
                    new = self._cover(emp, emp.term + 1, ("AM", "AE") if role == "AM" else ("AE",))
                    if new is None:
                        return
                    _move_credit(opp.planned_splits, u, new.user)
                    opp.planned_owner = new.user
                    self.schedule(when, self._h_reassign, opp, (u, new.user))
                    self.opps_by_user.setdefault(new.user, []).append(opp)
                else:
                    _move_credit(opp.planned_splits, u, opp.planned_owner)
                    self.schedule(when, self._h_split_merge, opp, u)
                moved = True
                break
            if not moved:
                return

    def _sdrs_by_region(self, q0: int, q1: int) -> dict[str, list[Employee]]:
        out: dict[str, list[Employee]] = {reg: [] for reg in self.regions}
        for e in self.employees.values():
            if e.hire > q1 or (e.term is not None and e.term < q0):
                continue
            if any(j.role in ("SDR", "BDR") for j in e.jobs):
                out[e.region].append(e)
        return out

    def _plan_leads(self, q0: int, q1: int) -> None:
        r = self.r_lead
        still = []
        for ld in self.deferred:
            if ld.conv_ts // DAY <= q1:
                if not ld.deleted:
                    self._convert(ld)
            else:
                still.append(ld)
        self.deferred = still
        sdrs = self._sdrs_by_region(q0, q1)
        sources = [s for s, _ in LEAD_SOURCES]
        weights = [w for _, w in LEAD_SOURCES]
        for day in range(max(q0, self.today), q1 + 1):
            weekend = weekday(day) >= 5
            for reg in self.regions:
                active = [e for e in sdrs[reg] if e.role_at(day) in ("SDR", "BDR")]
                if not active:
                    continue
                lam = len(active) * LEADS_PER_SDR_MONTH / 21.7 * (0.15 if weekend else 1.0)
                for _ in range(poisson(r, lam)):
                    k = self._rr.get(reg, 0)
                    self._rr[reg] = k + 1
                    owner = active[k % len(active)]
                    ld = Lead()
                    ld.id = self.id_lead.next()
                    ld.company = names.company(r)
                    ld.source = r.choices(sources, weights=weights)[0]
                    ld.region = reg
                    ld.created = self._biz(r, day, reg) if not weekend else day * DAY + r.randint(0, DAY - 3600)
                    ld.owner = ld.planned_owner = owner.user
                    steps, conv = plan_lead(r, ld.created, REGION_HOURS[reg], ld.source)
                    ld.steps = _clear_of_midnight([(ld.created, L_CREATE)] + steps)
                    ld.conv_ts = ld.steps[-1][0] if conv is not None else None
                    self.leads[ld.id] = ld
                    self.leads_by_user.setdefault(owner.user, []).append(ld)
                    if owner.term is not None and ld.steps[-1][0] // DAY > owner.term:
                        new = self._cover(owner, owner.term + 1, ("SDR", "BDR"))
                        if new is not None:
                            ld.planned_owner = new.user
                            self.leads_by_user.setdefault(new.user, []).append(ld)
                            self.schedule((owner.term + 1) * DAY + BOOKKEEPING, self._h_lead_reassign, ld, new.user)
                    self.schedule(ld.created, self._h_lead_step, ld)
                    if conv is not None:
                        if conv // DAY <= q1:
                            self._convert(ld)
                        else:
                            self.deferred.append(ld)

    def _terr_owner(self, terr: Territory, day: int) -> str | None:
        u = terr.owner_at(day)
        if u is not None:
            emp = self.emp_by_user[u]
            if emp.active(day):
                return u
        # vacant: the region's tenured account executives cover it
        key = ("terr", terr.region, day)
        if key not in self._cover_cache:
            self._cover_cache[key] = [
                e
                for team in self.ae_by_team.values()
                for e in team
                if e.role_at(day) == "AE" and e.region == terr.region and e.term is None and e.hire <= day - 90
            ]
        cands = self._cover_cache[key]
        return self.r_pipe.choice(cands).user if cands else None

    def _convert(self, ld: Lead) -> None:
        """Plan the account and opportunity a lead converts into."""
        r = self.r_pipe
        day = ld.conv_ts // DAY
        new_account = r.random() < 0.65
        if new_account:
            seg = r.choices(SEGMENTS, weights=[SEGMENT[s].lead_weight for s in SEGMENTS])[0]
            terr = self._pick_territory(ld.region, seg, day)
            if terr is None:
                ld.conv_ts = None
                return
            acc = Account(
                self.id_account.next(),
                ld.company,
                self.admin_user,
                r.choice(names.INDUSTRIES),
                "Prospect",
                *names.country(r, ld.region),
                0,
                ld.conv_ts - 30,
                terr,
            )
            lo, hi = SEGMENT[terr.segment].account_revenue
            acc.revenue = int(math.exp(r.uniform(math.log(lo), math.log(hi))) // 1000 * 1000)
        else:
            terr = self._pick_territory(ld.region, None, day)
            prospects = [a for a in terr.accounts if a.type == "Prospect" and not a.sticky_admin] if terr else []
            if not prospects:
                ld.conv_ts = None
                return
            acc = r.choice(prospects)
        owner = self._terr_owner(terr, day)
        if owner is None:
            ld.conv_ts = None
            return
        sdr = self.emp_by_user.get(ld.planned_owner)
        split_user = (
            sdr.user if sdr is not None and sdr.role_at(day) in ("SDR", "BDR") and r.random() < P_SDR_SPLIT else None
        )
        opp = self._new_opp(acc, terr, owner, "New Business", ld.source, ld.conv_ts + 30, split_user, new_account)
        ld.conv_opp, ld.conv_acct = opp.id, acc.id

    def _pick_territory(self, region: str, segment: str | None, day: int) -> Territory | None:
        """A territory of the region (and segment, when there is one) whose accounts exist on `day`."""
        r = self.r_pipe
        pool = self.region_terrs.get((region, segment)) or self.region_terrs.get((region, None))
        if not pool:
            return None
        for _ in range(4):
            t = r.choice(pool)
            if t.live_from <= day and t.accounts:
                return t
        live = [t for t in pool if t.live_from <= day and t.accounts]
        return r.choice(live) if live else None

    def _plan_outbound(self, q0: int, q1: int) -> None:
        r = self.r_pipe
        for emp in list(self.employees.values()):
            if emp.hire > q1 or (emp.term is not None and emp.term < q0):
                continue
            if not any(j.role in SELLER_ROLES for j in emp.jobs):
                continue
            for day in range(max(q0, emp.hire, self.today), min(q1, emp.term or q1) + 1):
                if weekday(day) >= 5:
                    continue
                j = emp.job_at(day)
                if j is None or j.role not in SELLER_ROLES:
                    continue
                tm = tenure_month(emp.hire, month_start(day))
                ramp = 0.3 if tm <= 1 else 0.6 if tm == 2 else 0.85 if tm == 3 else 1.0
                if j.role == "AE":
                    terr = self.territories.get(j.territory)
                    if terr is None or terr.owner_at(day) != emp.user:
                        continue
                    rate = SEGMENT[terr.segment].outbound_per_month / 21.7 * ramp
                    if r.random() >= rate:
                        continue
                    pool = [a for a in terr.accounts if a.type == "Prospect" and not a.sticky_admin] or terr.accounts
                    if not pool:
                        continue
                    acc = r.choice(pool)
                    self._new_opp(
                        acc,
                        terr,
                        emp.user,
                        "New Business",
                        OUTBOUND_SOURCE if r.random() < 0.8 else "Other",
                        self._biz(r, day, emp.region),
                        None,
                        False,
                    )
                else:
                    pod = self.pod_by_user.get(emp.user)
                    if pod is None or pod.owner_at(day) != emp.user:
                        continue
                    if r.random() >= AM_OPPS_PER_MONTH / 21.7 * ramp:
                        continue
                    custs = [a for t in pod.territories for a in t.accounts if a.type == "Customer"]
                    if not custs:
                        continue
                    acc = r.choice(custs)
                    otype = "Renewal" if r.random() < 0.55 else "Existing Business"
                    self._new_opp(
                        acc, acc.terr, emp.user, otype, "Existing Customer", self._biz(r, day, emp.region), None, False
                    )

    def _new_opp(
        self,
        acc: Account,
        terr: Territory,
        owner: str,
        otype: str,
        source: str,
        created: int,
        sdr_user: str | None,
        new_account: bool,
    ) -> Opp:
        r = self.r_pipe
        seg = SEGMENT[terr.segment]
        opp = Opp()
        opp.id = self.id_opp.next()
        opp.acct, opp.seg, opp.type, opp.source = acc, terr.segment, otype, source
        opp.currency = acc.currency
        opp.region = terr.region
        opp.created = created
        opp.new_account = new_account
        year = date.fromordinal(created // DAY).year
        opp.name = f"{acc.name} - {otype} {year}"
        won = r.random() < seg.win_probability
        deleted = r.random() < P_DELETE_OUTRIGHT
        factor = AM_AMOUNT_FACTOR if otype != "New Business" else 1.0
        amount = draw_amount(r, seg, factor, float(self.fx.rate(opp.currency, created // DAY)))
        steps, close_ts, days = plan_opportunity(r, seg, created, REGION_HOURS[terr.region], amount, won, deleted)
        opp.steps = _clear_of_midnight(steps)
        opp.cycle_days = days
        opp.won_planned = won and not deleted
        opp.keep_hist = deleted
        opp.end_day = steps[-1][0] // DAY
        opp.close_day = steps[-1][4] if close_ts is not None else None
        n_hist = sum(1 for s in steps if s[1] == STEP)
        opp.hist_base = self.id_hist.n
        self.id_hist.n += n_hist
        opp.owner = opp.planned_owner = owner
        members: list[tuple[str, int]] = []
        co = None
        if terr.segment != "SMB" and otype == "New Business" and r.random() < P_AE_SPLIT:
            oemp = self.emp_by_user[owner]
            j = oemp.job_at(created // DAY)
            cday = created // DAY
            mates = [
                e
                for e in self.ae_by_team.get(j.team if j else "", ())
                if e is not oemp and e.term is None and e.role_at(cday) == "AE" and e.job_at(cday).team == j.team
            ]
            if mates:
                co = r.choice(mates).user
        if co and sdr_user:
            members = [(owner, 50), (co, 30), (sdr_user, 20)]
        elif co:
            p = r.choice((50, 60))
            members = [(owner, p), (co, 100 - p)]
        elif sdr_user:
            p = r.choice((20, 25, 30))
            members = [(owner, 100 - p), (sdr_user, p)]
        for u, pct in members:
            sid = self.id_split.next()
            opp.splits.append([sid, u, pct, False, 0])
            opp.planned_splits.append([sid, u, pct, False, 0])
        self.open_opps[opp.id] = opp
        for u in self._credited_users(opp):
            self.opps_by_user.setdefault(u, []).append(opp)
        self._fix_departures(opp)
        self.schedule(steps[0][0], self._h_opp_step, opp)
        return opp

    def _plan_reversals(self, q0: int, q1: int) -> None:
        r = self.r_pipe
        boost = 1.0
        if q0 >= self.force_after and self.counters["reversal"] < 2:
            boost = 6.0
        for opp in list(self.open_opps.values()):
            if not opp.won_planned or opp.reversal is not None or not (q0 <= opp.close_day <= q1):
                continue
            # reversals into the next quarter make clawbacks; keep a few coming
            late = (
                self.start <= q0
                and q1 + 30 <= self.horizon
                and opp.close_day >= q1 - 40
                and self.counters["late_reversal"] < max(2, self.reps // 20)
            )
            if r.random() >= P_REVERSAL * boost * (8 if late else 1):
                continue
            if late:
                R = next_weekday(q1 + r.randint(5, 30))
            else:
                R = next_weekday(opp.close_day + r.randint(10, 85))
            if R <= self.start:
                # the day-one extract keeps only a key's last version: a reversal before it
                # would hide that the deal was ever won
                continue
            emps = [self.emp_by_user[u] for u in self._credited_users(opp)]
            if any(e.term is not None for e in emps):
                continue
            kind = DELETE if r.random() < 0.3 else REVERSE
            ts = self._biz(r, R, opp.region)
            last = opp.steps[-1]
            opp.steps.append((ts, kind, LOST, last[3], last[4]))
            opp.reversal = (ts, kind)
            opp.end_day = R
            for e in emps:
                e.protected_until = max(e.protected_until, R + 1)
            self._count("reversal", R)
            if R > q1:
                self._count("late_reversal", R)

    def _h_rep_act(self, emp: Employee, _=None) -> None:
        day = self.today
        role = emp.role_at(day)
        if role not in SELLER_ROLES:
            return
        r = self.r_act
        accounts: list[Account] = []
        j = emp.job_at(day)
        if role == "AE":
            terr = self.territories.get(j.territory)
            if terr is not None:
                accounts = terr.accounts
        else:
            pod = self.pod_by_user.get(emp.user)
            if pod is not None and pod.territories:
                accounts = r.choice(pod.territories).accounts
        if accounts:
            acc = r.choice(accounts)
            kind = "Call" if r.random() < 0.6 else "Email"
            self._emit_task(
                emp.user, acc.id, "", acc.id, kind, f"{kind}: prospecting" if role == "AE" else f"{kind}: check-in"
            )
        nxt = self.now + int(r.expovariate(1 / 3.0) * DAY) + 3600
        nday = next_weekday(nxt // DAY)
        self.schedule(self._biz(r, nday, emp.region) if nday != nxt // DAY else nxt, self._h_rep_act, emp)

    def _emit_task(self, owner: str, account: str, who: str, what: str, kind: str, subject: str) -> None:
        tid = self.id_task.next()
        ts = self.now
        self.emit(
            "task",
            tid,
            [tid, owner, account, who, what, kind, subject, iso_date(ts // DAY), "Completed", iso_ts(ts), "false"],
            ts,
            True,
        )

    def _emit_event(self, owner: str, account: str, who: str, what: str, when: int, minutes: int, subject: str) -> None:
        eid = self.id_event.next()
        ts = self.now
        self.emit(
            "event",
            eid,
            [eid, owner, account, who, what, "Meeting", subject, iso_ts(when), str(minutes), iso_ts(ts), "false"],
            ts,
            True,
        )

    # opportunities

    def _opp_values(self, opp: Opp, mod: int) -> list[str]:
        name, prob, cat = STAGES[opp.stage]
        closed = opp.stage >= WON
        return [
            opp.id,
            opp.acct.id,
            opp.owner,
            opp.name,
            opp.type,
            opp.source,
            name,
            f"{opp.amount}.00",
            opp.currency,
            str(prob),
            cat,
            B[closed],
            B[opp.stage == WON],
            iso_date(opp.close_date),
            iso_ts(opp.created),
            iso_ts(mod),
            B[opp.deleted],
        ]

    def _emit_opp(self, opp: Opp, ts: int) -> None:
        mod = max(ts, opp.last_mod + 1)
        opp.last_mod = mod
        self.emit("opportunity", opp.id, self._opp_values(opp, mod), mod)

    def _hist_values(
        self, hid: str, opp: Opp, ts: int, stage: int, amount: int, close_day: int, deleted: bool
    ) -> list[str]:
        name, prob, cat = STAGES[stage]
        return [hid, opp.id, iso_ts(ts), name, f"{amount}.00", iso_date(close_day), str(prob), cat, B[deleted]]

    def _emit_split(self, opp: Opp, s: list, ts: int) -> None:
        mod = max(ts, s[4] + 1)
        s[4] = mod
        self.emit("opportunity_split", s[0], [s[0], opp.id, s[1], str(s[2]), iso_ts(mod), B[s[3] or opp.deleted]], mod)

    def _h_opp_step(self, opp: Opp, _=None) -> None:
        k = opp.i
        ts, kind, stage, amount, close_day = opp.steps[k]
        opp.i += 1
        if k == 0:
            if opp.new_account:
                acc = opp.acct
                owner = acc.terr.owner_at(self.today)
                acc.owner = owner if owner is not None else self.admin_user
                acc.created = acc.mod = acc.at_mod = max(ts - 30, self.today * DAY)
                acc.terr.accounts.append(acc)
                self._emit_account(acc, acc.mod, True)
                self._emit_account_territory(acc, acc.at_mod, True)
        if kind == STEP:
            opp.stage, opp.amount, opp.close_date = stage, amount, close_day
            self._emit_opp(opp, ts)
            hist_k = sum(1 for s in opp.steps[:k] if s[1] == STEP)
            hid = self.id_hist.format(opp.hist_base + hist_k)
            self.emit(
                "opportunity_history",
                hid,
                self._hist_values(hid, opp, ts, stage, amount, close_day, False),
                ts,
                not opp.keep_hist,
            )
            if k == 0:
                for s in opp.splits:
                    self._emit_split(opp, s, ts + 1)
                self.schedule(ts + int(self.r_act.expovariate(1 / 3.0) * DAY) + 1800, self._h_opp_act, opp)
            if stage in (WON, LOST):
                self._on_close(opp)
        elif kind == DELETE:
            was_won = opp.stage == WON
            opp.deleted = True
            self._emit_opp(opp, ts)
            self._cascade_delete(opp, ts)
            self.open_opps.pop(opp.id, None)
            self.payroll.reversal_pending.pop(opp.id, None)
            if was_won:
                self._on_reversal(opp, "deleted")
            else:
                self.truth.deleted.append(
                    {
                        "opportunity_id": opp.id,
                        "deleted_on": iso_date(ts // DAY),
                        "created_date": iso_date(opp.created // DAY),
                    }
                )
        elif kind == REVERSE:
            opp.stage = LOST
            self._emit_opp(opp, ts)
            hid = self.id_hist.next()
            self.emit(
                "opportunity_history",
                hid,
                self._hist_values(hid, opp, ts, LOST, opp.amount, opp.close_date, False),
                ts,
                True,
            )
            self.payroll.reversal_pending.pop(opp.id, None)
            self._on_reversal(opp, "closed_lost")
        if opp.i < len(opp.steps):
            self.schedule(opp.steps[opp.i][0], self._h_opp_step, opp)

    def _cascade_delete(self, opp: Opp, ts: int) -> None:
        n = 0
        for s in opp.steps[: opp.i]:
            if s[1] != STEP:
                continue
            hid = self.id_hist.format(opp.hist_base + n)
            n += 1
            self.emit("opportunity_history", hid, self._hist_values(hid, opp, s[0], s[2], s[3], s[4], True), ts, False)
        for s in opp.splits:
            if not s[3]:
                self._emit_split(opp, s, ts)

    def _on_close(self, opp: Opp) -> None:
        opp.closed = True
        won = opp.stage == WON
        self.truth.on_close(opp, won)
        if opp.reversal is None:
            self.open_opps.pop(opp.id, None)
        else:
            self.open_opps.pop(opp.id, None)
            self.payroll.reversal_pending[opp.id] = opp
        if not won:
            return
        if opp.type == "New Business" and opp.acct.type != "Customer":
            opp.acct.type = "Customer"
            self._emit_account(opp.acct, self.now + 5)
        day = opp.close_date
        usd = Decimal(opp.amount) * self.fx.rate(opp.currency, day)
        for u, pct in _credit_split(opp.owner, opp.splits):
            emp = self.emp_by_user.get(u)
            if emp is None:
                self.truth.notes.append(f"credit to a user without employee: {u} on {opp.id}")
                continue
            a = emp.assignment_at(day)
            if a is None:
                self.truth.notes.append(f"credit to {emp.id} without a plan on {opp.id}")
                continue
            ptype = PLANS[a[0]].period_type
            key = (ptype, period_start(day, ptype))
            slot = self.payroll.slot(*key, emp.id)
            slot["pieces"].append(Piece(day, opp.id, usd * pct / 100, u == opp.owner, opp.type))

    def _on_reversal(self, opp: Opp, kind: str) -> None:
        R = self.today
        self.payroll.reversed_on[opp.id] = R
        self.truth.on_reversal(opp, kind)
        claws = []
        for emp_id, amount, window, close_day in self.payroll.claw_info.pop(opp.id, ()):
            if R - close_day > window:
                continue
            emp = self.employees[emp_id]
            a = emp.assignment_at(R)
            if a is None:
                self.truth.notes.append(f"clawback for {emp_id} without a plan on {opp.id}")
                continue
            ptype = PLANS[a[0]].period_type
            key = (ptype, period_start(R, ptype))
            slot = self.payroll.slot(*key, emp_id)
            slot["clawback"] += amount
            slot["claws"].append(opp.id)
            claws.append(
                {
                    "employee_id": emp_id,
                    "period_type": ptype,
                    "period_start": iso_date(key[1]),
                    "amount": str(cents(amount)),
                }
            )
        self.truth.reversed[-1]["clawbacks"] = claws

    def _h_opp_act(self, opp: Opp, _=None) -> None:
        if opp.closed or opp.deleted:
            return
        r = self.r_act
        x = r.random()
        if x < 0.2:
            owner = opp.owner
            ses = self.se_by_region.get(opp.region)
            if ses and r.random() < 0.15:
                se = r.choice(ses)
                if se.role_at(self.today) == "SE":
                    owner = se.user
            when = self._biz(r, next_weekday(self.today + r.randint(1, 5)), opp.region)
            self._emit_event(
                owner, opp.acct.id, "", opp.id, when, r.choice((30, 45, 60, 90)), "Meeting: " + STAGES[opp.stage][0]
            )
        else:
            kind = "Call" if x < 0.6 else "Email"
            self._emit_task(opp.owner, opp.acct.id, "", opp.id, kind, f"{kind}: follow up")
        nxt = self.now + int(r.expovariate(1 / 4.0) * DAY) + 1800
        nday = next_weekday(nxt // DAY)
        self.schedule(self._biz(r, nday, opp.region) if nday != nxt // DAY else nxt, self._h_opp_act, opp)

    def _h_reassign(self, opp: Opp, users: tuple[str, str]) -> None:
        old, new = users
        if opp.closed or opp.deleted or opp.owner != old:
            self.truth.notes.append(f"reassignment of {opp.id} found it closed or moved")
            return
        changed = _move_credit(opp.splits, old, new)
        opp.owner = new
        self._emit_opp(opp, self.now)
        for s in changed:
            self._emit_split(opp, s, self.now)

    def _h_split_merge(self, opp: Opp, user: str) -> None:
        if opp.closed or opp.deleted:
            return
        for s in _move_credit(opp.splits, user, opp.owner):
            self._emit_split(opp, s, self.now)

    # leads

    def _lead_values(self, ld: Lead, mod: int) -> list[str]:
        conv = ld.converted_day is not None
        return [
            ld.id,
            ld.owner,
            ld.company,
            iso_ts(ld.created),
            ld.status,
            ld.source,
            iso_ts(ld.mql) if ld.mql is not None else "",
            iso_ts(ld.sql) if ld.sql is not None else "",
            B[conv],
            iso_date(ld.converted_day) if conv else "",
            ld.conv_opp if conv else "",
            ld.conv_acct if conv else "",
            iso_ts(mod),
            B[ld.deleted],
        ]

    def _emit_lead(self, ld: Lead, ts: int) -> None:
        mod = max(ts, ld.last_mod + 1)
        ld.last_mod = mod
        self.emit("lead", ld.id, self._lead_values(ld, mod), mod)

    def _h_lead_step(self, ld: Lead, _=None) -> None:
        ts, kind = ld.steps[ld.i]
        ld.i += 1
        r = self.r_act
        if kind == L_CREATE:
            self._emit_lead(ld, ts)
        elif kind == L_TOUCH:
            task = "Call" if r.random() < 0.6 else "Email"
            self._emit_task(ld.owner, "", ld.id, "", task, f"{task}: lead follow up")
            if ld.status == "Open - Not Contacted":
                ld.status = "Working - Contacted"
                self._emit_lead(ld, ts)
        elif kind == L_MEETING:
            self._emit_event(ld.owner, "", ld.id, "", ts + r.randint(1, 3) * 3600, 30, "Discovery call")
        elif kind == L_MQL:
            ld.mql = ts
            self._emit_lead(ld, ts)
        elif kind == L_SQL:
            ld.sql = ts
            self._emit_lead(ld, ts)
        elif kind == L_CONVERT:
            if ld.conv_opp is not None:
                ld.status = "Closed - Converted"
                ld.converted_day = ts // DAY
            else:
                ld.status = "Closed - Not Converted"
            ld.done = True
            self._emit_lead(ld, ts)
        elif kind == L_CLOSE:
            ld.status = "Closed - Not Converted"
            ld.done = True
            self._emit_lead(ld, ts)
        elif kind == L_DELETE:
            ld.deleted = True
            ld.done = True
            self._emit_lead(ld, ts)
        if ld.done:
            self.leads.pop(ld.id, None)
        elif ld.i < len(ld.steps):
            self.schedule(ld.steps[ld.i][0], self._h_lead_step, ld)
        else:
            self.leads.pop(ld.id, None)

    def _h_lead_reassign(self, ld: Lead, user: str) -> None:
        if ld.done or ld.owner == user:
            return
        ld.owner = user
        self._emit_lead(ld, self.now)


def _clear_of_midnight(steps: list[tuple]) -> list[tuple]:
    """Keep planned steps out of a day's last minute (see Simulation.schedule)."""
    out = []
    for st in steps:
        limit = st[0] // DAY * DAY + DAY - 60
        out.append(st if st[0] <= limit else (limit,) + tuple(st[1:]))
    return out


def _close_step(opp: Opp) -> tuple:
    """The step that closes the deal (a planned reversal comes after it)."""
    return next(st for st in opp.steps if st[1] == STEP and st[2] in (WON, LOST))


def _credit_split(owner: str, splits: list[list]) -> list[tuple[str, int]]:
    live = [(s[1], s[2]) for s in splits if not s[3]]
    return live if live else [(owner, 100)]


def _move_credit(splits: list[list], src: str, dst: str) -> list[list]:
    """Move src's split row to dst (merging when dst already has one); the rows changed."""
    a = next((s for s in splits if s[1] == src and not s[3]), None)
    if a is None:
        return []
    b = next((s for s in splits if s[1] == dst and not s[3]), None)
    if b is None:
        a[1] = dst
        return [a]
    b[2] += a[2]
    a[3] = True
    if sum(1 for s in splits if not s[3]) == 1:
        b[3] = True  # a lone 100% split says nothing: the owner gets the credit without one
    return [b, a]
