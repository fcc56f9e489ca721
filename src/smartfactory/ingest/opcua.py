"""OPC UA connector: subscribe to PLC nodes, map them to machines and records, reconnect.

Configuration (TOML, the ``[[opcua]]`` tables of the connectors file)::

    [[opcua]]
    endpoint = "opc.tcp://192.168.0.10:4840"
    enterprise = "hanbit"          # the equipment path of the machines below
    site = "plant1"
    area = "moulding"
    line = "L1"
    [opcua.state_codes]            # PLC state code → canonical state
    0 = "idle"
    1 = "running"
    2 = "setup"
    3 = "down"
    4 = "planned_down"

    [[opcua.nodes]]
    node = "ns=2;s=M01.State"
    machine = "M01"
    kind = "state"                 # the value is a state code (or a state name)

    [[opcua.nodes]]
    node = "ns=2;s=M01.MouldTemp"
    machine = "M01"
    kind = "measurement"
    tag = "mould_temp"
    unit = "degC"

    [[opcua.nodes]]
    node = "ns=2;s=M01.GoodCount"
    machine = "M01"
    kind = "counter"               # a PLC's running total: each increase is a count record
    field = "good"                 # good | scrap | rework
    product = "P-100"

Every data change becomes a message of the unified namespace and goes through the same path as
MQTT (validation, dead letters, idempotent storage), stamped with the value's source timestamp.
When the server goes away the client reconnects with exponential back-off (1 s up to 30 s) and
subscribes again; the current values it is sent then are recognised as duplicates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .live import LiveIngestor

logger = logging.getLogger(__name__)

KINDS = ("state", "measurement", "counter")


@dataclass(frozen=True)
class NodeMap:
    node: str
    machine: str
    kind: str
    tag: str | None = None
    unit: str | None = None
    field: str = "good"
    product: str = "-"


@dataclass
class Endpoint:
    endpoint: str
    path: tuple[str, str, str, str]
    nodes: list[NodeMap]
    state_codes: dict[str, str] = field(default_factory=dict)


def load_config(path: str | Path) -> list[Endpoint]:
    """Read the ``[[opcua]]`` tables of a connectors file; say exactly what is wrong."""
    try:
        doc = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the OPC UA configuration ({exc})") from exc
    out = []
    for i, ep in enumerate(doc.get("opcua", [])):
        where = f"{path}: [[opcua]] #{i + 1}"
        if "endpoint" not in ep:
            raise ConfigError(f"{where} has no endpoint")
        nodes = []
        for j, n in enumerate(ep.get("nodes", [])):
            if n.get("kind") not in KINDS:
                raise ConfigError(f"{where} node #{j + 1}: kind must be one of {KINDS}")
            if not n.get("node") or not n.get("machine"):
                raise ConfigError(f"{where} node #{j + 1}: node and machine are required")
            if n["kind"] == "measurement" and not n.get("tag"):
                raise ConfigError(f"{where} node #{j + 1}: a measurement needs a tag")
            nodes.append(
                NodeMap(**{k: v for k, v in n.items() if k in NodeMap.__dataclass_fields__})
            )
        path_ = tuple(str(ep.get(k, "default")) for k in ("enterprise", "site", "area", "line"))
        codes = {str(k): str(v) for k, v in ep.get("state_codes", {}).items()}
        out.append(Endpoint(ep["endpoint"], path_, nodes, codes))  # type: ignore[arg-type]
    if not out:
        raise ConfigError(f"{path}: no [[opcua]] endpoint configured")
    return out


class OpcUaIngestor:
    """Runs one asyncio loop (in its own thread) with a client per endpoint."""

    def __init__(
        self,
        live: LiveIngestor,
        endpoints: list[Endpoint],
        *,
        flush_s: float = 0.2,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.live = live
        self.endpoints = endpoints
        self.flush_s = flush_s
        self.max_backoff_s = max_backoff_s
        self._pending: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._counters: dict[str, float] = {}
        self.connected: dict[str, threading.Event] = {
            e.endpoint: threading.Event() for e in endpoints
        }
        self.connects: dict[str, int] = {e.endpoint: 0 for e in endpoints}
        self.stored_messages = 0

    # -- values → messages ---------------------------------------------------------------------

    def _message(self, ep: Endpoint, nm: NodeMap, value: Any, ts: datetime | None) -> None:
        ts = ts or datetime.now(UTC)
        ms = int(ts.replace(tzinfo=ts.tzinfo or UTC).timestamp() * 1000)
        base = "sf/v1/" + "/".join((*ep.path, nm.machine))
        if nm.kind == "state":
            code = (
                str(int(value))
                if isinstance(value, (int, float)) and not isinstance(value, bool)
                else str(value)
            )
            body: dict[str, Any] = {"timestamp_ms": ms, "state": ep.state_codes.get(code, code)}
            topic = f"{base}/state"
        elif nm.kind == "measurement":
            body = {"timestamp_ms": ms, "tag": nm.tag, "value": value, "unit": nm.unit}
            topic = f"{base}/measurement"
        else:  # counter: a running total, whose increases are produced units
            last = self._counters.get(nm.node)
            self._counters[nm.node] = float(value)
            if last is None or float(value) <= last:
                return  # the first reading, or a counter reset: nothing produced to report
            body = {"timestamp_ms": ms, "product": nm.product, "good": 0, "scrap": 0, "rework": 0}
            body[nm.field] = float(value) - last
            topic = f"{base}/count"
        with self._lock:
            self._pending.append((topic, json.dumps(body, default=str).encode()))

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self.live.ingest(batch)
            self.stored_messages += len(batch)

    # -- the client loop -------------------------------------------------------------------------

    async def _serve(self, ep: Endpoint) -> None:
        from asyncua import Client

        ingestor = self

        class Handler:
            def __init__(self, by_node: dict[str, NodeMap]) -> None:
                self.by_node = by_node

            def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
                nm = self.by_node.get(node.nodeid.to_string())
                if nm is None:
                    return
                dv = data.monitored_item.Value
                if dv.StatusCode is not None and not dv.StatusCode.is_good():
                    # uncertain or bad quality (a broken sensor, no value yet): not a reading
                    logger.debug("OPC UA %s: %s has status %s", ep.endpoint, nm.node, dv.StatusCode)
                    return
                ts = dv.SourceTimestamp or dv.ServerTimestamp
                if ts is not None and ts.tzinfo is None:
                    ts = ts.replace(tzinfo=UTC)
                ingestor._message(ep, nm, val, ts)

        backoff = 1.0
        while not self._stop.is_set():
            client = Client(ep.endpoint, timeout=5)
            try:
                await client.connect()
                nodes = [client.get_node(n.node) for n in ep.nodes]
                by_node = {n.nodeid.to_string(): m for n, m in zip(nodes, ep.nodes, strict=True)}
                sub = await client.create_subscription(100, Handler(by_node))
                await sub.subscribe_data_change(nodes)
                self.connects[ep.endpoint] += 1
                self.connected[ep.endpoint].set()
                logger.info("OPC UA %s: subscribed to %d nodes", ep.endpoint, len(nodes))
                backoff = 1.0
                while not self._stop.is_set():
                    await asyncio.sleep(0.5)
                    await client.check_connection()
            except Exception as exc:  # the server went away or refused: try again later
                self.connected[ep.endpoint].clear()
                logger.warning(
                    "OPC UA %s: %s; reconnecting in %.0f s",
                    ep.endpoint,
                    exc or type(exc).__name__,
                    backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
            finally:
                try:
                    await client.disconnect()
                except Exception:  # already gone
                    logger.debug("OPC UA %s: disconnect after failure", ep.endpoint)

    async def _flusher(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            await asyncio.sleep(self.flush_s)
            await loop.run_in_executor(None, self._flush)
        await loop.run_in_executor(None, self._flush)

    async def _main(self) -> None:
        await asyncio.gather(self._flusher(), *(self._serve(ep) for ep in self.endpoints))

    def run(self) -> None:
        asyncio.run(self._main())

    def stop(self) -> None:
        self._stop.set()
