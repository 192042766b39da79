"""Ingestion against the contracts: header normalisation, type coercion, rejects, the load
ledger, idempotent reloads, and every kind of bad input the spine issue lists."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import write_csv
from orchestration.ingest.contracts import load_contracts
from orchestration.ingest.loader import (
    forget_day,
    ingest_source,
    ledger_problems,
    normalise_header,
)

LOADED_AT = datetime(2025, 3, 1, 6, 0)
OPP_HEADER = [
    "Id", "AccountId", "OwnerId", "Name", "Type", "StageName", "Amount", "Probability",
    "ForecastCategoryName", "IsClosed", "IsWon", "CloseDate", "CreatedDate", "SystemModstamp",
    "IsDeleted",
]


def opp(id_: str, amount: str = "100.00", modstamp: str = "2025-03-01T10:00:00Z", **kw) -> list:
    row = {
        "Id": id_, "AccountId": "a1", "OwnerId": "u1", "Name": f"Deal {id_}",
        "Type": "New Business", "StageName": "Prospecting", "Amount": amount,
        "Probability": "10", "ForecastCategoryName": "Pipeline", "IsClosed": "false",
        "IsWon": "false", "CloseDate": "2025-04-30", "CreatedDate": "2025-03-01T09:00:00Z",
        "SystemModstamp": modstamp, "IsDeleted": "false",
    } | kw
    return [row[h] for h in OPP_HEADER]


@pytest.fixture
def con():
    con = duckdb.connect()
    yield con
    con.close()


def ingest(con, landing: Path, source: str = "crm"):
    return ingest_source(con, landing, source, LOADED_AT)


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def ledger(con) -> list[tuple]:
    return rows(
        con,
        "select source_file, rows_in, rows_loaded, rows_rejected, status from raw._load_ledger "
        "order by source_file",
    )


# --- header normalisation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("StageName", "stage_name"),
        ("stage_name", "stage_name"),
        ("Id", "id"),
        ("CurrencyIsoCode", "currency_iso_code"),
        ("ForecastCategoryName", "forecast_category_name"),
        ("MQLDate", "mql_date"),
        ("ActivityDateTime", "activity_date_time"),
        ("\ufeffId", "id"),
        (" Stage Name ", "stage_name"),
        ("_fivetran_synced", "_fivetran_synced"),
    ],
)
def test_headers_map_to_snake_case(header, expected):
    assert normalise_header(header) == expected


# --- type coercion ---------------------------------------------------------------------------


def test_values_are_coerced_to_contract_types(con, tmp_path):
    write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv",
        OPP_HEADER,
        [
            opp("o1", amount="1234.56", IsWon="TRUE", IsClosed="1", CreatedDate="2025-03-01T09:00:00+02:00"),
            opp("o2", amount=" 0.10 ", IsWon="f", IsClosed="0", CreatedDate="2025-03-01 09:00:00"),
        ],
    )
    ingest(con, tmp_path)
    assert rows(
        con,
        "select id, amount, is_won, is_closed, created_date, close_date, probability "
        "from raw.crm__opportunity order by id",
    ) == [
        # +02:00 is stored in UTC; a timestamp without a zone is UTC already.
        ("o1", Decimal("1234.56"), True, True, datetime(2025, 3, 1, 7), date(2025, 4, 30), Decimal(10)),
        ("o2", Decimal("0.10"), False, False, datetime(2025, 3, 1, 9), date(2025, 4, 30), Decimal(10)),
    ]


def test_money_is_exact_decimal(con, tmp_path):
    write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv",
        OPP_HEADER,
        [opp("o1", amount="0.1"), opp("o2", amount="0.2")],
    )
    ingest(con, tmp_path)
    # In binary floating point 0.1 + 0.2 != 0.3.
    assert rows(con, "select sum(amount) = 0.3 from raw.crm__opportunity") == [(True,)]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("Amount", "abc", 'column amount: "abc" is not a valid decimal'),
        ("Amount", "1,000.00", 'column amount: "1,000.00" is not a valid decimal'),
        ("IsWon", "yes", 'column is_won: "yes" is not a valid bool'),
        ("CloseDate", "30/04/2025", 'column close_date: "30/04/2025" is not a valid date'),
        ("CreatedDate", "yesterday", 'column created_date: "yesterday" is not a valid ts'),
        ("Probability", "ten", 'column probability: "ten" is not a valid num'),
        ("OwnerId", "", "required column owner_id is empty"),
    ],
)
def test_contract_violations_go_to_rejects_with_file_line_and_rule(con, tmp_path, column, value, reason):
    write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv",
        OPP_HEADER,
        [opp("o1"), opp("o2", **{column: value}), opp("o3")],
    )
    report = ingest(con, tmp_path)
    assert rows(con, "select id from raw.crm__opportunity order by id") == [("o1",), ("o3",)]
    assert rows(con, "select source_file, line, reason from raw._rejects") == [
        ("crm/2025-03-01/opportunity.csv", 3, reason)
    ]
    assert rows(con, "select record like '%\"o2\"%' from raw._rejects") == [(True,)]
    assert ledger(con) == [("crm/2025-03-01/opportunity.csv", 3, 2, 1, "loaded")]
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)


def test_optional_column_may_be_absent_or_empty(con, tmp_path):
    # lead_source and currency_iso_code are optional: absent from this header entirely.
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")])
    ingest(con, tmp_path)
    assert rows(con, "select lead_source, currency_iso_code from raw.crm__opportunity") == [
        (None, None)
    ]


# --- the bad-input list of the spine issue ---------------------------------------------------


def test_malformed_csv_line_is_rejected_and_counted(con, tmp_path):
    path = write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")])
    with path.open("a") as fh:
        fh.write("o2,a1,u1,too few fields\n")
        fh.write(",".join(opp("o3")) + "\n")
    ingest(con, tmp_path)
    assert rows(con, "select id from raw.crm__opportunity order by id") == [("o1",), ("o3",)]
    assert rows(con, "select line, reason from raw._rejects") == [
        (3, "malformed CSV line: expected 15 fields, found 4")
    ]
    assert ledger(con) == [("crm/2025-03-01/opportunity.csv", 3, 2, 1, "loaded")]


def test_unterminated_quote_rejects_the_rest_of_the_file_as_one_record(con, tmp_path):
    path = write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")])
    with path.open("a") as fh:
        fh.write('o2,a1,u1,"never closed\n')
    ingest(con, tmp_path)
    assert rows(con, "select id from raw.crm__opportunity") == [("o1",)]
    assert rows(con, "select line, reason from raw._rejects") == [
        (3, "malformed CSV line: unexpected end of data")
    ]


def test_missing_required_column_fails_the_file_in_the_ledger_and_the_rest_loads(con, tmp_path):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")])
    ingest(con, tmp_path)
    header = [h for h in OPP_HEADER if h != "StageName"]
    bad = write_csv(
        tmp_path / "crm/2025-03-02/opportunity.csv",
        header,
        [[v for h, v in zip(OPP_HEADER, opp(i)) if h != "StageName"] for i in ("o2", "o3")],
    )
    write_csv(tmp_path / "crm/2025-03-02/account.csv", ["id", "name", "owner_id", "created_date", "system_modstamp", "is_deleted"], [["a9", "X", "u1", "2025-03-02", "2025-03-02", "false"]])
    report = ingest(con, tmp_path)
    # The file is recorded, not raised: the build reports it with every other problem.
    (problem,) = report.problems
    assert problem.path == bad and problem.status == "failed"
    assert problem.message == (
        f"{bad}: missing required column(s) stage_name; the crm.opportunity contract requires "
        "id, account_id, owner_id, name, type, stage_name, probability, forecast_category_name, "
        "is_closed, is_won, close_date, created_date, system_modstamp, is_deleted "
        "(the file has 14 column(s))"
    )
    # Its two rows count as rejected; nothing of it reached raw; the account beside it loaded.
    assert ("crm/2025-03-02/opportunity.csv", 2, 0, 2, "failed") in ledger(con)
    assert rows(con, "select id, _batch_date from raw.crm__opportunity") == [("o1", date(2025, 3, 1))]
    assert rows(con, "select id from raw.crm__account") == [("a9",)]
    # The ledger keeps the problem for later builds of the same landing folder.
    assert [status for _, status, _ in ledger_problems(con, "crm", date(2025, 3, 2))] == ["failed"]
    assert ledger_problems(con, "crm", date(2025, 3, 1)) == []


def test_every_file_missing_columns_is_reported_in_one_load(con, tmp_path):
    day = tmp_path / "crm/2025-03-01"
    write_csv(day / "account.csv", ["id", "name", "created_date"], [["a1", "Acme", "2025-03-01"]])
    write_csv(day / "opportunity.csv", [h for h in OPP_HEADER if h != "SystemModstamp"], [])
    write_csv(day / "opportunity_history.csv", ["id", "opportunity_id", "stage_name"], [["h1", "o1", "Prospecting"]])
    report = ingest(con, tmp_path)
    found = {p.path.name: p.message.split("; ")[0].split(": ")[-1] for p in report.problems}
    assert found == {
        "account.csv": "missing required column(s) owner_id, system_modstamp, is_deleted",
        "opportunity.csv": "missing required column(s) system_modstamp",
        "opportunity_history.csv": "missing required column(s) created_date",
    }
    assert {(f, s) for f, _, _, _, s in ledger(con)} == {
        ("crm/2025-03-01/account.csv", "failed"),
        ("crm/2025-03-01/opportunity.csv", "failed"),
        ("crm/2025-03-01/opportunity_history.csv", "failed"),
    }


def test_unknown_extra_column_is_kept(con, tmp_path):
    write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv",
        OPP_HEADER + ["Region__c"],
        [opp("o1") + ["EMEA"], opp("o2") + [""]],
    )
    ingest(con, tmp_path)
    assert rows(con, "select id, region_c from raw.crm__opportunity order by id") == [
        ("o1", "EMEA"),
        ("o2", None),
    ]


def test_empty_file_loads_zero_rows_without_error(con, tmp_path):
    (tmp_path / "crm/2025-03-01").mkdir(parents=True)
    (tmp_path / "crm/2025-03-01/opportunity.csv").write_bytes(b"")
    write_csv(tmp_path / "crm/2025-03-01/task.csv", ["id", "owner_id", "type", "activity_date", "created_date"], [])
    report = ingest(con, tmp_path)
    assert [(f.table, f.rows_in, f.status) for f in report.files] == [
        ("opportunity", 0, "loaded"),
        ("task", 0, "loaded"),
    ]
    assert rows(con, "select count(*) from raw._rejects") == [(0,)]


def test_bom_and_camel_case_headers_load(con, tmp_path):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")], bom=True)
    ingest(con, tmp_path)
    assert rows(con, "select id, stage_name, forecast_category_name from raw.crm__opportunity") == [
        ("o1", "Prospecting", "Pipeline")
    ]


def test_same_key_twice_in_a_day_keeps_both_versions_with_their_modstamps(con, tmp_path):
    # Which version wins is decided in staging (dbt unit test
    # stg_crm__opportunities_latest_version_wins_and_converts_at_close_date, and
    # test_handmade_landing); raw keeps every version with its version time and position.
    write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv",
        OPP_HEADER,
        [opp("o1", amount="200", modstamp="2025-03-01T15:00:00Z"), opp("o1", amount="100", modstamp="2025-03-01T10:00:00Z")],
    )
    ingest(con, tmp_path)
    assert rows(con, "select amount, _version_ts, _line from raw.crm__opportunity order by _line") == [
        (Decimal(200), datetime(2025, 3, 1, 15), 2),
        (Decimal(100), datetime(2025, 3, 1, 10), 3),
    ]


def test_file_for_an_unknown_table_warns_and_affects_nothing_else(con, tmp_path):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")])
    write_csv(tmp_path / "crm/2025-03-01/quote_line.csv", ["id"], [["q1"]])
    report = ingest(con, tmp_path)
    assert len(report.warnings) == 1
    assert "quote_line.csv" in report.warnings[0]
    assert "not in the crm contract" in report.warnings[0]
    assert rows(con, "select id from raw.crm__opportunity") == [("o1",)]
    assert ("crm/2025-03-01/quote_line.csv", 0, 0, 0, "ignored") in ledger(con)


def test_unreadable_file_fails_naming_the_file(con, tmp_path):
    (tmp_path / "crm/2025-03-01").mkdir(parents=True)
    path = tmp_path / "crm/2025-03-01/opportunity.csv"
    path.write_bytes(",".join(OPP_HEADER).encode() + b"\n\xff\xfe\x00garbage\n")
    (problem,) = ingest(con, tmp_path).problems
    assert problem.status == "failed"
    assert problem.message.startswith(f"{path}: not UTF-8")
    assert ("crm/2025-03-01/opportunity.csv", 0, 0, 0, "failed") in ledger(con)


def test_fivetran_deleted_marks_the_row_deleted(con, tmp_path):
    write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv",
        OPP_HEADER + ["_fivetran_deleted", "_fivetran_synced"],
        [opp("o1") + ["true", "2025-03-01T11:00:00Z"], opp("o2") + ["false", "2025-03-01T11:00:00Z"]],
    )
    ingest(con, tmp_path)
    assert rows(con, "select id, _is_deleted from raw.crm__opportunity order by id") == [
        ("o1", True),
        ("o2", False),
    ]


def test_jsonl_and_parquet_files_load_like_csv(con, tmp_path):
    day = tmp_path / "crm/2025-03-01"
    day.mkdir(parents=True)
    (day / "territory.jsonl").write_text(
        '{"Id": "t1", "Name": "West", "Segment": "SMB"}\n'
        "not json\n"
        '{"id": "t2", "name": "East"}\n'
    )
    pq.write_table(
        pa.table({"id": ["r1"], "name": ["AE"], "parent_role_id": [None]}), day / "user_role.parquet"
    )
    ingest(con, tmp_path)
    assert rows(con, "select id, name, segment from raw.crm__territory order by id") == [
        ("t1", "West", "SMB"),
        ("t2", "East", None),
    ]
    assert rows(con, "select line, reason like 'malformed JSON line%' from raw._rejects") == [(2, True)]
    assert rows(con, "select id, name from raw.crm__user_role") == [("r1", "AE")]


# --- idempotence -----------------------------------------------------------------------------


def test_reloading_a_changed_day_replaces_exactly_that_days_rows(con, tmp_path):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")])
    day2 = write_csv(tmp_path / "crm/2025-03-02/opportunity.csv", OPP_HEADER, [opp("o2"), opp("o3")])
    ingest(con, tmp_path)
    again = ingest(con, tmp_path)
    assert (again.days_loaded, len(again.days_unchanged)) == ([], 2)

    write_csv(day2, OPP_HEADER, [opp("o2", amount="999"), opp("o3", amount="333")])
    report = ingest(con, tmp_path)
    assert report.days_loaded == [date(2025, 3, 2)]
    assert rows(con, "select id, amount, _batch_date from raw.crm__opportunity order by id") == [
        ("o1", Decimal(100), date(2025, 3, 1)),
        ("o2", Decimal(999), date(2025, 3, 2)),
        ("o3", Decimal(333), date(2025, 3, 2)),
    ]
    assert len(ledger(con)) == 2


def test_a_day_removed_from_landing_keeps_its_rows_and_is_reported(con, tmp_path):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")])
    day2 = write_csv(tmp_path / "crm/2025-03-02/opportunity.csv", OPP_HEADER, [opp("o2")])
    ingest(con, tmp_path)
    day2.unlink()
    day2.parent.rmdir()
    report = ingest(con, tmp_path)
    # A retention clean-up of the landing folder never rewrites history.
    assert report.days_missing == [date(2025, 3, 2)]
    assert rows(con, "select id from raw.crm__opportunity order by id") == [("o1",), ("o2",)]
    assert report.warnings == [
        f"{tmp_path}/crm/2025-03-02: a loaded day no longer in the landing folder; its rows are "
        "kept (drop them with `salesops forget --source crm --day 2025-03-02`)"
    ]
    assert rows(con, "select path from raw._skipped") == [(f"{tmp_path}/crm/2025-03-02",)]
    # Forgetting it is explicit, and then it is gone.
    assert forget_day(con, "crm", date(2025, 3, 2)) is True
    assert rows(con, "select id from raw.crm__opportunity") == [("o1",)]
    assert ingest(con, tmp_path).days_missing == []


def test_a_redelivered_day_that_drops_a_fifth_of_its_rows_is_held(con, tmp_path):
    day1 = write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER,
                     [opp(f"o{i}") for i in range(1, 11)])
    ingest(con, tmp_path)
    # 8 of 10 rows again: 20% fewer is allowed; 7 of 10 (30% fewer) is not.
    write_csv(day1, OPP_HEADER, [opp(f"o{i}") for i in range(1, 9)])
    assert ingest(con, tmp_path).problems == []
    write_csv(day1, OPP_HEADER, [opp(f"o{i}") for i in range(1, 11)])
    ingest(con, tmp_path)
    write_csv(day1, OPP_HEADER, [opp(f"o{i}") for i in range(1, 8)])
    (problem,) = ingest(con, tmp_path).problems
    assert problem.status == "shrunk"
    assert problem.message == (
        "crm/2025-03-01: re-delivered crm.opportunity has 7 rows (7 keys), 10 rows (10 keys) "
        "before: 30% fewer, more than the allowed 20%. Restore the day's files, or accept the "
        "smaller day with `salesops forget --source crm --day 2025-03-01` and build again"
    )
    assert ledger_problems(con, "crm", date(2025, 3, 1)) == [
        ("crm/2025-03-01/opportunity", "shrunk", problem.message)
    ]
    # The same keys sent twice each (20 rows, 10 keys) keep the rows but cut no key: fine.
    write_csv(day1, OPP_HEADER, [opp(f"o{i}") for i in range(1, 11)])
    ingest(con, tmp_path)
    write_csv(day1, OPP_HEADER, [opp(f"o{i}", modstamp=m) for i in range(1, 11)
                                 for m in ("2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z")])
    assert ingest(con, tmp_path).problems == []
    assert ledger_problems(con, "crm", date(2025, 3, 1)) == []


def test_compressed_csv_and_jsonl_load(con, tmp_path):
    import gzip

    day = tmp_path / "crm/2025-03-01"
    plain = write_csv(day / "plain.csv", OPP_HEADER, [opp("o1"), opp("o2")])
    (day / "opportunity.csv.gz").write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    (day / "task.jsonl.gz").write_bytes(gzip.compress(
        b'{"Id": "t1", "OwnerId": "u1", "ActivityDate": "2025-03-01", "CreatedDate": "2025-03-01"}\n'
    ))
    report = ingest(con, tmp_path)
    assert report.skipped == []
    assert rows(con, "select id from raw.crm__opportunity order by id") == [("o1",), ("o2",)]
    assert rows(con, "select id from raw.crm__task") == [("t1",)]
    assert [(f, s) for f, *_, s in ledger(con)] == [
        ("crm/2025-03-01/opportunity.csv.gz", "loaded"), ("crm/2025-03-01/task.jsonl.gz", "loaded"),
    ]


def test_every_unloadable_name_is_a_warning_with_its_path(con, tmp_path):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")])
    write_csv(tmp_path / "crm/2025-03-01/opportunity (1).csv", OPP_HEADER, [opp("o2")])
    (tmp_path / "crm/2025-03-01/notes.txt").write_text("hello")
    (tmp_path / "crm/2025-03-01/extra").mkdir()
    write_csv(tmp_path / "crm/2025-13-45/opportunity.csv", OPP_HEADER, [opp("o3")])
    report = ingest(con, tmp_path)
    known = ", ".join(load_contracts()["crm"])
    assert sorted(report.skipped) == sorted([
        (f"{tmp_path}/crm/2025-13-45", "not a YYYY-MM-DD day folder; not loaded"),
        (f"{tmp_path}/crm/2025-03-01/extra", "a folder inside a day folder; not loaded"),
        (f"{tmp_path}/crm/2025-03-01/notes.txt",
         "unsupported file type (expected a name ending in one of .csv, .csv.gz, .jsonl, "
         ".jsonl.gz, .parquet); not loaded"),
        (f"{tmp_path}/crm/2025-03-01/opportunity (1).csv",
         f"table 'opportunity (1)' is not in the crm contract (known: {known}); not loaded"),
    ])
    assert rows(con, "select id from raw.crm__opportunity") == [("o1",)]
    # An unchanged day is skipped, but what it cannot load is reported again every build.
    assert len(ingest(con, tmp_path).skipped) == 4
    assert rows(con, "select count(*) from raw._skipped") == [(4,)]


def test_rows_in_equals_loaded_plus_rejected_for_every_file(con, tmp_path):
    path = write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv",
        OPP_HEADER,
        [opp("o1"), opp("o2", amount="x"), opp("o3", OwnerId="")],
    )
    with path.open("a") as fh:
        fh.write("o4,short\n")
    ingest(con, tmp_path)
    (rows_in, loaded, rejected), = rows(
        con, "select rows_in, rows_loaded, rows_rejected from raw._load_ledger"
    )
    assert (rows_in, loaded, rejected) == (4, 1, 3)
    assert rows(con, "select count(*) from raw.crm__opportunity") == [(loaded,)]
    assert rows(con, "select count(*) from raw._rejects") == [(rejected,)]


# --- real exports: what Salesforce and Fivetran write ----------------------------------------


@pytest.mark.parametrize(
    ("written", "loaded"),
    [
        ("2018-12-19", date(2018, 12, 19)),
        ("2018-12-19 00:00:00", date(2018, 12, 19)),
        ("2018-12-19T00:00:00Z", date(2018, 12, 19)),
        ("2018-12-19T00:00:00.000+00:00", date(2018, 12, 19)),
        ("2018-12-19 00:00:00 UTC", date(2018, 12, 19)),
    ],
)
def test_a_midnight_timestamp_is_a_date(con, tmp_path, written, loaded):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1", CloseDate=written)])
    ingest(con, tmp_path)
    assert rows(con, "select close_date from raw.crm__opportunity") == [(loaded,)]
    assert rows(con, "select count(*) from raw._rejects") == [(0,)]


@pytest.mark.parametrize("written", ["2018-12-19 13:45:00", "2018-12-19T00:00:00+02:00", "2018-12-19 00:00:01"])
def test_another_time_of_day_is_not_a_date(con, tmp_path, written):
    write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER,
        [opp("o1"), opp("o2", CloseDate=written), opp("o3")],
    )
    ingest(con, tmp_path)
    assert rows(con, "select line, reason from raw._rejects") == [
        (3, f'column close_date: "{written}" is not a valid date')
    ]


def test_empty_opportunity_amount_and_task_type_load_as_null(con, tmp_path):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1", amount="")])
    write_csv(
        tmp_path / "crm/2025-03-01/task.csv",
        ["Id", "OwnerId", "Type", "ActivityDate", "CreatedDate"],
        [["t1", "u1", "", "2025-03-01", "2025-03-01T09:00:00Z"]],
    )
    ingest(con, tmp_path)
    assert rows(con, "select id, amount from raw.crm__opportunity") == [("o1", None)]
    assert rows(con, "select id, type from raw.crm__task") == [("t1", None)]
    assert rows(con, "select count(*) from raw._rejects") == [(0,)]


def test_a_file_whose_every_row_is_rejected_is_broken(con, tmp_path):
    path = write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER,
        [opp(f"o{i}", CloseDate="19/12/2018") for i in range(1, 4)] + [opp("o4", OwnerId="")],
    )
    (problem,) = ingest(con, tmp_path).problems
    assert problem.status == "broken"
    # 4 of 4 rejected; 3 rows break the date rule and 1 the required owner: the date wins.
    assert problem.message == (
        f"{path}: broken file: 4 of 4 rows rejected (100%), more than the crm.opportunity "
        "threshold of 50%; commonest reason: column close_date is not a valid date (3 rows)"
    )
    assert ledger(con) == [("crm/2025-03-01/opportunity.csv", 4, 0, 4, "broken")]


def test_half_the_rows_rejected_is_not_yet_broken(con, tmp_path):
    # The threshold is passed only by more than half: 2 of 4 is bad rows, 3 of 4 a broken file.
    write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER,
        [opp("o1"), opp("o2"), opp("o3", amount="x"), opp("o4", amount="y")],
    )
    write_csv(
        tmp_path / "crm/2025-03-02/opportunity.csv", OPP_HEADER,
        [opp("o5"), opp("o6", amount="x"), opp("o7", amount="y"), opp("o8", amount="z")],
    )
    report = ingest(con, tmp_path)
    assert [(p.path.parent.name, p.status) for p in report.problems] == [("2025-03-02", "broken")]
    assert [s for *_, s in ledger(con)] == ["loaded", "broken"]


def test_a_fivetran_export_loads_every_valid_row(con, tmp_path):
    """Fivetran's Salesforce connector: snake_case with hundreds of columns the contract does
    not name, `_fivetran_synced` and `_fivetran_active`, CRLF line ends, upper-case booleans,
    midnight dates, empty amounts and a version column without a zone."""
    contract = [
        "id", "account_id", "owner_id", "name", "type", "stage_name", "amount", "probability",
        "forecast_category_name", "is_closed", "is_won", "close_date", "created_date",
        "system_modstamp", "is_deleted",
    ]
    unknown = [f"custom_field_{n}__c" for n in range(300)]
    header = ["_fivetran_synced", *contract, *unknown, "_fivetran_active"]
    records = [
        ["o1", "a1", "u1", "Big deal", "New Business", "Closed Won", "24120000", "100", "Closed",
         "TRUE", "TRUE", "2018-12-19 00:00:00", "2018-12-19 19:51:13", "2019-04-04 18:47:01", "FALSE"],
        ["o2", "a2", "u1", "Early", "New Business", "Prospecting", "", "10", "Pipeline",
         "FALSE", "FALSE", "2019-01-31 00:00:00", "2018-12-18 21:21:17", "2018-12-18 18:20:30.829", "False"],
        ["o3", "a2", "u2", "Gone", "Renewal", "Closed Lost", "1", "0", "Omitted",
         "TRUE", "FALSE", "2018-10-31 00:00:00", "2018-10-31 17:43:42", "2019-04-04 18:47:01", "FALSE"],
    ]
    active = ["true", "true", "false"]  # _fivetran_active = false: deleted
    lines = [",".join(header)] + [
        ",".join(["2019-04-04 18:47:01", *r, *[f"x{n}" for n in range(300)], a])
        for r, a in zip(records, active)
    ]
    path = tmp_path / "crm/2025-03-01/opportunity.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    report = ingest(con, tmp_path)
    assert report.problems == []
    assert ledger(con) == [("crm/2025-03-01/opportunity.csv", 3, 3, 0, "loaded")]
    assert rows(
        con,
        "select id, is_won, amount, close_date, system_modstamp, _is_deleted, custom_field_299_c "
        "from raw.crm__opportunity order by id",
    ) == [
        ("o1", True, Decimal(24120000), date(2018, 12, 19), datetime(2019, 4, 4, 18, 47, 1), False, "x299"),
        ("o2", False, None, date(2019, 1, 31), datetime(2018, 12, 18, 18, 20, 30, 829000), False, "x299"),
        ("o3", False, Decimal(1), date(2018, 10, 31), datetime(2019, 4, 4, 18, 47, 1), True, "x299"),
    ]


# --- set-based reading: DuckDB reads every ordinary file, all at once -------------------------


def test_ordinary_csv_files_are_read_by_duckdb_not_by_the_reference_reader(con, tmp_path, monkeypatch):
    """Newline styles, a BOM, gzip, quoted fields and malformed lines all stay on DuckDB's
    path: the reference (Python csv) reader is only for files DuckDB cannot read exactly."""
    import gzip

    from orchestration.ingest import loader

    def refuse(path):
        raise AssertionError(f"{path} went to the reference reader")

    monkeypatch.setitem(loader.READERS, ".csv", refuse)
    monkeypatch.setitem(loader.READERS, ".csv.gz", refuse)
    header = ",".join(OPP_HEADER)
    quoted = ",".join(opp("o3")).replace("Deal o3", '"Deal, ""big"""')
    files = {
        "2025-03-01/opportunity.csv": f"{header}\n{','.join(opp('o1'))}\n\n{quoted}\no9,short\n",
        "2025-03-02/opportunity.csv": f"\ufeff{header}\r\n{','.join(opp('o4'))}\r\n",
        "2025-03-03/opportunity.csv": f"{header}\r{','.join(opp('o5'))}\r",
    }
    for name, text in files.items():
        path = tmp_path / "crm" / name
        path.parent.mkdir(parents=True)
        path.write_bytes(text.encode())
    gz = tmp_path / "crm/2025-03-04/opportunity.csv.gz"
    gz.parent.mkdir(parents=True)
    gz.write_bytes(gzip.compress(f"{header}\n{','.join(opp('o6'))}".encode()))
    report = ingest(con, tmp_path)
    assert report.problems == []
    assert rows(con, "select id, name, _source_file, _line from raw.crm__opportunity order by id") == [
        ("o1", "Deal o1", "crm/2025-03-01/opportunity.csv", 2),
        ("o3", 'Deal, "big"', "crm/2025-03-01/opportunity.csv", 4),  # line 3 is blank
        ("o4", "Deal o4", "crm/2025-03-02/opportunity.csv", 2),
        ("o5", "Deal o5", "crm/2025-03-03/opportunity.csv", 2),
        ("o6", "Deal o6", "crm/2025-03-04/opportunity.csv.gz", 2),
    ]
    assert rows(con, "select source_file, line, reason, record from raw._rejects") == [
        ("crm/2025-03-01/opportunity.csv", 5, "malformed CSV line: expected 15 fields, found 2",
         "o9,short"),
    ]


