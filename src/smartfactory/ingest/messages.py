"""Decoding live messages (MQTT unified namespace, UMH, HTTP) into canonical rows.

Unified namespace: ``sf/v1/{enterprise}/{site}/{area}/{line}/{machine}/{kind}`` with ``kind`` one
of ``state | count | measurement | inspection | tool_maintenance`` and a JSON payload that is
one object or a list of objects, each with ``timestamp_ms`` (milliseconds since 1970, UTC) and
the record's fields::

    sf/v1/hanbit/plant1/moulding/L1/M01/state        {"timestamp_ms": 1736121600000,
                                                      "state": "down", "reason": "F-JAM"}
    sf/v1/hanbit/plant1/moulding/L1/M01/count        [{"timestamp_ms": …, "product": "P-100",
                                                       "good": 118, "scrap": 2}, …]
    sf/v1/hanbit/plant1/moulding/L1/M01/measurement  {"timestamp_ms": …, "tag": "mould_temp",
                                                      "value": 231.5, "unit": "degC"}

United Manufacturing Hub v1: ``umh/v1/{enterprise}/{site}/{area}/{line}/{workcell}/…/_historian/
{tag}`` with ``{"timestamp_ms": …, "value": …}`` (or several tags in one object) becomes
measurements of the work cell, except tags named in the mapping (:class:`UmhMapping`), which
become state changes.

Nothing here touches the store: :func:`decode` returns rows per kind, the equipment paths seen,
and the rejects (with reason codes) for the dead letters.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from ..model import EquipmentPath

logger = logging.getLogger(__name__)

#: message kind → record kind, and the payload fields each carries
UNS_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "state": ("state_events", ("state", "reason")),
    "count": ("counts", ("product", "good", "scrap", "rework", "order", "lot", "operator", "tool")),
    "measurement": ("measurements", ("tag", "value", "unit")),
    "inspection": (
        "inspections",
        ("characteristic", "value", "lot", "unit_id", "lsl", "usl"),
    ),
    # a tool taken from this machine and reground or repaired (the tool room's terminal)
    "tool_maintenance": ("tool_maintenance", ("tool", "work", "due_units")),
}


@dataclass(frozen=True)
class UmhMapping:
    """How UMH historian tags map onto canonical records.

    ``state_tags``: tags whose value is the machine state (a name, or a PLC code looked up in
    ``state_codes``). Every other tag is a measurement.
    """

    state_tags: frozenset[str] = frozenset({"state", "machine_state"})
    state_codes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, doc: dict[str, Any], where: str) -> UmhMapping:
        """From a TOML table: ``state_tags = ["machine_state"]`` and ``[state_codes]`` with
        ``"0" = "stopped"``, ``"1" = "running"``, … (codes as the PLC sends them)."""
        from ..errors import ConfigError

        unknown = set(doc) - {"state_tags", "state_codes"}
        if unknown:
            raise ConfigError(
                f"{where}: unknown UMH mapping key(s) {sorted(unknown)}; "
                "use state_tags and state_codes"
            )
        tags = doc.get("state_tags", sorted(cls.state_tags))
        codes = doc.get("state_codes", {})
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ConfigError(f"{where}: state_tags must be a list of tag names")
        if not isinstance(codes, dict):
            raise ConfigError(f"{where}: state_codes must be a table of code = state")
        return cls(frozenset(tags), {str(k): str(v) for k, v in codes.items()})


@dataclass
class Reject:
    source: str
    reason: str
    detail: str
    raw: str


#: record kind → the payload fields its columns carry (besides machine, ts and _source)
RECORD_FIELDS: dict[str, tuple[str, ...]] = dict(UNS_KINDS.values())

Columns = dict[str, list[Any]]


@dataclass
class Decoded:
    #: record kind → columns (``machine``, ``ts`` in ms, ``_source``, then the kind's fields as
    #: text): columns rather than a dict a row, because a batch can hold a million events
    rows: dict[str, Columns] = field(default_factory=dict)
    paths: dict[str, EquipmentPath] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)

    def columns(self, kind: str) -> Columns:
        cols = self.rows.get(kind)
        if cols is None:
            names = ("machine", "ts", "_source", *RECORD_FIELDS[kind])
            cols = self.rows[kind] = {n: [] for n in names}
        return cols

    def add(self, kind: str, machine: str, ts: int, source: str, **values: Any) -> None:
        cols = self.columns(kind)
        cols["machine"].append(machine)
        cols["ts"].append(ts)
        cols["_source"].append(source)
        for f in RECORD_FIELDS[kind]:
            cols[f].append(_text(values.get(f)))


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _ts_ms(obj: dict[str, Any]) -> int | None:
    v = obj.get("timestamp_ms")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return int(v)


def _item_ts(out: Decoded, source: str, item: Any) -> int | None:
    """The item's timestamp; a reject (and None) for an item that is not an object with one."""
    ts = _ts_ms(item) if isinstance(item, dict) else None
    if ts is None:
        out.rejects.append(
            Reject(
                source,
                "bad_payload",
                "each item must be an object with timestamp_ms as a number (ms since 1970, UTC)",
                _raw(item),
            )
        )
    return ts


