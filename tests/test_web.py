"""The web shell, called in-process through an ASGI client on a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartfactory.ingest.importer import import_files
from smartfactory.settings import Settings
from smartfactory.store.db import Store
from smartfactory.web.server import create_app


@pytest.fixture
def client(tmp_path: Path, write):
    db = tmp_path / "w.duckdb"
    with Store(db) as s:
        import_files(
            s,
            [
                write("eq.csv", "enterprise,site,area,line,machine\nacme,p1,a,L1,M1\n"),
                write(
                    "s.csv",
                    "machine,start,end,state\n"
                    "M1,2025-03-03T08:00,2025-03-03T10:00,running\n"
                    "M1,2025-03-03T10:00,2025-03-03T10:00,idle\n",
                ),
                write(
                    "c.csv",
                    "machine,ts,product,good,scrap,rework\nM1,2025-03-03T10:00,P1,90,10,0\n",
                ),
                write("p.csv", "product,ideal_cycle_s\nP1,60\n"),
            ],
        )
    with TestClient(create_app(Settings(db=db))) as c:
        yield c


def test_home_in_both_languages(client):
    ko = client.get("/", headers={"accept-language": "ko-KR,ko;q=0.9"})
    assert ko.status_code == 200 and "라인별 종합설비효율" in ko.text
    en = client.get("/?lang=en", headers={"accept-language": "ko-KR"})
    assert "OEE by line" in en.text and "L1" in en.text
    # 100 units × 60 s in 2 h running: performance 83.3 %, quality 90 %, availability 100 %
    assert "75.0 %" in en.text


def test_api(client):
    st = client.get("/api/status").json()
    assert st["records"]["states"] == 1 and st["dead_letters"]["by_reason"] == {
        "end_before_start": 1
    }
    (line,) = client.get("/api/kpi", params={"by": "line"}).json()
    assert line["line"] == "L1" and line["oee"] == pytest.approx(0.75)
    assert client.get("/api/kpi", params={"by": "nope"}).status_code == 422
    assert client.get("/api/lots/X/trace").status_code == 404
    assert client.get("/healthz").json() == {"status": "ok"}
