"""The out-of-process adapter: a device under test in a separate process, over a local socket.

The example device (hancot's own IHD/PPMID behind the socket) runs as a real child process and
takes the IHD or PPMID place in a real premises; the frames on the air and what it holds after a
Change of Tenancy must be exactly those of the same model run in process.  Misbehaving devices
and malformed messages must end in a typed error with its reason, quickly, never a hang.
"""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hancot import timeutil as tu
from hancot.conformance.dut import Observation, observe_client
from hancot.conformance.remote import (
    ADDRESS_ENV,
    Reason,
    RemoteDevice,
    RemoteDeviceError,
    RemoteFactory,
    load_remote,
)
from hancot.devices.client import ClientBehaviour
from hancot.errors import HancotError
from hancot.han.frame import DeviceIdentity, DeviceKind
from hancot.han.occupancy import Occupancy, Occupant
from hancot.han.premises import EUI64, Premises, PremisesConfig
from hancot.wan.supplier import Supplier

EXAMPLE = [sys.executable, "-m", "hancot.conformance.example_device"]
START = tu.parse_iso("2026-03-02T00:00:00Z")
COT = START + 3 * tu.DAY
END = COT + 2 * tu.DAY
A = Occupant("A", electricity_per_day=9_000, gas_per_day=30_000)
B = Occupant("B", electricity_per_day=4_000, gas_per_day=12_000)
#: Generous bound on how long a misbehaving device may hold the kit (the request timeout is 1 s).
NO_HANG = 10.0
HOUR = 3600


@pytest.fixture
def devices() -> Iterator[list[RemoteDevice]]:
    """Remote devices a test starts; closed (their processes ended) whatever the test does."""
    started: list[RemoteDevice] = []
    yield started
    for device in started:
        device.close()
        if device.process is not None:
            assert device.process.poll() is not None, "the device process outlived close()"


# -- a premises with one slot taken by a device under test ---------------------------------------
@dataclass
class Run:
    frames: list[tuple[Any, ...]]
    before: Observation
    after: Observation


def build(kind: DeviceKind, behaviour: ClientBehaviour | None) -> Premises:
    """A premises whose ``kind`` slot is the in-process model (``behaviour``) or left empty."""
    config = PremisesConfig(seed=1)
    if kind == DeviceKind.IHD:
        config.ihd = behaviour
    else:
        config.ppmid = behaviour
    return Premises(START, Occupancy(1, [(START, A), (COT, B)]), config)


def seat(premises: Premises, dut: RemoteDevice) -> None:
    """Put ``dut`` in the empty IHD/PPMID place: on the HAN, admitted by the CHF."""
    premises.identities[dut.kind] = dut.identity
    han = premises.han
    han.add(dut)  # type: ignore[arg-type]  # a DeviceUnderTest, not a Device
    # The HAN wakes devices due at one instant in the order they were added: keep the
    # premises' order (IHD before PPMID) so the air traffic is the in-process one exactly.
    order = ("CHF", "GPF", "ESME", "GSME", "IHD", "PPMID")
    han.devices = {name: han.devices[name] for name in order if name in han.devices}
    premises.chf.admit(dut.identity)


def commission(premises: Premises, slot: Any) -> None:
    """:meth:`Premises.commission` with ``slot`` in its place (same order, so same frames)."""
    ids = premises.identities
    han = premises.han
    han.join(premises.chf, {})
    han.join(premises.gpf, {DeviceKind.GSME: ids[DeviceKind.GSME]})
    han.join(premises.esme, {})
    han.join(premises.gsme, {DeviceKind.GPF: ids[DeviceKind.GPF]})
    clients = [premises.ihd, premises.ppmid]
    clients[0 if slot.kind == DeviceKind.IHD else 1] = slot
    for client in clients:
        assert client is not None
        premises.esme.bind(client.identity)
        premises.gpf.bind(client.identity)
        han.join(
            client, {DeviceKind.ESME: ids[DeviceKind.ESME], DeviceKind.GPF: ids[DeviceKind.GPF]}
        )


