"""Plain tables for root-cause analysis: reading a file, typing its columns, the target.

Every column but the target (and the time column, and those the user leaves out) is a
candidate: numbers stay numbers, text and booleans become categories, dates become days since
the first one. Columns that cannot carry a cause are dropped and listed with the reason:
constant ones, identifiers (text with a different value in nearly every row, or a row number).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError, InputError
from .conditions import Column

logger = logging.getLogger(__name__)

CSV = {".csv", ".txt", ".tsv"}
EXCEL = {".xlsx", ".xlsm", ".xls"}
PARQUET = {".parquet", ".pq"}
#: a text column with more distinct values than this share of rows (and > 50) is an identifier
ID_SHARE = 0.5


def read_table(path: str | Path) -> Any:
    """A CSV (UTF-8 or CP949), Excel (first sheet) or Parquet file as a pandas DataFrame."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file; give the path of a CSV, Excel or Parquet file")
    suffix = p.suffix.lower()
    try:
        if suffix in PARQUET:
            return pd.read_parquet(p)
        if suffix in EXCEL:
            return pd.read_excel(p, sheet_name=0)
        if suffix in CSV:
            head = p.open("rb").readline().decode("utf-8", "replace")
            sep = "\t" if suffix == ".tsv" or head.count("\t") > head.count(",") else ","
            sep = ";" if head.count(";") > head.count(sep) else sep
            for enc in ("utf-8-sig", "cp949"):
                try:
                    return pd.read_csv(p, sep=sep, encoding=enc, low_memory=False)
                except UnicodeDecodeError:
                    continue
            raise FileFormatError(f"{p}: not UTF-8 or CP949 text; save it as UTF-8 CSV")
    except (OSError, ValueError, ImportError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FileFormatError(
            f"{p}: cannot be read ({first}); check that it is {suffix[1:]}"
        ) from exc
    raise FileFormatError(
        f"{p}: unknown file type {suffix or '(none)'}; use .csv, .xlsx or .parquet"
    )


def binary_target(values: Any, positive: Any = None) -> tuple[np.ndarray, str]:
    """The target as 0/1 and the name of the class studied.

    With ``positive``, that class against all others. Without it, a target with two values:
    1 / True / the rarer value is the one studied (defects are usually the rarer class).
    """
    import pandas as pd

    s = pd.Series(values)
    if s.isna().any():
        raise InputError(
            f"the target has {int(s.isna().sum())} empty cells; remove those rows or fill them"
        )
    labels = s.astype(str)
    classes = sorted(labels.unique())
    if positive is not None:
        pos = str(positive)
        if pos not in classes:
            raise InputError(
                f"--positive {pos!r} is not a value of the target; its values are "
                f"{', '.join(classes[:20])}"
            )
    elif len(classes) == 2:
        common = [c for c in ("1", "True", "true", "1.0", "fail", "Fail", "NG") if c in classes]
        counts = labels.value_counts()
        pos = common[0] if common else str(counts.index[-1])
    elif len(classes) < 2:
        raise InputError(
            f"the target has one value only ({classes[0] if classes else 'none'}); a root "
            "cause needs rows with and without the outcome"
        )
    else:
        raise InputError(
            f"the target has {len(classes)} values ({', '.join(classes[:10])}"
            f"{', …' if len(classes) > 10 else ''}); name the class to study with --positive"
        )
    y = (labels == pos).to_numpy().astype(float)
    if y.sum() == 0 or y.sum() == len(y):
        raise InputError(
            f"every row is {'' if y.sum() else 'not '}{pos!r}; a root cause needs rows with "
            "and without the outcome"
        )
    return y, pos


def as_time(values: Any) -> np.ndarray:
    """Times as float seconds (datetimes, dates, or numbers as given)."""
    import pandas as pd

    s = pd.Series(values)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        t = s.to_numpy(float)
    else:
        d = pd.to_datetime(s, errors="coerce", utc=True)
        if d.isna().mean() > 0.05:
            raise InputError(
                f"{int(d.isna().sum())} of {len(d)} time values are not dates or times; "
                "use ISO 8601 (2025-03-01 08:00) or numbers"
            )
        t = (d - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(float)
    if np.isnan(t).all():
        raise InputError("the time column is empty")
    return t


def to_columns(X: Any) -> tuple[list[Column], list[dict[str, str]]]:
    """Typed columns of a DataFrame (or 2-D array) and the dropped ones with reasons."""
    import pandas as pd

    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()].tolist()
        raise InputError(f"column names appear twice: {', '.join(dup)}; rename them")
    cols: list[Column] = []
    dropped: list[dict[str, str]] = []
    n = len(frame)
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_bool_dtype(s):
            s = s.astype("string")
        if pd.api.types.is_datetime64_any_dtype(s):
            t = pd.to_datetime(s, utc=True)
            v = ((t - t.min()).dt.total_seconds() / 86_400).to_numpy(float)
            col = Column(name, v)
        elif pd.api.types.is_numeric_dtype(s):
            v = s.to_numpy(float)
            fin = v[np.isfinite(v)]
            if len(fin) == n and n > 50 and np.all(np.diff(v) == 1):
                dropped.append({"column": name, "reason": "row number"})
                continue
            col = Column(name, v)
        else:
            cat = s.astype("string").str.strip().astype("category")
            levels = [str(c) for c in cat.cat.categories]
            if len(levels) > 50 and len(levels) > ID_SHARE * n:
                dropped.append({"column": name, "reason": "identifier (nearly all distinct)"})
                continue
            col = Column(name, cat.cat.codes.to_numpy().astype(np.int32), levels)
        if _constant(col):
            dropped.append({"column": name, "reason": "constant"})
            continue
        cols.append(col)
    if not cols:
        raise InputError("no column can be a candidate cause (all are constant or identifiers)")
    return cols, dropped


def _constant(col: Column) -> bool:
    if col.categorical:
        return len(np.unique(col.values[col.values >= 0])) < 2
    fin = col.values[np.isfinite(col.values)]
    return len(fin) == 0 or bool(np.all(fin == fin[0]))
