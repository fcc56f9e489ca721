"""Running the connectors named in a connectors file (TOML) inside one process.

::

    [[mqtt]]
    broker = "mqtt://127.0.0.1:1883"
    topics = ["sf/v1/#", "umh/v1/#"]     # optional
    client_id = "smartfactory-ingest"    # optional
    [mqtt.umh]                           # optional: how UMH historian tags map
    state_tags = ["machine_state"]       # tags whose value is the machine state
    state_codes = { "0" = "stopped", "1" = "running", "2" = "down" }

    [[opcua]]                            # see smartfactory.ingest.opcua for the node map
    endpoint = "opc.tcp://192.168.0.10:4840"
    …

Each connector gets its own cursor on the store (DuckDB connections are not shared between
threads) and runs in a daemon thread until :meth:`Connectors.stop`.
"""

from __future__ import annotations

import logging
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import ConfigError
from ..settings import Settings
from ..store.db import Store
from .live import LiveIngestor
from .messages import UmhMapping
from .validate import Limits

logger = logging.getLogger(__name__)


class _Runnable(Protocol):
    def run(self) -> None: ...
    def stop(self) -> None: ...


@dataclass
class Connectors:
    running: list[tuple[str, _Runnable, threading.Thread]] = field(default_factory=list)

    def stop(self) -> None:
        for _, c, _ in self.running:
            c.stop()
        for _, _, t in self.running:
            t.join(10)


def live_ingestor(
    store: Store, settings: Settings, source: str, umh: UmhMapping | None = None
) -> LiveIngestor:
    return LiveIngestor(
        store,
        limits=Limits.from_settings(settings),
        unknown_machines=settings.unknown_machines,
        max_payload_bytes=settings.max_payload_bytes,
        umh=umh,
        source=source,
    )


def start_connectors(store: Store, settings: Settings, path: str | Path) -> Connectors:
    """Start every connector in the file; raise :class:`ConfigError` before starting any if
    the file is wrong."""
    from .mqtt import DEFAULT_TOPICS, MqttIngestor
    from .opcua import OpcUaIngestor, load_config

    try:
        doc: dict[str, Any] = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the connectors file ({exc})") from exc
    unknown = set(doc) - {"mqtt", "opcua"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown connector type(s) {sorted(unknown)}; use [[mqtt]] or [[opcua]]"
        )
    planned: list[tuple[str, _Runnable]] = []
    for i, m in enumerate(doc.get("mqtt", [])):
        if "broker" not in m:
            raise ConfigError(f"{path}: [[mqtt]] #{i + 1} has no broker")
        umh = UmhMapping.from_config(m.get("umh", {}), f"{path}: [[mqtt]] #{i + 1} umh")
        planned.append(
            (
                f"mqtt {m['broker']}",
                MqttIngestor(
                    live_ingestor(store.cursor(), settings, "mqtt", umh),
                    m["broker"],
                    topics=tuple(m.get("topics", DEFAULT_TOPICS)),
                    client_id=m.get("client_id", settings.mqtt_client_id),
                ),
            )
        )
    if doc.get("opcua"):
        planned.append(
            (
                "opcua",
                OpcUaIngestor(live_ingestor(store.cursor(), settings, "opcua"), load_config(path)),
            )
        )
    out = Connectors()
    for name, c in planned:
        t = threading.Thread(target=c.run, name=name, daemon=True)
        t.start()
        out.running.append((name, c, t))
        logger.info("started connector %s", name)
    return out
