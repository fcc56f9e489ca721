"""Batched, idempotent appends of validated records, with the store's own invariants.

Input is the temporary table ``_stage`` (see :mod:`smartfactory.ingest.validate`). One call
runs in one transaction and:

1. marks rows whose key repeats an earlier row of the batch: identical → duplicate, different
   → ``conflict``;
2. compares with what is stored: for *event* kinds an identical stored record makes the row a
   duplicate and a different one a ``conflict``; *reference* kinds (orders, products, lots,
   equipment) replace the stored version, unless it is identical;
3. for state intervals, rejects any that overlaps another interval of the same machine
   (stored, or earlier in the batch) with ``overlap``: the ledger keeps every second in
   exactly one state;
4. registers machines it has not seen under the default site;
5. inserts the good rows and sends every rejected row to ``dead_letters`` with its reason.

So loading the same file twice stores nothing twice, and a connector that redelivers after a
crash can simply send again.
"""

from __future__ import annotations

import logging

from ..model import (
    DEFAULT_AREA,
    DEFAULT_ENTERPRISE,
    DEFAULT_LINE,
    DEFAULT_SITE,
    Kind,
)
from .db import AppendResult, Store
from .schema import q

logger = logging.getLogger(__name__)


def _same(cols: list[str], a: str, b: str) -> str:
    return " AND ".join(f"{a}.{q(c)} IS NOT DISTINCT FROM {b}.{q(c)}" for c in cols)