def run_cot(premises: Premises, slot: Any, observe: Callable[[int], Observation]) -> Run:
    """Occupier A: messages, top-ups; a future-dated CoT for both fuels set the afternoon before
    (SRV 3.2 via ``restrict_access_for_cot``); the device is powered off while the CoT is
    pending and back on after it; occupier B for two days."""
    han = premises.han
    supplier = Supplier(premises)
    frames: list[tuple[Any, ...]] = []
    han.taps.append(
        lambda f, delivered: frames.append(
            (
                f.time,
                f.src.name,
                f.src.eui64,
                f.src.nwk,
                f.dst.name,
                f.cluster,
                f.payload,
                delivered,
            )
        )
    )
    han.schedule(START, lambda now: commission(premises, slot))
    han.schedule(START + tu.DAY + 9 * HOUR, lambda now: supplier.top_up(now, 2000))
    han.schedule(START + tu.DAY + 10 * HOUR, lambda now: supplier.display_message(now, "For A"))
    han.schedule(COT - 10 * HOUR, lambda now: supplier.restrict_access_for_cot(now, COT))
    han.schedule(COT - 5 * HOUR, lambda now: slot.power_off(now))
    han.schedule(COT + 9 * HOUR, lambda now: supplier.top_up(now, 1000))
    han.schedule(COT + 2 * HOUR, lambda now: slot.power_on(now))
    han.run_until(COT - 6 * HOUR)
    before = observe(han.now)
    han.run_until(END)
    return Run(frames, before, observe(END))


def in_process(kind: DeviceKind, behaviour: ClientBehaviour) -> Run:
    premises = build(kind, behaviour)
    client = premises.ihd if kind == DeviceKind.IHD else premises.ppmid
    assert client is not None
    try:
        return run_cot(premises, client, lambda now: observe_client(client, now))
    finally:
        premises.close()


def remote(
    devices: list[RemoteDevice], kind: DeviceKind, *options: str, timeout: float = 5.0
) -> tuple[Premises, RemoteDevice]:
    premises = build(kind, None)
    # The kit proposes the slot's identity (EUI-64, NWK address, link key); the example device
    # adopts it, so its frames compare equal to the in-process model's.
    dut = RemoteDevice.spawn(
        [*EXAMPLE, "--connect", "{address}", "--type", kind.lower(), *options],
        timeout=timeout,
        identity=premises.identities[kind],
    )
    devices.append(dut)
    seat(premises, dut)
    return premises, dut


# -- the example device through the adapter, in a real premises ------------------------------
@pytest.mark.parametrize("kind", [DeviceKind.IHD, DeviceKind.PPMID])
def test_remote_reference_device_clears_exactly_like_in_process(
    devices: list[RemoteDevice], kind: DeviceKind
) -> None:
    premises, dut = remote(devices, kind)
    assert dut.identity == premises.identities[kind]
    assert (dut.profile, dut.spec_version) == (
        "reference",
        "IHDTS v5.0" if kind == DeviceKind.IHD else "PPMIDTS v5.0",
    )
    got = run_cot(premises, dut, dut.observe)
    expected = in_process(kind, ClientBehaviour())

    assert got.before.count(before=COT) > 0, "occupier A's data should be held before the CoT"
    assert got.before.shows["message"] == "For A"
    assert got.after.count(before=COT) == 0, "the remote device kept occupier A's data"
    assert got.after.shows["message"] is None
    assert got.after.count() > 0, "occupier B's data should be kept"
    # The adapter is transparent: same observation, frame for frame the same air traffic.
    assert got.before == expected.before
    assert got.after == expected.after
    assert len(got.frames) == len(expected.frames)
    assert got.frames == expected.frames


def test_remote_legacy_ihd_keeps_the_previous_occupiers_data(devices: list[RemoteDevice]) -> None:
    premises, dut = remote(devices, DeviceKind.IHD, "--profile", "legacy")
    assert (dut.profile, dut.spec_version) == ("legacy", "IHDTS v4.2")
    got = run_cot(premises, dut, dut.observe)
    expected = in_process(DeviceKind.IHD, ClientBehaviour.legacy())
    held = got.after.count(("day", "week", "month", "profile", "message"), before=COT)
    assert held > 0, "a v4.2 IHD never reads the tenancy attributes, so it cannot clear"
    assert got.after.shows["message"] == "For A"
    assert got.after == expected.after


