"""Programme rules as data: cost shares, caps, periods and deadlines per track and year.

``rules.toml`` (shipped in the package) holds one table per track and year; a programme uses
the newest table whose year is not after its own, so next year's rules are a new table, not a
code change. :data:`RULES` names every rule the life cycle checks; a :class:`RuleError`
carries the name of the rule that failed and a sentence with the numbers.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..errors import ConfigError, RuleError

logger = logging.getLogger(__name__)

#: tracks: id → (Korean, English)
TRACKS: dict[str, tuple[str, str]] = {
    "basic": ("기초", "Basic"),
    "upgrade1": ("고도화1", "Upgrade 1"),
    "upgrade2": ("고도화2", "Upgrade 2"),
    "winwin1": ("상생형 1", "Win-win type 1"),
    "winwin2": ("상생형 2", "Win-win type 2"),
    "region_basic": ("지역주도 기초", "Region-led basic"),
    "region_upgrade": ("지역주도 고도화", "Region-led upgrade"),
}
SOURCES: dict[str, tuple[str, str]] = {
    "government": ("국비", "Government"),
    "local": ("지방비", "Local government"),
    "lead": ("대기업", "Lead company"),
    "sme": ("기업부담", "SME"),
}
FUNDING_KINDS = ("cash", "in_kind")
PUBLIC = ("government", "local")

#: every rule the life cycle checks: code → what it says
RULES: dict[str, str] = {
    "status": "a step follows the life cycle: application → selection → agreement → build → "
    "completion audit → follow-up",
    "date_order": "a step is dated on or after the step before it",
    "supplier": "an application names a registered supplier",
    "one_per_site": "one application per site in a programme",
    "levels": "the target level is above the current level, within 1–4",
    "min_level": "upgrade tracks build on an existing level",
    "lead_company": "win-win tracks name a registered lead company",
    "source": "funding comes only from the sources the track allows",
    "min_share": "a source pays at least its minimum share of the total cost",
    "max_share": "a source pays at most its maximum share of the total cost",
    "max_amount": "a source's amount stays within the track's cap",
    "max_total": "the total cost stays within the track's cap",
    "sme_cash": "the SME pays at least its cash share of its own part in cash",
    "budget": "the programme's budget covers the public money of the projects selected",
    "extension": "the build is extended by at most the track's extension in total",
    "change_deadline": "an agreement change is filed within the deadline after its cause",
    "change_before_end": "an agreement change is filed long enough before the agreement ends",
    "build_period": "the completion audit falls within the build period (with extensions)",
    "target_level": "the completion audit confirms the target level",
}


@dataclass(frozen=True)
class RuleSet:
    """The rules one programme follows (one track, the newest year not after its own)."""

    track: str
    year: int
    sources: tuple[str, ...]
    min_share: dict[str, float] = field(default_factory=dict)
    max_share: dict[str, float] = field(default_factory=dict)
    max_amount: dict[str, int] = field(default_factory=dict)
    max_amount_by_level: dict[str, list[int]] = field(default_factory=dict)
    max_total: int | None = None
    min_level_now: int = 0
    needs_lead: bool = False
    build_months: int = 6
    max_extension_months: int = 3
    change_within_days: int = 15
    change_before_end_days: int = 30
    follow_up_years: int = 3
    sme_cash_min_share: float = 0.5

    def cap(self, source: str, level_target: int) -> int | None:
        """The KRW cap of a source (or ``public``) for a project aiming at ``level_target``."""
        by_level = self.max_amount_by_level.get(source)
        if by_level:
            return by_level[min(max(level_target, 1), len(by_level)) - 1]
        return self.max_amount.get(source)


def _load(path: Path | None) -> dict[str, Any]:
    if path is None:
        text = (files("smartfactory.program") / "rules.toml").read_text("utf-8")
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read rules file {path}: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rules file {path or 'rules.toml'} is not valid TOML: {exc}") from exc


def rules_for(track: str, year: int, path: Path | None = None) -> RuleSet:
    """The rules of ``track`` in ``year``: the newest table not after ``year``."""
    data = _load(path)
    if track not in TRACKS:
        raise ConfigError(f"track {track!r} is not one of: {', '.join(TRACKS)}")
    years = sorted(int(y) for y in data.get("tracks", {}).get(track, {}))
    usable = [y for y in years if y <= year]
    if not usable:
        raise ConfigError(
            f"no rules for track {track} in {year} or before (rules exist for: "
            f"{', '.join(map(str, years)) or 'no year'}); add [tracks.{track}.{year}]"
        )
    table = {**data.get("defaults", {}), **data["tracks"][track][str(usable[-1])]}
    known = set(RuleSet.__dataclass_fields__) - {"track", "year"}
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"rules for {track} {usable[-1]}: unknown keys {sorted(unknown)}")
    table["sources"] = tuple(table.get("sources", ()))
    return RuleSet(track=track, year=usable[-1], **table)


@dataclass(frozen=True)
class FundingLine:
    """One line of a project's funding: who pays how much, in cash or in kind."""

    source: str
    amount_krw: int
    kind: str = "cash"

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ConfigError(f"funding source {self.source!r} is not one of {list(SOURCES)}")
        if self.kind not in FUNDING_KINDS:
            raise ConfigError(f"funding kind {self.kind!r} is not one of {list(FUNDING_KINDS)}")
        if self.amount_krw < 0:
            raise ConfigError(f"funding amount {self.amount_krw} must not be negative")


