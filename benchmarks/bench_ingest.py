"""Live ingestion through a real Mosquitto broker into the store.

    .venv/bin/python benchmarks/bench_ingest.py [--messages 20000] [--runs 3]

Measures, median over runs, in the same run as the baseline:
- baseline: a plain paho publisher → paho subscriber (QoS 1), messages per second;
(publishers run in a process of their own, as gateways do; subscriber and ingestor in this one)
- single events: QoS 1 messages of one count each, published → stored (committed), msgs/s;
- batched: messages of 100 events each, events/s;
- delay from publish to queryable (committed) at a steady 2,000 messages/s: 95th percentile.
Targets: ≥ 8,000 msgs/s single, ≥ 100,000 events/s batched, p95 delay < 2 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from smartfactory.ingest.live import LiveIngestor
from smartfactory.ingest.mqtt import MqttIngestor
from smartfactory.store.db import Store
from smartfactory.testing import Mosquitto

TOPIC = "sf/v1/hanbit/plant1/moulding/L1/{m}/count"


def client(port: int, cid: str) -> mqtt.Client:
    c = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5
    )
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


PUBLISHER = """
import json, sys, time
import paho.mqtt.client as mqtt
port, n, per_msg, t0, prefix = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                int(sys.argv[4]), sys.argv[5])
c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                client_id=f"bench-pub-{time.monotonic_ns()}", protocol=mqtt.MQTTv5)
c.max_inflight_messages_set(1000)
c.max_queued_messages_set(0)
c.connect("127.0.0.1", port)
c.loop_start()
bodies = []
for i in range(n):
    events = [{"timestamp_ms": t0 + (i * per_msg + j) * 10, "product": "P-100", "good": 1,
               "scrap": 0} for j in range(per_msg)]
    body = json.dumps(events if per_msg > 1 else events[0])
    bodies.append((f"{prefix}/M{i % 50:02d}/count", body))
print("ready", flush=True)
sys.stdin.readline()
infos = [c.publish(topic, body, qos=1) for topic, body in bodies]
for info in infos:
    info.wait_for_publish(120)
c.loop_stop()
"""


def publish(port: int, n: int, per_msg: int, t0_ms: int, prefix: str) -> float:
    """Publish from a process of its own, as a gateway would (it does not share our GIL).

    The publisher connects and builds its payloads first; the returned clock starts when it is
    told to go, so that interpreter start-up is not counted as throughput.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, str(port), str(n), str(per_msg), str(t0_ms), prefix],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin and proc.stdout
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError("publisher did not start")
    start = time.perf_counter()
    proc.stdin.write("go\n")
    proc.stdin.flush()
    threading.Thread(target=proc.wait, daemon=True).start()
    return start


def baseline(broker: Mosquitto, n: int) -> float:
    got = threading.Event()
    times: list[float] = []
    sub = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id="bench-sub",
        protocol=mqtt.MQTTv5,
    )

    def on_message(c, u, m):  # type: ignore[no-untyped-def]
        times.append(time.perf_counter())
        if len(times) == n:
            got.set()

    sub.on_message = on_message
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("bench/#", qos=1)
    sub.loop_start()
    time.sleep(0.3)
    t0 = publish(broker.port, n, 1, 0, "bench")
    got.wait(120)
    sub.loop_stop()
    sub.disconnect()
    return n / (times[-1] - t0)


def ours(broker: Mosquitto, work: Path, n: int, per_msg: int, run: int) -> float:
    store = Store(work / f"ingest_{per_msg}_{run}.duckdb")
    ing = MqttIngestor(LiveIngestor(store), broker.url, client_id=f"bench-{per_msg}-{run}")
    t = threading.Thread(target=ing.run, daemon=True)
    t.start()
    ing.connected.wait(10)
    t0 = publish(
        broker.port,
        n,
        per_msg,
        1_736_121_600_000 + run * 10**9,
        f"sf/v1/hanbit/plant1/moulding/L{per_msg}-{run}",
    )
    while ing.stored_messages < n:
        time.sleep(0.005)
    elapsed = time.perf_counter() - t0
    ing.stop()
    t.join(10)
    stored = store.scalar("SELECT count(*) FROM counts")
    store.close()
    assert stored == n * per_msg, (stored, n * per_msg)
    return n * per_msg / elapsed


def delay_p95(broker: Mosquitto, work: Path, seconds: float, per_s: float) -> float:
    store = Store(work / "delay.duckdb")
    live = LiveIngestor(store)
    delays: list[float] = []
    original = live.ingest

    def timed(messages):  # type: ignore[no-untyped-def]
        report = original(messages)
        now_ms = time.time() * 1000
        delays.extend(now_ms - json.loads(p)["timestamp_ms"] for _, p in messages)
        return report

    live.ingest = timed  # type: ignore[method-assign]
    ing = MqttIngestor(live, broker.url, client_id="bench-delay")
    t = threading.Thread(target=ing.run, daemon=True)
    t.start()
    ing.connected.wait(10)
    n = int(seconds * per_s)

    # each message carries its publish time as its timestamp
    c = client(broker.port, "bench-delay-pub")
    start = time.perf_counter()
    for i in range(n):
        delay = start + i / per_s - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        body = {"timestamp_ms": int(time.time() * 1000), "product": f"P{i}", "good": 1}
        c.publish(TOPIC.format(m=f"D{i % 50:02d}"), json.dumps(body).encode(), qos=1)
    deadline = time.monotonic() + 120
    while ing.stored_messages < n and time.monotonic() < deadline:
        time.sleep(0.01)
    if ing.stored_messages < n:
        raise RuntimeError(f"only {ing.stored_messages} of {n} messages arrived")
    c.loop_stop()
    ing.stop()
    t.join(10)
    store.close()
    delays.sort()
    return delays[int(0.95 * (len(delays) - 1))] / 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    base, single, batched = [], [], []

    def fresh(measure):  # type: ignore[no-untyped-def]
        # a broker per measurement: sessions left by one must not queue the next one's messages
        with tempfile.TemporaryDirectory() as tmp, Mosquitto(Path(tmp)) as broker:
            return measure(broker, Path(tmp))

    for run in range(args.runs):
        base.append(fresh(lambda b, w: baseline(b, args.messages)))
        single.append(fresh(lambda b, w, r=run: ours(b, w, args.messages, 1, r)))
        batched.append(fresh(lambda b, w, r=run: ours(b, w, args.messages // 10, 100, r)))
    p95 = fresh(lambda b, w: delay_p95(b, w, 10, 2000))
    b, s, e = (statistics.median(x) for x in (base, single, batched))
    print(f"MQTT ingestion through Mosquitto, median of {args.runs} runs")
    print(f"  paho publisher → subscriber (baseline) : {b:10,.0f} msgs/s")
    print(
        f"  single events, stored                 : {s:10,.0f} msgs/s  "
        f"({s / b:.2f} of baseline; target ≥ 8,000)"
    )
    print(f"  100 events a message, stored          : {e:10,.0f} events/s  (target ≥ 100,000)")
    print(f"  publish → queryable at 2,000 msgs/s   : p95 {p95:.3f} s  (target < 2 s)")


if __name__ == "__main__":
    main()
