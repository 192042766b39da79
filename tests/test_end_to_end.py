"""End to end on generated companies: `salesops generate` -> `salesops build` publishes the
marts, they agree with the generator's ground truth, and a build as of a past day gives
what a build on that day would have given."""

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import GENERATED_END, build, published


def test_generated_company_is_published_with_core_marts(generated_home, generated_company):
    _, truth = generated_company
    publication = json.loads((generated_home / "published/publication.json").read_text())
    assert publication["as_of"] == GENERATED_END
    assert {"dim_rep", "fct_opportunities"} <= set(publication["marts"])
    tables = {t for (t,) in published(generated_home, "select table_name from information_schema.tables where table_schema = 'marts'")}
    assert {"dim_rep", "fct_opportunities"} <= tables
    # Employed at the end of the span (METRICS.md: hired by then and not terminated on or
    # before it) = the generator's closing headcount of its last month.
    (current,) = published(
        generated_home,
        "select count(distinct employee_id) from marts.dim_rep where is_current "
        f"and (termination_date is null or termination_date > date '{GENERATED_END}')",
    )
    assert current[0] == truth["turnover"][-1]["closing_headcount"]


def test_won_and_lost_deals_per_segment_match_ground_truth(generated_home, generated_company):
    _, truth = generated_company
    warehouse = duckdb.connect(str(generated_home / "warehouse.duckdb"), read_only=True)
    try:
        segment_of_account = dict(
            warehouse.execute(
                "select a.account_id, t.segment from staging.stg_crm__account_territories a "
                "join staging.stg_crm__territories t using (territory_id)"
            ).fetchall()
        )
    finally:
        warehouse.close()
    counts: dict[str, dict[str, int]] = {}
    for account_id, is_won in published(
        generated_home,
        "select account_id, is_won from marts.fct_opportunities where is_closed "
        f"and close_date between date '{truth['params']['start']}' and date '{truth['params']['end']}'",
    ):
        segment = segment_of_account.get(account_id)
        if segment:
            counts.setdefault(segment, {"won": 0, "lost": 0})["won" if is_won else "lost"] += 1
    expected = {s: {"won": v["won"], "lost": v["lost"]} for s, v in truth["win_rate_by_segment"].items()}
    assert counts == expected


def _days_up_to(landing: Path, dest: Path, last: date) -> Path:
    for day in landing.glob("*/*"):
        if day.is_dir() and date.fromisoformat(day.name) <= last:
            shutil.copytree(day, dest / day.parent.name / day.name)
    return dest


def test_build_as_of_a_past_day_equals_the_build_made_that_day(tmp_path):
    from simco import generate

    landing = tmp_path / "landing"
    generate(landing, reps=12, start=date(2025, 1, 1), end=date(2025, 3, 31), seed=3)
    day = date(2025, 2, 14)
    that_day = _days_up_to(landing, tmp_path / "landing-that-day", day)
    assert build(that_day, tmp_path / "built-that-day") == 0
    assert build(landing, tmp_path / "as-of", as_of=day.isoformat()) == 0

    def marts(home):
        names = [t for (t,) in published(home, "select table_name from information_schema.tables")]
        return {n: sorted(published(home, f"select * from marts.{n}"), key=repr) for n in names}

    then, now = marts(tmp_path / "built-that-day"), marts(tmp_path / "as-of")
    assert set(then) == set(now)
    for name in then:
        assert then[name] == now[name], name
    assert sum(len(rows) for rows in then.values()) > 0
