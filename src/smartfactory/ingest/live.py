"""The live ingestion path shared by MQTT, OPC UA and HTTP: batches of messages → the store.

:meth:`LiveIngestor.ingest` decodes a batch, registers (or rejects) unknown machines, validates
and appends every kind through the same idempotent path as file imports, turns state changes
into closed intervals, and records every reject in the dead letters. It returns only when all of
it is committed, so a connector acknowledges a message only after it is durably stored; a
message redelivered after a crash is recognised as a duplicate.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

from ..model import DEFAULT_TIMEZONE, KINDS
from ..store.append import append_stage, finish_batch, new_batch
from ..store.db import AppendResult, Store
from .formats import ColumnMap, map_columns
from .messages import Columns, Decoded, Reject, UmhMapping, decode
from .validate import Limits, stage

logger = logging.getLogger(__name__)

#: live rows already carry the canonical column names: each kind maps onto itself
_IDENTITY: dict[str, ColumnMap] = {
    name: map_columns(list(k.columns), k) for name, k in KINDS.items()
}


@dataclass
class BatchReport:
    messages: int = 0
    results: dict[str, AppendResult] = field(default_factory=dict)
    rejected_messages: int = 0
    #: reasons of the messages (or message items) rejected before they became rows
    message_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def duplicates(self) -> int:
        return sum(r.duplicates for r in self.results.values())

    @property
    def by_reason(self) -> dict[str, int]:
        out = dict(self.message_reasons)
        for res in self.results.values():
            for k, v in res.by_reason.items():
                out[k] = out.get(k, 0) + v
        return out

    @property
    def stored(self) -> int:
        return sum(r.accepted for r in self.results.values())

    @property
    def rejected(self) -> int:
        return self.rejected_messages + sum(r.rejected for r in self.results.values())


class LiveIngestor:
    """Writes batches of live messages into a store. Thread-safe: one batch at a time."""

    def __init__(
        self,
        store: Store,
        *,
        limits: Limits | None = None,
        unknown_machines: Literal["register", "reject"] = "register",
        max_payload_bytes: int = 1 << 20,
        umh: UmhMapping | None = None,
        source: str = "live",
    ) -> None:
        self.store = store
        self.limits = limits or Limits(default_timezone=store.default_timezone)
        self.unknown_machines = unknown_machines
        self.max_payload_bytes = max_payload_bytes
        self.umh = umh or UmhMapping()
        self.source = source
        self._lock = threading.Lock()
        self._known: set[str] = {r["machine"] for r in store.rows("SELECT machine FROM equipment")}

    def ingest(self, messages: list[tuple[str, bytes]]) -> BatchReport:
        """Store a batch of (topic or source, payload). Returns when it is committed."""
        decoded = decode(messages, max_payload_bytes=self.max_payload_bytes, umh=self.umh)
        # one transaction a batch: one commit (one WAL sync) instead of one per statement group,
        # and a batch is stored whole or not at all
        with self._lock, self.store.transaction():
            report = BatchReport(messages=len(messages))
            batch_id = new_batch(self.store, self.source, None)
            rejects = list(decoded.rejects)
            self._machines(decoded, rejects)
            total = AppendResult(kind="live")
            for kind in (
                "state_events",
                "counts",
                "measurements",
                "inspections",
                "tool_maintenance",
            ):
                cols = decoded.rows.get(kind)
                if not cols or not cols["ts"]:
                    continue
                res = self._append(kind, cols, batch_id)
                if kind == "state_events":
                    res.add(self._close_intervals(set(cols["machine"]), batch_id))
                report.results[kind] = res
                total.add(res)
            report.rejected_messages = len(rejects)
            for r in rejects:
                report.message_reasons[r.reason] = report.message_reasons.get(r.reason, 0) + 1
            _dead_letters(self.store, rejects, batch_id)
            total.rejected += len(rejects)
            finish_batch(self.store, batch_id, total)
            return report

    # -- steps ---------------------------------------------------------------------------------

    def _machines(self, decoded: Decoded, rejects: list[Reject]) -> None:
        new = {m: p for m, p in decoded.paths.items() if m not in self._known}
        if not new:
            return
        if self.unknown_machines == "reject":
            for kind, cols in decoded.rows.items():
                names = list(cols)
                keep = [i for i, m in enumerate(cols["machine"]) if m not in new]
                if len(keep) == len(cols["machine"]):
                    continue
                kept = set(keep)
                for i, m in enumerate(cols["machine"]):
                    if i in kept:
                        continue
                    fields = {n: cols[n][i] for n in names if n[0] != "_"}
                    rejects.append(
                        Reject(
                            cols["_source"][i],
                            "unknown_machine",
                            f"machine {m} is not in the equipment list "
                            "(setting unknown_machines = reject)",
                            str(fields),
                        )
                    )
                decoded.rows[kind] = {n: [cols[n][i] for i in keep] for n in names}
            return
        con = self.store.con
        with self.store.transaction():
            for p in new.values():
                con.execute(
                    "INSERT INTO equipment (enterprise, site, area, line, machine) "
                    "SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS "
                    "(SELECT 1 FROM equipment WHERE machine = ?)",
                    [p.enterprise, p.site, p.area, p.line, p.machine, p.machine],
                )
                con.execute(
                    "INSERT INTO sites SELECT ?, ?, ? WHERE NOT EXISTS "
                    "(SELECT 1 FROM sites WHERE enterprise = ? AND site = ?)",
                    [
                        p.enterprise,
                        p.site,
                        self.limits.default_timezone or DEFAULT_TIMEZONE,
                        p.enterprise,
                        p.site,
                    ],
                )
        self._known.update(new)

    def _append(self, kind: str, data: Columns, batch_id: int) -> AppendResult:
        k = KINDS[kind]
        n = len(data["ts"])
        cols: dict[str, pa.Array] = {}
        for f in k.fields:
            values = data.get(f.name)
            if values is None:
                cols[f.name] = pa.nulls(n, pa.string())
            elif f.name == "ts":
                cols[f.name] = pa.array(values, pa.int64()).cast(pa.timestamp("ms", tz="UTC"))
            else:
                cols[f.name] = pa.array(values, pa.string())
        cols["_source"] = pa.array(data["_source"], pa.string())
        cols["_line"] = pa.array(range(1, n + 1), pa.int64())
        stage(self.store.con, pa.table(cols), _IDENTITY[kind], self.limits)
        # machines were registered (or their rows rejected) by _machines, with their path
        return append_stage(self.store, k, batch_id=batch_id, source=self.source, register=False)

    def _close_intervals(self, machines: set[str], batch_id: int) -> AppendResult:
        """Turn each machine's consecutive state changes into closed intervals in ``states``.

        A change older than the machine's last closed interval cannot be placed in the ledger:
        it goes to the dead letters (``out_of_order``) and is dropped from the events.
        """
        con = self.store.con
        con.register("_mach", pa.table({"machine": pa.array(sorted(machines), pa.string())}))
        try:
            con.execute(
                """
                CREATE OR REPLACE TEMP TABLE _last AS
                SELECT machine, max("end") AS last_end FROM states
                WHERE machine IN (SELECT machine FROM _mach) GROUP BY machine
                """
            )
            late = con.execute(
                """
                SELECT e.machine, e.ts, e.state, e.reason FROM state_events e
                JOIN _last l USING (machine)
                WHERE e.batch_id = ? AND e.ts < l.last_end AND NOT EXISTS (
                    SELECT 1 FROM states s WHERE s.machine = e.machine AND s."start" = e.ts)
                """,
                [batch_id],
            ).fetchall()
            if late:
                _dead_letters(
                    self.store,
                    [
                        Reject(
                            self.source,
                            "out_of_order",
                            f"state change at {ts:%Y-%m-%dT%H:%M:%S}Z is older than the last "
                            f"closed interval of {m}",
                            str({"machine": m, "state": st, "reason": rs}),
                        )
                        for m, ts, st, rs in late
                    ],
                    batch_id,
                )
                con.executemany(
                    "DELETE FROM state_events WHERE machine = ? AND ts = ?",
                    [[m, ts] for m, ts, _, _ in late],
                )
            con.execute(
                """
                CREATE OR REPLACE TEMP TABLE _stage AS
                WITH ev AS (
                    SELECT e.machine, e.ts, e.state, e.reason FROM state_events e
                    LEFT JOIN _last l USING (machine)
                    WHERE e.machine IN (SELECT machine FROM _mach)
                      AND (l.last_end IS NULL OR e.ts >= l.last_end)
                ), iv AS (
                    SELECT machine, ts AS "start",
                           lead(ts) OVER (PARTITION BY machine ORDER BY ts) AS "end",
                           state, reason FROM ev
                )
                SELECT row_number() OVER (ORDER BY machine, "start") AS _line,
                       NULL::VARCHAR AS _source,
                       machine AS r_machine, CAST("start" AS VARCHAR) AS r_start,
                       CAST("end" AS VARCHAR) AS r_end, state AS r_state, reason AS r_reason,
                       machine, "start", "end", state, reason,
                       NULL::VARCHAR AS _reason, NULL::VARCHAR AS _detail
                FROM iv WHERE "end" IS NOT NULL
                """
            )
            res = append_stage(self.store, KINDS["states"], batch_id=batch_id, source=self.source)
        finally:
            con.unregister("_mach")
        # the intervals are derived, not received: count only what was rejected among them
        return AppendResult(
            kind="states",
            rejected=res.rejected + len(late),
            by_reason={**res.by_reason, **({"out_of_order": len(late)} if late else {})},
        )


def _dead_letters(store: Store, rejects: list[Reject], batch_id: int | None) -> None:
    """Record rejected messages, once each (a redelivered bad message is not recorded again)."""
    if not rejects:
        return
    table = pa.table(
        {
            "source": pa.array([r.source for r in rejects], pa.string()),
            "reason": pa.array([r.reason for r in rejects], pa.string()),
            "detail": pa.array([r.detail for r in rejects], pa.string()),
            "raw": pa.array([r.raw for r in rejects], pa.string()),
        }
    )
    store.con.register("_rej", table)
    try:
        store.con.execute(
            """
            INSERT INTO dead_letters (batch_id, received_at, source, kind, line, reason, detail,
                                      raw)
            SELECT DISTINCT ?, now(), r.source, 'message', NULL::BIGINT, r.reason, r.detail, r.raw
            FROM _rej r
            WHERE NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.source = r.source
                              AND d.reason = r.reason AND d.raw = r.raw)
            """,
            [batch_id],
        )
    finally:
        store.con.unregister("_rej")
