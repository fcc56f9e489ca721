"""Export to Parquet, partitioned ``enterprise=/site=/date=`` (Hive style).

The partitions are what the scale-out runs over: each Dask worker (or Spark, Trino, DuckDB on
another machine) reads one enterprise / site / date directory. ``date`` is the local date in
the site's time zone of each record's main timestamp.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..model import KINDS
from .db import Store
from .schema import q

logger = logging.getLogger(__name__)

#: the timestamp that decides a record's date partition
MAIN_TIME = {
    "states": "start",
    "counts": "ts",
    "measurements": "ts",
    "inspections": "ts",
    "orders": "received",
    "lots": "created",
    "genealogy": "ts",
    "stock": "ts",
}


_ONLY = "(SELECT CASE WHEN count(*) = 1 THEN any_value({col}) ELSE 'unknown' END FROM sites)"


def _site_of(kind: str) -> tuple[str, str, str]:
    """(join, enterprise, site) SQL placing each record at its site: through its machine, an
    order's line, its own company (that company's only site, else ``unknown``), or, for records
    with none of these, the store's only site (``unknown`` if several).
    """
    cols = KINDS[kind].columns
    if kind == "equipment":
        join = "LEFT JOIN sites s ON s.enterprise = r.enterprise AND s.site = r.site"
        return join, "r.enterprise", "r.site"
    if "enterprise" in cols:
        join = (
            "LEFT JOIN (SELECT enterprise, CASE WHEN count(*) = 1 THEN any_value(site) END AS site"
            " FROM sites GROUP BY enterprise) e ON e.enterprise = r.enterprise"
            " LEFT JOIN sites s ON s.enterprise = e.enterprise AND s.site = e.site"
        )
        return join, "r.enterprise", "coalesce(e.site, 'unknown')"
    if "machine" in cols:
        join = "LEFT JOIN equipment e ON e.machine = r.machine"
    elif "line" in cols:
        join = (
            "LEFT JOIN (SELECT line, any_value(enterprise) AS enterprise, any_value(site) AS site"
            " FROM equipment GROUP BY line) e ON e.line = r.line"
        )
    else:
        join = "LEFT JOIN (SELECT NULL::VARCHAR AS enterprise, NULL::VARCHAR AS site) e ON true"
    join += " LEFT JOIN sites s ON s.enterprise = e.enterprise AND s.site = e.site"
    return (
        join,
        f"coalesce(e.enterprise, {_ONLY.format(col='enterprise')})",
        f"coalesce(e.site, {_ONLY.format(col='site')})",
    )


def export_parquet(
    store: Store, out_dir: str | Path, kinds: list[str] | None = None
) -> dict[str, int]:
    """Write every kind (or ``kinds``) under ``out_dir/KIND/enterprise=…/site=…/date=…/``
    (kinds without a time, like equipment and products, stop at ``site=…``).

    Returns rows written per kind. A kind's earlier export is replaced.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for kind in kinds or list(KINDS):
        n = int(store.scalar(f"SELECT count(*) FROM {q(kind)}") or 0)
        written[kind] = n
        if n == 0:
            continue
        join, enterprise, site = _site_of(kind)
        ts = MAIN_TIME.get(kind)
        tz = f"coalesce(s.timezone, '{store.default_timezone}')"
        date = f", CAST(timezone({tz}, r.{q(ts)}) AS DATE) AS date" if ts else ""
        parts = "enterprise, site, date" if ts else "enterprise, site"
        own = [c for c in ("enterprise", "site") if c in KINDS[kind].columns]
        exclude = ", ".join(["batch_id", *own])
        target = (out / kind).as_posix().replace("'", "''")
        store.con.execute(
            f"""
            COPY (
                SELECT r.* EXCLUDE ({exclude}), {enterprise} AS enterprise, {site} AS site {date}
                FROM {q(kind)} r {join}
            ) TO '{target}'
            (FORMAT parquet, PARTITION_BY ({parts}), OVERWRITE true)
            """
        )
        logger.info("exported %d %s rows to %s", n, kind, target)
    return written
