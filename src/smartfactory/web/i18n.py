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
    "nav_quality": {"en": "Quality analysis", "ko": "품질 분석"},
    # quality pages (web/routes/quality.py)
    "q_quality": {"en": "Quality", "ko": "품질"},
    "q_rootcause": {"en": "Root cause of scrap", "ko": "불량 원인 분석"},
    "q_pareto": {"en": "Defect Pareto", "ko": "불량 파레토"},
    "q_by": {"en": "By", "ko": "기준"},
    "q_by_machine": {"en": "machine", "ko": "설비"},
    "q_by_line": {"en": "line", "ko": "라인"},
    "q_by_product": {"en": "product", "ko": "제품"},
    "q_by_characteristic": {"en": "inspection item", "ko": "검사항목"},
    "q_scrap_chart": {"en": "Daily scrap (p chart)", "ko": "일별 불량률 (p 관리도)"},
    "q_details": {"en": "Details and alarms", "ko": "자세히 보기 및 경보"},
    "q_characteristics": {"en": "Inspected characteristics", "ko": "검사 특성"},
    "q_characteristic": {"en": "Characteristic", "ko": "검사항목"},
    "q_values": {"en": "Values", "ko": "측정값 수"},
    "q_subgroups": {"en": "Subgroups", "ko": "부분군"},
    "q_out_of_spec": {"en": "Out of spec", "ko": "규격 이탈"},
    "q_no_inspections": {"en": "No inspections yet.", "ko": "검사 데이터가 없습니다."},
    "q_defects": {"en": "Defects", "ko": "불량 수"},
    "q_cumulative": {"en": "Cumulative %", "ko": "누적 %"},
    "q_rate": {"en": "Defect rate", "ko": "불량률"},
    "q_chart": {"en": "Chart", "ko": "관리도"},
    "q_show": {"en": "Show", "ko": "보기"},
    "q_no_data_for": {
        "en": "No data for this selection.",
        "ko": "선택한 조건에 해당하는 데이터가 없습니다.",
    },
    "q_points": {"en": "points", "ko": "점 수"},
    "q_capability": {"en": "Process capability", "ko": "공정능력"},
    "q_mean": {"en": "Mean", "ko": "평균"},
    "q_within": {"en": "within", "ko": "군내"},
    "q_overall": {"en": "overall", "ko": "전체"},
    "q_alarms": {"en": "Alarms", "ko": "경보"},
    "q_point": {"en": "Point", "ko": "점"},
    "q_rule": {"en": "Rule", "ko": "규칙"},
    "q_value": {"en": "Value", "ko": "값"},
    "q_meaning": {"en": "What it means", "ko": "의미"},
    "q_no_alarms": {"en": "No rule fired.", "ko": "위반된 규칙이 없습니다."},
    "rule_nelson-1": {"en": "one point beyond 3σ", "ko": "한 점이 3σ 밖"},
    "rule_nelson-2": {
        "en": "nine points in a row on one side of the centre line",
        "ko": "중심선 한쪽에 연속 9점",
    },
    "rule_nelson-3": {
        "en": "six points in a row rising or falling",
        "ko": "연속 6점 증가 또는 감소",
    },
    "rule_nelson-4": {"en": "fourteen points alternating up and down", "ko": "14점 교대로 증감"},
    "rule_nelson-5": {
        "en": "two of three points beyond 2σ on one side",
        "ko": "연속 3점 중 2점이 같은 쪽 2σ 밖",
    },
    "rule_nelson-6": {
        "en": "four of five points beyond 1σ on one side",
        "ko": "연속 5점 중 4점이 같은 쪽 1σ 밖",
    },
    "rule_nelson-7": {"en": "fifteen points in a row within 1σ", "ko": "연속 15점이 1σ 안"},
    "rule_nelson-8": {
        "en": "eight points in a row beyond 1σ, either side",
        "ko": "연속 8점이 양쪽 1σ 밖",
    },
    "rule_we-1": {"en": "one point beyond 3σ", "ko": "한 점이 3σ 밖"},
    "rule_we-2": {
        "en": "two of three points beyond 2σ on one side",
        "ko": "연속 3점 중 2점이 같은 쪽 2σ 밖",
    },
    "rule_we-3": {
        "en": "four of five points beyond 1σ on one side",
        "ko": "연속 5점 중 4점이 같은 쪽 1σ 밖",
    },
    "rule_we-4": {
        "en": "eight points in a row on one side of the centre line",
        "ko": "중심선 한쪽에 연속 8점",
    },
    "q_product": {"en": "Product", "ko": "제품"},
    "q_lots": {"en": "Lots", "ko": "로트"},
    "q_units": {"en": "units", "ko": "생산수량"},
    "q_model_score": {"en": "model score", "ko": "모델 성능"},
    "q_reference": {"en": "reference model", "ko": "기준 모델"},
    "q_rootcause_help": {
        "en": "Each condition was found on 70 % of the lots and checked on the other 30 %; "
        "rates are those of the checked lots, within each machine. ✓: holds after correction "
        "for multiple testing.",
        "ko": "각 조건은 로트의 70 %에서 찾고 나머지 30 %에서 검증했습니다. 불량률은 검증 "
        "로트의 값이며 설비별로 비교했습니다. ✓: 다중검정 보정 후에도 유의함.",
    },
    "q_significant": {"en": "significant", "ko": "유의함"},
    "q_not_significant": {"en": "not confirmed", "ko": "검증되지 않음"},
    "q_inside": {"en": "Rate inside", "ko": "조건 안 불량률"},
    "q_outside": {"en": "Rate outside", "ko": "조건 밖 불량률"},
    "q_lift": {"en": "Ratio", "ko": "배율"},
    "q_support": {"en": "Share of units", "ko": "해당 비율"},
    "q_adjusted": {"en": "adjusted", "ko": "보정"},
    "q_mostly_on": {"en": "Mostly on", "ko": "주로 발생한 설비"},
    "q_no_causes": {
        "en": "No condition stood out: scrap looks like common-cause variation.",
        "ko": "두드러진 조건이 없습니다. 불량은 우연 원인 변동으로 보입니다.",
    },
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
