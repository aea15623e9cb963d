"""The out-of-process adapter: a device under test in another process, behind a local socket.

Firmware built for the host, or a bridge to a real IHD/PPMID, speaks the framing of
``docs/remote-adapter.md``: every message is a 4-byte big-endian length followed by that many
bytes of UTF-8 JSON.  The kit sends one request and the device answers it with exactly one
response; the device never speaks unasked.  Frames are APS addressing (EUI-64, NWK short address,
endpoints, profile, cluster) plus the ZCL frame bytes in hex.

:class:`RemoteDevice` is the kit's side.  It implements
:class:`~hancot.conformance.dut.DeviceUnderTest`, so the simulated HAN drives it like one of its
own devices.  Virtual time stays in the kit (every request carries it); the wall clock only
bounds how long the kit waits for the socket.  Anything wrong on the socket (a timeout, bytes
that are not a message, a dropped connection, a reply that breaks the protocol, a frame addressed
to no device the kit knows) raises :class:`RemoteDeviceError` with a :class:`Reason`; after the
first such error the adapter is broken and every later call raises the same error at once, so a
scenario against a dead device ends quickly instead of waiting out a timeout per frame.

The framing helpers (:func:`encode_message`, :class:`MessageReader`, :func:`frame_to_wire`,
:func:`address_from_wire` ...) are shared with the device side
(:mod:`hancot.conformance.example_device`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from enum import StrEnum
from typing import IO, Any, overload

from hancot import timeutil as tu
from hancot.conformance.dut import HeldRecord, Observation
from hancot.errors import HancotError
from hancot.han.frame import SE_PROFILE, DeviceIdentity, DeviceKind, HanFrame

#: Version of the framing in docs/remote-adapter.md; the hello exchange checks it.
PROTOCOL_VERSION = 1
#: Largest message body either side accepts.  An observation of a long run (a year of half-hour
#: profile intervals for two fuels) is a few MiB of JSON.
MAX_MESSAGE = 16 * 1024 * 1024
#: Largest ZCL frame accepted in one message.  An APS payload is far smaller (about 80 bytes
#: unfragmented); the bound only stops a runaway device.
MAX_ZCL = 4096
#: Environment variable through which :meth:`RemoteDevice.spawn` tells the device where to connect.
ADDRESS_ENV = "HANCOT_DEVICE_ADDRESS"
#: Placeholder in a spawned command's arguments replaced by ``HOST:PORT`` to connect to.
ADDRESS_PLACEHOLDER = "{address}"
#: Default wall-clock bound on one request/response exchange, in seconds.
DEFAULT_TIMEOUT = 5.0
#: Default wall-clock bound on a spawned device connecting back, in seconds (interpreter start-up).
DEFAULT_CONNECT_TIMEOUT = 20.0

#: Kinds a device under test may be (the clients of a SMETS2 HAN, DOMAIN.md section 1).
DUT_KINDS = (DeviceKind.IHD, DeviceKind.PPMID)
#: Zigbee application endpoints are 0x01-0xF0 (Zigbee 05-3474 2.2.4.1.1; 0xF1-0xFF reserved).
_ENDPOINTS = range(0x01, 0xF1)
#: NWK addresses 0xFFF8-0xFFFF are reserved or broadcast (Zigbee 05-3474 3.6.5).
_UNICAST_NWK = range(0x0000, 0xFFF8)
_HEX = re.compile(r"[0-9A-Fa-f]*")
_LENGTH = struct.Struct(">I")


class Reason(StrEnum):
    """Why the kit could not use a remote device (the ``reason`` of :class:`RemoteDeviceError`)."""

    TIMEOUT = "timeout"
    """The device did not answer a request within the wall-clock timeout."""
    MALFORMED = "malformed"
    """Bytes that are not a message: bad length prefix, not UTF-8, not a JSON object."""
    DROPPED = "dropped"
    """The connection closed or failed."""
    PROTOCOL = "protocol"
    """A well-formed message that breaks the protocol: wrong type or id, missing or bad field."""
    MISADDRESSED = "misaddressed"
    """A frame from the device with a source that is not the device, or to no known device."""
    DEVICE = "device-error"
    """The device answered with an ``error`` message."""
    UNREACHABLE = "unreachable"
    """Nothing listens at the address given."""
    SPAWN = "spawn"
    """The device command could not be started, or exited before connecting."""
    SPEC = "bad-spec"
    """The device specification (``tcp:HOST:PORT``, ``unix:PATH``, ``exec:COMMAND``) is wrong."""


class RemoteDeviceError(HancotError):
    """A remote device under test could not be driven; ``reason`` says how (see :class:`Reason`)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(f"device under test ({reason.value}): {message}")
        self.reason = reason
        self.detail = message


