"""The ``smartfactory program`` commands: registry import with rejected rows, enrolment,
roll-up and report."""

from __future__ import annotations

import json

from click.testing import CliRunner

from program_helpers import brn
from smartfactory.cli import main


def test_registry_import_enrol_rollup_and_report(tmp_path):
    db = str(tmp_path / "p.duckdb")
    good, good2 = brn("110810001"), brn("110810002")
    bad_digit = good[:9] + str((int(good[9]) + 1) % 10)
    csv = tmp_path / "companies.csv"
    csv.write_text(
        "사업자등록번호,기업명,규모,업종,지역,종업원수,사업장\n"
        f"{good},한빛정밀,소기업,29,경기도,40,plant1;plant2\n"
        f"{good2},대성금속,medium,C25,Busan,,\n"
        f"{bad_digit},오타기업,small,29,경기도,10,\n"
        f"{brn('110810003')},식당,small,56,서울특별시,3,\n",
        encoding="utf-8",
    )
    run = CliRunner().invoke
    r = run(main, ["program", "import-companies", str(csv), "--program-db", db, "--format", "json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["accepted"] == 2
    assert [(x["line"], "check digit" in x["reason"]) for x in got["rejected"]] == [
        (4, True),
        (5, False),
    ]
    assert "KSIC" in got["rejected"][1]["reason"]
    key = tmp_path / "f.key"
    r = run(main, ["program", "keygen", "--key", str(key)])
    assert r.exit_code == 0 and "BEGIN PUBLIC KEY" in r.output
    pub = tmp_path / "f.pub"
    pub.write_text(r.output)
    r = run(main, ["program", "enrol", good, "--public-key", str(pub), "--program-db", db])
    assert r.exit_code == 0 and r.output.startswith("sfp_")
    r = run(main, ["program", "enrol", brn("999999999"), "--public-key", str(pub),
                   "--program-db", db])  # fmt: skip
    assert r.exit_code == 1 and "not registered" in r.output
    r = run(main, ["program", "companies", "--program-db", db, "--format", "json"])
    assert [c["name"] for c in json.loads(r.output)] == ["한빛정밀", "대성금속"]
    out = tmp_path / "r.xlsx"
    r = run(main, ["program", "report", "--out", str(out), "--program-db", db])
    assert r.exit_code == 0 and out.exists()
    r = run(main, ["program", "report", "--out", str(tmp_path / "r.doc"), "--program-db", db])
    assert r.exit_code == 1 and ".pdf or .xlsx" in r.output