def test_remote_faulty_variant_by_name(devices: list[RemoteDevice]) -> None:
    # clears messages on a CoT but keeps the history: a profile name the kit's variants define.
    premises, dut = remote(devices, DeviceKind.IHD, "--profile", "clears-messages-not-history")
    got = run_cot(premises, dut, dut.observe)
    assert got.after.count(("message",), before=COT) == 0
    assert got.after.count(("day", "week", "month", "profile"), before=COT) > 0


# -- misbehaving devices: a typed error with its reason, quickly --------------------------------
@pytest.mark.parametrize(
    ("mode", "after", "reason"),
    [
        ("garbage", 1, Reason.MALFORMED),  # answers hello, then garbage to the join
        ("silent", 40, Reason.TIMEOUT),  # goes quiet in the middle of the scenario
        ("drop", 150, Reason.DROPPED),  # hangs up in the middle of the scenario
    ],
)
def test_misbehaving_device_gives_a_typed_error_not_a_hang(
    devices: list[RemoteDevice], mode: str, after: int, reason: Reason
) -> None:
    premises, dut = remote(
        devices, DeviceKind.IHD, "--misbehave", mode, "--after", str(after), timeout=2.0
    )
    began = time.monotonic()
    with pytest.raises(RemoteDeviceError) as caught:
        run_cot(premises, dut, dut.observe)
    assert time.monotonic() - began < NO_HANG
    assert caught.value.reason == reason
    assert isinstance(caught.value, HancotError)
    assert reason.value in str(caught.value)
    if mode == "drop":  # a spawned device's exit status is part of the story
        assert "the device process exited with status 3" in str(caught.value)
    # Broken for good: every later call fails at once with the same error, no further waiting.
    began = time.monotonic()
    for call in (lambda: dut.tick(END), lambda: dut.observe(END), lambda: dut.next_wakeup(END)):
        with pytest.raises(RemoteDeviceError) as again:
            call()
        assert again.value is caught.value
    # Well under the 2 s request timeout: nothing waited for the device again.
    assert time.monotonic() - began < 1.5
    dut.close()
    assert dut.process is not None and dut.process.poll() is not None


def test_silent_device_error_says_how_long_and_what_it_was_asked(
    devices: list[RemoteDevice],
) -> None:
    premises, dut = remote(devices, DeviceKind.IHD, "--misbehave", "silent", timeout=1.0)
    with pytest.raises(RemoteDeviceError, match="no complete answer in time") as caught:
        commission(premises, dut)
    assert caught.value.reason == Reason.TIMEOUT
    asked = f"[join request #2 at virtual time {START} ({tu.iso(START)}); limit 1 s]"
    assert asked in str(caught.value)


# -- malformed and protocol-breaking answers, from a scripted peer on a real socket ------------
def wire(message: Any) -> bytes:
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


def hello(request: dict[str, Any], **changes: Any) -> bytes:
    answer = {
        "type": "hello",
        "id": request["id"],
        "protocol": 1,
        "kind": "IHD",
        "eui64": "00DB1234567890A4",
        "nwk": 0x1234,
        "profile": "scripted",
        "spec": "IHDTS v5.0",
    }
    return wire({**answer, **changes})


class Hangup(bytes):
    """An answer after which the scripted peer closes the connection."""


Script = Callable[[dict[str, Any]], bytes | None]


class ScriptedPeer:
    """A device that answers each request with the bytes ``script`` returns (None: hang up).

    It reads the kit's requests with its own parser, independent of the adapter's.
    """

    def __init__(self, script: Script, unix_path: Path | None = None) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        if unix_path is None:
            self.server = socket.create_server(("127.0.0.1", 0))
            self.address = f"tcp:127.0.0.1:{self.server.getsockname()[1]}"
        else:
            self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.server.bind(str(unix_path))
            self.server.listen(1)
            self.address = f"unix:{unix_path}"
        self.server.settimeout(NO_HANG)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _read(self, conn: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _run(self) -> None:
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(NO_HANG)
            try:
                while (prefix := self._read(conn, 4)) is not None:
                    body = self._read(conn, struct.unpack(">I", prefix)[0])
                    if body is None:
                        return
                    request = json.loads(body)
                    self.requests.append(request)
                    answer = self.script(request)
                    if answer is None:
                        return
                    conn.sendall(answer)
                    if isinstance(answer, Hangup):
                        return
            except OSError:
                return

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=NO_HANG)


