"""The names of the programme's codes (regions, industries, tracks, statuses, funding sources,
indicators, rules) in the page's language. The pages' own strings are in
:mod:`smartfactory.web.strings.program`.
"""

from __future__ import annotations

from typing import Any

from ..program.assessment import AREAS, SYSTEM_LEVELS
from ..program.lifecycle import STATUSES
from ..program.performance import INDICATORS
from ..program.registry import KSIC_DIVISIONS, REGIONS, SIZES
from ..program.rules import RULES, SOURCES, TRACKS

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
