"""File import: every bad-input class goes to the dead letters with its line and reason, the
rest is stored, and importing the same file again stores nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from smartfactory.ingest.importer import import_files
from smartfactory.ingest.templates import write_template
from smartfactory.store.db import Store

STATES_HEADER = "machine,start,end,state,reason\n"


def dead(store: Store) -> list[tuple[int, str]]:
    return [
        (r["line"], r["reason"])
        for r in store.rows("SELECT line, reason FROM dead_letters ORDER BY line")
    ]


def test_good_states_are_stored_in_utc_from_the_site_zone(store, write, load):
    path = write("s.csv", STATES_HEADER + "M1,2025-03-03T08:00:00,2025-03-03T09:00:00,running,\n")
    rep = load(path)
    assert (rep.kind, rep.result.accepted, rep.result.rejected) == ("states", 1, 0)
    row = store.rows('SELECT "start", "end" FROM states')[0]
    # naive times are read in Asia/Seoul (UTC+9) for a machine of the default site
    assert row["start"] == datetime(2025, 3, 2, 23, 0, tzinfo=UTC)
    assert row["end"] == datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
    assert store.rows("SELECT site, timezone FROM sites") == [
        {"site": "default", "timezone": "Asia/Seoul"}
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("M1,yesterday,2025-03-03T09:00:00,running,", "bad_timestamp"),
        ("M1,2025-03-03T10:00:00,2025-03-03T09:00:00,running,", "end_before_start"),
        ("M1,2025-03-03T10:00:00,2025-03-03T10:00:00,running,", "end_before_start"),
        ("M1,2025-03-03T08:00:00,2025-03-03T09:00:00,dancing,", "unknown_state"),
        (",2025-03-03T08:00:00,2025-03-03T09:00:00,running,", "missing_value"),
        ("M1,1970-01-01T08:00:00,1970-01-01T09:00:00,running,", "timestamp_out_of_range"),
        ("M1,2199-01-01T08:00:00,2199-01-01T09:00:00,running,", "timestamp_out_of_range"),
        ("M1,2025-03-03T08:00:00,2025-03-03T09:00:00,running,,surplus", "broken_row"),
    ],
)
def test_each_bad_state_row_is_rejected_with_its_reason(store, write, load, row, reason):
    good = "M2,2025-03-03T08:00:00,2025-03-03T09:00:00,idle,\n"
    path = write("s.csv", STATES_HEADER + good + row + "\n" + good.replace("M2", "M3"))
    rep = load(path)
    assert rep.result.accepted == 2
    assert rep.result.rejected == 1
    assert rep.result.by_reason == {reason: 1}
    assert dead(store) == [(3, reason)]
    detail = store.scalar("SELECT detail FROM dead_letters")
    assert detail and len(detail) > 10  # a sentence a person can act on


def test_overlapping_intervals_inside_a_file_and_against_the_store(store, write, load):
    load(write("a.csv", STATES_HEADER + "M1,2025-03-03T08:00:00Z,2025-03-03T09:00:00Z,running,\n"))
    rep = load(
        write(
            "b.csv",
            STATES_HEADER
            + "M1,2025-03-03T08:30:00Z,2025-03-03T08:40:00Z,down,jam\n"  # inside a stored one
            + "M1,2025-03-03T07:30:00Z,2025-03-03T08:10:00Z,setup,\n"  # runs into a stored one
            + "M1,2025-03-03T09:00:00Z,2025-03-03T10:00:00Z,idle,\n"  # touches: fine
            + "M1,2025-03-03T09:30:00Z,2025-03-03T09:45:00Z,down,\n"  # overlaps line 4
            + "M2,2025-03-03T08:30:00Z,2025-03-03T08:40:00Z,down,jam\n",  # other machine: fine
        )
    )
    assert rep.result.accepted == 2
    assert dead(store) == [(2, "overlap"), (3, "overlap"), (5, "overlap")]
    assert store.scalar("SELECT count(*) FROM states") == 3


def test_counts_negative_fraction_and_blank_scrap(store, write, load):
    path = write(
        "counts.csv",
        "machine,ts,product,good,scrap,rework,order,lot\n"
        "M1,2025-03-03T09:00:00,P1,100,2,1,O1,L1\n"
        "M1,2025-03-03T10:00:00,P1,-5,0,0,O1,L1\n"
        "M1,2025-03-03T11:00:00,P1,7.5,0,0,O1,L1\n"
        'M1,2025-03-03T12:00:00,P1,"1,200",,,O1,L1\n'
        "M1,2025-03-03T13:00:00,P1,ten,0,0,O1,L1\n",
    )
    rep = load(path)
    assert rep.result.accepted == 2
    assert dead(store) == [(3, "negative_count"), (4, "bad_number"), (6, "bad_number")]
    assert store.rows("SELECT good, scrap, rework FROM counts ORDER BY ts") == [
        {"good": 100, "scrap": 2, "rework": 1},
        {"good": 1200, "scrap": 0, "rework": 0},
    ]


def test_reimport_stores_nothing_twice(store, write, load):
    text = (
        STATES_HEADER
        + "M1,2025-03-03T08:00:00,2025-03-03T09:00:00,running,\n"
        + "M1,2025-03-03T09:00:00,2025-03-03T09:10:00,down,jam\n"
        + "M1,2025-03-03T09:05:00,2025-03-03T09:20:00,down,\n"
        + "M1,not-a-time,2025-03-03T09:20:00,down,\n"
    )
    first = load(write("s.csv", text))
    before = (store.record_counts(), store.dead_letter_summary())
    second = load(write("s.csv", text))
    assert (first.result.accepted, first.result.rejected) == (2, 2)
    assert (second.result.accepted, second.result.duplicates, second.result.rejected) == (0, 2, 2)
    assert (store.record_counts(), store.dead_letter_summary()) == before


def test_same_key_different_values_is_a_conflict_not_a_silent_overwrite(store, write, load):
    load(write("a.csv", STATES_HEADER + "M1,2025-03-03T08:00:00,2025-03-03T09:00:00,running,\n"))
    rep = load(write("b.csv", STATES_HEADER + "M1,2025-03-03T08:00:00,2025-03-03T09:00:00,idle,\n"))
    assert rep.result.by_reason == {"conflict": 1}
    assert store.scalar("SELECT state FROM states") == "running"


def test_reference_data_takes_the_newest_version(store, write, load):
    load(write("p.csv", "product,ideal_cycle_s\nP1,30\nP2,40\n"))
    rep = load(write("p.csv", "product,ideal_cycle_s\nP1,25\nP2,40\n"))
    assert (rep.result.accepted, rep.result.duplicates) == (1, 1)
    assert store.rows("SELECT product, ideal_cycle_s FROM products ORDER BY product") == [
        {"product": "P1", "ideal_cycle_s": 25.0},
        {"product": "P2", "ideal_cycle_s": 40.0},
    ]


def test_cp949_csv_with_korean_headers_and_states(store, write, load):
    text = (
        "설비,시작,종료,상태,사유\n"
        "프레스1,2025-03-03 08:00:00,2025-03-03 09:00:00,가동,\n"
        "프레스1,2025-03-03 09:00:00,2025-03-03 09:30:00,고장,금형 파손\n"
        "프레스1,2025-03-03 09:30:00,2025-03-03 10:00:00,계획정지,점심\n"
        "프레스1,2025-03-03 10:00:00,2025-03-03 10:30:00,날아감,\n"
    )
    path = write("설비상태.csv", text, encoding="cp949")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    rep = load(path)
    assert rep.encoding == "cp949"
    assert (rep.kind, rep.result.accepted) == ("states", 3)
    assert dead(store) == [(5, "unknown_state")]
    assert store.rows("SELECT machine, state, reason FROM states ORDER BY start") == [
        {"machine": "프레스1", "state": "running", "reason": None},
        {"machine": "프레스1", "state": "down", "reason": "금형 파손"},
        {"machine": "프레스1", "state": "planned_down", "reason": "점심"},
    ]


def test_euc_kr_counts(store, write, load):
    text = "설비,시각,제품,양품,불량,재작업\n사출2,2025-03-03 09:00,케이스,100,3,0\n"
    rep = load(write("counts.csv", text, encoding="euc-kr"))
    assert rep.result.accepted == 1
    assert store.rows("SELECT product, good, scrap FROM counts") == [
        {"product": "케이스", "good": 100, "scrap": 3}
    ]


def test_excel_with_korean_headers_real_dates_and_a_bad_row(store, tmp_path, load):
    wb = Workbook()
    ws = wb.active
    ws.title = "생산실적"
    ws.append(["설비", "시각", "제품", "양품", "불량", "재작업", "작업지시"])
    ws.append(["M1", datetime(2025, 3, 3, 9, 0), "P1", 120, 3, 0, "O-1"])
    ws.append(["M1", datetime(2025, 3, 3, 10, 0), "P1", -1, 0, 0, "O-1"])
    ws.append([None] * 7)  # blank rows are skipped, not rejected
    ws.append(["M1", "2025-03-03 11:00", "P1", 80, 0, 0, "O-1"])
    path = tmp_path / "실적.xlsx"
    wb.save(path)
    rep = load(path)
    assert (rep.kind, rep.result.accepted, rep.result.rejected) == ("counts", 2, 1)
    assert dead(store) == [(3, "negative_count")]
    assert store.scalar("SELECT min(ts) FROM counts") == datetime(2025, 3, 3, 0, 0, tzinfo=UTC)


def test_template_round_trip(store, tmp_path):
    path = write_template(["states", "counts"], tmp_path / "template.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert wb.sheetnames == ["states", "counts", "help"]
    ws = wb["states"]
    assert [c.value for c in ws[1]] == ["machine", "start", "end", "state", "reason"]
    assert [c.value for c in ws[2]] == ["설비", "시작", "종료", "상태", "사유"]
    ws.append(["M1", datetime(2025, 3, 3, 8), datetime(2025, 3, 3, 9), "running", None])
    ws.append(["M1", datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10), "가동", None])
    wb["counts"].append(["M1", datetime(2025, 3, 3, 9), "P1", 10, 0, 0])
    wb.save(path)
    reports = import_files(store, [path])
    assert sorted((r.kind, r.result.accepted, r.result.rejected) for r in reports) == [
        ("counts", 1, 0),
        ("states", 2, 0),
    ]


def test_parquet_with_typed_columns(store, tmp_path, load):
    table = pa.table(
        {
            "machine": ["M1", "M1"],
            "start": pa.array(
                [datetime(2025, 3, 3, 0, tzinfo=UTC), datetime(2025, 3, 3, 1, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "end": pa.array(
                [datetime(2025, 3, 3, 1, tzinfo=UTC), datetime(2025, 3, 3, 0, 30, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "state": ["running", "idle"],
        }
    )
    path = tmp_path / "states.parquet"
    pq.write_table(table, path)
    rep = load(path)
    assert (rep.result.accepted, rep.result.rejected) == (1, 1)
    assert store.scalar('SELECT "start" FROM states') == datetime(2025, 3, 3, 0, tzinfo=UTC)


def test_equipment_zone_governs_naive_times_and_bad_zone_is_rejected(store, write, load):
    rep = load(
        write(
            "equipment.csv",
            "enterprise,site,area,line,machine,timezone\n"
            "acme,berlin,press,L1,B1,Europe/Berlin\n"
            "acme,seoul,press,L1,S1,Asia/Seoul\n"
            "acme,mars,press,L1,X1,Mars/Olympus\n",
        )
    )
    assert rep.result.by_reason == {"unknown_timezone": 1}
    load(
        write(
            "states.csv",
            STATES_HEADER
            + "B1,2025-07-01T08:00:00,2025-07-01T09:00:00,running,\n"
            + "S1,2025-07-01T08:00:00,2025-07-01T09:00:00,running,\n",
        )
    )
    starts = {r["machine"]: r["start"] for r in store.rows('SELECT machine, "start" FROM states')}
    assert starts["B1"] == datetime(2025, 7, 1, 6, tzinfo=UTC)  # CEST, UTC+2
    assert starts["S1"] == datetime(2025, 6, 30, 23, tzinfo=UTC)  # KST, UTC+9


def test_line_numbers_survive_blank_lines_and_broken_rows(store, write, load):
    text = (
        STATES_HEADER
        + "M1,2025-03-03T08:00:00,2025-03-03T09:00:00,running,\n"
        + "\n"
        + "M1,2025-03-03T09:00:00,oops\n"
        + "M1,2025-03-03T09:00:00,2025-03-03T10:00:00,bogus,\n"
    )
    load(write("s.csv", text))
    assert dead(store) == [(4, "broken_row"), (5, "unknown_state")]


def test_unreadable_files_are_reported_not_raised(store, write, tmp_path):
    junk = write("notes.txt", "just some words\nnothing tabular here\n")
    binary = tmp_path / "x.xlsx"
    binary.write_bytes(b"\x00\x01not a zip")
    reports = import_files(store, [junk, binary, tmp_path / "missing.csv", tmp_path / "a.doc"])
    assert [r.ok for r in reports] == [False, False, False, False]
    assert all(r.error for r in reports)
    assert "match no record kind" in reports[-1].error or any(
        "match no record kind" in (r.error or "") for r in reports
    )


def test_kind_can_be_forced_and_a_mismatch_says_what_is_missing(store, write):
    path = write("x.csv", "machine,ts,product,good\nM1,2025-03-03T09:00:00,P1,5\n")
    (rep,) = import_files(store, [path], kind="states")
    assert not rep.ok
    assert "start" in rep.error and "end" in rep.error


def test_many_files_load_reference_data_first(store, write):
    states = write("1.csv", STATES_HEADER + "B1,2025-07-01T08:00:00,2025-07-01T09:00:00,running,\n")
    equipment = write(
        "2.csv", "enterprise,site,area,line,machine,timezone\nacme,berlin,a,L1,B1,Europe/Berlin\n"
    )
    import_files(store, [states, equipment])
    assert store.scalar('SELECT "start" FROM states') == datetime(2025, 7, 1, 6, tzinfo=UTC)


def test_dead_letter_raw_keeps_the_original_cells(store, write, load):
    load(write("s.csv", STATES_HEADER + "M1,2025-03-03T08:00:00,2025-03-03T09:00:00,zzz,why\n"))
    raw = store.scalar("SELECT raw FROM dead_letters")
    assert '"state":"zzz"' in raw and '"reason":"why"' in raw


def test_path_type(tmp_path: Path):
    assert tmp_path.exists()
