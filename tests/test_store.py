"""The store file: schema versions, one writer, Parquet export."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from smartfactory.errors import SchemaVersionError, StoreLockedError
from smartfactory.ingest.importer import import_files
from smartfactory.store.db import Store
from smartfactory.store.export import export_parquet
from smartfactory.store.schema import MIGRATIONS, SCHEMA_VERSION, run_migrations
from smartfactory.store.tenant import scoped


def test_new_file_is_at_the_current_version_and_reopening_keeps_data(db_path, write):
    with Store(db_path) as s:
        assert s.scalar("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
        import_files(s, [write("p.csv", "product,ideal_cycle_s\nP1,30\n")])
    with Store(db_path) as s:
        assert s.record_counts()["products"] == 1
        assert s.scalar("SELECT count(*) FROM schema_version") == SCHEMA_VERSION


def test_a_file_of_version_6_gains_operator_and_tool_and_keeps_its_counts(db_path, write):
    con = duckdb.connect(str(db_path))
    run_migrations(con, str(db_path), MIGRATIONS[:6])
    cols = [r[0] for r in con.execute("DESCRIBE counts").fetchall()]
    assert "operator" not in cols and "tool" not in cols  # as release 6 made it
    con.execute(
        "INSERT INTO counts (machine, ts, product, good, scrap, lot) "
        "VALUES ('M1', TIMESTAMPTZ '2025-03-03 09:00+09', 'P1', 10, 1, 'L1')"
    )
    con.close()
    with Store(db_path) as s:
        assert s.scalar("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
        csv = "설비,시각,제품,양품,로트,작업자,금형\nM1,2025-03-03 10:00,P1,9,L1,김민수,T-7\n"
        import_files(s, [write("c.csv", csv)])
        rows = s.con.execute("SELECT lot, operator, tool FROM counts ORDER BY ts").fetchall()
    assert rows == [("L1", None, None), ("L1", "김민수", "T-7")]


def test_tool_maintenance_comes_with_version_8_and_each_company_sees_its_own(db_path, write):
    con = duckdb.connect(str(db_path))
    run_migrations(con, str(db_path), MIGRATIONS[:7])
    assert "tool_maintenance" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    con.close()
    with Store(db_path) as s:
        assert s.scalar("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
        import_files(
            s,
            [
                write(
                    "e.csv",
                    "enterprise,site,area,line,machine\nacme,p1,a,L1,M1\nbeta,p1,a,L1,M2\n",
                ),
                write(
                    "c.csv",
                    "machine,ts,product,good,tool\n"
                    "M1,2025-03-03 09:00,P1,10,T-A\nM2,2025-03-03 09:00,P1,10,T-B\n",
                ),
                write(
                    "금형보전.csv",
                    "금형,일시,작업내용,설비\n"
                    "T-A,2025-03-04 08:00,연마,\n"  # no machine: the tool's counts decide
                    "T-B,2025-03-04 08:00,수리,M2\n"
                    "T-C,2025-03-04 08:00,연마,M1\n",  # a tool not yet counted, on acme's M1
                ),
            ],
        )
        assert s.record_counts()["tool_maintenance"] == 3
        for company, tools in (("acme", ["T-A", "T-C"]), ("beta", ["T-B"])):
            mine = scoped(s, company)
            seen = mine.rows("SELECT tool FROM tool_maintenance ORDER BY tool")
            assert [r["tool"] for r in seen] == tools, company
            mine.close()


def test_an_older_file_opened_read_only_is_brought_up_to_date_first(db_path):
    con = duckdb.connect(str(db_path))
    run_migrations(con, str(db_path), MIGRATIONS[:6])
    con.close()
    with Store(db_path, read_only=True) as s:
        assert s.read_only and s.scalar("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
        assert s.scalar("SELECT count(*) FROM tool_maintenance") == 0
        with pytest.raises(duckdb.Error):  # and it is read-only
            s.con.execute("DELETE FROM counts")


def test_a_file_from_a_newer_release_is_refused(db_path):
    Store(db_path).close()
    con = duckdb.connect(str(db_path))
    con.execute("INSERT INTO schema_version (version) VALUES (?)", [SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(SchemaVersionError, match="upgrade SmartFactory"):
        Store(db_path)


def test_a_second_writer_process_gets_a_clear_error(db_path):
    Store(db_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db_path)!r}); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError, match="one writer"):
            Store(db_path)
    finally:
        holder.kill()
        holder.wait()


def test_export_partitions_by_enterprise_site_and_local_date(store, write, tmp_path: Path):
    import_files(
        store,
        [
            write("eq.csv", "enterprise,site,area,line,machine\nacme,p1,a,L1,M1\n"),
            write(
                "s.csv",
                "machine,start,end,state\n"
                # 23:30 on 3 March in Seoul is 14:30 UTC: the partition is the local date
                "M1,2025-03-03T23:30:00,2025-03-04T00:30:00,running\n"
                "M1,2025-03-04T00:30:00,2025-03-04T01:00:00,idle\n",
            ),
        ],
    )
    written = export_parquet(store, tmp_path / "lake")
    assert written["states"] == 2
    parts = sorted(
        p.relative_to(tmp_path / "lake").parent.as_posix()
        for p in (tmp_path / "lake" / "states").rglob("*.parquet")
    )
    assert parts == [
        "states/enterprise=acme/site=p1/date=2025-03-03",
        "states/enterprise=acme/site=p1/date=2025-03-04",
    ]
    data = ds.dataset(tmp_path / "lake" / "states", partitioning="hive").to_table()
    assert data.num_rows == 2
    assert set(data.column_names) >= {"machine", "start", "end", "state", "enterprise", "site"}
    eq = list((tmp_path / "lake" / "equipment").rglob("*.parquet"))
    assert [p.parent.name for p in eq] == ["site=p1"]
