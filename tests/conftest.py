"""Shared fixtures: a real DuckDB file per test and helpers that write real input files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smartfactory.ingest.importer import TableReport, import_files
from smartfactory.store.db import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a text file (UTF-8 unless told otherwise) under tmp_path and return its path."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        p = tmp_path / name
        p.write_bytes(text.encode(encoding))
        return p

    return _write


@pytest.fixture
def load(store: Store) -> Callable[..., TableReport]:
    """Import one file into the test store and return its report."""

    def _load(path: Path, kind: str | None = None) -> TableReport:
        reports = import_files(store, [path], kind=kind)
        assert len(reports) == 1, reports
        return reports[0]

    return _load


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[object]:
    from smartfactory.testing import Mosquitto

    broker = Mosquitto(tmp_path)
    yield broker
    broker.stop()


# -- the web app on the two-company plant of tests/webapp.py (one per test module) -----------


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory):
    from webapp import build

    return build(tmp_path_factory.mktemp("plant"))


@pytest.fixture(scope="module")
def app(plant):
    from smartfactory.settings import Settings
    from smartfactory.web.server import create_app

    return create_app(Settings(db=plant.db))


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c