def test_the_statements_of_a_load_do_not_grow_with_its_files(tmp_path):
    """One landing day or thirty: the same statements, each over all the files of a table."""

    class Counting:
        def __init__(self):
            self.con, self.statements = duckdb.connect(), 0

        def execute(self, *args):
            self.statements += 1
            return self.con.execute(*args)

        def __getattr__(self, name):
            return getattr(self.con, name)

    def statements(days: int) -> int:
        landing = tmp_path / f"{days}-days"
        for day in range(1, days + 1):
            write_csv(landing / f"crm/2025-03-{day:02d}/opportunity.csv", OPP_HEADER,
                      [opp(f"o{day}"), opp(f"p{day}", amount="x")])
            write_csv(landing / f"crm/2025-03-{day:02d}/task.csv",
                      ["id", "owner_id", "activity_date", "created_date"],
                      [[f"t{day}", "u1", "2025-03-01", "2025-03-01"]])
        counting = Counting()
        report = ingest(counting, landing)
        assert (len(report.files), report.rows_loaded, report.rows_rejected) == (2 * days, 2 * days, days)
        return counting.statements

    assert statements(1) == statements(30)


def test_quotes_are_read_as_pythons_csv_module_reads_them(con, tmp_path):
    """A quote is a quote only at the start of a field; a quoted field must end at a comma.
    (DuckDB's own CSV parser would take ` "x"` for x and accept `"x" `.)"""
    names = [' "spaced"', 'ab"c"d', '"a ""b"""', '"closed" ', '"q"z']
    lines = [",".join(opp(f"o{i}")).replace(f"Deal o{i}", name) for i, name in enumerate(names, start=1)]
    path = tmp_path / "crm/2025-03-01/opportunity.csv"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join([",".join(OPP_HEADER), *lines]) + "\n")
    ingest(con, tmp_path)
    # A str value is trimmed: ' "spaced"' loads as '"spaced"'.
    assert rows(con, "select id, name from raw.crm__opportunity order by id") == [
        ("o1", '"spaced"'), ("o2", 'ab"c"d'), ("o3", 'a "b"'),
    ]
    assert rows(con, "select line, reason from raw._rejects order by line") == [
        (5, "malformed CSV line: ',' expected after '\"'"),
        (6, "malformed CSV line: ',' expected after '\"'"),
    ]