# -- framing -------------------------------------------------------------------------------------
def encode_message(message: dict[str, Any]) -> bytes:
    """One message on the wire: 4-byte big-endian body length, then the UTF-8 JSON body."""
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    if len(body) > MAX_MESSAGE:
        raise RemoteDeviceError(Reason.PROTOCOL, f"message of {len(body)} bytes exceeds limit")
    return _LENGTH.pack(len(body)) + body


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode_body(body: bytes) -> dict[str, Any]:
    """The JSON object of one message body; :data:`Reason.MALFORMED` when it is not one."""
    try:
        message = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise RemoteDeviceError(Reason.MALFORMED, f"message body is not UTF-8 ({exc})") from None
    except ValueError as exc:
        raise RemoteDeviceError(Reason.MALFORMED, f"message body is not JSON ({exc})") from None
    if not isinstance(message, dict):
        raise RemoteDeviceError(
            Reason.MALFORMED, f"message body is a JSON {type(message).__name__}, not an object"
        )
    if not isinstance(message.get("type"), str):
        raise RemoteDeviceError(Reason.MALFORMED, "message has no string 'type'")
    return message


class MessageReader:
    """Reads length-prefixed messages from a stream socket, each within a wall-clock deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = bytearray()

    def _fill(self, size: int, deadline: float | None) -> bool:
        """Buffer ``size`` bytes; False when the peer closed cleanly with nothing buffered."""
        while len(self._buffer) < size:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RemoteDeviceError(Reason.TIMEOUT, "no complete answer in time")
                self.sock.settimeout(remaining)
            else:
                self.sock.settimeout(None)
            try:
                chunk = self.sock.recv(max(65536, size - len(self._buffer)))
            except TimeoutError:
                raise RemoteDeviceError(Reason.TIMEOUT, "no complete answer in time") from None
            except OSError as exc:
                raise RemoteDeviceError(Reason.DROPPED, f"connection failed ({exc})") from None
            if not chunk:
                if not self._buffer:
                    return False
                got = f" after {len(self._buffer)} byte(s) of a message" if self._buffer else ""
                raise RemoteDeviceError(Reason.DROPPED, f"connection closed by the peer{got}")
            self._buffer += chunk
        return True

    @overload
    def read(self, deadline: float | None) -> dict[str, Any]: ...
    @overload
    def read(self, deadline: float | None, *, eof_ok: bool) -> dict[str, Any] | None: ...

    def read(self, deadline: float | None, *, eof_ok: bool = False) -> dict[str, Any] | None:
        """The next message; ``deadline`` is a :func:`time.monotonic` moment or None (wait).

        With ``eof_ok``, a connection closed between two messages gives None.
        """
        if not self._fill(_LENGTH.size, deadline):
            if eof_ok:
                return None
            raise RemoteDeviceError(Reason.DROPPED, "connection closed by the peer")
        (length,) = _LENGTH.unpack_from(self._buffer)
        if length == 0 or length > MAX_MESSAGE:
            raise RemoteDeviceError(
                Reason.MALFORMED,
                f"length prefix {length} (bytes {bytes(self._buffer[:4]).hex()}) is outside "
                f"1..{MAX_MESSAGE}",
            )
        if not self._fill(_LENGTH.size + length, deadline):
            raise RemoteDeviceError(Reason.DROPPED, "connection closed by the peer")
        body = bytes(self._buffer[_LENGTH.size : _LENGTH.size + length])
        del self._buffer[: _LENGTH.size + length]
        return decode_body(body)


def send_message(sock: socket.socket, message: dict[str, Any], timeout: float | None) -> None:
    data = encode_message(message)
    sock.settimeout(timeout)
    try:
        sock.sendall(data)
    except TimeoutError:
        raise RemoteDeviceError(Reason.TIMEOUT, "the device does not take the request") from None
    except OSError as exc:
        raise RemoteDeviceError(Reason.DROPPED, f"connection failed ({exc})") from None


# -- field codecs ----------------------------------------------------------------------------
def _field(message: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = message.get(name)
    # bool is an int in Python; a JSON true is never a number here.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise RemoteDeviceError(
            Reason.PROTOCOL,
            f"{message.get('type', 'message')!s} field {name!r} must be {expected}, "
            f"got {value!r:.60}",
        )
    return value


def _int_field(message: dict[str, Any], name: str, valid: range) -> int:
    value = _field(message, name, int)
    if value not in valid:
        raise RemoteDeviceError(
            Reason.PROTOCOL,
            f"field {name!r} = {value} is outside 0x{valid.start:X}..0x{valid.stop - 1:X}",
        )
    return int(value)


def eui64_text(eui64: int) -> str:
    """EUI-64 on the wire: 16 hex digits, most significant byte first."""
    return f"{eui64:016X}"


def parse_eui64(value: Any) -> int:
    if not isinstance(value, str) or len(value) != 16 or not _HEX.fullmatch(value):
        raise RemoteDeviceError(Reason.PROTOCOL, f"EUI-64 must be 16 hex digits, got {value!r:.40}")
    return int(value, 16)


def parse_hex(value: Any, what: str, limit: int) -> bytes:
    if not isinstance(value, str) or len(value) % 2 or not _HEX.fullmatch(value):
        raise RemoteDeviceError(
            Reason.PROTOCOL, f"{what} must be an even number of hex digits, got {value!r:.40}"
        )
    if not value or len(value) // 2 > limit:
        raise RemoteDeviceError(Reason.PROTOCOL, f"{what} must be 1..{limit} bytes")
    return bytes.fromhex(value)


def address_to_wire(identity: DeviceIdentity, endpoint: int) -> dict[str, Any]:
    return {"eui64": eui64_text(identity.eui64), "nwk": identity.nwk, "endpoint": endpoint}


def address_from_wire(value: Any) -> tuple[int, int, int]:
    """(EUI-64, NWK address, endpoint) of an address object."""
    if not isinstance(value, dict):
        raise RemoteDeviceError(Reason.PROTOCOL, f"address must be an object, got {value!r:.40}")
    return (
        parse_eui64(value.get("eui64")),
        _int_field(value, "nwk", _UNICAST_NWK),
        _int_field(value, "endpoint", _ENDPOINTS),
    )


def frame_to_wire(frame: HanFrame) -> dict[str, Any]:
    """A HAN frame as a ``frame`` object (docs/remote-adapter.md, "Frames")."""
    return {
        "src": address_to_wire(frame.src, frame.src_ep),
        "dst": address_to_wire(frame.dst, frame.dst_ep),
        "profile": frame.profile,
        "cluster": frame.cluster,
        "secured": frame.aps_secured,
        "zcl": frame.payload.hex().upper(),
    }


def parse_frame(value: Any) -> tuple[tuple[int, int, int], tuple[int, int, int], int, bool, bytes]:
    """(src address, dst address, cluster, APS secured, ZCL bytes) of a ``frame`` object.

    Only the Smart Energy profile is carried: a frame on another profile is misaddressed.
    """
    if not isinstance(value, dict):
        raise RemoteDeviceError(Reason.PROTOCOL, f"frame must be an object, got {value!r:.40}")
    src = address_from_wire(value.get("src"))
    dst = address_from_wire(value.get("dst"))
    profile = _int_field(value, "profile", range(0x10000))
    if profile != SE_PROFILE:
        raise RemoteDeviceError(
            Reason.MISADDRESSED,
            f"frame on profile 0x{profile:04X}; the HAN carries Smart Energy (0x{SE_PROFILE:04X})",
        )
    cluster = _int_field(value, "cluster", range(0x10000))
    secured = value.get("secured", False)
    if not isinstance(secured, bool):
        raise RemoteDeviceError(Reason.PROTOCOL, "frame field 'secured' must be true or false")
    return src, dst, cluster, secured, parse_hex(value.get("zcl"), "frame field 'zcl'", MAX_ZCL)


def observation_from_wire(message: dict[str, Any]) -> Observation:
    records: list[HeldRecord] = []
    for item in _field(message, "records", list):
        if not isinstance(item, dict):
            raise RemoteDeviceError(Reason.PROTOCOL, "observation record must be an object")
        kind = _field(item, "kind", str)
        if not 0 < len(kind) <= 32:
            raise RemoteDeviceError(Reason.PROTOCOL, "observation record kind must be 1..32 chars")
        summary = item.get("summary", "")
        if not isinstance(summary, str):
            raise RemoteDeviceError(Reason.PROTOCOL, "observation record summary must be a string")
        records.append(HeldRecord(kind, _int_field(item, "time", range(0x1_0000_0000)), summary))
    shows = message.get("shows", {})
    if not isinstance(shows, dict):
        raise RemoteDeviceError(Reason.PROTOCOL, "observation field 'shows' must be an object")
    status = message.get("status", [])
    if not isinstance(status, list) or not all(isinstance(s, str) for s in status):
        raise RemoteDeviceError(Reason.PROTOCOL, "observation 'status' must be a list of strings")
    return Observation(tuple(records), shows, tuple(status))


def observation_to_wire(observation: Observation) -> dict[str, Any]:
    return {
        "records": [
            {"kind": r.kind, "time": r.time, "summary": r.summary} for r in observation.records
        ],
        "shows": observation.shows,
        "status": list(observation.status),
    }


# -- the kit's side ------------------------------------------------------------------------------
def _stop_process(process: subprocess.Popen[bytes] | None, sock: socket.socket | None) -> None:
    """Close the socket and end the device process: politely, then by force.  Safe to repeat."""
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=2)
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=2)


class RemoteDevice:
    """A device under test in another process, driven over a connected stream socket.

    Construct it with :meth:`connect` (a device already listening), :meth:`spawn` (start the
    device command, which connects back) or :func:`load_remote` (a specification string).  The
    constructor performs the ``hello`` exchange.  ``identity``, when given, is the identity the
    kit proposes (the EUI-64, NWK address and link key of the premises slot the device takes); a
    device that can adopt it does, one that cannot (a real radio with its own EUI-64) answers
    with its own, and the kit decides.  :attr:`identity` is always what the device announced; its
    HAN name is the proposed identity's name, else ``name``, else the device's kind
    (``IHD``/``PPMID``), so it takes the place of the simulated device of that kind.

    Each connection is one factory-new device: a kit that wants a fresh device per scenario
    opens a new connection (see :class:`RemoteFactory`).
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        identity: DeviceIdentity | None = None,
        name: str | None = None,
        process: subprocess.Popen[bytes] | None = None,
        output: IO[bytes] | None = None,
        origin: str = "",
    ) -> None:
        if timeout <= 0:
            raise RemoteDeviceError(Reason.SPEC, "the request timeout must be positive")
        self.timeout = timeout
        self.origin = origin
        self.process = process
        self._sock = sock
        self._reader = MessageReader(sock)
        self._output = output
        self._next_id = 0
        self._closed = False
        self.failure: RemoteDeviceError | None = None
        #: Every (EUI-64, NWK) the device may address: its peers and whoever sent it a frame.
        self._directory: dict[tuple[int, int], DeviceIdentity] = {}
        self._wakeup_cache: tuple[int, int, int | None] | None = None
        self._events = 0
        self._finalizer = weakref.finalize(self, _stop_process, process, sock)
        try:
            request: dict[str, Any] = {"type": "hello", "protocol": PROTOCOL_VERSION}
            if identity is not None:
                request.update(eui64=eui64_text(identity.eui64), nwk=identity.nwk)
                if identity.link_key is not None:
                    request["link_key"] = identity.link_key.hex().upper()
            hello = self._request(request, "hello")
            self.protocol = _field(hello, "protocol", int)
            if self.protocol != PROTOCOL_VERSION:
                raise RemoteDeviceError(
                    Reason.PROTOCOL,
                    f"device speaks protocol {self.protocol}, the kit {PROTOCOL_VERSION}",
                )
            kind_text = _field(hello, "kind", str)
            if kind_text not in {k.value for k in DUT_KINDS}:
                raise RemoteDeviceError(
                    Reason.PROTOCOL, f"device kind {kind_text!r:.20} is not IHD or PPMID"
                )
            link_key = hello.get("link_key")
            self.identity = DeviceIdentity(
                identity.name if identity is not None else name or kind_text,
                DeviceKind(kind_text),
                parse_eui64(hello.get("eui64")),
                _int_field(hello, "nwk", range(0x0001, 0xFFF8)),
                link_key=None if link_key is None else parse_hex(link_key, "link_key", 16),
            )
            if link_key is not None and len(self.identity.link_key or b"") != 16:
                raise RemoteDeviceError(Reason.PROTOCOL, "link_key must be 16 bytes")
            self.profile = str(hello.get("profile", ""))
            self.spec_version = str(hello.get("spec", ""))
            self.model = str(hello.get("model", ""))
            #: The clear policy the device declares (``extended`` or ``sec-minimum``), if any.
            self.policy = str(hello.get("policy", ""))
        except RemoteDeviceError:
            self.close()
            raise
        self.powered = True

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def connect(
        cls,
        address: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        identity: DeviceIdentity | None = None,
        name: str | None = None,
    ) -> RemoteDevice:
        """Connect to a device listening at ``tcp:HOST:PORT`` or ``unix:PATH``."""
        family, target = _parse_address(address)
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(target)
        except (TimeoutError, OSError) as exc:
            sock.close()
            raise RemoteDeviceError(
                Reason.UNREACHABLE, f"cannot connect to {address} ({exc})"
            ) from None
        if family != _unix_family():
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock, timeout=timeout, identity=identity, name=name, origin=address)

    @classmethod
    def spawn(
        cls,
        command: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        identity: DeviceIdentity | None = None,
        name: str | None = None,
        env: dict[str, str] | None = None,
    ) -> RemoteDevice:
        """Start ``command`` and wait for it to connect back over TCP on 127.0.0.1.

        The kit listens on a port the OS chooses and tells the device ``HOST:PORT`` two ways:
        every argument containing ``{address}`` has it substituted, and the environment variable
        ``HANCOT_DEVICE_ADDRESS`` holds ``tcp:HOST:PORT``.  The device's output goes to a
        temporary file whose end is quoted when it fails to start.
        """
        if not command:
            raise RemoteDeviceError(Reason.SPEC, "no device command given")
        listener = socket.create_server(("127.0.0.1", 0))
        host, port = listener.getsockname()[:2]
        address = f"{host}:{port}"
        argv = [arg.replace(ADDRESS_PLACEHOLDER, address) for arg in command]
        child_env = {**os.environ, **(env or {}), ADDRESS_ENV: f"tcp:{address}"}
        output = tempfile.TemporaryFile()  # noqa: SIM115 (owned by the adapter, closed in close())
        try:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                env=child_env,
            )  # fmt: skip
        except OSError as exc:
            listener.close()
            output.close()
            raise RemoteDeviceError(
                Reason.SPAWN, f"cannot start {shlex.join(argv)} ({exc.strerror or exc})"
            ) from None
        try:
            sock = _accept(listener, process, output, connect_timeout, argv)
        except RemoteDeviceError:
            _stop_process(process, None)
            output.close()
            raise
        finally:
            listener.close()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(
            sock, timeout=timeout, identity=identity, name=name, process=process, output=output,
            origin=f"exec:{shlex.join(argv)}",
        )  # fmt: skip

    # -- DeviceUnderTest --------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.identity.name

    @property
    def kind(self) -> DeviceKind:
        return self.identity.kind

    def __repr__(self) -> str:
        return f"<RemoteDevice {self.name} {self.origin}>"

    def join(self, now: int, peers: dict[DeviceKind, DeviceIdentity]) -> list[HanFrame]:
        for peer in peers.values():
            self._directory[(peer.eui64, peer.nwk)] = peer
        if not self.powered:
            return []
        wire_peers = [
            {"kind": kind.value, **address_to_wire(peer, 1)} for kind, peer in peers.items()
        ]
        return self._frames(now, {"type": "join", "time": now, "peers": wire_peers})

    def receive(self, now: int, frame: HanFrame) -> list[HanFrame]:
        if not self.powered:
            return []
        if frame.dst.eui64 != self.identity.eui64:
            return []  # not for this device: a radio does not pass it up
        self._directory[(frame.src.eui64, frame.src.nwk)] = frame.src
        return self._frames(now, {"type": "frame", "time": now, "frame": frame_to_wire(frame)})

    def tick(self, now: int) -> list[HanFrame]:
        if not self.powered:
            return []
        return self._frames(now, {"type": "tick", "time": now})

    def next_wakeup(self, now: int) -> int | None:
        if not self.powered:
            return None
        # The HAN asks before every step; nothing the device does between two events can move
        # its wake-up (it only learns of time through requests), so one answer per (event, now).
        cache = self._wakeup_cache
        if cache is not None and cache[0] == self._events and cache[1] == now:
            return cache[2]
        answer = self._request({"type": "next_wakeup", "time": now}, "wakeup")
        wake = answer.get("time")
        if wake is not None and (
            not isinstance(wake, int) or isinstance(wake, bool) or not 0 <= wake < 0xFFFFFFFF
        ):
            raise self._fail(
                RemoteDeviceError(Reason.PROTOCOL, f"wake-up time {wake!r:.30} is not a UTCTime")
            )
        self._wakeup_cache = (self._events, now, wake)
        return wake

    def power_off(self, now: int) -> None:
        self._events += 1
        self._request({"type": "power_off", "time": now}, "ok")
        self.powered = False

    def power_on(self, now: int) -> list[HanFrame]:
        self.powered = True
        return self._frames(now, {"type": "power_on", "time": now})

    def observe(self, now: int) -> Observation:
        answer = self._request({"type": "observe", "time": now}, "observation")
        try:
            return observation_from_wire(answer)
        except RemoteDeviceError as exc:
            raise self._fail(exc) from None

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Say goodbye (if the device still answers), close the socket and end the process."""
        if self._closed:
            return
        self._closed = True
        if self.failure is None:
            with contextlib.suppress(RemoteDeviceError, OSError):
                send_message(self._sock, {"type": "bye", "id": self._take_id()}, 0.5)
                self._reader.read(time.monotonic() + 0.5)
        self._finalizer()
        if self._output is not None:
            self._output.close()

    def __enter__(self) -> RemoteDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def output_tail(self, limit: int = 2000) -> str:
        """The end of a spawned device's output (stdout and stderr), for error reports."""
        return _tail(self._output, limit)

    # -- exchanges --------------------------------------------------------------------------
    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _fail(self, error: RemoteDeviceError) -> RemoteDeviceError:
        if self.failure is None:
            self.failure = error
            # The stream is out of step (or gone): no further exchange on it can be trusted.
            with contextlib.suppress(OSError):
                self._sock.close()
        return error

    def _request(self, message: dict[str, Any], expect: str) -> dict[str, Any]:
        if self.failure is not None:
            raise self.failure
        if self._closed:
            raise RemoteDeviceError(Reason.DROPPED, "the adapter was closed")
        request_id = self._take_id()
        try:
            send_message(self._sock, {**message, "id": request_id}, self.timeout)
            answer = self._reader.read(time.monotonic() + self.timeout)
            if answer.get("id") != request_id:
                raise RemoteDeviceError(
                    Reason.PROTOCOL,
                    f"answer to {message['type']} #{request_id} carries id "
                    f"{answer.get('id')!r:.20}",
                )
            if answer["type"] == "error":
                raise RemoteDeviceError(
                    Reason.DEVICE,
                    f"the device refused {message['type']}: {str(answer.get('message', ''))[:200]}",
                )
            if answer["type"] != expect:
                raise RemoteDeviceError(
                    Reason.PROTOCOL,
                    f"{message['type']} must be answered by {expect!r}, "
                    f"not {answer['type'][:30]!r}",
                )
        except RemoteDeviceError as exc:
            raise self._fail(self._with_output(self._in_context(exc, message))) from None
        return answer

    def _in_context(self, exc: RemoteDeviceError, message: dict[str, Any]) -> RemoteDeviceError:
        """The error, saying which request it broke (and the time limit when it timed out)."""
        asked = f"{message['type']} request #{self._next_id}"
        if "time" in message:
            asked += f" at virtual time {message['time']} ({tu.iso(message['time'])})"
        if exc.reason == Reason.TIMEOUT:
            asked += f"; limit {self.timeout:g} s"
        return RemoteDeviceError(exc.reason, f"{exc.detail} [{asked}]")

    def _with_output(self, exc: RemoteDeviceError) -> RemoteDeviceError:
        if self.process is None or exc.reason not in (Reason.DROPPED, Reason.TIMEOUT):
            return exc
        code = self.process.poll()
        if code is None and exc.reason == Reason.DROPPED:
            # A device that hung up is usually exiting: give it a moment to say with what status.
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.process.wait(timeout=0.5)
        status = "" if code is None else f"; the device process exited with status {code}"
        tail = self.output_tail(400)
        said = f"; its last output: {tail!r}" if tail else ""
        return RemoteDeviceError(exc.reason, f"{exc.detail}{status}{said}")

    def _frames(self, now: int, message: dict[str, Any]) -> list[HanFrame]:
        self._events += 1
        answer = self._request(message, "frames")
        try:
            return [self._frame(now, item) for item in _field(answer, "frames", list)]
        except RemoteDeviceError as exc:
            raise self._fail(exc) from None

    def _frame(self, now: int, value: Any) -> HanFrame:
        (src_eui, src_nwk, src_ep), (dst_eui, dst_nwk, dst_ep), cluster, secured, zcl = parse_frame(
            value
        )
        me = self.identity
        if (src_eui, src_nwk) != (me.eui64, me.nwk):
            raise RemoteDeviceError(
                Reason.MISADDRESSED,
                f"frame from {eui64_text(src_eui)}/0x{src_nwk:04X}, but the device is "
                f"{eui64_text(me.eui64)}/0x{me.nwk:04X}",
            )
        dst = self._directory.get((dst_eui, dst_nwk))
        if dst is None:
            known = ", ".join(
                f"{p.name} {eui64_text(p.eui64)}/0x{p.nwk:04X}" for p in self._directory.values()
            )
            raise RemoteDeviceError(
                Reason.MISADDRESSED,
                f"frame to {eui64_text(dst_eui)}/0x{dst_nwk:04X}, which is no device it was "
                f"bound to or heard from ({known or 'none yet'})",
            )
        return HanFrame(
            time=now, src=me, dst=dst, cluster=cluster, payload=zcl, src_ep=src_ep,
            dst_ep=dst_ep, aps_secured=secured,
        )  # fmt: skip


