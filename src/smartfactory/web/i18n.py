"""The web app's languages: which one a request gets, its strings (the tables of
:mod:`smartfactory.web.strings`, every visible string in both), and numbers, dates and amounts
written the way each language writes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Any

from .strings import catalogue

LANGS = ("ko", "en")

STRINGS: dict[str, dict[str, str]] = catalogue()


def pick_lang(query: str | None, accept_language: str | None, cookie: str | None = None) -> str:
    """``?lang=`` wins, then the remembered choice (cookie), then the browser's
    Accept-Language, then Korean."""
    for choice in (query, cookie):
        if choice in LANGS:
            return choice
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return "ko"


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        entry = STRINGS.get(key)
        return entry[lang] if entry else key

    return t


class Formatter:
    """Numbers, percentages, dates and durations the way each language writes them.

    Korean: ``2025년 3월 3일``, ``1시간 5분``; English: ``3 Mar 2025``, ``1 h 5 min``. Times are
    shown in the site's zone (the caller converts); amounts in KRW (``₩1,250,000``).
    """

    def __init__(self, lang: str, tz: tzinfo | None = None) -> None:
        self.lang = lang
        self.tz = tz

    def num(self, v: float | int | None, digits: int = 0) -> str:
        if v is None:
            return "–"
        return f"{v:,.{digits}f}"

    def pct(self, v: float | None, digits: int = 1) -> str:
        return "–" if v is None else f"{100 * v:.{digits}f} %"

    def krw(self, v: float | None) -> str:
        return "–" if v is None else f"₩{v:,.0f}"

    def date(self, d: date | datetime | None) -> str:
        if d is None:
            return "–"
        if self.lang == "ko":
            return f"{d.year}년 {d.month}월 {d.day}일"
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"

    def dt(self, d: datetime | None) -> str:
        if d is None:
            return "–"
        if d.tzinfo is not None and self.tz is not None:
            d = d.astimezone(self.tz)
        return f"{self.date(d)} {d:%H:%M}"

    def time(self, d: datetime | None) -> str:
        if d is None:
            return "–"
        if d.tzinfo is not None and self.tz is not None:
            d = d.astimezone(self.tz)
        return f"{d:%H:%M}"

    def dur(self, seconds: float | None) -> str:
        """Hours and minutes (or minutes and seconds under an hour)."""
        if seconds is None:
            return "–"
        s = round(seconds)
        sign = "−" if s < 0 else ""
        s = abs(s)
        h, rem = divmod(s, 3600)
        m, sec = divmod(rem, 60)
        ko = self.lang == "ko"
        if h:
            parts = [f"{h:,}시간" if ko else f"{h:,} h", f"{m}분" if ko else f"{m} min"]
        elif m:
            parts = [f"{m}분" if ko else f"{m} min", f"{sec}초" if ko else f"{sec} s"]
        else:
            parts = [f"{sec}초" if ko else f"{sec} s"]
        return sign + " ".join(parts)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def install_filters(env: Any) -> None:
    """Nothing global is needed: templates use ``fmt`` (a :class:`Formatter`) and ``t``."""
    env.globals.setdefault("LANGS", LANGS)
