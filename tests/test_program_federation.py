"""Federation: signed summaries over real HTTP; forged, replayed and non-consented refused;
the roll-up of the summaries equals the KPI engine on the union of the raw data."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from program_helpers import COMPANY, COMPANY2, registry
from smartfactory.errors import FederationError
from smartfactory.ingest.importer import import_files
from smartfactory.kpi.engine import KpiQuery, compute
from smartfactory.program.federation import (
    Consent,
    SiteLink,
    build_summary,
    enrol,
    generate_key,
    publish,
    sign,
)
from smartfactory.program.rollup import summary_totals
from smartfactory.program.schema import ProgramDB
from smartfactory.program.server import create_app
from smartfactory.sim import simulate
from smartfactory.store.db import Store
from smartfactory.testing import free_port, wait_port

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2025, 2, 1, tzinfo=UTC)


def _plant(tmp: Path, name: str, seed: int, rename: bool) -> Path:
    """Simulate a small plant; the second one gets its own names (another company)."""
    out = tmp / name
    simulate(out, machines=2, days=7, seed=seed)
    if rename:
        for f in out.glob("*.csv"):
            t = f.read_text("utf-8")
            t = t.replace("hanbit", "daesung").replace("WO-", "WB-")
            t = re.sub(r"\bM(\d\d)\b", r"N\1", t)
            t = re.sub(r"-M(\d\d)-", r"-N\1-", t)
            t = re.sub(r"\bP-(\d)", r"Q-\1", t)
            f.write_text(t, "utf-8")
    return out


@pytest.fixture(scope="module")
def plants(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("plants")
    a, b = _plant(tmp, "a", 1, False), _plant(tmp, "b", 2, True)
    dbs = {"a": tmp / "a.duckdb", "b": tmp / "b.duckdb", "union": tmp / "u.duckdb"}
    for name, dirs in (("a", [a]), ("b", [b]), ("union", [a, b])):
        with Store(dbs[name]) as s:
            for d in dirs:
                import_files(s, sorted(d.glob("*.csv")))
    return dbs


class Server:
    """The programme server on a free loopback port, in a thread; stops by itself."""

    def __init__(self, db: Path) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(db), host="127.0.0.1", port=self.port, log_level="error")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        wait_port(self.port)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def program(tmp_path) -> Iterator[tuple[Path, dict[str, Consent]]]:
    """A programme file with two enrolled companies and their factory configs."""
    path = tmp_path / "program.duckdb"
    consents = {}
    with ProgramDB(path) as db:
        registry(db)
        for name, cid, ent, site, indicators in (
            ("a", COMPANY, "hanbit", "plant1", ["productivity", "quality", "oee", "delivery"]),
            ("b", COMPANY2, "daesung", "main", ["productivity", "quality", "oee", "delivery"]),
        ):
            key = tmp_path / f"{name}.key"
            token = enrol(db, cid, generate_key(key))
            consents[name] = Consent(
                cid, "", token, key, tuple(indicators), (SiteLink(ent, "plant1", site),)
            )
    yield path, consents


def _with_server(c: Consent, url: str) -> Consent:
    return Consent(c.company_id, url, c.token, c.key, c.indicators, c.sites)


def test_rollup_of_summaries_equals_the_kpi_engine_on_the_union(plants, program):
    path, consents = program
    with Server(path) as srv:
        for name in ("a", "b"):
            with Store(plants[name], read_only=True) as s:
                got = publish(s, _with_server(consents[name], srv.url), START, END)
            assert got[0]["days"] == 32  # local days touching the UTC range
    with ProgramDB(path) as db:
        totals = summary_totals(db)
    with Store(plants["union"], read_only=True) as u:
        union = compute(u, KpiQuery(by=(), grain="range", start=START, end=END)).to_pylist()[0]
        orders = u.rows(
            "SELECT count(*) AS n, count(*) FILTER (WHERE actual_end <= due) AS on_time, "
            "sum(epoch(actual_end) - epoch(received)) AS lead FROM orders "
            "WHERE actual_end >= ? AND actual_end < ?",
            [START, END],
        )[0]
    for f in ("gq", "pq", "sq", "rq", "apt_s", "asut_s", "adet_s", "pbt_s", "ideal_s"):
        assert totals[f] == pytest.approx(union[f], rel=1e-12), f
    assert union["gq"] > 1000 and union["apt_s"] > 3600  # both plants contributed
    assert totals["oee"] == pytest.approx(union["oee"], rel=1e-12)
    assert totals["productivity"] == pytest.approx(
        union["gq"] / ((union["apt_s"] + union["asut_s"] + union["adet_s"]) / 3600), rel=1e-12
    )
    assert totals["defect_rate"] == pytest.approx(
        100 * (union["sq"] + union["rq"]) / union["pq"], rel=1e-12
    )
    assert totals["orders_done"] == orders["n"] > 10
    assert totals["on_time_rate"] == pytest.approx(orders["on_time"] / orders["n"])
    assert totals["lead_time_h"] == pytest.approx(orders["lead"] / orders["n"] / 3600)


def test_forged_replayed_and_non_consented_summaries_are_refused(plants, program, tmp_path):
    path, consents = program
    a = consents["a"]
    only_productivity = Consent(a.company_id, "", a.token, a.key, ("productivity",), a.sites)
    other_key = tmp_path / "intruder.key"
    generate_key(other_key)
    with Store(plants["a"], read_only=True) as s:
        body = build_summary(s, only_productivity, a.sites[0], START, END)
        later = build_summary(s, only_productivity, a.sites[0], START, END)
        seq_reused = build_summary(s, only_productivity, a.sites[0], START, END, seq=body["seq"])
    assert "sq" not in body["rows"][5] and "gq" in body["rows"][5]
    env = sign(body, a.key)
    auth = {"Authorization": f"Bearer {a.token}"}
    with Server(path) as srv, httpx.Client(base_url=srv.url) as c:
        post = "/api/program/summaries"
        assert c.post(post, json=env).status_code == 401
        tampered = {**env, "body": {**body, "rows": [{**body["rows"][5], "gq": 1e9}]}}
        r = c.post(post, json=tampered, headers=auth)
        assert (r.status_code, "forged" in r.text) == (403, True)
        r = c.post(post, json=sign(body, other_key), headers=auth)
        assert (r.status_code, "forged" in r.text) == (403, True)
        assert c.post(post, json=env, headers=auth).status_code == 200
        r = c.post(post, json=env, headers=auth)
        assert (r.status_code, "nonce" in r.text) == (409, True)
        r = c.post(post, json=sign(seq_reused, a.key), headers=auth)
        assert (r.status_code, "sequence" in r.text) == (409, True)
        sneaky = {**later, "rows": [{**later["rows"][5], "sq": 5.0}]}
        r = c.post(post, json=sign(sneaky, a.key), headers=auth)
        assert (r.status_code, "not_consented" in r.text) == (422, True)
        raw = {**later, "rows": [{**later["rows"][5], "machine": "M01"}]}
        r = c.post(post, json=sign(raw, a.key), headers=auth)
        assert (r.status_code, "unknown_field" in r.text) == (422, True)
    with ProgramDB(path) as db:
        stored = db.rows("SELECT * FROM summaries")
        assert len(stored) == 32  # the one accepted summary, nothing from the refused ones
        assert all(r["sq"] is None and r["pq"] is None for r in stored)
        assert max(r["gq"] for r in stored) < 1e9
        assert db.scalar("SELECT count(*) FROM federation_nonces") == 1


def test_a_stale_summary_is_refused(plants, program):
    from smartfactory.program.federation import receive

    path, consents = program
    a = consents["a"]
    with Store(plants["a"], read_only=True) as s:
        body = build_summary(s, a, a.sites[0], START, END, now=datetime(2025, 1, 1, tzinfo=UTC))
    with ProgramDB(path) as db, pytest.raises(FederationError, match="stale"):
        receive(db, a.token, sign(body, a.key))


def test_publish_command_reads_the_consent_file(plants, program, tmp_path):
    from click.testing import CliRunner

    from smartfactory.cli import main

    path, consents = program
    b = consents["b"]
    with Server(path) as srv:
        cfg = tmp_path / "federation.toml"
        cfg.write_text(
            f'company_id = "{b.company_id}"\nserver = "{srv.url}"\ntoken = "{b.token}"\n'
            f'key = "{b.key.name}"\nindicators = ["quality"]\n\n'
            '[[sites]]\nenterprise = "daesung"\nsite = "plant1"\nprogram_site = "main"\n'
        )
        args = ["program", "publish", "--config", str(cfg), "--db", str(plants["b"])]
        r = CliRunner().invoke(main, [*args, "--from", "2025-01-01", "--to", "2025-02-01"])
        assert r.exit_code == 0, r.output
        assert "published 32 day(s) of site main" in r.output
    with ProgramDB(path) as db:
        t = summary_totals(db)
    assert t["pq"] > 0 and t["gq"] is None and t["productivity"] is None  # only quality shared
    bad = tmp_path / "bad.toml"
    bad.write_text('company_id = "1"\n')
    dates = ["--from", "2025-01-01", "--to", "2025-02-01"]
    r = CliRunner().invoke(main, ["program", "publish", "--config", str(bad), *dates])
    assert r.exit_code == 1 and "lacks" in r.output
