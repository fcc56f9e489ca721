"""OPC UA against a real asyncua server: values stored as records, reconnect after a restart."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from smartfactory.errors import ConfigError
from smartfactory.ingest.live import LiveIngestor
from smartfactory.ingest.opcua import OpcUaIngestor, load_config
from smartfactory.store.db import Store
from smartfactory.testing import free_port, wait_until


class PlcServer:
    """An asyncua server in a thread of its own, with one machine's variables."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"opc.tcp://127.0.0.1:{port}/sf/"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.vars: dict[str, object] = {}
        self._call(self._start())

    def _call(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def _start(self) -> None:
        from asyncua import Server, ua

        self.server = Server()
        await self.server.init()
        self.server.set_endpoint(self.url)
        ns = await self.server.register_namespace("urn:smartfactory:test")
        m01 = await self.server.nodes.objects.add_object(ns, "M01")
        self.vars["state"] = await m01.add_variable(
            ua.NodeId("M01.State", ns), "State", ua.Variant(0, ua.VariantType.Int32)
        )
        self.vars["temp"] = await m01.add_variable(ua.NodeId("M01.Temp", ns), "Temp", 200.0)
        self.vars["good"] = await m01.add_variable(
            ua.NodeId("M01.Good", ns), "Good", ua.Variant(1000, ua.VariantType.UInt32)
        )
        self.ns = ns
        await self.server.start()

    def write(self, name: str, value: object) -> None:
        from asyncua import ua

        async def w() -> None:
            var = self.vars[name]
            vt = {"state": ua.VariantType.Int32, "good": ua.VariantType.UInt32}.get(name)
            await var.write_value(ua.Variant(value, vt) if vt else value)  # type: ignore[attr-defined]

        self._call(w())

    def stop(self) -> None:
        self._call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def config(tmp_path: Path, url: str) -> Path:
    p = tmp_path / "connectors.toml"
    p.write_text(f"""
[[opcua]]
endpoint = "{url}"
enterprise = "hanbit"
site = "plant1"
area = "moulding"
line = "L1"
[opcua.state_codes]
0 = "idle"
1 = "running"
3 = "down"

[[opcua.nodes]]
node = "ns=2;s=M01.State"
machine = "M01"
kind = "state"

[[opcua.nodes]]
node = "ns=2;s=M01.Temp"
machine = "M01"
kind = "measurement"
tag = "mould_temp"
unit = "degC"

[[opcua.nodes]]
node = "ns=2;s=M01.Good"
machine = "M01"
kind = "counter"
field = "good"
product = "P-100"
""")
    return p


def test_values_become_records_and_the_client_reconnects(tmp_path: Path):
    port = free_port()
    plc = PlcServer(port)
    store = Store(tmp_path / "o.duckdb")
    (ep,) = load_config(config(tmp_path, plc.url))
    ing = OpcUaIngestor(LiveIngestor(store, source="opcua"), [ep], max_backoff_s=2)
    runner = threading.Thread(target=ing.run, daemon=True)
    runner.start()
    try:
        wait_until(ing.connected[plc.url].is_set, 30, "first connection")
        for state, temp, good in ((1, 210.5, 1010), (3, 231.0, 1025), (1, 229.0, 1040)):
            time.sleep(0.3)
            plc.write("state", state)
            plc.write("temp", temp)
            plc.write("good", good)
        cur = store.cursor()
        wait_until(lambda: cur.scalar("SELECT count(*) FROM state_events") >= 4, 20, "state events")
        wait_until(lambda: cur.scalar("SELECT sum(good) FROM counts") == 40, 20, "counts")

        plc.stop()  # the PLC goes away …
        wait_until(lambda: not ing.connected[plc.url].is_set(), 30, "the loss to be noticed")
        plc = PlcServer(port)  # … and comes back
        wait_until(lambda: ing.connects[plc.url] >= 2, 60, "reconnect")
        time.sleep(0.5)
        plc.write("state", 3)
        plc.write("temp", 240.0)
        wait_until(
            lambda: cur.scalar("SELECT count(*) FROM measurements WHERE value = 240.0") == 1,
            20,
            "new values",
        )
        wait_until(
            lambda: cur.scalar("SELECT count(*) FROM state_events WHERE state = 'down'") >= 2,
            20,
            "new state",
        )
    finally:
        ing.stop()
        runner.join(15)
        plc.stop()
    assert store.scalar("SELECT min(state) FROM state_events") in ("idle", "down", "running")
    assert store.scalar("SELECT count(*) FROM states") >= 3  # changes closed into intervals
    assert store.rows("SELECT DISTINCT unit, tag FROM measurements") == [
        {"unit": "degC", "tag": "mould_temp"}
    ]
    assert store.scalar("SELECT line FROM equipment WHERE machine = 'M01'") == "L1"
    store.close()


def test_bad_configuration_says_what_is_wrong(tmp_path: Path):
    p = tmp_path / "bad.toml"
    p.write_text(
        '[[opcua]]\nendpoint = "opc.tcp://x:1"\n[[opcua.nodes]]\nnode = "n"\n'
        'machine = "M"\nkind = "voltage"\n'
    )
    with pytest.raises(ConfigError, match="kind must be one of"):
        load_config(p)
    p.write_text("[[opcua]]\n")
    with pytest.raises(ConfigError, match="no endpoint"):
        load_config(p)
