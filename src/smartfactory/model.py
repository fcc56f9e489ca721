"""The canonical factory model: the one vocabulary every stage speaks.

Records follow ISA-95: an equipment path (enterprise / site / area / line / machine, each site
with its time zone), machine state intervals, production counts, process measurements,
inspections, orders, lots with their genealogy, and products with ideal cycle times.

Each record kind is described once, in :data:`KINDS`, by its fields (name, type, whether
required, Korean label). The file importer, the store schema, the Excel templates and the docs
are all derived from these descriptions, so a new field is added in one place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

logger = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Asia/Seoul"
DEFAULT_ENTERPRISE = "default"
DEFAULT_SITE = "default"
DEFAULT_AREA = "default"
DEFAULT_LINE = "default"


class State(StrEnum):
    """What a machine is doing. Every second of every machine is in exactly one state.

    The states map onto the ISO 22400-2 time model:
    ``running`` → APT, ``setup`` → ASUT, ``down`` (unplanned stops, failures, minor stops) → ADET,
    ``idle`` (available but no order, material or operator) → ADOT, ``planned_down`` (no shift,
    planned breaks and maintenance) → outside the planned busy time.
    """

    RUNNING = "running"
    IDLE = "idle"
    SETUP = "setup"
    DOWN = "down"
    PLANNED_DOWN = "planned_down"


#: Korean words accepted for each state in imported files.
STATE_ALIASES: dict[str, State] = {
    "가동": State.RUNNING,
    "운전": State.RUNNING,
    "생산": State.RUNNING,
    "대기": State.IDLE,
    "비가동": State.IDLE,
    "유휴": State.IDLE,
    "준비": State.SETUP,
    "셋업": State.SETUP,
    "교체": State.SETUP,
    "고장": State.DOWN,
    "정지": State.DOWN,
    "비계획정지": State.DOWN,
    "계획정지": State.PLANNED_DOWN,
    "휴식": State.PLANNED_DOWN,
}


@dataclass(frozen=True, slots=True)
class EquipmentPath:
    """Where a machine sits in the ISA-95 equipment hierarchy."""

    enterprise: str
    site: str
    area: str
    line: str
    machine: str

    def __str__(self) -> str:
        return "/".join((self.enterprise, self.site, self.area, self.line, self.machine))

    @classmethod
    def parse(cls, path: str) -> EquipmentPath:
        """Read ``enterprise/site/area/line/machine``."""
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) != 5:
            raise ValueError(
                f"equipment path {path!r} has {len(parts)} parts; "
                "expected enterprise/site/area/line/machine"
            )
        return cls(*parts)


@dataclass(frozen=True, slots=True)
class Site:
    enterprise: str
    site: str
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class StateInterval:
    """The machine was in ``state`` from ``start`` (inclusive) to ``end`` (exclusive)."""

    machine: str
    start: datetime
    end: datetime
    state: State
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Count:
    """Units finished at ``ts``: good, scrapped and reworked (produced = the sum)."""

    machine: str
    ts: datetime
    product: str
    good: int
    scrap: int = 0
    rework: int = 0
    order: str | None = None
    lot: str | None = None
    operator: str | None = None
    tool: str | None = None

    @property
    def produced(self) -> int:
        return self.good + self.scrap + self.rework


@dataclass(frozen=True, slots=True)
class Measurement:
    machine: str
    ts: datetime
    tag: str
    value: float
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Inspection:
    """A measured quality characteristic of a lot or a unit, with its specification limits."""

    ts: datetime
    characteristic: str
    value: float
    lot: str | None = None
    unit_id: str | None = None
    machine: str | None = None
    lsl: float | None = None
    usl: float | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """A job order (planned) and its job response (actual)."""

    order: str
    product: str
    quantity: float
    due: datetime | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    line: str | None = None
    customer: str | None = None
    received: datetime | None = None


@dataclass(frozen=True, slots=True)
class Lot:
    lot: str
    product: str
    quantity: float | None = None
    created: datetime | None = None
    machine: str | None = None
    order: str | None = None
    supplier: str | None = None


@dataclass(frozen=True, slots=True)
class LotLink:
    """Genealogy: ``parent_lot`` was consumed to make ``child_lot``."""

    parent_lot: str
    child_lot: str
    quantity: float | None = None
    ts: datetime | None = None


@dataclass(frozen=True, slots=True)
class Product:
    """Ideal cycle time (ISO 22400 PRI) in seconds per unit; per machine when ``machine`` is set."""

    product: str
    ideal_cycle_s: float
    machine: str | None = None
    name: str | None = None


# ---------------------------------------------------------------------------------------------
# Field descriptions: the single source of the interchange formats and the store schema.

FieldType = Literal["text", "timestamp", "int", "float"]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType
    required: bool
    ko: str
    help: str
    aliases: tuple[str, ...] = ()
    #: value of a blank cell or a missing column
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Kind:
    """A record kind: its fields, its natural key and how re-imports treat it.

    ``mode`` is ``"event"`` for facts that never change once recorded (a re-sent identical record
    is a duplicate, a different record with the same key is a conflict sent to the dead letters)
    or ``"reference"`` for master data where the newest version wins (an order gets its actual
    end, a product its corrected cycle time).
    """

    name: str
    ko: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    mode: Literal["event", "reference"]
    help: str
    detect: frozenset[str] = field(default_factory=frozenset)

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _f(name: str, type_: FieldType, required: bool, ko: str, help_: str, *aliases: str) -> Field:
    return Field(name, type_, required, ko, help_, aliases)


_MACHINE = _f(
    "machine", "text", True, "설비", "Machine (work unit) identifier", "설비명", "설비코드"
)


def _tool(required: bool, help_: str) -> Field:
    return _f(
        "tool", "text", required, "금형", help_, "금형번호", "공구", "치공구", "mould", "mold"
    )


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "equipment",
            "설비구성",
            (
                _f("enterprise", "text", True, "기업", "Company (the tenant)", "회사"),
                _f("site", "text", True, "사업장", "Site (plant)", "공장"),
                _f("area", "text", True, "구역", "Area (department, process)", "공정"),
                _f("line", "text", True, "라인", "Line or work centre", "작업장"),
                _MACHINE,
                _f("timezone", "text", False, "시간대", "IANA time zone of the site"),
            ),
            key=("machine",),
            mode="reference",
            help="The ISA-95 equipment hierarchy. Machines not listed go under a default site.",
            detect=frozenset({"enterprise", "line", "machine"}),
        ),
        Kind(
            "states",
            "설비상태",
            (
                _MACHINE,
                _f("start", "timestamp", True, "시작", "Interval start (inclusive)", "시작시각"),
                _f("end", "timestamp", True, "종료", "Interval end (exclusive)", "종료시각"),
                _f(
                    "state",
                    "text",
                    True,
                    "상태",
                    "running | idle | setup | down | planned_down (or 가동, 대기, 준비, 고장, "
                    "계획정지)",
                ),
                _f("reason", "text", False, "사유", "Why (failure code, break, changeover…)"),
            ),
            key=("machine", "start"),
            mode="event",
            help="Machine state intervals: the time ledger every KPI is computed from.",
            detect=frozenset({"machine", "start", "end", "state"}),
        ),
        Kind(
            "state_events",
            "상태변경",
            (
                _MACHINE,
                _f("ts", "timestamp", True, "시각", "When the machine entered the state", "일시"),
                _f("state", "text", True, "상태", "running | idle | setup | down | planned_down"),
                _f("reason", "text", False, "사유", "Why"),
            ),
            key=("machine", "ts"),
            mode="event",
            help="State changes as machines report them (MQTT, OPC UA, HTTP, or a log file): "
            "each opens an interval that the machine's next change closes.",
            detect=frozenset({"machine", "ts", "state"}),
        ),
        Kind(
            "counts",
            "생산실적",
            (
                _MACHINE,
                _f("ts", "timestamp", True, "시각", "When the units were finished", "일시", "시간"),
                _f("product", "text", True, "제품", "Product code", "품번", "제품코드"),
                _f("good", "int", True, "양품", "Good units", "양품수량"),
                Field(
                    "scrap",
                    "int",
                    False,
                    "불량",
                    "Scrapped units (blank: 0)",
                    ("불량수량", "폐기"),
                    default="0",
                ),
                Field(
                    "rework",
                    "int",
                    False,
                    "재작업",
                    "Reworked units (blank: 0)",
                    ("재작업수량",),
                    default="0",
                ),
                _f("order", "text", False, "작업지시", "Order number", "작업지시번호", "order_id"),
                _f("lot", "text", False, "로트", "Lot produced", "로트번호", "LOT"),
                _f(
                    "operator",
                    "text",
                    False,
                    "작업자",
                    "Who ran the machine (name or employee number)",
                    "작업자명",
                    "operator_id",
                ),
                _tool(False, "Tool, mould or die in use (its number)"),
            ),
            key=("machine", "ts", "product"),
            mode="event",
            help="Production results: what a machine finished, good and bad.",
            detect=frozenset({"machine", "ts", "good"}),
        ),
        Kind(
            "tool_maintenance",
            "금형보전",
            (
                _tool(True, "Tool, mould or die (its number, as the counts record it)"),
                _f(
                    "ts",
                    "timestamp",
                    True,
                    "시각",
                    "When the work was finished: the tool's life counts again from here",
                    "일시",
                    "완료일시",
                ),
                _f(
                    "work",
                    "text",
                    True,
                    "작업내용",
                    "What restored the tool: regrind, repair, refurbishment, new insert …",
                    "보전내용",
                    "수리내용",
                    "action",
                ),
                _f("machine", "text", False, "설비", "Machine it was taken from"),
                _f(
                    "due_units",
                    "float",
                    False,
                    "보전주기",
                    "Units it may make before its next maintenance is due (shots, strokes)",
                    "다음보전수량",
                    "수명타수",
                    "life_units",
                ),
            ),
            key=("tool", "ts"),
            mode="event",
            help="Tool and mould maintenance that restores the tool (regrind, repair, "
            "refurbishment): a tool's units (its life used) count from the latest one.",
            detect=frozenset({"tool", "ts", "work"}),
        ),
        Kind(
            "products",
            "제품",
            (
                _f("product", "text", True, "제품", "Product code", "품번", "제품코드"),
                _f(
                    "ideal_cycle_s",
                    "float",
                    True,
                    "기준사이클(초)",
                    "Ideal cycle time, seconds per unit (ISO 22400 PRI)",
                    "표준사이클",
                    "ideal_cycle_time",
                ),
                _f("machine", "text", False, "설비", "Only on this machine (blank: all)"),
                _f("name", "text", False, "제품명", "Product name", "품명"),
            ),
            key=("product", "machine"),
            mode="reference",
            help="Products and their ideal cycle times, optionally per machine.",
            detect=frozenset({"product", "ideal_cycle_s"}),
        ),
        Kind(
            "measurements",
            "공정데이터",
            (
                _MACHINE,
                _f("ts", "timestamp", True, "시각", "Sample time", "일시", "시간"),
                _f("tag", "text", True, "태그", "Process variable", "항목", "변수"),
                _f("value", "float", True, "값", "Measured value", "측정값"),
                _f("unit", "text", False, "단위", "Unit of measure"),
            ),
            key=("machine", "ts", "tag"),
            mode="event",
            help="Process measurements (temperatures, pressures, speeds…) per machine.",
            detect=frozenset({"machine", "ts", "tag", "value"}),
        ),
        Kind(
            "inspections",
            "검사",
            (
                _f("ts", "timestamp", True, "시각", "Inspection time", "검사일시", "일시"),
                _f("characteristic", "text", True, "검사항목", "What was measured", "특성"),
                _f("value", "float", True, "측정값", "Measured value", "값"),
                _f("lot", "text", False, "로트", "Lot inspected", "로트번호"),
                _f("unit_id", "text", False, "시리얼", "Unit (serial) inspected", "serial"),
                _f("machine", "text", False, "설비", "Machine that made it"),
                _f("lsl", "float", False, "하한", "Lower specification limit", "규격하한"),
                _f("usl", "float", False, "상한", "Upper specification limit", "규격상한"),
            ),
            key=("ts", "characteristic", "lot", "unit_id"),
            mode="event",
            help="Quality inspections of lots or units against specification limits.",
            detect=frozenset({"characteristic", "value"}),
        ),
        Kind(
            "orders",
            "작업지시",
            (
                _f("order", "text", True, "작업지시", "Order number", "작업지시번호", "order_id"),
                _f("product", "text", True, "제품", "Product code", "품번"),
                _f("quantity", "float", True, "수량", "Ordered quantity", "지시수량"),
                _f("due", "timestamp", False, "납기", "Due date", "납기일"),
                _f("planned_start", "timestamp", False, "계획시작", "Planned start"),
                _f("planned_end", "timestamp", False, "계획종료", "Planned end"),
                _f("actual_start", "timestamp", False, "실적시작", "Actual start"),
                _f("actual_end", "timestamp", False, "실적종료", "Actual end (completion)"),
                _f("line", "text", False, "라인", "Line it is planned on"),
                _f("customer", "text", False, "고객", "Customer", "거래처"),
                _f("received", "timestamp", False, "수주일", "When the order was received"),
            ),
            key=("order",),
            mode="reference",
            help="Job orders (plan) and their responses (actual start and end).",
            detect=frozenset({"order", "product", "quantity"}),
        ),
        Kind(
            "lots",
            "로트",
            (
                _f("lot", "text", True, "로트", "Lot number", "로트번호"),
                _f("product", "text", True, "제품", "Product or material code", "품번", "자재"),
                _f("quantity", "float", False, "수량", "Quantity in the lot"),
                _f("created", "timestamp", False, "생성일시", "When the lot was made or received"),
                _f("machine", "text", False, "설비", "Machine that made it"),
                _f("order", "text", False, "작업지시", "Order it was made for"),
                _f("supplier", "text", False, "공급사", "Supplier of a purchased lot"),
            ),
            key=("lot",),
            mode="reference",
            help="Material lots: purchased raw material, work in progress and finished goods.",
            detect=frozenset({"lot", "product"}),
        ),
        Kind(
            "genealogy",
            "로트계보",
            (
                _f("parent_lot", "text", True, "투입로트", "Lot consumed", "input_lot"),
                _f("child_lot", "text", True, "생산로트", "Lot produced", "output_lot"),
                _f("quantity", "float", False, "투입수량", "Quantity consumed"),
                _f("ts", "timestamp", False, "시각", "When it was consumed"),
            ),
            key=("parent_lot", "child_lot"),
            mode="event",
            help="Lot genealogy: which lots were consumed to make which.",
            detect=frozenset({"parent_lot", "child_lot"}),
        ),
        Kind(
            "stock",
            "재고",
            (
                _f("enterprise", "text", True, "기업", "Company (the tenant)", "회사"),
                _f("product", "text", True, "제품", "Product code", "품번", "제품코드"),
                _f("ts", "timestamp", True, "기준시각", "When it was counted", "as_of", "기준일"),
                _f(
                    "on_hand",
                    "float",
                    True,
                    "현재고",
                    "Finished goods on hand (units)",
                    "stock",
                    "재고수량",
                ),
            ),
            key=("enterprise", "product", "ts"),
            mode="reference",
            help="Finished-goods stock on hand per product, as counted at a time (the plan starts "
            "from the latest count).",
            detect=frozenset({"enterprise", "product", "on_hand"}),
        ),
        Kind(
            "items",
            "품목기준",
            (
                _f("enterprise", "text", True, "기업", "Company (the tenant)", "회사"),
                _f("product", "text", True, "제품", "Product code", "품번", "제품코드"),
                _f("lot_size", "float", False, "로트크기", "Made in multiples of", "생산단위"),
                _f("lead_time_weeks", "float", False, "리드타임", "Weeks from start to stock"),
                _f(
                    "service_level",
                    "float",
                    False,
                    "서비스수준",
                    "Share of weeks without a shortage the safety stock aims at (0.5–0.999)",
                ),
                _f("line", "text", False, "라인", "Line it is planned on"),
            ),
            key=("enterprise", "product"),
            mode="reference",
            help="Planning settings per product: lot size, lead time, service level and line "
            "(the production plan's items table, kept in the store).",
            detect=frozenset({"enterprise", "product"}),
        ),
    )
}

#: Kinds in the order an import of several files should load them (references first).
LOAD_ORDER = (
    "equipment",
    "products",
    "orders",
    "lots",
    "genealogy",
    "states",
    "state_events",
    "counts",
    "tool_maintenance",
    "measurements",
    "inspections",
    "stock",
    "items",
)


def kind(name: str) -> Kind:
    """The record kind called ``name``; a clear error for an unknown one."""
    try:
        return KINDS[name]
    except KeyError:
        from .errors import UnknownKindError

        raise UnknownKindError(name, list(KINDS)) from None
