"""Korean and English strings of the web app. Every visible string has both."""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("ko", "en")

STRINGS: dict[str, dict[str, str]] = {
    "title": {"en": "SmartFactory", "ko": "스마트팩토리"},
    "overview": {"en": "Plant overview", "ko": "공장 현황"},
    "machines": {"en": "Machines", "ko": "설비"},
    "period": {"en": "Period", "ko": "기간"},
    "records": {"en": "Records", "ko": "기록"},
    "dead_letters": {"en": "Rejected records", "ko": "거부된 기록"},
    "oee_by_line": {"en": "OEE by line", "ko": "라인별 종합설비효율(OEE)"},
    "line": {"en": "Line", "ko": "라인"},
    "oee": {"en": "OEE", "ko": "OEE"},
    "availability": {"en": "Availability", "ko": "가용률"},
    "effectiveness": {"en": "Performance", "ko": "성능효율"},
    "quality": {"en": "Quality", "ko": "양품률"},
    "good": {"en": "Good", "ko": "양품"},
    "scrap": {"en": "Scrap", "ko": "불량"},
    "kind": {"en": "Kind", "ko": "종류"},
    "count": {"en": "Count", "ko": "건수"},
    "reason": {"en": "Reason", "ko": "사유"},
    "no_data": {
        "en": "No data yet: import files or run the demo.",
        "ko": "데이터가 없습니다. 파일을 가져오거나 데모를 실행하세요.",
    },
    "api": {"en": "JSON API", "ko": "JSON API"},
    "switch": {"en": "한국어", "ko": "English"},
}


def pick_lang(query: str | None, accept_language: str | None) -> str:
    """The ``?lang=`` parameter wins, then the browser's Accept-Language, then Korean."""
    if query in LANGS:
        return query
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return "ko"


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        return STRINGS[key][lang]

    return t
