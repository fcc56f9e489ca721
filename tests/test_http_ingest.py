"""HTTP ingestion for gateways (one token each), and connectors run inside the service."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi.testclient import TestClient

from smartfactory.settings import Settings
from smartfactory.store.db import Store
from smartfactory.web.auth import add_token, add_user
from smartfactory.web.gateways import add_gateway
from smartfactory.web.server import create_app

T0 = 1_736_121_600_000
TOPIC = "sf/v1/hanbit/plant1/moulding/L1/M01"


def viewer_token(db: Path) -> dict[str, str]:
    """Reading the status needs a signed-in user of the company (here: an API token)."""
    with Store(db) as s:
        add_user(s, "viewer", "viewer-password", enterprise="hanbit", role="viewer")
        return {"Authorization": f"Bearer {add_token(s, 'viewer', 'tests')}"}


def test_gateway_posts_are_stored_and_bad_items_reported(tmp_path: Path):
    db = tmp_path / "h.duckdb"
    with Store(db) as s:
        token = add_gateway(s, "line1-gw")
        other = add_gateway(s, "line2-gw")
    viewer = viewer_token(db)
    body = [
        {
            "topic": f"{TOPIC}/state",
            "payload": [
                {"timestamp_ms": T0, "state": "running"},
                {"timestamp_ms": T0 + 60_000, "state": "down", "reason": "jam"},
            ],
        },
        {
            "topic": f"{TOPIC}/count",
            "payload": {"timestamp_ms": T0 + 60_000, "product": "P", "good": 10, "scrap": 1},
        },
        {"topic": f"{TOPIC}/count", "payload": {"timestamp_ms": T0, "product": "P", "good": -3}},
        {"topic": f"{TOPIC}/sound", "payload": {"timestamp_ms": T0}},
        {"topic": f"{TOPIC}/count", "payload": "hello"},
    ]
    with TestClient(create_app(Settings(db=db))) as c:
        assert c.post("/api/ingest", json=body).status_code == 401
        bad = c.post("/api/ingest", json=body, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        r = c.post("/api/ingest", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        got = r.json()
        assert (got["gateway"], got["messages"], got["stored"]) == ("line1-gw", 5, 3)
        assert got["by_reason"] == {"negative_count": 1, "unknown_kind": 1, "bad_payload": 1}
        again = c.post(
            "/api/ingest", json=body, headers={"Authorization": f"Bearer {other}"}
        ).json()
        assert (again["stored"], again["duplicates"]) == (0, 3)
        st = c.get("/api/status", headers=viewer).json()
    assert st["records"]["state_events"] == 2 and st["records"]["states"] == 1
    assert st["dead_letters"]["total"] == 3


def test_serve_runs_the_mqtt_connector_from_its_config(tmp_path: Path, mosquitto):
    import paho.mqtt.client as mqtt

    cfg = tmp_path / "connectors.toml"
    cfg.write_text(f'[[mqtt]]\nbroker = "{mosquitto.url}"\nclient_id = "svc-test"\n')
    db = tmp_path / "svc.duckdb"
    viewer = viewer_token(db)
    with TestClient(create_app(Settings(db=db, connectors=cfg))) as c:
        pub = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5
        )
        pub.connect("127.0.0.1", mosquitto.port)
        pub.loop_start()
        time.sleep(0.5)  # the connector subscribes
        for i in range(20):
            pub.publish(
                f"{TOPIC}/count",
                json.dumps({"timestamp_ms": T0 + i * 1000, "product": "P", "good": 1}),
                qos=1,
            )
        deadline = time.monotonic() + 20
        while (
            time.monotonic() < deadline
            and c.get("/api/status", headers=viewer).json()["records"]["counts"] < 20
        ):
            time.sleep(0.1)
        pub.loop_stop()
        assert c.get("/api/status", headers=viewer).json()["records"]["counts"] == 20
