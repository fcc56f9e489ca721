"""Maturity assessment: evidence from the factory's data answers questions; levels; roadmap."""

from __future__ import annotations

import pytest

from smartfactory.errors import ConfigError
from smartfactory.ingest.importer import import_files
from smartfactory.program.assessment import (
    QUESTIONS,
    SELF_REPORT_WEIGHT,
    assess,
    gather_evidence,
    roadmap,
    save_assessment,
)
from smartfactory.sim import simulate
from smartfactory.store.db import Store

ALL = {q.id: 4 for q in QUESTIONS}


def test_scores_and_levels_from_self_report():
    a = assess(ALL)
    assert a.score == pytest.approx(1000 * SELF_REPORT_WEIGHT)
    assert (a.system_level, a.capability_level) == (4, 4)
    none = assess({})
    assert (none.score, none.system_level, none.capability_level) == (0, 0, 1)
    # level 2 needs every level-1 and level-2 question answered "mostly" or better
    lv1 = {q.id: 3 for q in QUESTIONS if q.level == 1}
    assert assess(lv1).system_level == 1
    assert assess({**lv1, **{q.id: 3 for q in QUESTIONS if q.level == 2}}).system_level == 2
    with pytest.raises(ConfigError, match="0–4"):
        assess({"S3": 7})


def test_evidence_from_a_simulated_plant_answers_for_the_factory(tmp_path, store):
    simulate(tmp_path / "sim", machines=2, days=28, seed=4)
    import_files(store, sorted((tmp_path / "sim").glob("*.csv")))
    ev = gather_evidence(store)
    assert ev["counts_digital"] and ev["lots_traced"] and ev["spc_running"]
    assert ev["stops_recorded"] and ev["kpi_measured"]
    assert ev["machine_data_auto"] is False  # imported from files, no live connector
    # claims of automatic data collection do not survive the evidence
    a = assess(ALL, ev)
    assert a.answered_by["S3"] == "evidence" and a.answers["S3"] == 0
    assert a.answered_by["S1"] == "self_report"
    assert a.system_level == 1
    steps = roadmap(a)
    assert {s["question"] for s in steps} == {"S3", "S4"}
    assert any("MQTT" in f for s in steps for f in s["features"])
    # evidence counts in full where self-report is discounted
    assert assess({"P2": 4}, {"counts_digital": True}).score > assess({"P2": 4}).score


def test_live_data_counts_as_automatic_collection(tmp_path):
    from smartfactory.ingest.live import LiveIngestor

    with Store(tmp_path / "f.duckdb") as s:
        live = LiveIngestor(s, source="mqtt")
        live.ingest(
            [("sf/v1/e/s/a/l/M1/state", b'{"timestamp_ms": 1736121600000, "state": "running"}')]
        )
        assert gather_evidence(s)["machine_data_auto"] is True


def test_assessment_is_saved(tmp_path):
    from datetime import date

    from program_helpers import COMPANY
    from smartfactory.program.schema import ProgramDB

    with ProgramDB(tmp_path / "p.duckdb") as db:
        save_assessment(db, COMPANY, "plant1", date(2025, 1, 1), assess(ALL))
        assert db.scalar("SELECT system_level FROM assessments") == 4
