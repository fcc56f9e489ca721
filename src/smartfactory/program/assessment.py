"""Maturity assessment: a questionnaire in the shape of DOMAIN §2, answered partly by the
factory's own data, and a roadmap to the next level.

The questionnaire scores 1,000 points over four areas like the forerunner model (leadership
and strategy 100, processes 400, information systems and automation 400, performance 100).
KS X 9001-3's own questions, weights and cut-offs are not public, so these are our own:

- Each answer is 0–4 (none, planned, partly, mostly, fully) and earns that share of its points.
- Evidence from the factory's store answers a question where it can (machine data arriving
  from a live connector ⇒ equipment data collected automatically; lots in the genealogy ⇒ lot
  tracking; inspections against limits ⇒ SPC; …). Evidence counts in full; a self-reported
  answer counts at :data:`SELF_REPORT_WEIGHT`, so evidence counts for more.
- System level (구축 수준, 0–4): the highest level whose questions, and every lower level's,
  are answered "mostly" (3) or better.
- Capability level (제조혁신역량, 1–5): by total score, cut-offs :data:`CAPABILITY_CUTS`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import ConfigError
from ..store.db import Store
from .schema import ProgramDB

logger = logging.getLogger(__name__)

SELF_REPORT_WEIGHT = 0.8
#: capability level → lowest score (own cut-offs; Level 5 "does not yet exist")
CAPABILITY_CUTS = ((5, 950.0), (4, 800.0), (3, 600.0), (2, 400.0), (1, 0.0))
AREAS = {
    "leadership": ("리더십·전략", "Leadership and strategy"),
    "process": ("프로세스", "Processes"),
    "system": ("정보시스템·자동화", "Information systems and automation"),
    "performance": ("성과", "Performance"),
}
SYSTEM_LEVELS = {
    0: ("ICT 미적용", "ICT not applied"),
    1: ("기초", "Basic"),
    2: ("중간1", "Intermediate 1"),
    3: ("중간2", "Intermediate 2"),
    4: ("고도", "Advanced"),
}


@dataclass(frozen=True)
class Question:
    """One question: its area, points, the system level it belongs to (if any), the evidence
    that can answer it, and the platform features that deliver it."""

    id: str
    area: str
    ko: str
    en: str
    points: int
    level: int | None = None
    evidence: str | None = None
    features: tuple[str, ...] = ()


QUESTIONS: tuple[Question, ...] = (
    Question("L1", "leadership", "스마트화 전략과 목표가 있다", "A digitalisation strategy with "
             "goals", 50),
    Question("L2", "leadership", "전담 인력과 교육이 있다", "Dedicated staff and training", 50),
    Question("P1", "process", "생산계획을 디지털로 수립한다", "Production is planned digitally",
             70, 1, None, ("orders import (작업지시)",)),
    Question("P2", "process", "생산실적을 디지털로 수집한다", "Production results are collected "
             "digitally", 70, 1, "counts_digital", ("smartfactory import / Excel 양식",)),
    Question("P3", "process", "로트 추적(생산이력)이 된다", "Lots are traced (production history)",
             60, 1, "lots_traced", ("smartfactory trace",)),
    Question("P4", "process", "검사 데이터로 공정을 관리한다(SPC)", "Inspection data controls the "
             "process (SPC)", 70, 2, "spc_running", ("smartfactory spc", "품질 SPC page")),
    Question("P5", "process", "설비 고장·정지 사유를 기록한다", "Equipment stops are recorded "
             "with reasons", 60, 2, "stops_recorded", ("smartfactory losses",)),
    Question("P6", "process", "자재·재고를 디지털로 관리한다", "Materials and stock are managed "
             "digitally", 70, None, None, ("lots import (로트)",)),
    Question("S1", "system", "ERP를 쓴다", "An ERP is in use", 60),
    Question("S2", "system", "MES/POP로 작업을 관리한다", "Work is managed in a MES/POP", 80, 1,
             "counts_digital", ("SmartFactory web app",)),
    Question("S3", "system", "설비 데이터를 자동으로 수집한다", "Equipment data is collected "
             "automatically", 80, 2, "machine_data_auto",
             ("MQTT / OPC UA / HTTP connectors (smartfactory ingest)",)),
    Question("S4", "system", "실시간으로 모니터링한다", "Production is monitored in real time",
             60, 2, "machine_data_auto", ("dashboard (OEE, floor)", "smartfactory kpi")),
    Question("S5", "system", "설비·공정을 실시간 자동 제어한다", "Equipment and process are "
             "controlled automatically in real time", 70, 3, None,
             ("not in the platform: control by a supplier (PLC/SCADA) on its OPC UA data",)),
    Question("S6", "system", "데이터로 진단·최적화·AI를 한다", "Data-driven diagnosis, "
             "optimisation and AI", 50, 4, "analytics_used",
             ("smartfactory rootcause", "demand forecasting")),
    Question("K1", "performance", "KPI를 정기적으로 측정한다", "KPIs are measured regularly", 50,
             None, "kpi_measured", ("smartfactory kpi (ISO 22400)",)),
    Question("K2", "performance", "목표를 세우고 개선한다", "Targets are set and improved on", 50),
)  # fmt: skip
BY_ID = {q.id: q for q in QUESTIONS}
assert sum(q.points for q in QUESTIONS) == 1000


def _has_table(store: Store, name: str) -> bool:
    return bool(
        store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name])
    )


#: evidence name → a query on the factory store (True / False)
EVIDENCE: dict[str, Callable[[Store], bool | None]] = {
    "counts_digital": lambda s: bool(s.scalar("SELECT count(*) FROM counts") or 0),
    "lots_traced": lambda s: (
        bool(s.scalar("SELECT count(*) FROM genealogy") or 0)
        and bool(s.scalar("SELECT count(*) FROM counts WHERE lot IS NOT NULL") or 0)
    ),
    "spc_running": lambda s: (
        (s.scalar("SELECT count(*) FROM inspections WHERE lsl IS NOT NULL OR usl IS NOT NULL") or 0)
        >= 25
    ),
    "stops_recorded": lambda s: bool(
        s.scalar("SELECT count(*) FROM states WHERE state = 'down' AND reason IS NOT NULL") or 0
    ),
    "machine_data_auto": lambda s: bool(
        s.scalar(
            "SELECT count(*) FROM batches WHERE source IN ('mqtt', 'opcua', 'http', 'live') "
            "AND accepted > 0"
        )
        or 0
    ),
    "kpi_measured": lambda s: (
        (s.scalar('SELECT date_diff(\'day\', min("start"), max("end")) FROM states') or 0) >= 28
    ),
    "analytics_used": lambda s: (
        bool(s.scalar("SELECT count(*) FROM forecasts") or 0)
        if _has_table(s, "forecasts")
        else None
    ),
}


def gather_evidence(store: Store) -> dict[str, bool | None]:
    """What the factory's own data shows (None: the data cannot tell)."""
    return {k: f(store) for k, f in EVIDENCE.items()}