def _won(v: float) -> str:
    return f"₩{v:,.0f}"


def check_funding(rules: RuleSet, lines: Iterable[FundingLine], level_target: int) -> None:
    """Raise :class:`RuleError` naming the first funding rule the lines break."""
    lines = list(lines)
    by_source: dict[str, int] = {}
    for ln in lines:
        by_source[ln.source] = by_source.get(ln.source, 0) + ln.amount_krw
    total = sum(by_source.values())
    if total <= 0:
        raise RuleError("min_share", "the project has no funding lines (total cost ₩0)")
    for s in by_source:
        if s not in rules.sources and by_source[s] > 0:
            raise RuleError(
                "source",
                f"{s} money is not allowed in track {rules.track} (allowed: "
                f"{', '.join(rules.sources)})",
            )
    if rules.max_total is not None and total > rules.max_total:
        raise RuleError(
            "max_total",
            f"total cost {_won(total)} exceeds the {rules.track} cap {_won(rules.max_total)}",
        )
    for s, share in rules.min_share.items():
        if by_source.get(s, 0) < share * total - 0.5:
            raise RuleError(
                "min_share",
                f"{s} pays {by_source.get(s, 0) / total:.1%} of {_won(total)}; track "
                f"{rules.track} requires at least {share:.0%}",
            )
    for s, share in rules.max_share.items():
        if by_source.get(s, 0) > share * total + 0.5:
            raise RuleError(
                "max_share",
                f"{s} pays {by_source.get(s, 0) / total:.1%} of {_won(total)}; track "
                f"{rules.track} allows at most {share:.0%}",
            )
    amounts = {**by_source, "public": sum(by_source.get(s, 0) for s in PUBLIC)}
    for s in (*SOURCES, "public"):
        cap = rules.cap(s, level_target)
        if cap is not None and amounts.get(s, 0) > cap:
            raise RuleError(
                "max_amount",
                f"{s} amount {_won(amounts[s])} exceeds the {rules.track} cap {_won(cap)}"
                f" for target level {level_target}",
            )
    sme = [ln for ln in lines if ln.source == "sme"]
    sme_total = sum(ln.amount_krw for ln in sme)
    cash = sum(ln.amount_krw for ln in sme if ln.kind == "cash")
    if sme_total and cash < rules.sme_cash_min_share * sme_total - 0.5:
        raise RuleError(
            "sme_cash",
            f"the SME pays {_won(cash)} of its {_won(sme_total)} in cash; at least "
            f"{rules.sme_cash_min_share:.0%} must be cash",
        )


def public_money(lines: Iterable[FundingLine]) -> int:
    """Government plus local money: what a programme's budget pays."""
    return sum(ln.amount_krw for ln in lines if ln.source in PUBLIC)
