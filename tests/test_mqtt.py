"""MQTT against a real Mosquitto: every good message stored exactly once, every bad one in the
dead letters, across an ingestor killed with SIGKILL and a broker restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from smartfactory.ingest.live import LiveIngestor
from smartfactory.ingest.mqtt import MqttIngestor
from smartfactory.store.db import Store
from smartfactory.testing import wait_until

T0 = 1_736_121_600_000  # 2025-01-06T00:00:00Z
PATH = "sf/v1/hanbit/plant1/moulding/L1"


def publisher(port: int) -> mqtt.Client:
    c = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"test-pub-{port}",
        protocol=mqtt.MQTTv5,
    )
    c.max_queued_messages_set(0)
    c.reconnect_delay_set(0.1, 1)
    c.connect("127.0.0.1", port, clean_start=False)
    c.loop_start()
    return c


def count_msg(i: int, machine: str = "M01") -> tuple[str, bytes]:
    return (
        f"{PATH}/{machine}/count",
        json.dumps(
            {"timestamp_ms": T0 + i * 1000, "product": "P-100", "good": i % 7, "scrap": 1}
        ).encode(),
    )


def publish_all(
    c: mqtt.Client,
    msgs: list[tuple[str, bytes]],
    *,
    per_s: float = 0,
    during: dict[int, object] | None = None,
) -> None:
    infos = []
    for n, (topic, payload) in enumerate(msgs):
        if during and n in during:
            during[n]()  # type: ignore[operator]
        # a gateway holds its messages while its broker is away
        wait_until(c.is_connected, 30, "the publisher to (re)connect")
        infos.append(c.publish(topic, payload, qos=1))
        if per_s:
            time.sleep(1 / per_s)
    for info in infos:
        info.wait_for_publish(30)


def start_ingestor(store: Store, url: str) -> tuple[MqttIngestor, threading.Thread]:
    live = LiveIngestor(store, source="mqtt")
    ing = MqttIngestor(live, url, client_id="sf-test")
    t = threading.Thread(target=ing.run, daemon=True)
    t.start()
    wait_until(ing.connected.is_set, 10, "the ingestor to connect")
    return ing, t


def test_good_and_malformed_messages_interleaved(mosquitto, tmp_path: Path):
    store = Store(tmp_path / "m.duckdb")
    ing, t = start_ingestor(store, mosquitto.url)
    good = [count_msg(i) for i in range(2000)]
    good += [
        (
            f"{PATH}/M02/state",
            json.dumps(
                [
                    {
                        "timestamp_ms": T0 + i * 60_000,
                        "state": ["running", "down"][i % 2],
                        "reason": "x",
                    }
                    for i in range(10)
                ]
            ).encode(),
        )
    ]
    good += [
        (
            f"{PATH}/M03/measurement",
            json.dumps(
                {"timestamp_ms": T0, "tag": "mould_temp", "value": 231.5, "unit": "degC"}
            ).encode(),
        )
    ]
    kinds_of_bad = [
        lambda i: (f"{PATH}/M01/count", b"{not json " + str(i).encode()),
        lambda i: (f"{PATH}/M01/colour", json.dumps({"timestamp_ms": T0, "n": i}).encode()),
        lambda i: (
            f"{PATH}/M01/count",
            json.dumps({"timestamp_ms": T0 + i, "product": "P", "good": f"lots-{i}"}).encode(),
        ),
        lambda i: (
            f"{PATH}/M01/count",
            json.dumps({"timestamp_ms": 4_102_444_800_000 + i, "product": "P", "good": 1}).encode(),
        ),
        lambda i: (f"{PATH}/M01/count", json.dumps({"ts": i}).encode()),
        lambda i: (f"sf/v1/too/short/{i}", b"{}"),
        lambda i: (f"{PATH}/M01/measurement", b"[" + b"1," * 600_000 + str(i).encode() + b"]"),
        lambda i: (
            f"{PATH}/M01/state",
            json.dumps({"timestamp_ms": T0 + i, "state": "dancing"}).encode(),
        ),
    ]
    bad = [kinds_of_bad[i % len(kinds_of_bad)](i) for i in range(1000)]
    mixed = [m for pair in zip(good[:1000], bad, strict=True) for m in pair] + good[1000:]
    c = publisher(mosquitto.port)
    publish_all(c, mixed)
    wait_until(lambda: ing.stored_messages >= len(mixed), 60, "all messages")
    ing.stop()
    t.join(10)
    c.loop_stop()
    st = store.status()
    assert st["records"]["counts"] == 2000
    assert st["records"]["state_events"] == 10 and st["records"]["states"] == 9
    assert st["records"]["measurements"] == 1
    assert st["dead_letters"]["total"] == 1000
    assert st["dead_letters"]["by_reason"] == {
        "bad_json": 125,
        "unknown_kind": 125,
        "bad_number": 125,
        "timestamp_out_of_range": 125,
        "bad_payload": 125,
        "bad_topic": 125,
        "oversize": 125,
        "unknown_state": 125,
    }
    assert store.rows("SELECT machine, area, line FROM equipment WHERE machine = 'M02'") == [
        {"machine": "M02", "area": "moulding", "line": "L1"}
    ]
    store.close()


def _ingestor_process(url: str, db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "SMARTFACTORY_MQTT_CLIENT_ID": "sf-kill-test"}
    return subprocess.Popen(
        [sys.executable, "-m", "smartfactory", "ingest", "mqtt", "--broker", url, "--db", str(db)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def _follow(proc: subprocess.Popen[str], seen: list[int]) -> threading.Thread:
    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("stored "):
                seen.append(int(line.split()[1]))

    t = threading.Thread(target=read, daemon=True)
    t.start()
    return t


def _quiet(seen: list[int], seconds: float = 3.0) -> None:
    """Wait until the ingestor has stored something and then nothing new for a while."""
    last, since = None, time.monotonic()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        cur = seen[-1] if seen else None
        if cur != last:
            last, since = cur, time.monotonic()
        elif cur and time.monotonic() - since > seconds:
            return
        time.sleep(0.1)
    raise AssertionError("the ingestor never went quiet")


def test_kill_9_mid_stream_loses_nothing_and_duplicates_nothing(mosquitto, tmp_path: Path):
    db = tmp_path / "k.duckdb"
    Store(db).close()
    n = 6000
    msgs = [count_msg(i) for i in range(n)]
    proc = _ingestor_process(mosquitto.url, db)
    seen: list[int] = []
    _follow(proc, seen)
    wait_until(lambda: bool(seen), 30, "the ingestor to start")
    c = publisher(mosquitto.port)
    restarted: list[subprocess.Popen[str]] = []
    seen2: list[int] = []

    def kill() -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def restart() -> None:
        p = _ingestor_process(mosquitto.url, db)
        restarted.append(p)
        _follow(p, seen2)

    publish_all(c, msgs, per_s=3000, during={2000: kill, 4000: restart})
    c.loop_stop()
    _quiet(seen2)
    # a service manager's stop: the ingestor finishes and exits cleanly
    restarted[0].send_signal(signal.SIGTERM)
    assert restarted[0].wait(30) == 0
    assert proc.returncode == -signal.SIGKILL
    with Store(db) as s:
        assert s.scalar("SELECT count(*) FROM counts") == n
        assert s.scalar("SELECT count(DISTINCT ts) FROM counts") == n
        assert s.scalar("SELECT sum(good) FROM counts") == sum(i % 7 for i in range(n))
        assert s.dead_letter_summary()["total"] == 0


def test_broker_restart_mid_stream_loses_nothing(mosquitto, tmp_path: Path):
    store = Store(tmp_path / "b.duckdb")
    ing, t = start_ingestor(store, mosquitto.url)
    n = 4000
    msgs = [count_msg(i, machine="M07") for i in range(n)]
    c = publisher(mosquitto.port)
    publish_all(c, msgs, per_s=4000, during={n // 2: mosquitto.restart})
    wait_until(lambda: ing.connected.is_set(), 30, "the ingestor to reconnect")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and store.cursor().scalar("SELECT count(*) FROM counts") < n:
        time.sleep(0.2)
    time.sleep(1)  # anything still in flight would show up as a duplicate now
    ing.stop()
    t.join(10)
    c.loop_stop()
    assert store.scalar("SELECT count(*) FROM counts") == n
    assert store.scalar("SELECT count(DISTINCT ts) FROM counts") == n
    store.close()


@pytest.mark.parametrize("payload", [b"[]", b"{}", b"null", b"42"])
def test_odd_but_valid_json_does_not_stop_anything(tmp_path: Path, payload: bytes):
    with Store(tmp_path / "o.duckdb") as s:
        rep = LiveIngestor(s).ingest([(f"{PATH}/M01/count", payload), count_msg(1)])
        assert rep.stored == 1
