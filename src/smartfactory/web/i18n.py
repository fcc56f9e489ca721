"""Korean and English strings of the web app. Every visible string has both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Any

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
    # pages of the web app (web/routes/*.py)
    "nav_floor": {"en": "Floor", "ko": "현장"},
    "nav_plant": {"en": "Lines and sites", "ko": "라인·공장"},
    "nav_orders": {"en": "Orders", "ko": "작업지시"},
    "nav_trace": {"en": "Lot trace", "ko": "로트 추적"},
    "nav_import": {"en": "Import", "ko": "가져오기"},
    "nav_dead_letters": {"en": "Rejected", "ko": "거부 기록"},
    "nav_settings": {"en": "Settings", "ko": "설정"},
    "role_admin": {"en": "administrator", "ko": "관리자"},
    "role_manager": {"en": "manager", "ko": "매니저"},
    "role_operator": {"en": "operator", "ko": "작업자"},
    "role_viewer": {"en": "viewer", "ko": "조회자"},
    "role_gateway": {"en": "gateway", "ko": "게이트웨이"},
    "sign_in": {"en": "Sign in", "ko": "로그인"},
    "sign_out": {"en": "Sign out", "ko": "로그아웃"},
    "login_failed": {
        "en": "Wrong user name or password.",
        "ko": "사용자 이름 또는 비밀번호가 틀렸습니다.",
    },
    "login_locked": {
        "en": "Too many wrong passwords. Try again in {n} minutes.",
        "ko": "비밀번호를 여러 번 틀렸습니다. {n}분 뒤에 다시 시도하세요.",
    },
    "username": {"en": "User name", "ko": "사용자 이름"},
    "password": {"en": "Password", "ko": "비밀번호"},
    "floor_title": {"en": "Shop floor now", "ko": "현장 실시간 현황"},
    "state_running": {"en": "Running", "ko": "가동"},
    "state_idle": {"en": "Idle", "ko": "대기"},
    "state_setup": {"en": "Setup", "ko": "준비"},
    "state_down": {"en": "Down", "ko": "고장·정지"},
    "state_planned_down": {"en": "Planned stop", "ko": "계획정지"},
    "state_unknown": {"en": "No data", "ko": "데이터 없음"},
    "today": {"en": "Today", "ko": "오늘"},
    "as_of": {"en": "as of", "ko": "기준"},
    "since": {"en": "since", "ko": "부터"},
    "product": {"en": "Product", "ko": "제품"},
    "order": {"en": "Order", "ko": "작업지시"},
    "machine": {"en": "Machine", "ko": "설비"},
    "day": {"en": "Day", "ko": "일자"},
    "history_days": {"en": "Days of history", "ko": "조회 일수"},
    "show": {"en": "Show", "ko": "보기"},
    "state_timeline": {"en": "State timeline", "ko": "상태 타임라인"},
    "counts_by_hour": {"en": "Output by hour", "ko": "시간대별 생산량"},
    "oee_trend": {"en": "OEE trend", "ko": "OEE 추이"},
    "loss_waterfall": {"en": "Where the time went (loss waterfall)", "ko": "시간 손실 폭포 차트"},
    "downtime_pareto": {"en": "Downtime by reason (Pareto)", "ko": "정지 사유 파레토"},
    "duration": {"en": "Duration", "ko": "시간"},
    "events": {"en": "Events", "ko": "횟수"},
    "reason_minor_stop": {"en": "minor stops", "ko": "순간정지"},
    "reason_(no reason)": {"en": "(no reason)", "ko": "(사유 없음)"},
    "hours": {"en": "hours", "ko": "시간"},
    "wf_period": {"en": "Period", "ko": "전체 기간"},
    "wf_planned_down": {"en": "Planned stops", "ko": "계획정지"},
    "wf_no_data": {"en": "No data", "ko": "데이터 없음"},
    "wf_pbt": {"en": "Planned busy time", "ko": "부하시간"},
    "wf_breakdowns": {"en": "Breakdowns", "ko": "고장"},
    "wf_minor_stops": {"en": "Minor stops", "ko": "순간정지"},
    "wf_setup": {"en": "Setup", "ko": "준비교체"},
    "wf_idle": {"en": "Idle", "ko": "대기"},
    "wf_apt": {"en": "Run time", "ko": "가동시간"},
    "wf_speed": {"en": "Reduced speed", "ko": "속도저하"},
    "wf_net": {"en": "Net run time", "ko": "정미가동시간"},
    "wf_defects": {"en": "Defects", "ko": "불량"},
    "wf_fpt": {"en": "Fully productive time", "ko": "가치가동시간"},
    "cumulative": {"en": "Cumulative %", "ko": "누적 %"},
    "plant_title": {"en": "OEE and losses by line and site", "ko": "라인·공장별 OEE와 손실"},
    "level": {"en": "Level", "ko": "단위"},
    "level_line": {"en": "Line", "ko": "라인"},
    "level_area": {"en": "Area", "ko": "구역"},
    "level_site": {"en": "Site", "ko": "사업장"},
    "level_enterprise": {"en": "Company", "ko": "기업"},
    "from": {"en": "From", "ko": "시작"},
    "to": {"en": "To", "ko": "종료"},
    "loss_breakdowns": {"en": "Breakdowns", "ko": "고장"},
    "loss_minor_stops": {"en": "Minor stops", "ko": "순간정지"},
    "loss_setup_and_adjustments": {"en": "Setup", "ko": "준비교체"},
    "loss_idle": {"en": "Idle", "ko": "대기"},
    "loss_reduced_speed": {"en": "Reduced speed", "ko": "속도저하"},
    "loss_defects": {"en": "Defects", "ko": "불량"},
    "total": {"en": "Total", "ko": "합계"},
    "losses_by_group": {"en": "Losses (hours)", "ko": "손실 (시간)"},
    "orders_title": {"en": "Orders against plan", "ko": "작업지시 진척"},
    "status_all": {"en": "All", "ko": "전체"},
    "status_open": {"en": "Open", "ko": "진행 중"},
    "status_late": {"en": "Late", "ko": "지연"},
    "status_done": {"en": "Done", "ko": "완료"},
    "status_running": {"en": "Running", "ko": "생산 중"},
    "status_planned": {"en": "Planned", "ko": "계획"},
    "no_orders": {"en": "No orders.", "ko": "작업지시가 없습니다."},
    "ordered": {"en": "Ordered", "ko": "지시수량"},
    "progress": {"en": "Progress", "ko": "진척률"},
    "plan_vs_actual": {"en": "Actual / plan", "ko": "실적 / 계획"},
    "due": {"en": "Due", "ko": "납기"},
    "status": {"en": "Status", "ko": "상태"},
    "actual": {"en": "actual", "ko": "실적"},
    "planned": {"en": "planned", "ko": "계획"},
    "orders_help": {
        "en": "Upper bar: good units against the ordered quantity; "
        "lower bar: share of the planned time passed.",
        "ko": "위 막대: 지시수량 대비 양품 수, 아래 막대: 계획 기간 중 지난 비율.",
    },
    "trace_title": {"en": "Lot trace", "ko": "로트 추적"},
    "lot": {"en": "Lot", "ko": "로트"},
    "trace": {"en": "Trace", "ko": "추적"},
    "lot_not_found": {"en": "No such lot in your company's data.", "ko": "해당 로트가 없습니다."},
    "recent_lots": {"en": "Recent lots", "ko": "최근 로트"},
    "upstream": {"en": "Made from (upstream)", "ko": "투입 (역추적)"},
    "downstream": {"en": "Went into (downstream)", "ko": "사용처 (정추적)"},
    "depth": {"en": "Depth", "ko": "단계"},
    "supplier": {"en": "Supplier / machine", "ko": "공급사 / 설비"},
    "via": {"en": "Via", "ko": "경유"},
    "none": {"en": "None.", "ko": "없음."},
    "production": {"en": "Production", "ko": "생산 이력"},
    "inspections": {"en": "Inspections", "ko": "검사"},
    "import_title": {"en": "Import files", "ko": "파일 가져오기"},
    "files": {"en": "Files", "ko": "파일"},
    "upload": {"en": "Upload", "ko": "업로드"},
    "import_help": {
        "en": "CSV (UTF-8 or CP949), Excel or Parquet; Korean headers are understood.",
        "ko": "CSV(UTF-8 또는 CP949), 엑셀, Parquet. 한글 머리글을 인식합니다.",
    },
    "validation_report": {"en": "Validation report", "ko": "검증 결과"},
    "file": {"en": "File", "ko": "파일"},
    "rows": {"en": "Rows", "ko": "행"},
    "stored": {"en": "Stored", "ko": "저장"},
    "already_there": {"en": "Already there", "ko": "중복"},
    "rejected": {"en": "Rejected", "ko": "거부"},
    "rejected_rows": {"en": "Rejected rows and why", "ko": "거부된 행과 사유"},
    "line_no": {"en": "Line", "ko": "행 번호"},
    "detail": {"en": "Detail", "ko": "내용"},
    "raw": {"en": "Input", "ko": "원본"},
    "received": {"en": "Received", "ko": "수신"},
    "source": {"en": "Source", "ko": "출처"},
    "no_dead_letters": {"en": "Nothing rejected.", "ko": "거부된 기록이 없습니다."},
    "settings_title": {"en": "Settings", "ko": "설정"},
    "equipment_tree": {"en": "Equipment", "ko": "설비 구성"},
    "shift_calendar": {"en": "Shifts", "ko": "근무조"},
    "shifts_edit": {
        "en": "Shifts (name start end, one per line)",
        "ko": "근무조 (이름 시작 종료, 한 줄에 하나)",
    },
    "save": {"en": "Save", "ko": "저장"},
    "products": {"en": "Products and ideal cycle times", "ko": "제품과 기준 사이클타임"},
    "name": {"en": "Name", "ko": "이름"},
    "ideal_cycle": {"en": "Ideal cycle (s)", "ko": "기준 사이클(초)"},
    "all_machines": {"en": "all machines", "ko": "전체 설비"},
    "connectors": {"en": "Connectors", "ko": "연결"},
    "address": {"en": "Address", "ko": "주소"},
    "topics": {"en": "Topics", "ko": "토픽"},
    "no_connectors": {
        "en": "No connectors run inside this service.",
        "ko": "이 서비스에서 실행 중인 연결이 없습니다.",
    },
    "gateways": {"en": "Gateways", "ko": "게이트웨이"},
    "users": {"en": "Users", "ko": "사용자"},
    "role": {"en": "Role", "ko": "역할"},
    "created": {"en": "Created", "ko": "생성일"},
    "add_user": {"en": "Add user", "ko": "사용자 추가"},
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