@pytest.fixture
def peers() -> Iterator[list[ScriptedPeer]]:
    made: list[ScriptedPeer] = []
    yield made
    for peer in made:
        peer.close()


def connect(peers: list[ScriptedPeer], script: Script, **kw: Any) -> RemoteDevice:
    peer = ScriptedPeer(script, **kw)
    peers.append(peer)
    return RemoteDevice.connect(peer.address, timeout=1.0)


@pytest.mark.parametrize(
    ("answer", "reason", "says"),
    [
        (lambda r: b"\xff\xff\xff\xff" + b"x" * 16, Reason.MALFORMED, "length prefix"),
        (lambda r: b"\x00\x00\x00\x00", Reason.MALFORMED, "length prefix"),
        (lambda r: b"\x00\x00\x00\x03\xc3\x28!", Reason.MALFORMED, "not UTF-8"),
        (lambda r: b"\x00\x00\x00\x05hello", Reason.MALFORMED, "not JSON"),
        (lambda r: wire([1, 2, 3]), Reason.MALFORMED, "not an object"),
        (lambda r: struct.pack(">I", 12) + b'{"type":NaN}', Reason.MALFORMED, "not JSON"),
        (lambda r: wire({"id": r["id"]}), Reason.MALFORMED, "no string 'type'"),
        (lambda r: wire({"type": "hello", "id": 99}), Reason.PROTOCOL, "carries id"),
        (lambda r: wire({"type": "frames", "id": r["id"]}), Reason.PROTOCOL, "answered by"),
        (lambda r: hello(r, protocol=2), Reason.PROTOCOL, "protocol 2"),
        (lambda r: hello(r, kind="ESME"), Reason.PROTOCOL, "not IHD or PPMID"),
        (lambda r: hello(r, eui64="00:DB:12:34"), Reason.PROTOCOL, "16 hex digits"),
        (lambda r: hello(r, nwk=0xFFFF), Reason.PROTOCOL, "outside"),
        (lambda r: hello(r, nwk=True), Reason.PROTOCOL, "must be int"),
        (lambda r: hello(r, link_key="00"), Reason.PROTOCOL, "16 bytes"),
        (
            lambda r: wire({"type": "error", "id": r["id"], "message": "no"}),
            Reason.DEVICE,
            "refused hello",
        ),
        (lambda r: Hangup(hello(r)[:20]), Reason.DROPPED, "after 20 byte(s)"),
        (lambda r: None, Reason.DROPPED, "closed by the peer"),
    ],
)
def test_a_bad_hello_is_refused(
    peers: list[ScriptedPeer], answer: Script, reason: Reason, says: str
) -> None:
    with pytest.raises(RemoteDeviceError) as caught:
        connect(peers, answer)
    assert caught.value.reason == reason
    assert says in str(caught.value)


ESME = DeviceIdentity("ESME", DeviceKind.ESME, EUI64[DeviceKind.ESME], 0x2222)
GOOD = {"eui64": "00DB1234567890A0", "nwk": 0x2222, "endpoint": 1}
ME = {"eui64": "00DB1234567890A4", "nwk": 0x1234, "endpoint": 1}
FRAME = {"src": ME, "dst": GOOD, "profile": 0x0109, "cluster": 0x0702, "zcl": "00010000000004"}


def answers_join_with(*frames: Any) -> Script:
    def script(request: dict[str, Any]) -> bytes:
        if request["type"] == "hello":
            return hello(request)
        return wire({"type": "frames", "id": request["id"], "frames": list(frames)})

    return script


def test_a_well_addressed_frame_is_taken(peers: list[ScriptedPeer]) -> None:
    dut = connect(peers, answers_join_with(FRAME))
    (frame,) = dut.join(START, {DeviceKind.ESME: ESME})
    assert (frame.src, frame.dst, frame.cluster) == (dut.identity, ESME, 0x0702)
    assert frame.payload == bytes.fromhex("00010000000004")
    assert frame.time == START
    dut.close()
    join = peers[0].requests[1]
    assert join["type"] == "join" and join["time"] == START
    assert join["peers"] == [{"kind": "ESME", **GOOD}]
    assert peers[0].requests[-1]["type"] == "bye"


