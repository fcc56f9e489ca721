"""Registry and life cycle: business numbers, and every life-cycle rule broken once."""

from __future__ import annotations

from datetime import date

import pytest

from program_helpers import COMPANY, COMPANY2, LEAD, SUPPLIER, applied, basic_app, brn, registry
from smartfactory.errors import ConfigError, NotFoundError, RuleError
from smartfactory.program import lifecycle as lc
from smartfactory.program.registry import (
    Company,
    brn_check_digit,
    check_ksic,
    format_brn,
    normalise_brn,
)
from smartfactory.program.rules import RULES, FundingLine, rules_for
from smartfactory.program.schema import ProgramDB


@pytest.fixture
def db(tmp_path):
    d = ProgramDB(tmp_path / "program.duckdb")
    registry(d)
    yield d
    d.close()


# -- business registration numbers ---------------------------------------------------------


def _by_hand(digits: str) -> int:
    """The National Tax Service algorithm, written out step by step."""
    w = [1, 3, 7, 1, 3, 7, 1, 3, 5]
    s = 0
    for i in range(9):
        s += int(digits[i]) * w[i]
    s += int(digits[8]) * 5 // 10
    return (10 - s % 10) % 10


@pytest.mark.parametrize(
    "number", ["124-81-00998", "220-81-62517", "101-81-00016", "138 81 26963", "000-00-00000"]
)
def test_valid_business_numbers(number):
    digits = normalise_brn(number)
    assert len(digits) == 10 and _by_hand(digits) == int(digits[9])
    assert format_brn(digits).replace("-", "") == digits


@pytest.mark.parametrize("number", ["124-81-00997", "124-81-00990", "220-81-62518"])
def test_wrong_check_digit_is_refused_with_the_expected_digit(number):
    with pytest.raises(ConfigError, match="wrong check digit"):
        normalise_brn(number)


@pytest.mark.parametrize("number", ["12481009", "124-81-0099x", "", "12345678901"])
def test_malformed_business_numbers(number):
    with pytest.raises(ConfigError, match="10 digits"):
        normalise_brn(number)


def test_check_digit_matches_the_algorithm_on_many_numbers():
    import random

    rng = random.Random(1)
    for _ in range(500):
        first9 = f"{rng.randrange(10**9):09d}"
        assert brn_check_digit(first9) == _by_hand(first9 + "0")
        good = first9 + str(brn_check_digit(first9))
        assert normalise_brn(good) == good
        bad = first9 + str((brn_check_digit(first9) + 1) % 10)
        with pytest.raises(ConfigError):
            normalise_brn(bad)


def test_company_fields_are_validated():
    assert check_ksic("C29") == "29" and check_ksic("25911") == "25911"
    for bad in ("47", "9", "abc"):
        with pytest.raises(ConfigError, match="KSIC"):
            check_ksic(bad)
    c = Company(COMPANY, "x", "소기업", "29", "경기도")
    assert (c.size, c.region) == ("small", "gyeonggi")
    with pytest.raises(ConfigError, match="region"):
        Company(COMPANY, "x", "small", "29", "Tokyo")


# -- rules as data -------------------------------------------------------------------------


def test_rules_pick_the_newest_year_not_after(tmp_path):
    assert rules_for("basic", 2024).year == 2022
    assert rules_for("winwin1", 2022).cap("government", 2) == 120_000_000
    with pytest.raises(ConfigError, match="no rules for track region_basic in 2022"):
        rules_for("region_basic", 2022)
    own = tmp_path / "rules.toml"
    own.write_text(
        '[defaults]\nbuild_months = 6\n[tracks.basic.2022]\nsources = ["government", "sme"]\n'
        '[tracks.basic.2026]\nsources = ["government", "sme"]\nbuild_months = 9\n'
    )
    assert rules_for("basic", 2026, own).build_months == 9
    assert rules_for("basic", 2025, own).build_months == 6


# -- the whole life cycle ------------------------------------------------------------------


def test_a_project_goes_through_its_life_cycle(db):
    pid = applied(db)
    lc.select(db, pid, date(2022, 4, 1))
    lc.agree(db, pid, date(2022, 5, 2))
    lc.start_build(db, pid, date(2022, 5, 10))
    lc.extend_build(db, pid, 2, cause_on=date(2022, 8, 1), filed_on=date(2022, 8, 10))
    p = db.rows("SELECT * FROM projects WHERE project_id = ?", [pid])[0]
    assert p["build_due"] == date(2023, 1, 2)  # 6 months + 2
    lc.complete_audit(db, pid, date(2022, 12, 20), level_achieved=1)
    lc.start_follow_up(db, pid, date(2023, 1, 5))
    events = [r["to_status"] for r in db.rows("SELECT to_status FROM project_events")]
    assert events == ["applied", "selected", "agreed", "building", "completed", "follow_up"]
    assert db.scalar("SELECT level FROM sites WHERE company_id = ?", [COMPANY]) == 1


# -- every rule broken once, with its message ----------------------------------------------


def _building(db, **kw):
    pid = applied(db, **kw)
    lc.select(db, pid, date(2022, 4, 1))
    lc.agree(db, pid, date(2022, 5, 2))
    lc.start_build(db, pid, date(2022, 5, 10))
    return pid