def _items(payload: Any) -> list[Any]:
    return payload if isinstance(payload, list) else [payload]


def decode(
    messages: list[tuple[str, bytes]],
    *,
    max_payload_bytes: int = 1 << 20,
    umh: UmhMapping | None = None,
) -> Decoded:
    """Decode (topic or source, payload) pairs. Bad messages and bad items become rejects;
    the good items of a batch message still go in."""
    out = Decoded()
    umh = umh or UmhMapping()
    for source, payload in messages:
        if len(payload) > max_payload_bytes:
            # keep the start, and a digest so that each message stays recognisable
            digest = hashlib.sha256(payload).hexdigest()
            head = payload[:200].decode("utf-8", "replace")
            out.rejects.append(
                Reject(
                    source,
                    "oversize",
                    f"{len(payload):,} bytes, over the limit of {max_payload_bytes:,}",
                    f"{head}… (sha256 {digest})",
                )
            )
            continue
        parts = source.split("/")
        try:
            body = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            out.rejects.append(
                Reject(
                    source,
                    "bad_json",
                    f"not JSON: {exc}",
                    payload[:2000].decode("utf-8", "replace"),
                )
            )
            continue
        if parts[:2] == ["sf", "v1"]:
            _decode_uns(out, source, parts, body)
        elif parts[:2] == ["umh", "v1"]:
            _decode_umh(out, source, parts, body, umh)
        else:
            out.rejects.append(
                Reject(
                    source,
                    "bad_topic",
                    "expected sf/v1/{enterprise}/{site}/{area}/{line}/"
                    "{machine}/{kind} or umh/v1/…/_historian/{tag}",
                    _raw(body),
                )
            )
    return out


def _raw(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)[:2000]


def _decode_uns(out: Decoded, source: str, parts: list[str], body: Any) -> None:
    if len(parts) != 8 or not all(parts[2:7]):
        out.rejects.append(
            Reject(
                source,
                "bad_topic",
                "expected sf/v1/{enterprise}/{site}/{area}/{line}/{machine}/{kind}",
                _raw(body),
            )
        )
        return
    path = EquipmentPath(*parts[2:7])
    msg_kind = parts[7]
    if msg_kind not in UNS_KINDS:
        out.rejects.append(
            Reject(
                source,
                "unknown_kind",
                f"kind {msg_kind!r} is not one of {', '.join(UNS_KINDS)}",
                _raw(body),
            )
        )
        return
    kind, fields = UNS_KINDS[msg_kind]
    machine = path.machine
    out.paths[machine] = path
    cols = out.columns(kind)
    machines, stamps, sources = cols["machine"], cols["ts"], cols["_source"]
    targets = [(f, cols[f]) for f in fields]
    for item in body if isinstance(body, list) else (body,):
        # the hot loop of the live path: no dict a row, text passes through as it is
        ts = item.get("timestamp_ms") if type(item) is dict else None
        if type(ts) is not int:
            ts = _item_ts(out, source, item)
            if ts is None:
                continue
        machines.append(machine)
        stamps.append(ts)
        sources.append(source)
        for f, values in targets:
            v = item.get(f)
            values.append(v if v is None or type(v) is str else _text(v))


def _decode_umh(out: Decoded, source: str, parts: list[str], body: Any, umh: UmhMapping) -> None:
    try:
        h = parts.index("_historian")
    except ValueError:
        out.rejects.append(
            Reject(source, "bad_topic", "only UMH _historian topics are mapped", _raw(body))
        )
        return
    location = [p for p in parts[2:h] if p]
    if len(location) < 5:
        out.rejects.append(
            Reject(
                source,
                "bad_topic",
                "a UMH topic needs enterprise, site, area, line and work cell",
                _raw(body),
            )
        )
        return
    enterprise, site, area, line = location[:4]
    path = EquipmentPath(enterprise, site, area, line, "/".join(location[4:]))
    out.paths[path.machine] = path
    topic_tag = ".".join(parts[h + 1 :])
    for item in _items(body):
        ts = _item_ts(out, source, item)
        if ts is None:
            continue
        values = (
            {topic_tag: item["value"]}
            if topic_tag and "value" in item
            else {k: v for k, v in item.items() if k != "timestamp_ms"}
        )
        for tag, value in values.items():
            if tag in umh.state_tags:
                state = umh.state_codes.get(_text(value) or "", _text(value))
                out.add("state_events", path.machine, ts, source, state=state)
            else:
                out.add("measurements", path.machine, ts, source, tag=tag, value=value)
