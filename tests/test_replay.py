"""The simulator as the plant: replayed over MQTT (and OPC UA), stored, equal to its files."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from smartfactory.ingest.live import LiveIngestor
from smartfactory.ingest.mqtt import MqttIngestor
from smartfactory.ingest.opcua import OpcUaIngestor, load_config
from smartfactory.sim import simulate
from smartfactory.sim.replay import events, opcua_config, publish_mqtt, serve_opcua
from smartfactory.store.db import Store
from smartfactory.testing import free_port


def test_mqtt_replay_stores_what_the_files_hold(tmp_path: Path, mosquitto):
    files = tmp_path / "sim"
    simulate(files, machines=2, days=2, seed=1, crew=True)
    store = Store(tmp_path / "r.duckdb")
    ing = MqttIngestor(LiveIngestor(store), mosquitto.url, client_id="replay-test")
    t = threading.Thread(target=ing.run, daemon=True)
    t.start()
    ing.connected.wait(10)
    n = publish_mqtt(files, mosquitto.url, speed=0)
    deadline = time.monotonic() + 60
    while ing.stored_messages < n and time.monotonic() < deadline:
        time.sleep(0.05)
    ing.stop()
    t.join(10)
    with Store(tmp_path / "f.duckdb") as direct:
        from smartfactory.ingest.importer import import_files

        import_files(direct, sorted(files.glob("*.csv")))
        want = direct.status()["records"]
        want_states = direct.rows('SELECT machine, "start", "end", state FROM states ORDER BY 1, 2')
        who = "SELECT machine, ts, operator, tool FROM counts ORDER BY 1, 2"
        want_who = direct.rows(who)
    got = store.status()["records"]
    assert got["counts"] == want["counts"] and got["measurements"] == want["measurements"]
    # who ran each count and with which mould travel in the count messages
    assert store.rows(who) == want_who and want_who[0]["operator"] and want_who[0]["tool"]
    # the last interval of each machine stays open: its end is the next change
    got_states = store.rows('SELECT machine, "start", "end", state FROM states ORDER BY 1, 2')
    assert len(got_states) == len(want_states) - 2
    assert got_states == [s for s in want_states if s in got_states]
    assert store.dead_letter_summary()["total"] == 0
    store.close()


def test_opcua_replay_feeds_the_opcua_connector(tmp_path: Path):
    files = tmp_path / "sim"
    simulate(files, machines=1, days=1, seed=2)
    url = f"opc.tcp://127.0.0.1:{free_port()}/sim/"
    cfg = tmp_path / "opcua.toml"
    cfg.write_text(opcua_config(files, url))
    limit = 150
    ready = threading.Event()
    server = threading.Thread(
        target=serve_opcua,
        args=(files, url),
        kwargs={"speed": 0, "limit": limit, "ready": ready.set},
        daemon=True,
    )
    store = Store(tmp_path / "o.duckdb")
    ing = OpcUaIngestor(LiveIngestor(store), load_config(cfg))
    server.start()
    assert ready.wait(30)
    client = threading.Thread(target=ing.run, daemon=True)
    client.start()
    deadline = time.monotonic() + 30
    while not ing.connected[url].is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    server.join(120)
    time.sleep(1)
    ing.stop()
    client.join(15)
    sent = {
        (ev.ms, dict(ev.fields)["tag"], float(dict(ev.fields)["value"]))
        for ev in list(events(files))[:limit]
        if ev.kind == "measurement"
    }
    got = store.rows("SELECT epoch_ms(ts) AS ms, tag, value FROM measurements")
    assert got and all((r["ms"], r["tag"], r["value"]) in sent for r in got)
    assert store.scalar("SELECT count(*) FROM state_events") > 0
    store.close()
