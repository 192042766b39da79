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
from orchestration.ingest.loader import ContractError, ingest_source, normalise_header

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


def test_missing_required_column_fails_naming_file_and_column_and_loads_nothing(con, tmp_path):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")])
    ingest(con, tmp_path)
    header = [h for h in OPP_HEADER if h != "StageName"]
    bad = write_csv(
        tmp_path / "crm/2025-03-02/opportunity.csv",
        header,
        [[v for h, v in zip(OPP_HEADER, opp("o2")) if h != "StageName"]],
    )
    write_csv(tmp_path / "crm/2025-03-02/account.csv", ["id", "name", "owner_id", "created_date", "system_modstamp", "is_deleted"], [["a9", "X", "u1", "2025-03-02", "2025-03-02", "false"]])
    with pytest.raises(ContractError) as error:
        ingest(con, tmp_path)
    assert str(bad) in str(error.value)
    assert "missing required column(s) stage_name" in str(error.value)
    # The whole load rolled back: day one is intact, nothing of day two arrived.
    assert rows(con, "select id, _batch_date from raw.crm__opportunity") == [("o1", date(2025, 3, 1))]
    assert rows(con, "select count(*) from raw.crm__account") == [(0,)]
    assert rows(con, "select batch_date from raw._loaded_days") == [(date(2025, 3, 1),)]


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
    with pytest.raises(ContractError, match=str(path) + ": not UTF-8"):
        ingest(con, tmp_path)


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

    write_csv(day2, OPP_HEADER, [opp("o2", amount="999")])
    report = ingest(con, tmp_path)
    assert report.days_loaded == [date(2025, 3, 2)]
    assert rows(con, "select id, amount, _batch_date from raw.crm__opportunity order by id") == [
        ("o1", Decimal(100), date(2025, 3, 1)),
        ("o2", Decimal(999), date(2025, 3, 2)),
    ]
    assert len(ledger(con)) == 2


def test_a_day_removed_from_landing_is_removed_from_raw(con, tmp_path):
    write_csv(tmp_path / "crm/2025-03-01/opportunity.csv", OPP_HEADER, [opp("o1")])
    day2 = write_csv(tmp_path / "crm/2025-03-02/opportunity.csv", OPP_HEADER, [opp("o2")])
    ingest(con, tmp_path)
    day2.unlink()
    day2.parent.rmdir()
    report = ingest(con, tmp_path)
    assert report.days_removed == [date(2025, 3, 2)]
    assert rows(con, "select id from raw.crm__opportunity") == [("o1",)]


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
