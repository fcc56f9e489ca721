"""Quality: SPC and capability (:mod:`.spc`, :mod:`.monitor`), lot genealogy
(:mod:`.genealogy`) and defect root cause (:mod:`.rootcause`, :mod:`.context`).

Root cause needs the ``quality`` extra (scikit-learn, LightGBM, SciPy); its names are imported
on first use, so SPC and genealogy stay light.
"""

from __future__ import annotations

from typing import Any

from .spc import (
    Capability,
    Chart,
    ControlChart,
    c_chart,
    capability,
    check_rules,
    imr,
    np_chart,
    p_chart,
    u_chart,
    xbar_r,
    xbar_s,
)

_LAZY = {
    "RootCauseAnalyzer": "rootcause",
    "analyse_file": "rootcause",
    "analyse_store": "context",
    "lot_context": "context",
}

__all__ = [
    "Capability",
    "Chart",
    "ControlChart",
    "RootCauseAnalyzer",
    "analyse_file",
    "analyse_store",
    "c_chart",
    "capability",
    "check_rules",
    "imr",
    "lot_context",
    "np_chart",
    "p_chart",
    "u_chart",
    "xbar_r",
    "xbar_s",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)