def _apply(db, **kw):
    lc.apply(db, basic_app(**kw), date(2022, 3, 2))


G, S = "government", "sme"
CASES = {
    "status": (lambda db: lc.start_build(db, applied(db), date(2022, 5, 1)), "needs it to be"),
    "date_order": (
        lambda db: lc.select(db, applied(db), date(2022, 1, 1)),
        "before applied on",
    ),
    "supplier": (lambda db: _apply(db, supplier_id=None), "names no registered supplier"),
    "one_per_site": (
        lambda db: (_apply(db), _apply(db, project_id="P2")),
        "has applied to B22 already",
    ),
    "levels": (lambda db: _apply(db, level_now=2, level_target=2), "must be above"),
    "min_level": (
        lambda db: _apply(
            db,
            programme_id="U22",
            funding=(FundingLine(G, 100_000_000), FundingLine(S, 100_000_000)),
        ),
        "builds on level 1",
    ),
    "lead_company": (
        lambda db: _apply(db, programme_id="W22", funding=(FundingLine(G, 1),)),
        "needs a registered lead company",
    ),
    "source": (
        lambda db: _apply(db, funding=(FundingLine(G, 10), FundingLine("lead", 10))),
        "lead money is not allowed",
    ),
    "min_share": (
        lambda db: _apply(
            db,
            programme_id="W22",
            lead_id=LEAD,
            funding=(FundingLine(G, 30), FundingLine("lead", 20), FundingLine(S, 50)),
        ),
        "requires at least 30%",
    ),
    "max_share": (
        lambda db: _apply(db, funding=(FundingLine(G, 40_000_000), FundingLine(S, 30_000_000))),
        "allows at most 50%",
    ),
    "max_amount": (
        lambda db: _apply(db, funding=(FundingLine(G, 60_000_000), FundingLine(S, 70_000_000))),
        "exceeds the basic cap ₩50,000,000",
    ),
    "max_total": (None, "exceeds the winwin2 cap"),
    "sme_cash": (
        lambda db: _apply(
            db,
            funding=(FundingLine(G, 50_000_000), FundingLine(S, 60_000_000, "in_kind")),
        ),
        "at least 50% must be cash",
    ),
    "budget": (
        lambda db: (
            lc.select(db, applied(db), date(2022, 4, 1)),
            lc.select(
                db, applied(db, project_id="P2", company=COMPANY2, site="main"), date(2022, 4, 1)
            ),
            lc.select(db, applied(db, project_id="P3", site="plant2"), date(2022, 4, 1)),
        ),
        "has ₩20,000,000 left",
    ),
    "extension": (
        lambda db: lc.extend_build(
            db, _building(db), 4, cause_on=date(2022, 7, 1), filed_on=date(2022, 7, 2)
        ),
        "at most 3 in total",
    ),
    "change_deadline": (
        lambda db: lc.file_change(
            db, _building(db), "supplier", cause_on=date(2022, 7, 1), filed_on=date(2022, 7, 20)
        ),
        "19 days later; the limit is 15",
    ),
    "change_before_end": (
        lambda db: lc.file_change(
            db, _building(db), "scope", cause_on=date(2022, 10, 10), filed_on=date(2022, 10, 20)
        ),
        "less than 30 days before the agreement ends on 2022-11-02",
    ),
    "build_period": (
        lambda db: lc.complete_audit(db, _building(db), date(2022, 12, 1), 1),
        "after the build period ended on 2022-11-02",
    ),
    "target_level": (
        lambda db: lc.complete_audit(db, _building(db, level_target=2), date(2022, 10, 1), 1),
        "the agreement's target is 2",
    ),
}


def _max_total(db):
    from smartfactory.program.registry import add_programme

    add_programme(db, "W2", year=2022, track="winwin2", name="상생2", budget_krw=10**9)
    _apply(
        db,
        programme_id="W2",
        lead_id=LEAD,
        funding=(FundingLine(G, 15_000_000), FundingLine("lead", 15_000_000)),
    )


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_is_enforced_with_its_message(db, rule):
    from smartfactory.program.registry import add_site

    add_site(db, COMPANY, "plant2", "gyeonggi")
    action, message = CASES[rule]
    with pytest.raises(RuleError, match=message) as exc:
        (action or _max_total)(db)
    assert exc.value.rule == rule
    assert f"[{rule}]" in str(exc.value)


def test_a_refused_application_stores_nothing(db):
    with pytest.raises(RuleError):
        _apply(db, funding=(FundingLine(G, 60_000_000), FundingLine(S, 70_000_000)))
    assert db.scalar("SELECT count(*) FROM projects") == 0
    assert db.scalar("SELECT count(*) FROM funding_lines") == 0


def test_unknown_things_are_not_found(db):
    with pytest.raises(NotFoundError):
        lc.select(db, "nope", date(2022, 1, 1))
    with pytest.raises(NotFoundError, match="no registered site"):
        _apply(db, site="elsewhere")
    assert SUPPLIER and LEAD and brn("123456789")