@pytest.mark.parametrize(
    ("frame", "reason", "says"),
    [
        ({**FRAME, "src": GOOD}, Reason.MISADDRESSED, "but the device is"),
        ({**FRAME, "src": {**ME, "nwk": 0x1235}}, Reason.MISADDRESSED, "but the device is"),
        ({**FRAME, "dst": {**GOOD, "nwk": 0x2223}}, Reason.MISADDRESSED, "no device it was"),
        ({**FRAME, "dst": {**GOOD, "eui64": "00DB1234567890FF"}}, Reason.MISADDRESSED, "no dev"),
        ({**FRAME, "profile": 0x0104}, Reason.MISADDRESSED, "profile 0x0104"),
        ({**FRAME, "dst": {**GOOD, "endpoint": 0xF2}}, Reason.PROTOCOL, "'endpoint'"),
        ({**FRAME, "cluster": 0x10000}, Reason.PROTOCOL, "'cluster'"),
        ({**FRAME, "zcl": "0001000"}, Reason.PROTOCOL, "even number of hex digits"),
        ({**FRAME, "zcl": "zz"}, Reason.PROTOCOL, "even number of hex digits"),
        ({**FRAME, "zcl": ""}, Reason.PROTOCOL, "1..4096 bytes"),
        ({**FRAME, "zcl": "00" * 4097}, Reason.PROTOCOL, "1..4096 bytes"),
        ({**FRAME, "secured": "yes"}, Reason.PROTOCOL, "true or false"),
        ("00010000", Reason.PROTOCOL, "frame must be an object"),
    ],
)
def test_a_badly_addressed_or_malformed_frame_is_refused(
    peers: list[ScriptedPeer], frame: Any, reason: Reason, says: str
) -> None:
    dut = connect(peers, answers_join_with(FRAME, frame))
    with pytest.raises(RemoteDeviceError) as caught:
        dut.join(START, {DeviceKind.ESME: ESME})
    assert caught.value.reason == reason
    assert says in str(caught.value)
    dut.close()


@pytest.mark.parametrize(
    ("observation", "says"),
    [
        ({"records": "none"}, "'records' must be list"),
        ({"records": [{"kind": "day"}]}, "'time' must be int"),
        ({"records": [{"kind": "", "time": 1}]}, "1..32 chars"),
        ({"records": [{"kind": "day", "time": -1}]}, "outside"),
        ({"records": [], "shows": []}, "'shows' must be an object"),
        ({"records": [], "status": [1]}, "list of strings"),
    ],
)
def test_a_malformed_observation_is_refused(
    peers: list[ScriptedPeer], observation: dict[str, Any], says: str
) -> None:
    def script(request: dict[str, Any]) -> bytes:
        if request["type"] == "hello":
            return hello(request)
        return wire({"type": "observation", "id": request["id"], **observation})

    dut = connect(peers, script)
    with pytest.raises(RemoteDeviceError) as caught:
        dut.observe(START)
    assert caught.value.reason == Reason.PROTOCOL
    assert says in str(caught.value)
    dut.close()


def test_observation_and_wakeup_travel_intact(peers: list[ScriptedPeer]) -> None:
    def script(request: dict[str, Any]) -> bytes:
        kind = request["type"]
        if kind == "hello":
            return hello(request)
        if kind == "next_wakeup":
            return wire({"type": "wakeup", "id": request["id"], "time": request["time"] + 60})
        return wire(
            {
                "type": "observation",
                "id": request["id"],
                "records": [{"kind": "day", "time": START, "summary": "électricité"}],
                "shows": {"message": "Bonjour"},
                "status": ["GPF: tenancy attributes unsupported"],
            }
        )

    dut = connect(peers, script, unix_path=None)
    seen = dut.observe(START)
    assert seen.count(("day",), before=START + 1) == 1
    assert seen.records[0].summary == "électricité"
    assert seen.shows == {"message": "Bonjour"}
    assert seen.status == ("GPF: tenancy attributes unsupported",)
    assert dut.next_wakeup(START) == START + 60
    assert dut.next_wakeup(START) == START + 60  # same instant, nothing happened: asked once
    assert [r["type"] for r in peers[0].requests] == ["hello", "observe", "next_wakeup"]
    dut.close()


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_unix_socket_device(peers: list[ScriptedPeer], tmp_path: Path) -> None:
    path = tmp_path / "dut.sock"
    peer = ScriptedPeer(lambda r: hello(r, kind="PPMID"), unix_path=path)
    peers.append(peer)
    dut = load_remote(f"unix:{path}", timeout=1.0)
    assert dut.kind == DeviceKind.PPMID and dut.name == "PPMID"
    dut.close()


