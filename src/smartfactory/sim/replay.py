"""The simulated plant as a live plant: replay its files over MQTT or as an OPC UA server.

Events (state changes at each interval's start, counts, measurements) are replayed in time
order; ``speed`` is simulated seconds per real second (60: an hour a minute; 0: as fast as
possible). Timestamps are the simulated ones, so what is stored equals the files.
"""

from __future__ import annotations

import heapq
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv

from ..model import EquipmentPath, State

logger = logging.getLogger(__name__)

STATE_CODES = {s.value: i for i, s in enumerate(State)}


@dataclass(frozen=True, order=True)
class Event:
    ms: int
    kind: str  # state | count | measurement
    machine: str
    fields: tuple[tuple[str, Any], ...]


def _ms(col: Any) -> list[int]:
    return [int(t.timestamp() * 1000) for t in col.to_pylist()]


def _read(path: Path) -> Any:
    return pacsv.read_csv(path)


def plant(files: Path) -> dict[str, EquipmentPath]:
    eq = _read(files / "equipment.csv").to_pylist()
    return {
        r["machine"]: EquipmentPath(r["enterprise"], r["site"], r["area"], r["line"], r["machine"])
        for r in eq
    }


def events(files: Path) -> Iterator[Event]:
    """Every replayable event of a simulation directory, in time order."""
    streams: list[Iterator[Event]] = []
    st = _read(files / "states.csv")
    streams.append(
        iter(
            sorted(
                Event(ms, "state", m, (("state", s), ("reason", r)))
                for ms, m, s, r in zip(
                    _ms(st["start"]),
                    st["machine"].to_pylist(),
                    st["state"].to_pylist(),
                    st["reason"].to_pylist(),
                    strict=True,
                )
            )
        )
    )
    ct = _read(files / "counts.csv")
    # who ran it and with which mould, where the plant was simulated with its crew
    crew = [c for c in ("operator", "tool") if c in ct.column_names]
    cols = ("machine", "product", "good", "scrap", "rework", "order", "lot", *crew)
    streams.append(
        iter(
            sorted(
                Event(ms, "count", m, tuple(zip(cols[1:], rest, strict=True)))
                for ms, m, *rest in zip(
                    _ms(ct["ts"]), *(ct[c].to_pylist() for c in cols), strict=True
                )
            )
        )
    )
    ms_path = files / "measurements.csv"
    if ms_path.exists():
        mt = _read(ms_path)
        streams.append(
            iter(
                sorted(
                    Event(ms, "measurement", m, (("tag", t), ("value", v), ("unit", u)))
                    for ms, m, t, v, u in zip(
                        _ms(mt["ts"]),
                        *(mt[c].to_pylist() for c in ("machine", "tag", "value", "unit")),
                        strict=True,
                    )
                )
            )
        )
    yield from heapq.merge(*streams)


def replay(
    files: Path, sink: Callable[[Event], None], *, speed: float = 60.0, limit: int | None = None
) -> int:
    """Send events to ``sink`` in simulated time; return how many were sent."""
    start_wall = time.monotonic()
    first: int | None = None
    n = 0
    for ev in events(files):
        if limit is not None and n >= limit:
            break
        if first is None:
            first = ev.ms
        if speed > 0:
            wait = start_wall + (ev.ms - first) / 1000 / speed - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        sink(ev)
        n += 1
    return n


def topic(path: EquipmentPath, kind: str) -> str:
    return f"sf/v1/{path}/{kind}"


def publish_mqtt(files: Path, broker: str, *, speed: float = 60.0, limit: int | None = None) -> int:
    """Replay the plant to an MQTT broker (QoS 1) in the unified namespace."""
    import paho.mqtt.client as mqtt

    from ..ingest.mqtt import parse_broker

    host, port = parse_broker(broker)
    paths = plant(files)
    c = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id="smartfactory-sim",
        protocol=mqtt.MQTTv5,
    )
    c.max_queued_messages_set(0)
    c.max_inflight_messages_set(1000)
    c.connect(host, port)
    c.loop_start()
    infos = []

    def send(ev: Event) -> None:
        body = {"timestamp_ms": ev.ms, **{k: v for k, v in ev.fields if v is not None}}
        infos.append(c.publish(topic(paths[ev.machine], ev.kind), json.dumps(body), qos=1))
        if len(infos) > 10_000:
            for i in infos:
                i.wait_for_publish(60)
            infos.clear()

    n = replay(files, send, speed=speed, limit=limit)
    for i in infos:
        i.wait_for_publish(60)
    c.loop_stop()
    c.disconnect()
    return n


