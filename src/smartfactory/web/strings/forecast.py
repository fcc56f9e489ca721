"""Korean and English strings of the demand forecast and production plan pages."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "nav_forecast": {"en": "Demand forecast", "ko": "수요 예측"},
    "nav_plan": {"en": "Production plan", "ko": "생산 계획"},
    "f_title": {"en": "Demand forecast", "ko": "수요 예측"},
    "f_help": {
        "en": "Demand per product from the orders received: six statistical models weighted "
        "by their rolling-origin cross-validation error on that product (the Croston family "
        "for intermittent demand); bands are the 80 % and 95 % prediction intervals.",
        "ko": "수주 기준 제품별 수요입니다. 여섯 가지 통계 모형을 제품마다 시점 이동 "
        "교차검증 오차로 가중 결합하며(간헐 수요는 Croston 계열), "
        "띠는 80 %, 95 % 예측구간입니다.",
    },
    "f_freq": {"en": "Period", "ko": "주기"},
    "f_horizon": {"en": "Horizon", "ko": "예측 기간"},
    "f_show": {"en": "Show", "ko": "보기"},
    "f_product": {"en": "Product", "ko": "제품"},
    "f_method": {"en": "Method", "ko": "방법"},
    "f_class": {"en": "Demand type", "ko": "수요 유형"},
    "f_points": {"en": "Periods", "ko": "기간 수"},
    "f_cv": {"en": "CV MASE", "ko": "교차검증 MASE"},
    "f_history": {"en": "History", "ko": "실적"},
    "f_forecast": {"en": "Forecast", "ko": "예측"},
    "f_note": {"en": "Note", "ko": "참고"},
    "f_window": {
        "en": "Complete periods used: {a} to {b} (period starts).",
        "ko": "사용한 완결 기간: {a} ~ {b} (기간 시작일 기준).",
    },
    "f_partial": {
        "en": "Left out because the records cover them only in part: {list}.",
        "ko": "기록이 일부만 있는 기간은 제외했습니다: {list}.",
    },
    "p_title": {"en": "Production plan", "ko": "생산 계획"},
    "p_help": {
        "en": "Weekly plan from the forecast, open orders and safety stock. Capacity is each "
        "line's planned busy hours × measured availability × effectiveness.",
        "ko": "예측, 미결 주문, 안전재고로 세운 주간 계획입니다. 능력은 라인별 계획 가동시간 × "
        "실측 가동률 × 성능입니다.",
    },
    "p_weeks": {"en": "Weeks", "ko": "주 수"},
    "p_service": {"en": "Service level", "ko": "서비스 수준"},
    "p_load": {"en": "Load (h)", "ko": "부하(시간)"},
    "p_capacity": {"en": "Capacity (h)", "ko": "능력(시간)"},
    "p_overloaded": {"en": "Overloaded weeks", "ko": "능력 초과 주"},
    "p_none_overloaded": {"en": "No week exceeds capacity.", "ko": "능력을 넘는 주가 없습니다."},
    "p_excel": {"en": "Download Excel", "ko": "엑셀 내려받기"},
    "p_level": {
        "en": "Level to capacity (make ahead)",
        "ko": "능력에 맞춰 앞당겨 생산",
    },
    "p_moves": {
        "en": "Made ahead of overloaded weeks",
        "ko": "능력 초과 주에서 앞당긴 생산",
    },
    "p_from_week": {"en": "Week it was needed", "ko": "원래 주"},
    "p_to_week": {"en": "Made in week", "ko": "앞당긴 주"},
    "p_quantity": {"en": "Quantity", "ko": "수량"},
    "p_hours": {"en": "Hours", "ko": "시간"},
    "p_line": {"en": "Line", "ko": "라인"},
    "p_week": {"en": "Week", "ko": "주"},
    "p_demand": {"en": "Demand", "ko": "수요"},
    "p_open": {"en": "Open orders", "ko": "미결 주문"},
    "p_safety": {"en": "Safety stock", "ko": "안전재고"},
    "p_production": {"en": "Production", "ko": "생산"},
    "p_stock": {"en": "Stock at week end", "ko": "기말 재고"},
}
