"""Writing record kinds as CSV: UTF-8, one header row, ISO 8601 timestamps with their offset.

Columns come from :data:`smartfactory.model.KINDS`, so a file always has exactly the canonical
columns in the canonical order. Values are written unquoted (the simulator's text never holds a
comma or a quote; pyarrow refuses to write one that does), which keeps files small and byte-for-
byte reproducible.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeAlias
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..model import KINDS
from .calendar import DAY_S

logger = logging.getLogger(__name__)

Column: TypeAlias = pa.Array | np.ndarray | Sequence[object]


def fixed_offset(timezone: str, t0: int, t1: int) -> str:
    """The zone's UTC offset as ``+HH:MM`` over local seconds [t0, t1]; it must not change."""
    tz = ZoneInfo(timezone)
    offsets: set[timedelta] = set()
    epoch = datetime(1970, 1, 1)
    for t in range(t0, t1 + DAY_S, DAY_S):
        off = (epoch + timedelta(seconds=t)).replace(tzinfo=tz).utcoffset()
        assert off is not None
        offsets.add(off)
    if len(offsets) != 1:
        raise ValueError(
            f"{timezone} changes its UTC offset during the simulated period; the simulator "
            "supports zones without daylight saving time only (e.g. Asia/Seoul)"
        )
    minutes = int(offsets.pop().total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def timestamps(local: Column, offset: str, mask: np.ndarray | None = None) -> pa.Array:
    """Local simulator seconds → ``2025-01-06T08:00:00+09:00`` strings (null where masked)."""
    secs = np.asarray(local, dtype=np.int64)
    arr = pa.array(secs.astype("datetime64[s]"), mask=mask)
    text = pc.cast(arr, pa.string())  # "2025-01-06 08:00:00"
    text = pc.utf8_replace_slice(text, start=10, stop=11, replacement="T")
    return pc.binary_join_element_wise(text, pa.scalar(offset), "")


def categorical(names: Sequence[str], codes: np.ndarray) -> pa.Array:
    """Strings from small integer codes into ``names`` (fast for millions of rows)."""
    return pa.array(list(names), type=pa.string()).take(pa.array(codes, type=pa.int32()))


def write_kind(out_dir: Path, kind: str, columns: dict[str, Column]) -> tuple[Path, int]:
    """Write ``<kind>.csv``; ``columns`` must name the kind's required canonical columns and
    may name optional ones (the simulator does not make up every optional field)."""
    k = KINDS[kind]
    if not set(k.required) <= set(columns) <= set(k.columns):
        raise ValueError(f"{kind}: columns {sorted(columns)} are not within {k.columns}")
    names = [n for n in k.columns if n in columns]
    arrays = [c if isinstance(c, pa.Array) else pa.array(c) for c in (columns[n] for n in names)]
    table = pa.table(arrays, names=names)
    path = out_dir / f"{kind}.csv"
    with path.open("wb") as fh:
        fh.write((",".join(names) + "\n").encode())
        pacsv.write_csv(
            table,
            fh,
            pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=65_536),
        )
    logger.debug("wrote %s: %d rows", path, table.num_rows)
    return path, table.num_rows