def test_a_quoted_field_across_lines_keeps_the_line_numbers_of_the_file(con, tmp_path):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER,
              [opp("o1"), opp("o2", Name="two\nlines"), opp("o3")])
    ingest(con, tmp_path)
    assert rows(con, "select id, name, _line from raw.crm__opportunity order by id") == [
        ("o1", "Deal o1", 2), ("o2", "two\nlines", 3), ("o3", "Deal o3", 5),
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "mixed"])
def test_every_newline_style_numbers_lines_alike(con, tmp_path, newline):
    lines = [",".join(OPP_HEADER), ",".join(opp("o1")), "", "o2,short", ",".join(opp("o3"))]
    if newline == "mixed":
        text = "\r\n".join(lines[:3]) + "\n" + "\r".join(lines[3:]) + "\n"
    else:
        text = newline.join(lines) + newline
    path = tmp_path / "crm/2025-03-01/opportunity.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode())
    ingest(con, tmp_path)
    assert rows(con, "select id, _line from raw.crm__opportunity order by id") == [("o1", 2), ("o3", 5)]
    assert rows(con, "select line, record from raw._rejects") == [(4, "o2,short")]
    assert ledger(con) == [("crm/2025-03-01/opportunity.csv", 3, 2, 1, "loaded")]


