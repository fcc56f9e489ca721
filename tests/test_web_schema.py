"""Schemathesis against the published OpenAPI spec: generated requests (valid and invalid
parameters, bodies) to every operation of ``smartfactory serve`` on a free loopback port,
signed in as an administrator, must never get a server error (5xx)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from smartfactory.testing import free_port, wait_port
from webapp import build

AUTH: dict[str, str] = {}
EXAMPLES = int(os.environ.get("SF_SCHEMA_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory):
    plant = build(tmp_path_factory.mktemp("schema"))
    AUTH["Authorization"] = plant.auth("admin", "acme")["Authorization"]
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "smartfactory", "serve", "--db", str(plant.db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, 60)
        yield schemathesis.openapi.from_url(f"http://127.0.0.1:{port}/openapi.json")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:  # stuck in a request: do not leave it behind
            proc.kill()
            proc.wait(20)


def test_no_server_error(api_schema):
    """Every operation, ``EXAMPLES`` generated cases each (schemathesis strategies driven by
    Hypothesis directly: its pytest plugin does not load under this pytest)."""
    failures: list[str] = []
    ran = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case):
            nonlocal ran
            if case.method == "DELETE":  # removing users or tokens would only shorten the run
                case.path_parameters = {k: "nobody" for k in case.path_parameters or {}}
            ran += 1
            try:
                response = case.call(headers=AUTH, timeout=30)
            except requests.Timeout:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query}: no answer within 30 s"
                )
                return
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query}: {response.status_code} "
                    f"{response.text[:200]}"
                )

        run()
    assert ran > 100
    assert not failures, "\n".join(failures[:20])