# -- the example device refuses what is not a message ------------------------------------------
@pytest.fixture
def listening_example() -> Iterator[tuple[str, int]]:
    process = subprocess.Popen(
        [*EXAMPLE, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        assert line.startswith("listening on tcp:"), line
        host, port = line.split("tcp:")[1].strip().rsplit(":", 1)
        yield host, int(port)
    finally:
        process.kill()
        process.wait(timeout=NO_HANG)
        if process.stdout is not None:
            process.stdout.close()


def read_answer(sock: socket.socket) -> dict[str, Any] | None:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) >= 4 and len(data) >= 4 + struct.unpack(">I", data[:4])[0]:
            break
    if not data:
        return None
    length = struct.unpack(">I", data[:4])[0]
    answer: dict[str, Any] = json.loads(data[4 : 4 + length])
    return answer


def ask(sock: socket.socket, request: dict[str, Any]) -> dict[str, Any]:
    sock.sendall(wire(request))
    answer = read_answer(sock)
    assert answer is not None, f"no answer to {request}"
    return answer


def test_example_device_refuses_malformed_requests(listening_example: tuple[str, int]) -> None:
    with socket.create_connection(listening_example, timeout=NO_HANG) as sock:
        # Refused, and the link stays up: an unknown request, one without its time, one before
        # hello, a second hello, a frame on another profile.
        assert ask(sock, {"type": "reboot", "id": 1}) == {
            "type": "error",
            "id": 1,
            "message": "unknown request type 'reboot'",
        }
        answer = ask(sock, {"type": "tick", "id": 2})
        assert answer["type"] == "error" and "'time'" in answer["message"]
        answer = ask(sock, {"type": "tick", "id": 3, "time": START})
        assert answer == {"type": "error", "id": 3, "message": "say hello first"}
        answer = ask(sock, {"type": "hello", "id": 4, "protocol": 1})
        assert answer["type"] == "hello" and answer["kind"] == "IHD" and answer["id"] == 4
        answer = ask(sock, {"type": "hello", "id": 5, "protocol": 1})
        assert answer["type"] == "error" and "hello twice" in answer["message"]
        frame = {**FRAME, "src": GOOD, "dst": ME, "profile": 0x0104}
        answer = ask(sock, {"type": "frame", "id": 6, "time": START, "frame": frame})
        assert answer["type"] == "error" and "0x0104" in answer["message"]
        answer = ask(sock, {"type": "tick", "id": 7, "time": START})
        assert answer == {"type": "frames", "id": 7, "frames": []}
        # Bytes that are not JSON: refused, then the device hangs up (it cannot resynchronise).
        sock.sendall(b"\x00\x00\x00\x04{{{{")
        answer = read_answer(sock)
        assert answer is not None and answer["type"] == "error" and answer["id"] is None
        assert "not JSON" in answer["message"]
        assert read_answer(sock) is None


def test_tcp_factory_gets_a_factory_new_device_per_session(
    listening_example: tuple[str, int],
) -> None:
    host, port = listening_example
    factory = RemoteFactory(f"tcp:{host}:{port}", timeout=10.0)
    assert "IHDTS v5.0" in factory.describe()
    assert (factory.kind, factory.policy) == (DeviceKind.IHD, "extended")
    # One session through a CoT: the device holds data; the next session is a new device.
    premises = build(DeviceKind.IHD, None)
    slot = premises.identities[DeviceKind.IHD]
    try:
        with factory(slot) as dut:
            assert dut.identity == slot
            seat(premises, dut)
            premises.han.schedule(START, lambda now: commission(premises, dut))
            premises.han.run_until(START + 2 * HOUR)
            assert dut.observe(premises.han.now).count(("day",)) > 0
    finally:
        premises.close()
    with factory(slot) as fresh:
        assert fresh.observe(START).records == ()


# -- device specifications and launching ---------------------------------------------------------
def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port: int = server.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("ihd", Reason.SPEC),
        ("serial:/dev/ttyUSB0", Reason.SPEC),
        ("tcp:127.0.0.1", Reason.SPEC),
        ("tcp:127.0.0.1:http", Reason.SPEC),
        ("tcp::7000", Reason.SPEC),
        ("tcp:127.0.0.1:70000", Reason.SPEC),
        ("exec:", Reason.SPEC),
        ("exec:'unclosed", Reason.SPEC),
        ("exec:/nonexistent/hancot-device", Reason.SPAWN),
    ],
)
def test_bad_device_specs(spec: str, reason: Reason) -> None:
    with pytest.raises(RemoteDeviceError) as caught:
        load_remote(spec, timeout=1.0)
    assert caught.value.reason == reason


