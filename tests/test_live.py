"""The live path shared by MQTT, OPC UA and HTTP, without a broker: decoding, the UMH mapping,
unknown machines, partial batches, bounds, redelivery."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from smartfactory.errors import ConfigError
from smartfactory.ingest.connectors import start_connectors
from smartfactory.ingest.live import LiveIngestor
from smartfactory.ingest.messages import UmhMapping
from smartfactory.settings import Settings
from smartfactory.store.db import Store

T0 = 1_736_121_600_000  # 2025-01-06T00:00:00Z
UNS = "sf/v1/hanbit/plant1/moulding/L1"
UMH = "umh/v1/hanbit/plant1/moulding/L1/press3/_historian"


def msg(topic: str, body: object) -> tuple[str, bytes]:
    return topic, json.dumps(body).encode()


def dead(store: Store) -> dict[str, int]:
    return {
        r["reason"]: r["n"]
        for r in store.rows("SELECT reason, count(*) AS n FROM dead_letters GROUP BY reason")
    }


def test_umh_historian_tags_become_measurements_and_mapped_state_codes(tmp_path: Path):
    store = Store(tmp_path / "u.duckdb")
    umh = UmhMapping.from_config(
        {"state_tags": ["plc_state"], "state_codes": {"0": "down", "1": "running"}}, "test"
    )
    live = LiveIngestor(store, umh=umh)
    report = live.ingest(
        [
            msg(f"{UMH}/mould_temp", {"timestamp_ms": T0, "value": 231.5}),
            # several tags in one object, on the bare _historian topic
            msg(UMH, {"timestamp_ms": T0 + 1000, "pressure": 81.0, "speed": 12}),
            msg(f"{UMH}/plc_state", {"timestamp_ms": T0, "value": 1}),
            msg(f"{UMH}/plc_state", {"timestamp_ms": T0 + 60_000, "value": 0}),
            msg(f"{UMH}/plc_state", {"timestamp_ms": T0 + 90_000, "value": 7}),  # no such code
        ]
    )
    assert report.stored >= 3
    tags = store.rows("SELECT tag, value FROM measurements ORDER BY tag")
    assert [(r["tag"], r["value"]) for r in tags] == [
        ("mould_temp", 231.5),
        ("pressure", 81.0),
        ("speed", 12.0),
    ]
    eq = store.rows("SELECT enterprise, site, area, line, machine FROM equipment")
    assert eq == [
        {
            "enterprise": "hanbit",
            "site": "plant1",
            "area": "moulding",
            "line": "L1",
            "machine": "press3",
        }
    ]
    # code 1 then code 0: one closed interval running for 60 s; the open one is "down"
    iv = store.rows('SELECT state, epoch("end" - "start") AS s FROM states')
    assert iv == [{"state": "running", "s": 60.0}]
    # an unmapped code is an unknown state, with the code in the dead letter
    assert dead(store) == {"unknown_state": 1}


def test_umh_mapping_config_errors_say_what_is_wrong():
    with pytest.raises(ConfigError, match="unknown UMH mapping key"):
        UmhMapping.from_config({"state_tag": ["x"]}, "f.toml")
    with pytest.raises(ConfigError, match="state_tags must be a list"):
        UmhMapping.from_config({"state_tags": "x"}, "f.toml")


def test_connectors_file_carries_the_umh_mapping(tmp_path: Path):
    store = Store(tmp_path / "c.duckdb")
    cfg = tmp_path / "connectors.toml"
    # a broker nobody listens on: the connector keeps retrying in its thread, which is fine here
    cfg.write_text(
        '[[mqtt]]\nbroker = "mqtt://127.0.0.1:9"\n[mqtt.umh]\nstate_tags = ["st"]\n'
        '[mqtt.umh.state_codes]\n"3" = "setup"\n'
    )
    conns = start_connectors(store, Settings(db=tmp_path / "c.duckdb"), cfg)
    try:
        (_, ing, _) = conns.running[0]
        assert ing.live.umh == UmhMapping(frozenset({"st"}), {"3": "setup"})  # type: ignore[attr-defined]
    finally:
        conns.stop()
    cfg.write_text('[[mqtt]]\nbroker = "mqtt://127.0.0.1:9"\n[mqtt.umh]\nstates = 1\n')
    with pytest.raises(ConfigError, match=r"\[\[mqtt\]\] #1 umh"):
        start_connectors(store, Settings(db=tmp_path / "c.duckdb"), cfg)


@pytest.mark.parametrize("mode", ["register", "reject"])
def test_unknown_machines_are_registered_or_rejected_by_setting(tmp_path: Path, mode: str):
    store = Store(tmp_path / "m.duckdb")
    store.con.execute(
        "INSERT INTO equipment (enterprise, site, area, line, machine) "
        "VALUES ('hanbit', 'plant1', 'moulding', 'L1', 'M01')"
    )
    live = LiveIngestor(store, unknown_machines=mode)  # type: ignore[arg-type]
    batch = [
        msg(f"{UNS}/M01/count", {"timestamp_ms": T0, "product": "P", "good": 5}),
        msg(
            f"{UNS}/M99/count",
            [{"timestamp_ms": T0 + i, "product": "P", "good": 1} for i in range(3)],
        ),
        msg(f"{UNS}/M01/count", {"timestamp_ms": T0 + 1, "product": "P", "good": 6}),
    ]
    report = live.ingest(batch)
    stored = store.rows("SELECT machine, good FROM counts ORDER BY machine, ts")
    machines = {r["machine"] for r in store.rows("SELECT machine FROM equipment")}
    if mode == "register":
        assert len(stored) == 5 and machines == {"M01", "M99"}
        assert dead(store) == {}
    else:
        assert stored == [{"machine": "M01", "good": 5}, {"machine": "M01", "good": 6}]
        assert machines == {"M01"}
        assert dead(store) == {"unknown_machine": 3}
        assert report.by_reason == {"unknown_machine": 3}
        detail = store.scalar("SELECT any_value(detail) FROM dead_letters")
        assert "M99" in detail and "unknown_machines = reject" in detail


def test_a_batch_message_keeps_its_good_items_and_redelivery_stores_nothing_twice(
    tmp_path: Path,
):
    store = Store(tmp_path / "b.duckdb")
    live = LiveIngestor(store)
    now_ms = int(time.time() * 1000)
    items: list[object] = [{"timestamp_ms": T0 + i, "product": "P", "good": i} for i in range(50)]
    items[10] = {"timestamp_ms": "yesterday", "product": "P", "good": 1}  # not a number
    items[20] = "not an object"
    items[30] = {"timestamp_ms": T0 + 30, "product": "P", "good": -4}  # negative count
    items[40] = {
        "timestamp_ms": now_ms + 10 * 86_400_000,
        "product": "P",
        "good": 1,
    }  # ten days ahead
    batch = [
        msg(f"{UNS}/M01/count", items),
        msg(
            f"{UNS}/M01/count", {"timestamp_ms": 946_684_800_000 - 1, "product": "P", "good": 1}
        ),  # 1999
        msg(f"{UNS}/M01/count", {"timestamp_ms": T0 + 1.0, "good": 1.0, "product": "P"}),
        (f"{UNS}/M01/count", b"x" * 20_000),
    ]
    live.max_payload_bytes = 16_384
    first = live.ingest(batch)
    assert store.scalar("SELECT count(*) FROM counts") == 46
    reasons = {
        "bad_payload": 2,
        "negative_count": 1,
        "timestamp_out_of_range": 2,
        "oversize": 1,
    }
    assert dead(store) == reasons
    assert first.by_reason == reasons
    # T0 + 1.0 with good 1.0 repeats item 1 exactly: a duplicate, not a conflict
    assert first.duplicates == 1

    again = live.ingest(batch)  # the broker redelivers the whole batch
    assert store.scalar("SELECT count(*) FROM counts") == 46
    assert dead(store) == reasons
    assert again.stored == 0 and again.duplicates == 47


def test_a_regrind_message_restarts_the_tool_s_life(tmp_path: Path):
    store = Store(tmp_path / "t.duckdb")
    live = LiveIngestor(store)
    count = [
        {"timestamp_ms": T0 + i * 3_600_000, "product": "P", "good": 100, "tool": "T-7"}
        for i in range(3)
    ]
    report = live.ingest(
        [
            msg(f"{UNS}/M01/count", count),
            # the tool room's terminal: T-7 reground after the second hour, next due in 500
            msg(
                f"{UNS}/M01/tool_maintenance",
                [
                    {
                        "timestamp_ms": T0 + 3_600_000,
                        "tool": "T-7",
                        "work": "연마",
                        "due_units": 500,
                    },
                    {"timestamp_ms": T0, "work": "연마"},  # which tool? refused
                ],
            ),
        ]
    )
    assert report.results["tool_maintenance"].accepted == 1
    assert dead(store) == {"missing_value": 1}
    from smartfactory.quality.monitor import tool_life

    (t7,) = tool_life(store)
    assert (t7["machine"], t7["units_since"], t7["units_left"], t7["due"]) == (
        "M01",
        100,
        400,
        "ok",
    )
    assert store.scalar("SELECT machine FROM tool_maintenance") == "M01"
    store.close()


def test_state_changes_close_intervals_across_batches_and_late_ones_are_dead_letters(
    tmp_path: Path,
):
    store = Store(tmp_path / "s.duckdb")
    live = LiveIngestor(store)
    topic = f"{UNS}/M01/state"
    live.ingest([msg(topic, {"timestamp_ms": T0, "state": "running"})])
    assert store.scalar("SELECT count(*) FROM states") == 0  # still open
    live.ingest(
        [
            msg(topic, {"timestamp_ms": T0 + 600_000, "state": "down", "reason": "F-JAM"}),
            msg(topic, {"timestamp_ms": T0 + 660_000, "state": "가동"}),  # Korean for running
        ]
    )
    iv = store.rows('SELECT state, reason, epoch("end" - "start") AS s FROM states ORDER BY 1')
    assert iv == [
        {"state": "down", "reason": "F-JAM", "s": 60.0},
        {"state": "running", "reason": None, "s": 600.0},
    ]
    live.ingest([msg(topic, {"timestamp_ms": T0 + 300_000, "state": "idle"})])
    assert dead(store) == {"out_of_order": 1}
    assert store.scalar("SELECT count(*) FROM states") == 2
