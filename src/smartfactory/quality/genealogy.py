"""Production history: where a lot came from and where it went, with everything that touched it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFoundError
from ..store.db import Store

logger = logging.getLogger(__name__)

MAX_DEPTH = 50  # bounds the walk; a path never revisits a lot, so cycles in bad data end too


@dataclass
class LotNode:
    lot: str
    depth: int  # negative upstream (what it was made of), positive downstream (what it went into)
    via: str | None  # the neighbouring lot on the path back to the traced lot
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trace:
    lot: str
    info: dict[str, Any]
    upstream: list[LotNode]
    downstream: list[LotNode]
    production: list[dict[str, Any]]
    inspections: list[dict[str, Any]]
    orders: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        def node(n: LotNode) -> dict[str, Any]:
            return {"lot": n.lot, "depth": n.depth, "via": n.via, **n.info}

        return {
            "lot": self.lot,
            "info": self.info,
            "upstream": [node(n) for n in self.upstream],
            "downstream": [node(n) for n in self.downstream],
            "production": self.production,
            "inspections": self.inspections,
            "orders": self.orders,
        }


def _walk(store: Store, lot: str, upstream: bool) -> list[LotNode]:
    near, far = ("child_lot", "parent_lot") if upstream else ("parent_lot", "child_lot")
    rows = store.rows(
        f"""
        WITH RECURSIVE walk(lot, via, depth, path) AS (
            SELECT {far}, {near}, 1, [{near}, {far}] FROM genealogy WHERE {near} = $lot
            UNION ALL
            SELECT g.{far}, g.{near}, w.depth + 1, list_append(w.path, g.{far})
            FROM genealogy g JOIN walk w ON g.{near} = w.lot
            WHERE w.depth < {MAX_DEPTH} AND NOT list_contains(w.path, g.{far})
        )
        SELECT w.lot, min(w.depth) AS depth, arg_min(w.via, w.depth) AS via,
               any_value(l.product) AS product, any_value(l.quantity) AS quantity,
               any_value(l.created) AS created, any_value(l.machine) AS machine,
               any_value(l."order") AS "order", any_value(l.supplier) AS supplier
        FROM walk w LEFT JOIN lots l ON l.lot = w.lot
        GROUP BY w.lot ORDER BY depth, w.lot
        """,
        {"lot": lot},
    )
    sign = -1 if upstream else 1
    return [LotNode(r.pop("lot"), sign * int(r.pop("depth")), r.pop("via"), r) for r in rows]


def trace(store: Store, lot: str) -> Trace:
    """The lot's genealogy both ways, the production runs that made it, its inspections and
    the orders involved. Raises :class:`NotFoundError` for a lot the store has never seen."""
    info_rows = store.rows("SELECT * EXCLUDE (batch_id) FROM lots WHERE lot = ?", [lot])
    known = info_rows or store.rows(
        "SELECT 1 FROM genealogy WHERE parent_lot = $1 OR child_lot = $1 "
        "UNION ALL SELECT 1 FROM counts WHERE lot = $1 LIMIT 1",
        [lot],
    )
    if not known:
        raise NotFoundError(f"lot {lot!r} is not in the store (no lot record, genealogy or counts)")
    up = _walk(store, lot, upstream=True)
    down = _walk(store, lot, upstream=False)
    production = store.rows(
        """
        SELECT c.machine, e.line, c.product, c."order", min(c.ts) AS first_ts,
               max(c.ts) AS last_ts, sum(c.good) AS good, sum(c.scrap) AS scrap,
               sum(c.rework) AS rework
        FROM counts c LEFT JOIN equipment e USING (machine)
        WHERE c.lot = ? GROUP BY ALL ORDER BY first_ts
        """,
        [lot],
    )
    inspections = store.rows(
        """
        SELECT characteristic, count(*) AS n, min(ts) AS first_ts, avg(value) AS mean,
               min(value) AS min, max(value) AS max, any_value(lsl) AS lsl,
               any_value(usl) AS usl,
               count(*) FILTER (WHERE value < lsl OR value > usl) AS out_of_spec
        FROM inspections WHERE lot = ? GROUP BY characteristic ORDER BY characteristic
        """,
        [lot],
    )
    order_ids = {r["order"] for r in production if r.get("order")}
    if info_rows and info_rows[0].get("order"):
        order_ids.add(info_rows[0]["order"])
    orders = (
        store.rows(
            'SELECT * EXCLUDE (batch_id) FROM orders WHERE "order" IN '
            f'({", ".join("?" for _ in order_ids)}) ORDER BY "order"',
            sorted(order_ids),
        )
        if order_ids
        else []
    )
    return Trace(lot, info_rows[0] if info_rows else {}, up, down, production, inspections, orders)