def test_nothing_listening_is_unreachable() -> None:
    with pytest.raises(RemoteDeviceError, match="cannot connect") as caught:
        load_remote(f"tcp:127.0.0.1:{closed_port()}", timeout=1.0)
    assert caught.value.reason == Reason.UNREACHABLE


def test_a_device_command_that_exits_says_why() -> None:
    code = "import sys; print('no radio found'); sys.exit(3)"
    with pytest.raises(RemoteDeviceError, match=r"status 3.*no radio found") as caught:
        RemoteDevice.spawn([sys.executable, "-c", code], timeout=1.0)
    assert caught.value.reason == Reason.SPAWN


def test_a_device_command_that_never_connects_is_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    began = time.monotonic()
    with pytest.raises(RemoteDeviceError, match="did not connect within 1 s") as caught:
        RemoteDevice.spawn([sys.executable, "-c", code], timeout=1.0, connect_timeout=1.0)
    assert time.monotonic() - began < NO_HANG
    assert caught.value.reason == Reason.SPAWN
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        _signal_zero(pid)


def _signal_zero(pid: int) -> None:
    import os

    os.kill(pid, 0)  # raises ProcessLookupError once the process is gone (and reaped)


def test_a_device_with_a_fixed_eui64_answers_with_its_own(devices: list[RemoteDevice]) -> None:
    proposed = DeviceIdentity("IHD", DeviceKind.IHD, EUI64[DeviceKind.IHD], 0x1111, bytes(16))
    dut = RemoteDevice.spawn(
        [*EXAMPLE, "--eui64", "00:11:22:33:44:55:66:77"], timeout=10.0, identity=proposed
    )
    devices.append(dut)
    assert dut.identity == DeviceIdentity("IHD", DeviceKind.IHD, 0x0011223344556677, 0x1111)


def test_exec_factory_starts_a_process_per_session() -> None:
    factory = RemoteFactory(f"exec:{sys.executable} -m hancot.conformance.example_device "
                            "--profile legacy --type ppmid", timeout=10.0)  # fmt: skip
    assert "PPMIDTS v4.2" in factory.describe() and "legacy" in factory.description
    assert factory.kind == DeviceKind.PPMID
    slot = DeviceIdentity("PPMID", DeviceKind.PPMID, EUI64[DeviceKind.PPMID], 0x2345, bytes(16))
    first, second = factory(slot), factory(slot)
    try:
        assert first.identity == second.identity == slot
        assert first.process is not None and second.process is not None
        assert first.process.pid != second.process.pid
    finally:
        first.close()
        second.close()
    assert first.process.poll() is not None and second.process.poll() is not None


def test_exec_spec_passes_the_address_in_the_environment(devices: list[RemoteDevice]) -> None:
    # No {address} in the command: the example device finds the kit through the environment.
    dut = load_remote(f"exec:{sys.executable} -m hancot.conformance.example_device --type ppmid")
    devices.append(dut)
    assert dut.kind == DeviceKind.PPMID
    assert dut.origin.startswith("exec:")
    assert ADDRESS_ENV == "HANCOT_DEVICE_ADDRESS"
    assert dut.observe(START).shows["credit_pence"] is None
