"""Validation: raw cells → typed canonical records, each bad row with a reason code and a message.

The whole batch is checked in one DuckDB query (columnar, so a million rows take a fraction of
a second). The result is the temporary table ``_stage`` that :mod:`smartfactory.store.append`
loads: ``_line``, the raw text of every field (``r_<field>``), the typed fields, and
``_reason`` / ``_detail`` (NULL for a good row).

Reason codes are stable and listed in :data:`REASONS`; ``smartfactory status`` counts them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from ..model import STATE_ALIASES, Field, Kind, State
from ..store.schema import q
from .formats import ColumnMap

logger = logging.getLogger(__name__)

#: Every reason a record can be rejected for, with what it means.
REASONS: dict[str, str] = {
    "missing_value": "a required field is empty",
    "bad_timestamp": "a date-time that cannot be read",
    "bad_number": "a number that cannot be read, or a fraction where a count is due",
    "timestamp_out_of_range": "before min_year or further in the future than max_future_s",
    "unknown_state": "a state that is none of running/idle/setup/down/planned_down",
    "end_before_start": "an interval whose end is not after its start",
    "negative_count": "a count or quantity below zero",
    "bad_value": "a value outside its domain (cycle time <= 0, LSL > USL, a lot consuming itself)",
    "unknown_timezone": "a time zone that is not an IANA name",
    "broken_row": "a line that does not split into the header's columns",
    "overlap": "a state interval overlapping another of the same machine",
    "conflict": "same key as a stored (or earlier) record, different values",
    # live messages (MQTT, OPC UA, HTTP)
    "out_of_order": "a state change older than the machine's last closed interval",
    "bad_json": "a message that is not valid JSON",
    "bad_payload": "a message item that is not an object with timestamp_ms as a number",
    "bad_topic": "a topic outside the unified namespace, or an unmapped UMH topic",
    "unknown_kind": "a message kind other than state, count, measurement, inspection",
    "oversize": "a message larger than max_payload_bytes",
    "unknown_machine": "a machine not in the equipment list, when unknown_machines is reject",
}

TS_WITH_OFFSET = r"\d:\d\d.*([Zz]|[+-]\d\d(:?\d\d)?)$"


@dataclass(frozen=True)
class Limits:
    default_timezone: str = "Asia/Seoul"
    min_year: int = 2000
    max_future_s: int = 86_400

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """The limits a :class:`~smartfactory.settings.Settings` names."""
        return cls(settings.timezone, settings.min_year, settings.max_future_s)


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _typed(f: Field) -> str:
    r = q(f"r_{f.name}")
    if f.type == "text":
        return r
    if f.type == "float":
        return f"TRY_CAST(replace({r}, ',', '') AS DOUBLE)"
    if f.type == "int":
        d = f"TRY_CAST(replace({r}, ',', '') AS DOUBLE)"
        return f"CASE WHEN {d} = round({d}) THEN CAST({d} AS BIGINT) END"
    return (
        f"CASE WHEN {r} IS NULL THEN NULL "
        f"WHEN regexp_matches({r}, {_lit(TS_WITH_OFFSET)}) THEN TRY_CAST({r} AS TIMESTAMPTZ) "
        f"ELSE timezone(_tz, TRY_CAST({r} AS TIMESTAMP)) END"
    )


def _state_expr(raw: str) -> str:
    pairs = [(s.value, s.value) for s in State] + [(k, v.value) for k, v in STATE_ALIASES.items()]
    whens = " ".join(f"WHEN {_lit(a)} THEN {_lit(b)}" for a, b in pairs)
    return f"CASE lower(replace({raw}, ' ', '')) {whens} END"


def _checks(k: Kind, limits: Limits) -> list[tuple[str, str, str]]:
    """(condition, reason code, message expression) for every rule of the kind."""
    out: list[tuple[str, str, str]] = []
    lo = f"TIMESTAMPTZ '{limits.min_year:04d}-01-01 00:00:00+00'"
    hi = f"(now() + INTERVAL {limits.max_future_s} SECOND)"
    for f in k.fields:
        col, raw = q(f.name), q(f"r_{f.name}")
        label = _lit(f.name)
        if f.required:
            out.append((f"{raw} IS NULL", "missing_value", _lit(f"{f.name} is empty")))
        if f.type == "timestamp":
            out.append(
                (
                    f"{raw} IS NOT NULL AND {col} IS NULL",
                    "bad_timestamp",
                    f"{label} || ' ' || {raw} || ' is not a date-time (use ISO 8601)'",
                )
            )
            out.append(
                (
                    f"{col} < {lo} OR {col} > {hi}",
                    "timestamp_out_of_range",
                    f"{label} || ' ' || {raw} || ' is too far in the past or future'",
                )
            )
        elif f.type in ("int", "float"):
            what = "a whole number" if f.type == "int" else "a number"
            out.append(
                (
                    f"{raw} IS NOT NULL AND {col} IS NULL",
                    "bad_number",
                    f"{label} || ' ' || {raw} || ' is not {what}'",
                )
            )
    if k.name in ("states", "state_events"):
        out.append(
            (
                '"r_state" IS NOT NULL AND "state" IS NULL',
                "unknown_state",
                "'state ' || \"r_state\" || ' is not one of running, idle, setup, down, "
                "planned_down'",
            )
        )
    if k.name == "states":
        out.append(
            (
                '"end" <= "start"',
                "end_before_start",
                "'end ' || \"r_end\" || ' is not after start ' || \"r_start\"",
            )
        )
    for name in ("good", "scrap", "rework", "quantity", "on_hand"):
        if name in k.columns:
            out.append((f"{q(name)} < 0", "negative_count", _lit(f"{name} is negative")))
    if k.name == "products":
        out.append(
            (
                '"ideal_cycle_s" <= 0',
                "bad_value",
                "'ideal_cycle_s must be above 0 seconds'",
            )
        )
    if k.name == "inspections":
        out.append(
            (
                '"lot" IS NULL AND "unit_id" IS NULL',
                "missing_value",
                "'an inspection needs a lot or a unit_id'",
            )
        )
        out.append(('"lsl" > "usl"', "bad_value", "'lsl is above usl'"))
    if k.name == "items":
        out.append(('"lot_size" <= 0', "bad_value", "'lot_size must be above 0'"))
        out.append(('"lead_time_weeks" < 0', "bad_value", "'lead_time_weeks is negative'"))
        out.append(
            (
                '"service_level" < 0.5 OR "service_level" >= 1',
                "bad_value",
                "'service_level must be from 0.5 to below 1 (e.g. 0.95)'",
            )
        )
    if k.name == "tool_maintenance":
        out.append(('"due_units" <= 0', "bad_value", "'due_units must be above 0'"))
    if k.name == "genealogy":
        out.append(('"parent_lot" = "child_lot"', "bad_value", "'a lot cannot consume itself'"))
    if k.name == "equipment":
        out.append(
            (
                '"timezone" IS NOT NULL AND "timezone" NOT IN '
                "(SELECT name FROM pg_timezone_names())",
                "unknown_timezone",
                "'timezone ' || \"timezone\" || ' is not an IANA time zone (e.g. Asia/Seoul)'",
            )
        )
    return out


def stage(
    con: duckdb.DuckDBPyConnection,
    raw: pa.Table,
    cmap: ColumnMap,
    limits: Limits,
) -> None:
    """Create the temporary table ``_stage`` from a raw table and its column map."""
    k = cmap.kind
    con.register("_raw_in", raw)
    try:
        raw_cols = []
        for f in k.fields:
            header = cmap.fields.get(f.name)
            expr = f"nullif(trim(CAST({q(header)} AS VARCHAR)), '')" if header else "NULL::VARCHAR"
            if f.default is not None:
                expr = f"coalesce({expr}, {_lit(f.default)})"
            raw_cols.append(f"{expr} AS {q('r_' + f.name)}")
        # where each row came from, when a batch mixes sources (e.g. MQTT topics)
        raw_cols.append(
            "i._source" if "_source" in raw.column_names else "NULL::VARCHAR AS _source"
        )
        if "machine" in k.columns and "machine" in cmap.fields:
            tz_join = (
                "LEFT JOIN (SELECT e.machine AS _m, s.timezone AS _site_tz FROM equipment e "
                "JOIN sites s USING (enterprise, site)) z "
                f"ON z._m = nullif(trim(CAST(i.{q(cmap.fields['machine'])} AS VARCHAR)), '')"
            )
            tz = f"coalesce(z._site_tz, {_lit(limits.default_timezone)})"
        else:
            tz_join, tz = "", _lit(limits.default_timezone)
        typed = []
        for f in k.fields:
            is_state = k.name in ("states", "state_events") and f.name == "state"
            expr = _state_expr(q("r_state")) if is_state else _typed(f)
            typed.append(f"{expr} AS {q(f.name)}")
        checks = _checks(k, limits)
        codes = ", ".join(f"CASE WHEN {c} THEN {_lit(code)} END" for c, code, _ in checks)
        msgs = ", ".join(f"CASE WHEN {c} THEN {m} END" for c, _, m in checks)
        r_names = ", ".join(q("r_" + f.name) for f in k.fields)
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _stage AS
            WITH r AS (
                SELECT i._line, {", ".join(raw_cols)}, {tz} AS _tz
                FROM _raw_in i {tz_join}
            ), t AS (
                SELECT _line, _source, {r_names}, {", ".join(typed)} FROM r
            ), c AS (
                SELECT *, list_filter([{codes}], lambda x: x IS NOT NULL) AS _codes,
                          list_filter([{msgs}], lambda x: x IS NOT NULL) AS _msgs
                FROM t
            )
            SELECT * EXCLUDE (_codes, _msgs),
                   _codes[1] AS _reason,
                   CASE WHEN len(_msgs) > 0 THEN array_to_string(_msgs, '; ') END AS _detail
            FROM c
            """
        )
    finally:
        con.unregister("_raw_in")
