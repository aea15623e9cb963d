"""What every simulated device shares: identity, power, clock, store and safe frame handling.

A device is a sans-IO state machine (in the manner of h11): the simulated HAN hands it frames and
the time, and it answers with the frames it sends.  It never reads a clock or touches a socket.
Every event runs in one store transaction, so a device killed mid-event restarts from the state
before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from hancot.devices.store import Store
from hancot.errors import ZclDecodeError, ZclError
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.zcl.codec import AttributeValue, ZclFrame, decode_frame, default_response
from hancot.zcl.header import Status, ZclHeader


@dataclass(frozen=True)
class Note:
    """Something a device did that a person watching the premises would want to see."""

    time: int
    device: str
    text: str


class Device:
    """Base class of every HAN device.

    Subclasses implement :meth:`handle` (a decoded frame arrived), and may override
    :meth:`tick`/:meth:`next_wakeup` (time-driven work) and :meth:`on_power_up`/:meth:`on_join`.
    ``clusters`` lists the clusters the device serves or uses; frames on others are answered with
    UNSUPPORTED_CLUSTER.
    """

    kind: ClassVar[DeviceKind]
    clusters: ClassVar[frozenset[int]] = frozenset()

    def __init__(
        self, identity: DeviceIdentity, store: Store | None = None, *, clock_offset: int = 0
    ) -> None:
        self.identity = identity
        self.store = store if store is not None else Store()
        self.clock_offset = clock_offset
        self.powered = True
        self.peers: dict[DeviceKind, DeviceIdentity] = {}
        self.notes: list[Note] = []
        self._tsn = self.store.get("tsn", 0)

    # -- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.identity.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # -- helpers ----------------------------------------------------------------------------
    def local_time(self, now: int) -> int:
        """The device's own clock, which may be skewed from the premises' true time."""
        return now + self.clock_offset

    def next_tsn(self) -> int:
        self._tsn = (self._tsn + 1) & 0xFF
        return self._tsn

    def note(self, now: int, text: str) -> None:
        self.notes.append(Note(now, self.name, text))

    def send(
        self, now: int, dst: DeviceIdentity, cluster: int, payload: bytes, **kw: Any
    ) -> HanFrame:
        return HanFrame(
            time=now, src=self.identity, dst=dst, cluster=cluster, payload=payload, **kw
        )

    # -- the events the HAN delivers -------------------------------------------------------
    def receive(self, now: int, frame: HanFrame) -> list[HanFrame]:
        """A frame arrived.  Never raises: bad frames get a Default Response with a ZCL status."""
        if not self.powered:
            return []
        try:
            # A cluster the device does not have is answered first (ZCL r8 2.5.12.3).
            if frame.cluster not in self.clusters:
                raise ZclDecodeError(
                    f"{self.name} does not serve cluster 0x{frame.cluster:04X}",
                    Status.UNSUPPORTED_CLUSTER,
                )
            decoded = decode_frame(frame.cluster, frame.payload)
        except ZclDecodeError as exc:
            return self._reject(now, frame, exc)
        tsn = self._tsn
        try:
            # The exception leaves the transaction, so whatever the handler wrote is rolled back.
            with self.store.transaction():
                out = list(self.handle(now, frame, decoded))
                if not out and self._wants_default_response(decoded):
                    ok = default_response(decoded.header, Status.SUCCESS)
                    out = [self.send(now, frame.src, frame.cluster, ok)]
                self.store.set("tsn", self._tsn)
        except ZclError as exc:
            self._tsn = tsn
            return self._reject(now, frame, exc)
        except Exception as exc:  # a defect must not take the device down: answer FAILURE
            self._tsn = tsn
            failure = ZclError(f"{type(exc).__name__}: {exc}", Status.FAILURE)
            return self._reject(now, frame, failure)
        return out

    def _wants_default_response(self, decoded: ZclFrame) -> bool:
        # ZCL r8 2.5.12.2: only to a command with no specific answer, with default response
        # enabled, and never to a response (Read Attributes Response, Default Response ...).
        if decoded.header.disable_default_response:
            return False
        return decoded.name not in {"default_response", "read_attributes_rsp", "report_attributes"}

    def _reject(self, now: int, frame: HanFrame, exc: ZclError) -> list[HanFrame]:
        header = _partial_header(frame.payload)
        if not header.cluster_specific and header.command_id == 0x0B:
            return []  # never answer a Default Response (ZCL r8 2.5.12.2)
        self.note(now, f"rejected frame from {frame.src.name}: {exc} -> {Status(exc.status).name}")
        reply = default_response(header, exc.status)
        return [self.send(now, frame.src, frame.cluster, reply)]

    def handle(self, now: int, frame: HanFrame, decoded: ZclFrame) -> Iterable[HanFrame]:
        """Act on a decoded frame; raise :class:`ZclError` to answer with a status."""
        raise ZclError(f"{self.name} does not handle {decoded.name}", Status.UNSUP_CLUSTER_COMMAND)

    def tick(self, now: int) -> list[HanFrame]:
        """Time-driven work due at ``now`` (see :meth:`next_wakeup`)."""
        return []

    def next_wakeup(self, now: int) -> int | None:
        """The next time (premises clock) the device wants :meth:`tick`; None for never."""
        return None

    def join(self, now: int, peers: dict[DeviceKind, DeviceIdentity]) -> list[HanFrame]:
        """The device joined the HAN; ``peers`` are the devices it is bound to, by kind."""
        self.peers = dict(peers)
        if not self.powered:
            return []
        with self.store.transaction():
            return list(self.on_join(now))

    def power_off(self, now: int) -> None:
        self.powered = False
        self.note(now, "powered off")

    def power_on(self, now: int) -> list[HanFrame]:
        self.powered = True
        self.note(now, "powered on")
        with self.store.transaction():
            return list(self.on_power_up(now))

    def on_join(self, now: int) -> Iterable[HanFrame]:
        return []

    def on_power_up(self, now: int) -> Iterable[HanFrame]:
        return []

    # -- attribute serving (servers) -------------------------------------------------------
    def serve_attributes(self, now: int, frame: HanFrame, decoded: ZclFrame) -> list[HanFrame]:
        """Answer a Read Attributes with :meth:`attribute_value` for each id."""
        from hancot.zcl.codec import read_attributes_response

        records = []
        for attr_id in decoded.args["attribute_ids"]:
            if decoded.header.server_to_client:
                value = None  # client-side attributes are not served by a server
            else:
                value = self.attribute_value(now, frame.cluster, attr_id)
            if value is None:
                records.append(AttributeValue(attr_id, Status.UNSUPPORTED_ATTRIBUTE))
            else:
                records.append(AttributeValue(attr_id, Status.SUCCESS, value=value))
        payload = read_attributes_response(decoded.header, frame.cluster, records)
        # Answer with the security the request came with (APS-secured for a Type 1 client).
        return [self.send(now, frame.src, frame.cluster, payload, aps_secured=frame.aps_secured)]

    def attribute_value(self, now: int, cluster: int, attr_id: int) -> Any:
        """The value of a server attribute, or None when unsupported."""
        return None


def _partial_header(payload: bytes) -> ZclHeader:
    """As much of a ZCL header as a (possibly truncated) frame carries, to address the Default
    Response to it; missing sequence number reads 0 and missing command id 0xFF."""
    frame_control = payload[0] if payload else 0
    offset = 3 if frame_control & 0x04 else 1  # manufacturer code present (ZCL r8 2.4.1.1.3)
    return ZclHeader(
        cluster_specific=bool(frame_control & 0x01),
        server_to_client=bool(frame_control & 0x08),
        tsn=payload[offset] if len(payload) > offset else 0,
        command_id=payload[offset + 1] if len(payload) > offset + 1 else 0xFF,
    )