def test_a_value_holding_any_byte_loads_as_written(con, tmp_path):
    # \x01 is the column delimiter DuckDB's line reader is given; NUL and a vertical tab are
    # text like any other.
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER,
              [opp("o1", Name="a\x01b"), opp("o2", Name="nul\x00here"), opp("o3", Name="v\x0btab")])
    ingest(con, tmp_path)
    assert rows(con, "select id, name from raw.crm__opportunity order by id") == [
        ("o1", "a\x01b"), ("o2", "nul\x00here"), ("o3", "v\x0btab"),
    ]


def test_a_tie_for_the_commonest_reason_names_the_rule_broken_first(con, tmp_path):
    path = write_csv(
        tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER,
        [opp("o1", IsWon="maybe"), opp("o2", amount="x"), opp("o3", amount="y", IsWon="no")],
    )
    (problem,) = ingest(con, tmp_path).problems
    # is_won and amount are both broken twice; is_won first, on line 2.
    assert problem.message == (
        f"{path}: broken file: 3 of 3 rows rejected (100%), more than the crm.opportunity "
        "threshold of 50%; commonest reason: column is_won is not a valid bool (2 rows)"
    )


def test_parquet_files_of_one_table_with_other_schemas_each_load_as_written(con, tmp_path):
    day1, day2 = tmp_path / "crm/2025-03-01", tmp_path / "crm/2025-03-02"
    day1.mkdir(parents=True)
    day2.mkdir(parents=True)
    pq.write_table(pa.table({"Id": ["t1"], "Name": ["West"], "Region": [3]}), day1 / "territory.parquet")
    pq.write_table(pa.table({"id": ["t2"], "name": ["East"], "region": [1.5]}), day2 / "territory.parquet")
    (day2 / "user_role.parquet").write_bytes(b"PAR1 not really")
    report = ingest(con, tmp_path)
    # An integer column stays "3", not "3.0" as one read of both files would make it.
    assert rows(con, "select id, name, region from raw.crm__territory order by id") == [
        ("t1", "West", "3"), ("t2", "East", "1.5"),
    ]
    (problem,) = report.problems
    assert problem.status == "failed"
    assert problem.message.startswith(f"{day2 / 'user_role.parquet'}: unreadable Parquet file: ")