def _tail(output: IO[bytes] | None, limit: int) -> str:
    if output is None or output.closed:
        return ""
    with contextlib.suppress(OSError):
        output.flush()
        size = output.seek(0, os.SEEK_END)
        output.seek(max(0, size - limit))
        return output.read().decode("utf-8", "replace").strip()
    return ""


def _accept(
    listener: socket.socket,
    process: subprocess.Popen[bytes],
    output: IO[bytes],
    connect_timeout: float,
    argv: list[str],
) -> socket.socket:
    """The spawned device's connection; fails early if the process exits first."""
    deadline = time.monotonic() + connect_timeout
    listener.settimeout(0.1)
    while True:
        try:
            sock, _ = listener.accept()
            return sock
        except TimeoutError:
            pass
        code = process.poll()
        if code is not None:
            tail = _tail(output, 600)
            raise RemoteDeviceError(
                Reason.SPAWN,
                f"{shlex.join(argv)} exited with status {code} before connecting"
                + (f"; its output: {tail!r}" if tail else ""),
            )
        if time.monotonic() > deadline:
            raise RemoteDeviceError(
                Reason.SPAWN,
                f"{shlex.join(argv)} did not connect within {connect_timeout:g} s "
                f"(it must connect to the address in {ADDRESS_ENV} or {ADDRESS_PLACEHOLDER})",
            )


