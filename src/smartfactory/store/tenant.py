"""Tenancy: a store seen through one enterprise's eyes.

The enterprise (a company) is the tenant. :func:`scoped` gives a cursor on which every record
table is shadowed by a temporary view holding only that enterprise's rows, so every shared
query (the KPI engine, losses, genealogy, SPC, the web pages' own queries) is filtered without
knowing about tenants: a query cannot forget the filter. Writes go through the unscoped store.

Ownership follows the equipment hierarchy (``equipment.enterprise``):

- equipment, sites, shifts, gateways, users, stock, items: their ``enterprise`` column;
- states, state events, counts, measurements: their machine;
- tool maintenance: its machine, or (no machine) a tool counted on the enterprise's machines;
- inspections: their machine, or (no machine) a lot the enterprise made;
- lots: made on its machines or counted there, or consumed into such a lot (purchased lots);
- genealogy: a link touching a lot the enterprise made;
- orders: counted on its machines, or planned on one of its lines and counted nowhere else;
- products: per-machine rows of its machines; global rows it produced, ordered or holds lots of
  (product codes are one namespace in the canonical model, so a global product two companies
  both make is visible to both);
- batches and dead letters: batches recorded as loaded for the enterprise (``batch_owners``:
  web uploads, gateways of that company); batches with no owner (command-line imports, MQTT
  and OPC UA connectors) only when the store holds a single enterprise.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .db import Store

logger = logging.getLogger(__name__)


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def view_sql(db: str, enterprise: str) -> dict[str, str]:
    """Table name → SELECT that shows only ``enterprise``'s rows (``db`` is the catalog name,
    so the view reads the real table rather than itself)."""
    m = f'"{db}".main'
    e = _lit(enterprise)
    machines = f"SELECT machine FROM {m}.equipment WHERE enterprise = {e}"
    lines = f"SELECT line FROM {m}.equipment WHERE enterprise = {e}"
    made = (
        f"SELECT lot FROM {m}.lots WHERE machine IN ({machines}) "
        f"UNION SELECT lot FROM {m}.counts WHERE lot IS NOT NULL AND machine IN ({machines})"
    )
    lots = f"{made} UNION SELECT parent_lot FROM {m}.genealogy WHERE child_lot IN ({made})"
    other_orders = (
        f'SELECT "order" FROM {m}.counts WHERE "order" IS NOT NULL AND machine NOT IN ({machines})'
    )
    own_orders = f'SELECT "order" FROM {m}.counts WHERE machine IN ({machines})'
    single = f"(SELECT count(DISTINCT enterprise) FROM {m}.equipment) <= 1"
    owned_batches = f"SELECT batch_id FROM {m}.batch_owners WHERE enterprise = {e}"
    batch_visible = (
        f"batch_id IN ({owned_batches}) OR ({single} AND (batch_id IS NULL OR batch_id NOT IN "
        f"(SELECT batch_id FROM {m}.batch_owners)))"
    )
    return {
        "equipment": f"SELECT * FROM {m}.equipment WHERE enterprise = {e}",
        "sites": f"SELECT * FROM {m}.sites WHERE enterprise = {e}",
        "shifts": f"SELECT * FROM {m}.shifts WHERE enterprise = {e}",
        "gateways": f"SELECT * FROM {m}.gateways WHERE enterprise = {e}",
        "users": f"SELECT * FROM {m}.users WHERE enterprise = {e}",
        "stock": f"SELECT * FROM {m}.stock WHERE enterprise = {e}",
        "items": f"SELECT * FROM {m}.items WHERE enterprise = {e}",
        "states": f"SELECT * FROM {m}.states WHERE machine IN ({machines})",
        "state_events": f"SELECT * FROM {m}.state_events WHERE machine IN ({machines})",
        "counts": f"SELECT * FROM {m}.counts WHERE machine IN ({machines})",
        "measurements": f"SELECT * FROM {m}.measurements WHERE machine IN ({machines})",
        "tool_maintenance": f"SELECT * FROM {m}.tool_maintenance WHERE machine IN ({machines}) "
        f"OR (machine IS NULL AND tool IN (SELECT tool FROM {m}.counts WHERE machine IN "
        f"({machines})))",
        "inspections": f"SELECT * FROM {m}.inspections WHERE machine IN ({machines}) "
        f"OR (machine IS NULL AND lot IN ({made}))",
        "lots": f"SELECT * FROM {m}.lots WHERE lot IN ({lots})",
        "genealogy": f"SELECT * FROM {m}.genealogy WHERE child_lot IN ({made}) "
        f"OR parent_lot IN ({made})",
        "orders": f'SELECT * FROM {m}.orders WHERE "order" IN ({own_orders}) '
        f'OR (line IN ({lines}) AND "order" NOT IN ({other_orders}))',
        "products": f"SELECT * FROM {m}.products WHERE machine IN ({machines}) OR "
        f"(machine IS NULL AND (product IN (SELECT product FROM {m}.counts WHERE machine IN "
        f"({machines})) OR product IN (SELECT product FROM {m}.orders WHERE line IN ({lines})) "
        f"OR product IN (SELECT product FROM {m}.lots WHERE lot IN ({lots}))))",
        "batches": f"SELECT * FROM {m}.batches WHERE {batch_visible}",
        "dead_letters": f"SELECT * FROM {m}.dead_letters WHERE {batch_visible}",
    }


def scoped(store: Store, enterprise: str) -> Store:
    """A new cursor of ``store`` that sees only ``enterprise``'s data (read-only use)."""
    cur = store.cursor()
    db = str(cur.scalar("SELECT current_database()"))
    for table, select in view_sql(db, enterprise).items():
        cur.con.execute(f'CREATE OR REPLACE TEMP VIEW "{table}" AS {select}')
    cur.enterprise = enterprise  # type: ignore[attr-defined]
    return cur


class ScopePool:
    """Scoped cursors kept per enterprise and reused, so a request does not pay for creating
    the views (a cursor serves one thread at a time; the pool hands each out to one)."""

    def __init__(self, store: Store, size: int = 16) -> None:
        self.store = store
        self.size = size
        self._free: dict[str | None, queue.SimpleQueue[Store]] = {}
        self._lock = threading.Lock()

    def _queue(self, enterprise: str | None) -> queue.SimpleQueue[Store]:
        with self._lock:
            return self._free.setdefault(enterprise, queue.SimpleQueue())

    @contextmanager
    def cursor(self, enterprise: str | None) -> Iterator[Store]:
        """A cursor scoped to ``enterprise`` (``None``: the whole store, for the CLI's users)."""
        free = self._queue(enterprise)
        try:
            cur = free.get_nowait()
        except queue.Empty:
            with self._lock:  # new cursors of the one connection: one thread at a time
                cur = self.store.cursor() if enterprise is None else scoped(self.store, enterprise)
        try:
            yield cur
        except BaseException:
            cur.close()  # a failed query may leave the cursor in a transaction: do not reuse
            raise
        if free.qsize() < self.size:
            free.put(cur)
        else:
            cur.close()

    def close(self) -> None:
        with self._lock:
            for free in self._free.values():
                while not free.empty():
                    free.get_nowait().close()
            self._free.clear()