def _hash(cols: list[str], alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return f"hash({', '.join(p + q(c) for c in cols)})"


def new_batch(store: Store, source: str, kind: str | None, sha256: str | None = None) -> int:
    batch_id = int(store.scalar("SELECT nextval('batch_seq')"))
    store.con.execute(
        "INSERT INTO batches (batch_id, source, kind, sha256, started_at) VALUES (?,?,?,?,now())",
        [batch_id, source, kind, sha256],
    )
    return batch_id


def finish_batch(store: Store, batch_id: int, result: AppendResult) -> None:
    store.con.execute(
        "UPDATE batches SET finished_at = now(), rows_read = ?, accepted = ?, duplicates = ?, "
        "rejected = ? WHERE batch_id = ?",
        [result.rows, result.accepted, result.duplicates, result.rejected, batch_id],
    )


def dead_letter(
    store: Store,
    *,
    batch_id: int | None,
    source: str,
    kind: str | None,
    line: int | None,
    reason: str,
    detail: str,
    raw: str,
) -> None:
    """Record one rejected input that never became a row (a broken line, a bad message).

    The same input rejected again from the same source (a file imported twice, a message
    redelivered) is recorded once.
    """
    store.con.execute(
        "INSERT INTO dead_letters (batch_id, received_at, source, kind, line, reason, detail, raw)"
        " SELECT ?, now(), ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM dead_letters d"
        " WHERE d.source IS NOT DISTINCT FROM ? AND d.line IS NOT DISTINCT FROM ?"
        " AND d.reason = ? AND d.raw = ?)",
        [batch_id, source, kind, line, reason, detail, raw, source, line, reason, raw],
    )


def append_stage(
    store: Store, k: Kind, *, batch_id: int, source: str, register: bool = True
) -> AppendResult:
    """Load ``_stage`` into the kind's table; see the module docstring. One transaction.

    ``register=False`` skips registering unseen machines (the caller has done it).
    """
    with store.transaction():
        return _append(store, k, batch_id=batch_id, source=source, register=register)


def _append(
    store: Store, k: Kind, *, batch_id: int, source: str, register: bool = True
) -> AppendResult:
    con = store.con
    cols = k.columns
    key = list(k.key)
    table = q(k.name)
    fields = ", ".join(q(c) for c in cols)
    part = ", ".join(q(c) for c in key)

    # 1. Repeats inside the batch.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _s1 AS
        SELECT *, {_hash(cols)} AS _h,
          CASE WHEN _reason IS NULL THEN
            first_value({_hash(cols)}) OVER w END AS _first_h,
          CASE WHEN _reason IS NULL THEN first_value(_line) OVER w END AS _first_line,
          CASE WHEN _reason IS NULL THEN row_number() OVER w END AS _rn
        FROM _stage
        WINDOW w AS (PARTITION BY _reason IS NULL, {part} ORDER BY _line)
        """
    )
    # 2. Against the stored records with the same key. Only the batch's key range is scanned.
    # (a live connector appends small batches to a large table: the scan must not grow with it)
    conds = []
    if "machine" in key and k.field("machine").required:
        conds.append("machine IN (SELECT DISTINCT machine FROM _s1 WHERE _reason IS NULL)")
    for c in key:
        f = k.field(c)
        if f.type == "timestamp" and f.required:
            conds.append(
                f"{q(c)} BETWEEN (SELECT min({q(c)}) FROM _s1 WHERE _reason IS NULL) "
                f"AND (SELECT max({q(c)}) FROM _s1 WHERE _reason IS NULL)"
            )
            break
    prune = ("WHERE " + " AND ".join(conds)) if conds else ""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _s2 AS
        SELECT s.* EXCLUDE (_reason, _detail),
          CASE
            WHEN s._reason IS NOT NULL THEN s._reason
            WHEN s._rn > 1 AND s._h <> s._first_h THEN 'conflict'
            WHEN s._rn = 1 AND t._h IS NOT NULL AND t._h <> s._h AND {k.mode == "event"}
              THEN 'conflict'
          END AS _reason,
          CASE
            WHEN s._reason IS NOT NULL THEN s._detail
            WHEN s._rn > 1 AND s._h <> s._first_h
              THEN 'same key as line ' || s._first_line || ' with different values'
            WHEN s._rn = 1 AND t._h IS NOT NULL AND t._h <> s._h AND {k.mode == "event"}
              THEN 'differs from the stored record with the same '
                   || {"'" + ", ".join(key) + "'"}
          END AS _detail,
          coalesce(s._reason IS NULL AND (s._rn > 1 AND s._h = s._first_h
                                           OR s._rn = 1 AND t._h = s._h), false) AS _dup
        FROM _s1 s
        LEFT JOIN (SELECT {part}, {_hash(cols)} AS _h FROM {table} {prune}) t
          ON {_same(key, "s", "t")} AND s._reason IS NULL
        """
    )
    if k.name == "states":
        _reject_overlaps(store)

    res = AppendResult(kind=k.name)
    for reason, n in con.execute(
        "SELECT coalesce(_reason, CASE WHEN _dup THEN '_dup' ELSE '_ok' END), count(*) "
        "FROM _s2 GROUP BY ALL"
    ).fetchall():
        res.rows += n
        if reason == "_ok":
            res.accepted += n
        elif reason == "_dup":
            res.duplicates += n
        else:
            res.rejected += n
            res.by_reason[reason] = n

    if register and "machine" in cols and k.name != "equipment":
        _register_machines(store)
    if k.mode == "reference" and res.accepted:
        con.execute(
            f"DELETE FROM {table} t USING _s2 s WHERE {_same(key, 's', 't')} "
            "AND s._reason IS NULL AND NOT s._dup"
        )
    con.execute(
        f"INSERT INTO {table} ({fields}, batch_id) SELECT {fields}, {batch_id} FROM _s2 "
        "WHERE _reason IS NULL AND NOT _dup ORDER BY _line"
    )
    if k.name == "equipment":
        _sync_sites(store)
    if res.rejected:
        raw = ", ".join(f"{q(c)} := {q('r_' + c)}" for c in cols)
        con.execute(
            "INSERT INTO dead_letters (batch_id, received_at, source, kind, line, reason, detail,"
            f" raw) SELECT {batch_id}, now(), coalesce(_source, ?), ?,"
            # rows of a file have lines; messages (with their own source) do not
            " CASE WHEN _source IS NULL THEN _line END, _reason, _detail,"
            f" to_json(struct_pack({raw}))::VARCHAR AS raw FROM _s2 s WHERE _reason IS NOT NULL"
            # the same rejected row from the same source is recorded once, however often sent
            " AND NOT EXISTS (SELECT 1 FROM dead_letters d"
            " WHERE d.source = coalesce(s._source, ?) AND d.kind = ?"
            " AND d.line IS NOT DISTINCT FROM CASE WHEN s._source IS NULL THEN s._line END"
            f" AND d.reason = s._reason AND d.raw = to_json(struct_pack({raw}))::VARCHAR)",
            [source, k.name, source, k.name],
        )
    con.execute("DROP TABLE IF EXISTS _s1")
    return res


