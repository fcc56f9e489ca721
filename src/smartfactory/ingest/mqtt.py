"""MQTT connector: a persistent QoS 1 subscription whose messages are acknowledged only after
they are stored.

The client connects with MQTT 5, ``clean_start=False`` and a long session expiry, so the broker
keeps the subscription and queues messages while the ingestor is away; it turns off automatic
acknowledgement and sends each PUBACK only after :class:`~.live.LiveIngestor` has committed the
batch the message was in. A crash between commit and acknowledgement makes the broker send the
message again, and the store recognises it as a duplicate: no loss, no duplicates.

Broker settings this relies on (Mosquitto): ``persistence true`` (queued messages survive a
broker restart), ``max_queued_messages`` large enough for the longest outage you want to ride
through (0 = no limit), and ``max_inflight_messages`` 0 or large (messages awaiting our
acknowledgement while a batch is written).
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections import deque
from typing import Any, NamedTuple
from urllib.parse import urlparse

from .live import LiveIngestor

logger = logging.getLogger(__name__)

DEFAULT_TOPICS = ("sf/v1/#", "umh/v1/#")
SESSION_EXPIRY_S = 7 * 24 * 3600
#: MQTT 5 Receive Maximum: how many QoS 1 messages the broker may have in flight to us
#: (paho and MQTT cap it at 65,535)
RECEIVE_MAXIMUM = 50_000


def parse_broker(url: str) -> tuple[str, int]:
    u = urlparse(url if "://" in url else f"mqtt://{url}")
    if u.scheme not in ("mqtt", "tcp") or not u.hostname:
        from ..errors import ConfigError

        raise ConfigError(f"broker {url!r} is not mqtt://HOST:PORT")
    return u.hostname, u.port or 1883


class _Msg(NamedTuple):
    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int


#: MQTT fixed header of a PUBACK (type 4) with remaining length 2: the packet id follows
_PUBACK = struct.Struct("!BBH")


def ack_all(client: Any, mids: list[int]) -> None:
    """Acknowledge QoS 1 messages by packet id, all in one write.

    paho's public ``ack`` queues one 4-byte packet per message and wakes its network thread for
    each; at thousands of messages a second that costs as much as receiving them. The PUBACKs of
    a stored batch go out together instead, as one buffer of the same packets (MQTT 5 lets a
    PUBACK with reason "success" and no properties omit both, MQTT 3.1.1 has neither). Falls
    back to one ``ack`` a message when this paho has no packet queue of that shape.
    """
    if not mids:
        return
    queue = getattr(client, "_packet_queue", None)
    if queue is None:  # pragma: no cover - another paho major
        for mid in mids:
            client.ack(mid, 1)
        return
    packet = b"".join([_PUBACK.pack(0x40, 2, mid) for mid in mids])
    queue(0x40, packet, 0, 1)


class MqttIngestor:
    """Subscribe and store until :meth:`stop` is called (or the process is killed)."""

    def __init__(
        self,
        live: LiveIngestor,
        broker: str,
        *,
        topics: tuple[str, ...] = DEFAULT_TOPICS,
        client_id: str = "smartfactory-ingest",
        batch_max: int = 10_000,
        batch_wait_s: float = 0.25,
    ) -> None:
        self.live = live
        self.host, self.port = parse_broker(broker)
        self.topics = topics
        self.client_id = client_id
        self.batch_max = batch_max
        self.batch_wait_s = batch_wait_s
        self._queue: deque[_Msg] = deque()
        self._have = threading.Condition()
        self._stop = threading.Event()
        self._generation = 0
        self.connected = threading.Event()
        self.stored_messages = 0

    # -- paho callbacks (network thread) -------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.warning("MQTT connect refused: %s", reason_code)
            return
        with self._have:
            self._generation += 1
        client.subscribe([(t, 1) for t in self.topics])
        self.connected.set()
        logger.info(
            "connected to %s:%d (session present: %s)", self.host, self.port, flags.session_present
        )

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            logger.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, msg) -> None:
        queue = self._queue
        queue.append(_Msg(msg.topic, msg.payload, msg.mid, msg.qos, self._generation))
        n = len(queue)
        if n == 1 or n >= self.batch_max:
            with self._have:
                self._have.notify()

    # -- running -------------------------------------------------------------------------------

    def _client(self):
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        return client, props

    def run(self) -> None:
        """Connect (retrying until the broker answers) and store batches until stopped."""
        client, props = self._client()
        while not self._stop.is_set():
            try:
                client.connect(
                    self.host, self.port, keepalive=30, clean_start=False, properties=props
                )
                break
            except OSError as exc:
                logger.warning(
                    "broker %s:%d not reachable (%s); retrying", self.host, self.port, exc
                )
                self._stop.wait(1.0)
        client.loop_start()
        try:
            while not self._stop.is_set():
                batch = self._next_batch()
                if batch:
                    self._store(client, batch)
        finally:
            client.loop_stop()
            client.disconnect()

    def _next_batch(self) -> list[_Msg]:
        """Wait for a message, then gather more for up to ``batch_wait_s`` (or ``batch_max``):
        each batch costs a few fixed milliseconds of SQL, so under load larger batches keep up,
        while a lone message still waits no longer than ``batch_wait_s``."""
        with self._have:
            while not self._queue and not self._stop.is_set():
                self._have.wait(0.5)
            deadline = time.monotonic() + self.batch_wait_s
            while len(self._queue) < self.batch_max and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._have.wait(left)
            return [self._queue.popleft() for _ in range(min(len(self._queue), self.batch_max))]

    def _store(self, client, batch: list[_Msg]) -> None:
        while True:
            try:
                self.live.ingest([(m.topic, m.payload) for m in batch])
                break
            except Exception:  # an infrastructure fault (disk, file): keep the batch, retry
                logger.exception("storing a batch of %d messages failed; retrying", len(batch))
                if self._stop.wait(1.0):
                    return  # unacknowledged: the broker sends them again next time
        generation = self._generation
        # a message from an earlier connection is redelivered by the broker anyway; its old
        # packet id means nothing on this connection
        ack_all(client, [m.mid for m in batch if m.qos == 1 and m.generation == generation])
        self.stored_messages += len(batch)

    def stop(self) -> None:
        self._stop.set()
        with self._have:
            self._have.notify()
