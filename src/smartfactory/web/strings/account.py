"""Korean and English strings of the account page (one's own password) and the users page (a
company's users and API tokens)."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "nav_users": {"en": "Users", "ko": "사용자 관리"},
    "nav_account": {"en": "My account", "ko": "내 계정"},
    "acc_title": {"en": "My account", "ko": "내 계정"},
    "acc_company": {"en": "Company", "ko": "회사"},
    "acc_no_company": {"en": "none (programme side)", "ko": "없음(지원사업 측)"},
    "acc_change_pw": {"en": "Change password", "ko": "비밀번호 변경"},
    "acc_current_pw": {"en": "Current password", "ko": "현재 비밀번호"},
    "acc_new_pw": {"en": "New password", "ko": "새 비밀번호"},
    "acc_new_pw2": {"en": "New password again", "ko": "새 비밀번호 확인"},
    "acc_pw_help": {
        "en": "At least {n} characters. Your other signed-in sessions end; API tokens stay valid.",
        "ko": "{n}자 이상. 다른 곳에서 로그인된 세션은 종료되며, API 토큰은 그대로 유효합니다.",
    },
    "acc_changed": {
        "en": "Your password was changed. Other sessions were signed out.",
        "ko": "비밀번호가 변경되었습니다. 다른 세션은 로그아웃되었습니다.",
    },
    "acc_wrong_current": {
        "en": "The current password is wrong.",
        "ko": "현재 비밀번호가 틀렸습니다.",
    },
    "acc_too_long": {
        "en": "The new password is too long.",
        "ko": "새 비밀번호가 너무 깁니다.",
    },
    "u_bad_days": {
        "en": "Give the days as a whole number from 1 to 3650, or leave them empty.",
        "ko": "만료 일수는 1~3650 사이의 정수로 입력하거나 비워 두세요.",
    },
    "acc_mismatch": {
        "en": "The two new passwords differ.",
        "ko": "새 비밀번호 두 개가 서로 다릅니다.",
    },
    "acc_too_short": {
        "en": "The new password must have at least {n} characters.",
        "ko": "새 비밀번호는 {n}자 이상이어야 합니다.",
    },
    "u_title": {"en": "Users and API tokens", "ko": "사용자 및 API 토큰"},
    "u_initial_pw": {"en": "Initial password", "ko": "초기 비밀번호"},
    "u_remove": {"en": "Remove", "ko": "삭제"},
    "u_remove_confirm": {"en": "Remove this user?", "ko": "이 사용자를 삭제할까요?"},
    "u_you": {"en": "you", "ko": "본인"},
    "u_added": {"en": "The user was added.", "ko": "사용자를 추가했습니다."},
    "u_removed": {"en": "The user was removed.", "ko": "사용자를 삭제했습니다."},
    "u_taken": {
        "en": "That user name is taken.",
        "ko": "이미 사용 중인 사용자 이름입니다.",
    },
    "u_bad_role": {"en": "Choose one of the roles.", "ko": "역할을 목록에서 고르세요."},
    "u_invalid": {"en": "The user was not added:", "ko": "사용자를 추가하지 못했습니다:"},
    "u_not_found": {
        "en": "No such user in your company.",
        "ko": "회사에 그런 사용자가 없습니다.",
    },
    "u_self": {"en": "You cannot remove yourself.", "ko": "본인은 삭제할 수 없습니다."},
    "u_tokens": {"en": "API tokens", "ko": "API 토큰"},
    "u_token_name": {"en": "What it is for", "ko": "용도"},
    "u_token_user": {"en": "Acts as", "ko": "사용자"},
    "u_token_days": {"en": "Expires after (days)", "ko": "만료(일)"},
    "u_token_expires": {"en": "Expires", "ko": "만료"},
    "u_never": {"en": "never", "ko": "없음"},
    "u_issue": {"en": "Issue token", "ko": "토큰 발급"},
    "u_no_tokens": {"en": "No API tokens yet.", "ko": "발급된 API 토큰이 없습니다."},
    "u_revoke": {"en": "Revoke", "ko": "폐기"},
    "u_revoke_confirm": {
        "en": "Revoke this token? Whatever uses it stops working.",
        "ko": "이 토큰을 폐기할까요? 이 토큰을 쓰는 곳은 더 이상 동작하지 않습니다.",
    },
    "u_revoked": {"en": "The token was revoked.", "ko": "토큰을 폐기했습니다."},
    "u_no_token": {
        "en": "No such API token in your company.",
        "ko": "회사에 그런 API 토큰이 없습니다.",
    },
    "u_token_once": {
        "en": "Copy the token now: it is shown only this once. Send it as "
        "'Authorization: Bearer <token>'.",
        "ko": "지금 복사하세요. 토큰은 이번 한 번만 표시됩니다. "
        "'Authorization: Bearer <토큰>' 헤더로 보내세요.",
    },
}