def _reject_overlaps(store: Store) -> None:
    """Mark state intervals that overlap a stored one or an earlier one of the batch.

    A sweep over the batch's candidates merged with the stored intervals of the same machines
    and time window, ordered by start: a candidate overlaps if any interval before it ends after
    it starts, or if the next stored interval starts before it ends. Stored intervals never
    overlap each other, so this finds every conflict in one sort.
    """
    con = store.con
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _ov AS
        WITH cand AS (
            SELECT machine, "start", "end", _line FROM _s2 WHERE _reason IS NULL AND NOT _dup
        ), win AS (
            SELECT min("start") AS lo, max("end") AS hi FROM cand
        ), stored AS (
            SELECT t.machine, t."start", t."end", NULL::BIGINT AS _line
            FROM states t, win
            WHERE t.machine IN (SELECT DISTINCT machine FROM cand)
              AND t."end" > win.lo AND t."start" < win.hi
        ), u AS (
            SELECT * FROM cand UNION ALL SELECT * FROM stored
        ), swept AS (
            SELECT *,
              max("end") OVER (PARTITION BY machine ORDER BY "start", _line NULLS FIRST
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end,
              min(CASE WHEN _line IS NULL THEN "start" END) OVER (
                  PARTITION BY machine ORDER BY "start", _line NULLS FIRST
                  ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_stored_start
            FROM u
        )
        SELECT _line, prev_end, next_stored_start FROM swept
        WHERE _line IS NOT NULL AND (prev_end > "start" OR next_stored_start < "end")
        """
    )
    con.execute(
        """
        UPDATE _s2 SET _reason = 'overlap',
          _detail = 'overlaps another interval of machine ' || _s2.machine || ' (until '
                    || strftime(coalesce(least(o.prev_end, _s2."end"), o.next_stored_start),
                                '%Y-%m-%dT%H:%M:%SZ') || ')'
        FROM _ov o WHERE _s2._line = o._line
        """
    )
    con.execute("DROP TABLE IF EXISTS _ov")


def _register_machines(store: Store) -> None:
    """Machines seen for the first time go under the default site (in the default zone)."""
    store.con.execute(
        f"""
        INSERT INTO equipment (enterprise, site, area, line, machine)
        SELECT DISTINCT '{DEFAULT_ENTERPRISE}', '{DEFAULT_SITE}', '{DEFAULT_AREA}',
               '{DEFAULT_LINE}', s.machine
        FROM _s2 s
        WHERE s._reason IS NULL AND NOT s._dup AND s.machine IS NOT NULL
          AND s.machine NOT IN (SELECT machine FROM equipment)
        """
    )
    _ensure_sites(store)


def _sync_sites(store: Store) -> None:
    """Equipment rows carry their site's zone; ``sites`` keeps one row per site."""
    store.con.execute(
        "INSERT OR REPLACE INTO sites SELECT enterprise, site, any_value(timezone) "
        "FROM equipment WHERE timezone IS NOT NULL GROUP BY ALL"
    )
    _ensure_sites(store)


def _ensure_sites(store: Store) -> None:
    store.con.execute(
        "INSERT INTO sites SELECT DISTINCT e.enterprise, e.site, ? FROM equipment e "
        "WHERE NOT EXISTS (SELECT 1 FROM sites s WHERE s.enterprise = e.enterprise "
        "AND s.site = e.site)",
        [store.default_timezone],
    )
