"""The command line, run in-process with click's runner against real files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from smartfactory.cli import main
from smartfactory.kpi.engine import BUCKETS, RATIOS

STATES = (
    "machine,start,end,state,reason\n"
    "M1,2025-03-03T08:00:00,2025-03-03T09:00:00,running,\n"
    "M1,2025-03-03T09:00:00,2025-03-03T09:30:00,down,jam\n"
    "M1,2025-03-03T09:15:00,2025-03-03T10:00:00,running,\n"
    "M2,2025-03-03T08:00:00,2025-03-03T12:00:00,running,\n"
)
COUNTS = "machine,ts,product,good,scrap,rework\nM1,2025-03-03T09:00:00,P1,100,5,0\n"


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def test_import_then_status_json(tmp_path: Path, write):
    db = str(tmp_path / "f.duckdb")
    code, out = run(
        "import",
        str(write("s.csv", STATES)),
        str(write("c.csv", COUNTS)),
        "--db",
        db,
        "--format",
        "json",
    )
    assert code == 0, out
    reports = json.loads(out)
    assert [(r["kind"], r["accepted"], r["rejected"]) for r in reports] == [
        ("states", 3, 1),
        ("counts", 1, 0),
    ]
    code, out = run("status", "--db", db, "--format", "json")
    st = json.loads(out)
    assert st["records"]["states"] == 3 and st["records"]["counts"] == 1
    assert st["dead_letters"] == {"total": 1, "by_reason": {"overlap": 1}}
    code, out = run("dead-letters", "--db", db, "--format", "json")
    (dl,) = json.loads(out)
    assert (dl["line"], dl["reason"]) == (4, "overlap") and dl["source"].endswith("s.csv")


def test_import_exits_non_zero_only_when_nothing_could_be_read(tmp_path: Path, write):
    db = str(tmp_path / "f.duckdb")
    bad = write("junk.csv", "a,b\n1,2\n")
    code, out = run("import", str(bad), "--db", db)
    assert code == 2 and "match no record kind" in out.replace("\n", " ")
    code, _ = run("import", str(bad), str(write("s.csv", STATES)), "--db", db)
    assert code == 0


def test_kpi_csv_columns(tmp_path: Path, write):
    db = str(tmp_path / "f.duckdb")
    run("import", str(write("s.csv", STATES)), str(write("c.csv", COUNTS)), "--db", db)
    code, out = run("kpi", "--db", db, "--by", "machine,day", "--format", "csv")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    header = list(rows[0])
    assert header[:2] == ["machine", "day"]
    assert header[2 : 2 + len(BUCKETS)] == list(BUCKETS)
    assert set(RATIOS) <= set(header)
    assert [r["machine"] for r in rows] == ["M1", "M2"]
    assert float(rows[1]["apt_s"]) == 4 * 3600


def test_kpi_rejects_unknown_dimension(tmp_path: Path):
    code, out = run("kpi", "--db", str(tmp_path / "f.duckdb"), "--by", "colour")
    assert code == 1 and "cannot group by colour" in out


def test_template_and_trace_and_export(tmp_path: Path, write):
    code, out = run("template", "all", "--out", str(tmp_path / "t.xlsx"))
    assert code == 0 and (tmp_path / "t.xlsx").exists()
    db = str(tmp_path / "f.duckdb")
    run("import", str(write("g.csv", "parent_lot,child_lot\nA,B\nB,C\n")), "--db", db)
    code, out = run("trace", "B", "--db", db, "--format", "json")
    tr = json.loads(out)
    assert [n["lot"] for n in tr["upstream"]] == ["A"]
    assert [n["lot"] for n in tr["downstream"]] == ["C"]
    code, out = run("trace", "Z", "--db", db)
    assert code == 1 and "not in the store" in out
    code, out = run("export", "--db", db, "--out", str(tmp_path / "lake"))
    assert code == 0 and json.loads(out)["genealogy"] == 2
