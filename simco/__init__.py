"""simco: a seeded, deterministic simulated sales organisation.

``generate(out, *, reps=40, start=date(2025, 1, 1), end=date(2025, 12, 31), seed=42, rehires=1)``
writes the landing files of CONTRACTS.md for a company with ``reps`` quota-carrying
reps (AEs, AMs, SDRs/BDRs) at the start, plus their managers, directors, a VP and
solutions engineers, and returns the path of ``<out>/_ground_truth.json``. The
command line is ``salesops generate`` or ``python -m simco`` (the same one: ``--out DIR
[--reps N] [--start D] [--end D] [--seed S] [--rehires N]``).
The same arguments give byte-identical output (every random draw comes from
``random.Random(f"{seed}:<purpose>")`` streams; no clock, no hash order).

The output is prefix-stable: the same arguments with a later ``end`` write byte-identical
files for every day up to the earlier ``end`` (the future never leaks into the past), so
"the same company, one day later" exists. The simulation never reads ``end``: the day loop
stops there and the ground truth describes the files as of it. The planted cases (forced HR
events and reversals, the mid-year accelerator plan and realignment, SPIFs, closed_period
rows, payroll errors) are placed in a notional year from ``start`` (start + 364 days), FX
walks on one stream per currency, and a reversal or payout after ``end`` is planned as if
the run went on (it just never lands).

Layout
------
``<out>/<source>/<YYYY-MM-DD>/<table>.csv`` for the sources crm, hr and comp. The
simulation starts with a warm-up on the first day of the quarter about six months
before ``start``, so the first landing day (``start``) holds full extracts (every
key's state at the end of that day, with all history rows: opportunity history,
job history, salaries, quotas, payouts, FX rates, ...) of every table, header-only
when a table is empty. Each later day holds the rows created or changed that day:
a table's file only when it has rows; every source has a folder every day, empty when
nothing changed (its daily export ran), so a quiet source never looks stale.
A key changed twice on a day lands once, in its last version; updates are new
versions with a later ``system_modstamp`` (``updated_at`` in hr.employee); deletes
are versions with ``is_deleted = true`` (an opportunity's history rows and splits
are deleted with it). CRM files have Salesforce API headers (``StageName``,
``SplitOwnerId``, ...) and a ``_fivetran_synced`` column (the connector's next
15-minute sync after the change; the day-one extract's rows all carry the initial
sync time); hr and comp files are snake_case. Files are UTF-8 (some names carry
accents; e-mail addresses are ASCII) with minimal quoting. Money has two decimals,
booleans are ``true``/``false``, timestamps ``YYYY-MM-DDTHH:MM:SSZ`` (UTC).

The simulated world
-------------------
* Regions (two for fewer than 15 reps, three up to 149, four from 150) with
  territories per account executive, each of segment SMB, Mid-Market or
  Enterprise; accounts belong to territories (account_territory) and are owned by
  the territory's AE, by the "Sales Ops Admin" user (a few on purpose, and a
  vacant territory's until its backfill arrives) and a few have no territory. Some
  accounts are realigned between territories of one region and segment mid-span.
* Opportunities: New Business (AE outbound, or a converted lead), Existing Business
  and Renewal (account managers on customer accounts). Each is planned when it is
  created: won with the segment's true probability, created-to-close days drawn
  from a lognormal with the segment's true mean (lost deals: 0.8 of it), Salesforce
  default stages with skipped stages and backward moves, close-date slips, amount
  changes, a discount at close. Deals in EMEA accounts are in EUR or GBP
  (``CurrencyIsoCode``). 15-25% of deals carry 2-3 split rows adding to 100 (AE +
  SDR, AE + AE, or all three); a leaver's open deals and split rows move to a
  colleague the day after the last day worked. A few deals are deleted outright;
  about 2.5% of won deals are reversed 10-85 days after closing, always after the
  first landing day (to Closed Lost, or deleted); while few clawbacks exist, deals
  closing late in a quarter are reversed into the next quarter more often. A
  deal's close date is the day it is won, and nothing changes on a closed deal
  except those reversals.
* Leads arrive per SDR, get a first touch after a lognormal delay (speed to lead:
  a task with ``WhoId`` = the lead), become MQL, SQL and convert into a real
  account (new or existing) and opportunity; tasks (Call, Email) and events
  (Meeting) are logged on opportunities (``WhatId``), accounts and leads.
* Forecasts: every Monday each AE, AM and manager (role Manager, VP and directors
  included) submits ``commit`` and ``best_case`` for the current month and quarter.
  Each forecaster has a bias b ~ N(0, 0.15) (clipped to +-0.45); the commit is
  (1 + b) x actual x (1 + noise), the noise's sd shrinking from 0.27 in week 1 to
  0.02 in the last week, where actual is METRICS.md's over the deals that stay won
  (a planned reversal is left out, whenever it lands): own credited bookings, plus
  those of everyone below the forecaster in the HR tree on the period's last day and
  of leavers who were below them on their last day.
  Best case is above commit.
* HR: hires (backfills 21-75 days after a leaver, growth hires), pre-boarding
  (the employee row lands 3-10 days before ``hire_date``, its ``crm_user_id`` on
  the first day), ramping, promotions SDR -> AE and transfers to vacant territories
  at quarter starts, manager changes (interim director when a manager leaves, then
  the new manager), voluntary (some regretted) and involuntary terminations,
  including early attrition (< 180 days); ``termination_date`` is the last day
  worked. Quarterly-plan reps (AE, AM) leave only in a quarter's last month, and no
  separation falls 170-190 days after hire, so no rule is near its edge.
* Rehires (``rehires``, default 1): the first SDR or BDR who leaves voluntarily on or
  after ``start`` and whose backfill starts at least 60 days before the planting year ends
  (start + 364) comes back as that backfill: a new ``employee_id`` with the same ``crm_user_id``, name and e-mail (METRICS.md,
  Reps and rehires); the CRM user is reactivated. Every random draw of the backfill is made
  as without the rehire, so only the rehired person's rows differ from ``rehires=0``.
* Comp: plans per role and currency (monthly for SDRs, quarterly for AEs and AMs;
  the USD SDR and Enterprise plans have a cap), marginal tiers, ramp schedules,
  USD quotas (monthly for SDRs, quarterly for AEs, both for AMs), a mid-span move
  of some SMB AEs to an accelerator plan, SPIFs (one in EUR), payouts in the plan's
  currency on the 15th of the month after the period ends (or 5 days after a late
  close; next weekday), and closed_period rows. Payouts equal METRICS.md's computed amount except
  the planted payroll errors. Periods with nothing to pay have no payout row.

Ground truth (``_ground_truth.json``, sorted keys)
--------------------------------------------------
``params``
    seed, reps, start, end, warmup_start (first simulated day), reporting_currency.
``win_rate_by_segment``
    segment -> true_win_probability (the parameter, for every deal type), won and
    lost: opportunities with close_date in [start, end] in their final state (not
    deleted; a reversed-to-Closed-Lost deal counts as lost), by the segment of the
    account's territory; realized_win_rate = won / (won + lost).
``cycle_days_by_segment``
    segment -> true_mean_days (the parameter for won deals), won_deals, and the
    realized mean and median of close_date - created_date (days) over those deals.
``forecaster_bias``
    forecaster CRM user id -> b, for everyone who submitted.
``forecast_realized_bias``
    user id -> periods and sum(last commit) / sum(actual) - 1 over the periods
    starting by ``end`` with a positive actual (actual as of ``end``: the planned actual
    plus the deals reversed after ``end``, still won in the files).
``turnover``
    one row per calendar month of [start, end], company level, per METRICS.md from
    the HR rows landed by ``end``: month (YYYY-MM), opening_headcount,
    closing_headcount, hires, separations, voluntary, involuntary, regretted,
    early_attrition (separated < 180 days after hire).
``payout_errors``
    the planted payroll errors: kind (missing, duplicate, wrong_rate,
    clawback_not_applied), employee_id, period_type, period_start, payout_ids (the
    rows as paid; none for missing; both for duplicate), currency, paid_date,
    expected and paid (USD: computed per METRICS.md, and the payout rows at the paid
    date's rate), expected_in_currency, paid_in_currency, clawback_opportunities.
    About one of each kind per 40 reps, planted in the planting year; listed when
    paid by ``end`` (a later planted error is not in the files yet).
``commission_reconciliation``
    every rep and plan period the generator closed by ``end`` with deals or
    clawbacks: plan_id, closes_on (the period's last day or a counting
    closed_period's closed_on), quota (ramp-adjusted), credited_bookings, deals,
    commission, spif, cap_adjustment, clawback, computed (all USD, cents), paid_date,
    payout_written, paid (USD at the paid date; null when paid after ``end``),
    payout_currency and status (matched, no_quota or the planted error's kind).
``reconciliation_scope``
    closes_on_or_after = start: periods that closed during the warm-up exist only
    inside the first full extract, where a strict reading of "known at close" has
    no comp rows yet; they reconcile only if the first extract counts as known.
``pending_payouts``
    periods closed by ``end`` whose payroll date is after it (no payout row yet: a
    warehouse sees them as underpaid).
``reversed_deals``
    opportunity_id, kind (closed_lost or deleted), close_date, reversed_on,
    days_after_close, amount, currency, owner_id and the clawbacks it caused
    (employee_id, period_type, period_start, amount; none when the plan period was
    still open at the reversal or the window had passed).
``deleted_opportunities``
    opportunity_id, created_date, deleted_on: deals deleted while open.
``closed_periods``
    the closed_period rows: period_start, period_type, closed_on, landed_on and
    effective (false: first seen after the period's last day, so no effect).
``spifs``
    spif_id, start_date, end_date, opportunity_type, amount_per_deal, currency.
``events``
    promotions (employee_id, effective_date, from, to) and hires (count) dated by
    ``end``, and
    counters_in_span, events dated in [start, end]: promotion, transfer (to a
    vacant territory), team_transfer (a change of team), early, regretted,
    involuntary (separations), reversal, late_reversal (reversed in a later
    quarter than the close: these make clawbacks), plan_change (to the
    accelerator plan).
``rehires``
    crm_user_id, left (employee_id, hire_date, termination_date, role) and rehired
    (employee_id, hire_date) of every rehire back by ``end``.
``counts``
    rows written per table, over all landing files.
``notes``
    anomalies the generator noticed in itself (empty in a healthy run).
"""

from simco.api import generate

__all__ = ["generate"]