def _unix_family() -> int:
    return getattr(socket, "AF_UNIX", -1)


def _parse_address(address: str) -> tuple[int, Any]:
    """(socket family, connect target) of ``tcp:HOST:PORT`` or ``unix:PATH``."""
    scheme, _, rest = address.partition(":")
    if scheme == "unix" and rest:
        if _unix_family() == -1:
            raise RemoteDeviceError(Reason.SPEC, "Unix sockets are not available here")
        return _unix_family(), rest
    if scheme == "tcp":
        host, _, port_text = rest.rpartition(":")
        host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        if host and port_text.isdigit() and 0 < int(port_text) < 65536:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            return family, (host, int(port_text))
    raise RemoteDeviceError(
        Reason.SPEC, f"{address!r} is not tcp:HOST:PORT or unix:PATH (e.g. tcp:127.0.0.1:7000)"
    )


def load_remote(
    spec: str, *, timeout: float = DEFAULT_TIMEOUT, identity: DeviceIdentity | None = None
) -> RemoteDevice:
    """The remote device a ``--device`` specification names.

    - ``tcp:HOST:PORT``: a device (or bridge) already listening there, e.g. ``tcp:127.0.0.1:7000``;
    - ``unix:PATH``: a device listening on a Unix socket;
    - ``exec:COMMAND ARGS...``: start the command (split as a POSIX shell would, no shell run)
      and let it connect back; see :meth:`RemoteDevice.spawn`.

    ``identity`` is the identity the kit proposes (see :class:`RemoteDevice`).
    """
    scheme, _, rest = spec.partition(":")
    if scheme == "exec":
        try:
            command = shlex.split(rest)
        except ValueError as exc:
            raise RemoteDeviceError(Reason.SPEC, f"cannot split {rest!r}: {exc}") from None
        return RemoteDevice.spawn(command, timeout=timeout, identity=identity)
    if scheme in ("tcp", "unix"):
        return RemoteDevice.connect(spec, timeout=timeout, identity=identity)
    raise RemoteDeviceError(
        Reason.SPEC,
        f"{spec!r} names no device: use tcp:HOST:PORT, unix:PATH or exec:COMMAND "
        f"(e.g. exec:{sys.executable} -m hancot.conformance.example_device)",
    )


class RemoteFactory:
    """A fresh remote device per scenario: ``factory(identity) -> RemoteDevice``.

    Every call opens a new session with the device a specification names (a new process for
    ``exec:``, a new connection for ``tcp:``/``unix:``), proposing ``identity``; the kit closes
    it at the end of the scenario.  :meth:`describe` asks the device once what it is, and sets
    :attr:`kind` and :attr:`policy`, which the kit reads to know what it is testing.
    """

    def __init__(self, spec: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.spec = spec
        self.timeout = timeout
        self.kind: DeviceKind | None = None
        self.policy: str | None = None
        self.description = ""

    def __call__(self, identity: DeviceIdentity) -> RemoteDevice:
        return load_remote(self.spec, timeout=self.timeout, identity=identity)

    def describe(self) -> str:
        """One session to learn the device's kind, profile, specification and policy."""
        with load_remote(self.spec, timeout=self.timeout) as device:
            self.kind = device.kind
            self.policy = device.policy or None
            parts = [device.model or device.kind.value, device.spec_version, device.profile]
            self.description = ", ".join(p for p in parts if p) + f" ({self.spec})"
        return self.description