@dataclass
class Assessment:
    """Scores, levels and what answered each question."""

    score: float
    area_scores: dict[str, float]
    system_level: int
    capability_level: int
    answers: dict[str, int]
    answered_by: dict[str, str]
    evidence: dict[str, bool | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "area_scores": self.area_scores,
            "system_level": self.system_level,
            "capability_level": self.capability_level,
            "answers": self.answers,
            "answered_by": self.answered_by,
            "evidence": self.evidence,
        }


def assess(
    self_report: dict[str, int], evidence: dict[str, bool | None] | None = None
) -> Assessment:
    """Score the answers (0–4 per question id); evidence answers the questions it can."""
    bad = {k: v for k, v in self_report.items() if k not in BY_ID or v not in range(5)}
    if bad:
        raise ConfigError(f"answers must be 0–4 for known questions ({list(BY_ID)}): {bad}")
    evidence = evidence or {}
    answers: dict[str, int] = {}
    by: dict[str, str] = {}
    score = 0.0
    areas = dict.fromkeys(AREAS, 0.0)
    for q in QUESTIONS:
        ev = evidence.get(q.evidence) if q.evidence else None
        if ev is not None:
            answers[q.id], by[q.id], weight = (4 if ev else 0), "evidence", 1.0
        else:
            answers[q.id], by[q.id] = self_report.get(q.id, 0), "self_report"
            weight = SELF_REPORT_WEIGHT
        pts = q.points * answers[q.id] / 4 * weight
        score += pts
        areas[q.area] += pts
    level = 0
    for lv in range(1, 5):
        if all(answers[q.id] >= 3 for q in QUESTIONS if q.level is not None and q.level <= lv):
            level = lv
        else:
            break
    capability = next(c for c, cut in CAPABILITY_CUTS if score >= cut)
    return Assessment(score, areas, level, capability, answers, by, dict(evidence))


def roadmap(a: Assessment) -> list[dict[str, Any]]:
    """The next system level's capabilities still missing and the features that deliver them."""
    nxt = a.system_level + 1
    if nxt > 4:
        return []
    return [
        {
            "level": q.level,
            "question": q.id,
            "ko": q.ko,
            "en": q.en,
            "answer": a.answers[q.id],
            "features": list(q.features),
        }
        for q in QUESTIONS
        if q.level is not None and q.level <= nxt and a.answers[q.id] < 3
    ]


def save_assessment(db: ProgramDB, company_id: str, site: str, on: date, a: Assessment) -> None:
    """Record an assessment of a company's site on the programme server."""
    db.con.execute(
        "INSERT INTO assessments VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            company_id,
            site,
            on,
            a.system_level,
            a.capability_level,
            a.score,
            json.dumps(a.answers),
            json.dumps({k: a.answered_by[k] for k in a.answers}),
        ],
    )