def opcua_config(files: Path, url: str) -> str:
    """The connectors file (TOML) that maps the replay server's nodes, for
    ``smartfactory ingest opcua --config``."""
    paths = plant(files)
    tags = sorted(
        {
            (r["machine"], r["tag"], r["unit"])
            for r in _read(files / "measurements.csv")
            .select(["machine", "tag", "unit"])
            .to_pylist()
        }
    )
    lines = []
    by_line: dict[tuple[str, str, str, str], list[str]] = {}
    for m, p in sorted(paths.items()):
        by_line.setdefault((p.enterprise, p.site, p.area, p.line), []).append(m)
    for (ent, site, area, line), machines in by_line.items():
        lines += [
            "[[opcua]]",
            f'endpoint = "{url}"',
            f'enterprise = "{ent}"',
            f'site = "{site}"',
            f'area = "{area}"',
            f'line = "{line}"',
            "[opcua.state_codes]",
        ]
        lines += [f'{code} = "{name}"' for name, code in STATE_CODES.items()]
        for m in machines:
            lines += [
                "",
                "[[opcua.nodes]]",
                f'node = "ns=2;s={m}.State"',
                f'machine = "{m}"',
                'kind = "state"',
            ]
            for fld in ("good", "scrap", "rework"):
                lines += [
                    "",
                    "[[opcua.nodes]]",
                    f'node = "ns=2;s={m}.{fld}"',
                    f'machine = "{m}"',
                    'kind = "counter"',
                    f'field = "{fld}"',
                    'product = "-"',
                ]
            for mm, tag, unit in tags:
                if mm == m:
                    lines += [
                        "",
                        "[[opcua.nodes]]",
                        f'node = "ns=2;s={m}.{tag}"',
                        f'machine = "{m}"',
                        'kind = "measurement"',
                        f'tag = "{tag}"',
                        f'unit = "{unit}"',
                    ]
        lines.append("")
    return "\n".join(lines)


def serve_opcua(
    files: Path,
    url: str,
    *,
    speed: float = 60.0,
    limit: int | None = None,
    ready: Callable[[], None] | None = None,
) -> int:
    """Serve the plant as an OPC UA server (namespace 2, nodes ``{machine}.State``,
    ``{machine}.good|scrap|rework`` running totals, ``{machine}.{tag}``) whose values follow
    the replay, each stamped with its simulated time."""
    import asyncio
    from datetime import UTC, datetime

    from asyncua import Server, ua

    async def main() -> int:
        server = Server()
        await server.init()
        server.set_endpoint(url)
        ns = await server.register_namespace("urn:smartfactory:sim")
        nodes: dict[str, Any] = {}
        totals: dict[str, int] = {}
        tags = {
            (r["machine"], r["tag"])
            for r in _read(files / "measurements.csv").select(["machine", "tag"]).to_pylist()
        }
        for m in sorted(plant(files)):
            obj = await server.nodes.objects.add_object(ns, m)
            nodes[f"{m}.State"] = await obj.add_variable(
                f"ns={ns};s={m}.State", "State", ua.Variant(0, ua.VariantType.Int32)
            )
            for fld in ("good", "scrap", "rework"):
                nodes[f"{m}.{fld}"] = await obj.add_variable(
                    f"ns={ns};s={m}.{fld}", fld, ua.Variant(0, ua.VariantType.UInt32)
                )
                totals[f"{m}.{fld}"] = 0
            for mm, tag in sorted(tags):
                if mm == m:
                    nodes[f"{m}.{tag}"] = await obj.add_variable(f"ns={ns};s={m}.{tag}", tag, 0.0)
        waiting = ua.StatusCode(ua.UInt32(ua.StatusCodes.BadWaitingForInitialData))
        for node in nodes.values():  # no value until the replay writes one
            await node.write_value(ua.DataValue(StatusCode=waiting))
        async with server:
            if ready:
                ready()
            loop = asyncio.get_running_loop()
            pending: list[tuple[str, ua.Variant, datetime]] = []

            def sink(ev: Event) -> None:
                at = datetime.fromtimestamp(ev.ms / 1000, UTC)
                f = dict(ev.fields)
                if ev.kind == "state":
                    pending.append(
                        (
                            f"{ev.machine}.State",
                            ua.Variant(STATE_CODES[f["state"]], ua.VariantType.Int32),
                            at,
                        )
                    )
                elif ev.kind == "count":
                    for fld in ("good", "scrap", "rework"):
                        if f.get(fld):
                            key = f"{ev.machine}.{fld}"
                            totals[key] += int(f[fld])
                            pending.append(
                                (key, ua.Variant(totals[key], ua.VariantType.UInt32), at)
                            )
                else:
                    pending.append(
                        (
                            f"{ev.machine}.{f['tag']}",
                            ua.Variant(float(f["value"]), ua.VariantType.Double),
                            at,
                        )
                    )

            async def flush() -> None:
                for key, var, at in pending:
                    await nodes[key].write_value(
                        ua.DataValue(var, SourceTimestamp=at, ServerTimestamp=at)  # type: ignore[arg-type]
                    )
                pending.clear()

            def run_replay() -> int:
                def s(ev: Event) -> None:
                    sink(ev)
                    asyncio.run_coroutine_threadsafe(flush(), loop).result(30)

                return replay(files, s, speed=speed, limit=limit)

            n = await loop.run_in_executor(None, run_replay)
            await asyncio.sleep(1.0)  # let subscribers see the last values
            return n

    return asyncio.run(main())
