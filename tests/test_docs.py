"""The docs are checked against the code: every setting, command, kind, field and reason."""

from __future__ import annotations

from pathlib import Path

import smartfactory
from smartfactory.cli import main
from smartfactory.ingest import validate
from smartfactory.model import KINDS
from smartfactory.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_is_documented():
    text = (DOCS / "settings.md").read_text()
    for name, field in Settings.model_fields.items():
        assert f"`{name}`" in text and f"SMARTFACTORY_{name.upper()}" in text, name
        assert field.description, f"setting {name} has no help text"


def test_every_command_is_documented():
    text = (DOCS / "cli.md").read_text()
    for name in main.commands:
        assert f"`smartfactory {name}" in text, name


def test_every_kind_and_field_is_documented():
    text = (DOCS / "data-formats.md").read_text()
    for k in KINDS.values():
        section = text.split(f"### `{k.name}`", 1)[1].split("### ", 1)[0]
        for f in k.fields:
            assert f"`{f.name}` | {f.ko}" in section, (k.name, f.name)


def test_every_reason_code_is_documented():
    text = (DOCS / "data-formats.md").read_text()
    for code in validate.REASONS:
        assert f"`{code}`" in text, code


def test_public_names_are_exported():
    for name in smartfactory.__all__:
        assert hasattr(smartfactory, name), name


def test_every_reason_the_validator_emits_is_listed():
    emitted = {"overlap", "conflict", "broken_row"}
    for k in KINDS.values():
        emitted |= {code for _, code, _ in validate._checks(k, validate.Limits())}
    assert emitted <= set(validate.REASONS)
