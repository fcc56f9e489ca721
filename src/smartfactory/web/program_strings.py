"""Korean and English strings of the program officer's pages (merged into
:data:`smartfactory.web.i18n.STRINGS` on import), and the names of the programme's codes
(regions, industries, tracks, statuses, funding sources, indicators) in the page's language.
"""

from __future__ import annotations

from typing import Any

from ..program.assessment import AREAS, SYSTEM_LEVELS
from ..program.lifecycle import STATUSES
from ..program.performance import INDICATORS
from ..program.registry import KSIC_DIVISIONS, REGIONS, SIZES
from ..program.rules import RULES, SOURCES, TRACKS
from . import i18n

STRINGS: dict[str, dict[str, str]] = {
    "role_program_officer": {"en": "program officer", "ko": "사업 담당자"},
    "role_program_admin": {"en": "programme administrator", "ko": "사업 총괄 관리자"},
    "nav_program": {"en": "Programme", "ko": "지원사업 현황"},
    "nav_assess": {"en": "Maturity assessment", "ko": "수준진단"},
    "pg_title": {"en": "Support programme dashboard", "ko": "스마트공장 지원사업 현황"},
    "pg_scope": {"en": "Your scope", "ko": "담당 범위"},
    "pg_scope_all": {"en": "all programmes and regions", "ko": "전체 사업·지역"},
    "pg_scope_none": {
        "en": "Nothing is assigned to you yet: ask the agency to assign a programme or region.",
        "ko": "아직 배정된 사업·지역이 없습니다. 전담기관에 배정을 요청하세요.",
    },
    "pg_companies": {"en": "Companies", "ko": "기업 수"},
    "pg_projects": {"en": "Projects", "ko": "과제 수"},
    "pg_completed": {"en": "Completed", "ko": "완료"},
    "pg_total_krw": {"en": "Total cost", "ko": "총사업비"},
    "pg_public_krw": {"en": "Public money", "ko": "정부·지자체 지원금"},
    "pg_by": {"en": "Roll up by", "ko": "집계 기준"},
    "by_region": {"en": "Region", "ko": "지역"},
    "by_industry": {"en": "Industry", "ko": "업종"},
    "by_level": {"en": "Level", "ko": "수준"},
    "by_track": {"en": "Track", "ko": "사업 유형"},
    "by_year": {"en": "Year", "ko": "연도"},
    "by_size": {"en": "Size", "ko": "규모"},
    "pg_funding_by_track": {"en": "Funding by track (KRW)", "ko": "사업 유형별 재원 (원)"},
    "pg_projects_by": {"en": "Projects by", "ko": "과제 수:"},
    "pg_progress": {"en": "Progress against targets", "ko": "목표 대비 달성"},
    "pg_target": {"en": "Target", "ko": "목표"},
    "pg_reached": {"en": "Reached", "ko": "달성"},
    "pg_min_level": {"en": "Level at least", "ko": "최소 수준"},
    "pg_no_targets": {"en": "No targets for your regions.", "ko": "담당 지역의 목표가 없습니다."},
    "pg_results": {
        "en": "Mean change over completed projects",
        "ko": "완료 과제의 평균 성과 변화",
    },
    "pg_indicator": {"en": "Indicator", "ko": "지표"},
    "pg_change": {"en": "Change", "ko": "변화"},
    "pg_n": {"en": "Projects (measured)", "ko": "과제 수 (측정)"},
    "pg_company_list": {"en": "Companies in your scope", "ko": "담당 기업"},
    "pg_company": {"en": "Company", "ko": "기업"},
    "pg_status": {"en": "Status", "ko": "진행 단계"},
    "pg_brn": {"en": "Business number", "ko": "사업자등록번호"},
    "pg_sites": {"en": "Sites", "ko": "사업장"},
    "pg_employees": {"en": "Employees", "ko": "종업원 수"},
    "pg_project": {"en": "Project", "ko": "과제"},
    "pg_programme": {"en": "Programme", "ko": "사업"},
    "pg_level_now": {"en": "Level before", "ko": "현재 수준"},
    "pg_level_target": {"en": "Target level", "ko": "목표 수준"},
    "pg_level_achieved": {"en": "Level confirmed", "ko": "확인 수준"},
    "pg_summaries": {
        "en": "Consented KPI summaries by month",
        "ko": "동의된 KPI 요약 (월별)",
    },
    "pg_summaries_help": {
        "en": "Only what the company agreed to share: sums per site and day, never raw data.",
        "ko": "기업이 공유에 동의한 항목만 표시됩니다: 사업장·일자별 합계이며 원시 데이터는 "
        "없습니다.",
    },
    "pg_no_summaries": {
        "en": "This company shares no KPI summaries (not connected, or no consent).",
        "ko": "이 기업은 KPI 요약을 공유하지 않습니다 (미연결 또는 미동의).",
    },
    "pg_month": {"en": "Month", "ko": "월"},
    "pg_days": {"en": "Days", "ko": "일수"},
    "pg_site": {"en": "Site", "ko": "사업장"},
    "pg_performance": {"en": "Before and after", "ko": "도입 전후 성과"},
    "pg_window_baseline": {"en": "Before", "ko": "도입 전"},
    "pg_window_after1": {"en": "After", "ko": "도입 후"},
    "pg_self_reported": {"en": "self-reported", "ko": "자가 보고"},
    "pg_measured": {"en": "measured", "ko": "데이터 측정"},
    "pg_no_performance": {
        "en": "No before/after values yet (the build has not started).",
        "ko": "아직 전후 성과가 없습니다 (구축 전).",
    },
    "pg_assessments": {"en": "Maturity assessments", "ko": "수준진단 결과"},
    "pg_date": {"en": "Date", "ko": "일자"},
    "pg_system_level": {"en": "System level (0–4)", "ko": "시스템 수준 (0–4)"},
    "pg_capability_level": {"en": "Capability level (1–5)", "ko": "역량 수준 (1–5)"},
    "pg_score": {"en": "Score (of 1,000)", "ko": "점수 (1,000점 만점)"},
    "pg_workflow": {"en": "Project workflow", "ko": "과제 진행 관리"},
    "pg_history": {"en": "History", "ko": "이력"},
    "pg_funding": {"en": "Funding", "ko": "재원"},
    "pg_source": {"en": "Source", "ko": "재원"},
    "pg_kind": {"en": "Cash or in kind", "ko": "현금·현물"},
    "pg_kind_cash": {"en": "cash", "ko": "현금"},
    "pg_kind_in_kind": {"en": "in kind", "ko": "현물"},
    "pg_amount": {"en": "Amount", "ko": "금액"},
    "pg_total": {"en": "Total", "ko": "합계"},
    "pg_dates": {"en": "Dates", "ko": "주요 일자"},
    "pg_applied_on": {"en": "Applied", "ko": "신청일"},
    "pg_selected_on": {"en": "Selected", "ko": "선정일"},
    "pg_agreement": {"en": "Agreement", "ko": "협약 기간"},
    "pg_build": {"en": "Build (due)", "ko": "구축 (기한)"},
    "pg_completed_on": {"en": "Audit passed", "ko": "완료평가 통과"},
    "pg_follow_up_until": {"en": "Follow-up until", "ko": "사후관리 종료"},
    "pg_next_steps": {"en": "Next steps", "ko": "다음 단계"},
    "pg_no_steps": {"en": "No step is left.", "ko": "남은 단계가 없습니다."},
    "pg_on": {"en": "On", "ko": "일자"},
    "pg_months": {"en": "Months", "ko": "개월"},
    "pg_cause_on": {"en": "Cause on", "ko": "변경 사유 발생일"},
    "step_select": {"en": "Select", "ko": "선정"},
    "step_agree": {"en": "Sign the agreement", "ko": "협약 체결"},
    "step_build": {"en": "Start the build", "ko": "구축 착수"},
    "step_extend": {"en": "Extend the build", "ko": "구축 기간 연장"},
    "step_audit": {"en": "Completion audit", "ko": "완료평가"},
    "step_follow-up": {"en": "Start follow-up", "ko": "사후관리 시작"},
    "pg_step_done": {"en": "Done: the project is now", "ko": "완료: 과제 단계"},
    "pg_refused": {"en": "Refused by rule", "ko": "규칙 위반으로 거부"},
    "pg_assess_title": {"en": "Maturity self-assessment", "ko": "스마트공장 수준 자가진단"},
    "pg_assess_help": {
        "en": "0 = not at all … 4 = fully, everywhere. Evidence from the factory's data, "
        "where it shares it, replaces an answer.",
        "ko": "0 = 전혀 아님 … 4 = 전사적으로 완전히. 공장 데이터의 근거가 공유되면 답을 "
        "대신합니다.",
    },
    "pg_assess_for": {"en": "Company and site", "ko": "기업·사업장"},
    "pg_question": {"en": "Question", "ko": "문항"},
    "pg_points": {"en": "Points", "ko": "배점"},
    "pg_assess_submit": {"en": "Score and save", "ko": "진단하고 저장"},
    "pg_result": {"en": "Result", "ko": "진단 결과"},
    "pg_roadmap": {
        "en": "Roadmap to the next level: capabilities still missing",
        "ko": "다음 수준으로 가는 로드맵: 아직 부족한 역량",
    },
    "pg_roadmap_done": {"en": "Highest level reached.", "ko": "최고 수준에 도달했습니다."},
    "pg_features": {"en": "Delivered by", "ko": "제공 기능"},
    "pg_answer": {"en": "Answer", "ko": "응답"},
    "pg_area": {"en": "Area", "ko": "영역"},
    "pg_bad_answers": {"en": "The answers were refused", "ko": "응답이 거부되었습니다"},
    "pg_not_found": {"en": "Not in your programmes", "ko": "담당 사업에 없습니다"},
    "pg_open": {"en": "Open", "ko": "열기"},
}
#: the life cycle's rules in Korean (English: :data:`smartfactory.program.rules.RULES`)
RULES_KO: dict[str, str] = {
    "status": "단계는 신청 → 선정 → 협약 → 구축 → 완료평가 → 사후관리 순서를 따릅니다",
    "date_order": "각 단계의 일자는 앞 단계의 일자와 같거나 그 이후여야 합니다",
    "supplier": "신청서에는 등록된 공급기업이 있어야 합니다",
    "one_per_site": "한 사업에 사업장당 한 건만 신청할 수 있습니다",
    "levels": "목표 수준은 현재 수준보다 높고 1–4 사이여야 합니다",
    "min_level": "고도화 사업은 기존 수준 위에서 추진합니다",
    "lead_company": "상생형 사업에는 등록된 대기업이 있어야 합니다",
    "source": "재원은 사업 유형이 허용하는 출처에서만 나옵니다",
    "min_share": "각 재원은 총사업비의 최소 분담 비율 이상을 부담합니다",
    "max_share": "각 재원은 총사업비의 최대 분담 비율 이하를 부담합니다",
    "max_amount": "각 재원의 금액은 사업 유형의 한도 이내여야 합니다",
    "max_total": "총사업비는 사업 유형의 한도 이내여야 합니다",
    "sme_cash": "기업부담금 중 최소 현금 비율 이상을 현금으로 부담합니다",
    "budget": "선정된 과제의 정부·지자체 지원금은 사업 예산 이내여야 합니다",
    "extension": "구축 기간 연장은 사업 유형의 최대 연장 기간 이내여야 합니다",
    "change_deadline": "협약 변경은 사유 발생 후 기한 안에 신청해야 합니다",
    "change_before_end": "협약 변경은 협약 종료 전 충분한 기간을 두고 신청해야 합니다",
    "build_period": "완료평가는 (연장을 포함한) 구축 기간 안에 있어야 합니다",
    "target_level": "완료평가에서 목표 수준이 확인되어야 합니다",
}
_NAMES_RULES = {k: (RULES_KO.get(k, v), v) for k, v in RULES.items()}
i18n.STRINGS.update({k: v for k, v in STRINGS.items() if k not in i18n.STRINGS})

_NAMES: dict[str, dict[Any, tuple[str, str]]] = {
    "region": REGIONS,
    "industry": KSIC_DIVISIONS,
    "size": SIZES,
    "track": TRACKS,
    "status": STATUSES,
    "source": SOURCES,
    "level": {k: (f"{k} {v[0]}", f"{k} {v[1]}") for k, v in SYSTEM_LEVELS.items()},
    "area": AREAS,
    "indicator": {k: (v.ko, v.en) for k, v in INDICATORS.items()},
    "rule": _NAMES_RULES,
}


def namer(lang: str) -> Any:
    """``name(kind, code)``: a code's name in ``lang`` (the code itself when unknown)."""
    i = 0 if lang == "ko" else 1

    def name(kind: str, code: Any) -> str:
        entry = _NAMES.get(kind, {}).get(code)
        return entry[i] if entry else ("–" if code is None else str(code))

    return name
