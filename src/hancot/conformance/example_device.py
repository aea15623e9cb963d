"""An example out-of-process device under test: hancot's reference IHD or PPMID behind the socket.

This is the model a device maker copies for firmware built for the host or a bridge to a real
device.  It speaks the framing of ``docs/remote-adapter.md``: read one request, act on it, write
one answer, until ``bye`` or the kit hangs up::

    python -m hancot.conformance.example_device --connect 127.0.0.1:7000 --type ihd
    python -m hancot.conformance.example_device --listen 127.0.0.1:0      # prints its port

With neither option it connects to the address in ``HANCOT_DEVICE_ADDRESS`` (how
:meth:`hancot.conformance.remote.RemoteDevice.spawn` starts it).  ``--misbehave`` makes it emit
garbage, go silent or drop the connection after ``--after`` good answers, to test the kit.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import socket
import sys
import time
from collections.abc import Sequence
from typing import Any

from hancot.conformance.dut import observe_client
from hancot.conformance.remote import (
    ADDRESS_ENV,
    PROTOCOL_VERSION,
    MessageReader,
    Reason,
    RemoteDeviceError,
    eui64_text,
    frame_to_wire,
    observation_to_wire,
    parse_eui64,
    parse_frame,
    send_message,
)
from hancot.devices.client import ClientBehaviour, HanClient, Ihd, Ppmid
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.han.premises import EUI64

#: Default NWK short address; the kit takes whatever the device announces in ``hello``.
DEFAULT_NWK = {DeviceKind.IHD: 0x4A01, DeviceKind.PPMID: 0x4A02}
SPEC_VERSION = {DeviceKind.IHD: "IHDTS v5.0", DeviceKind.PPMID: "PPMIDTS v5.0"}
LEGACY_SPEC_VERSION = {DeviceKind.IHD: "IHDTS v4.2", DeviceKind.PPMID: "PPMIDTS v4.2"}
MISBEHAVIOURS = ("garbage", "silent", "drop")
REQUESTS = (
    "hello",
    "join",
    "frame",
    "tick",
    "next_wakeup",
    "power_off",
    "power_on",
    "observe",
    "bye",
)


def behaviour_for(profile: str, overrides: Sequence[str] = ()) -> ClientBehaviour:
    """The behaviour a ``--profile`` names, with ``--set FIELD=VALUE`` overrides applied.

    ``reference`` and ``legacy`` are built in; any other name is looked up among the conformance
    kit's faulty variants when the kit provides them (``hancot.conformance.variants``).
    """
    if profile == "reference":
        behaviour = ClientBehaviour()
    elif profile == "legacy":
        behaviour = ClientBehaviour.legacy()
    else:
        behaviour = _kit_variant(profile)
    changes: dict[str, Any] = {}
    fields = {f.name: f for f in dataclasses.fields(ClientBehaviour)}
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or key not in fields or key == "tenancy_sources":
            settable = ", ".join(sorted(set(fields) - {"tenancy_sources"}))
            raise SystemExit(f"--set {item!r}: use FIELD=VALUE with FIELD one of {settable}")
        current = getattr(behaviour, key)
        if isinstance(current, bool):
            if text.lower() not in ("true", "false"):
                raise SystemExit(f"--set {key}: {text!r} is not true or false")
            changes[key] = text.lower() == "true"
        elif isinstance(current, int):
            try:
                changes[key] = int(text)
            except ValueError:
                raise SystemExit(f"--set {key}: {text!r} is not a whole number") from None
        else:
            changes[key] = text
    try:
        return dataclasses.replace(behaviour, **changes)
    except ValueError as exc:
        raise SystemExit(f"--set: {exc}") from None


def _kit_variant(profile: str) -> ClientBehaviour:
    """A faulty variant shipped with the conformance kit (``hancot.conformance.variants``)."""
    try:
        from hancot.conformance import variants
    except ImportError:
        raise SystemExit(
            f"--profile {profile!r}: only 'reference' and 'legacy' are available here"
        ) from None
    table: dict[str, Any] = getattr(variants, "BY_NAME", {})
    if profile not in table:
        names = ", ".join(["reference", "legacy", *sorted(table)])
        raise SystemExit(f"--profile {profile!r} is unknown; choose from {names}")
    return table[profile].behaviour()  # type: ignore[no-any-return]


class ExampleDevice:
    """One factory-new IHD/PPMID served on one connected socket.

    The :class:`HanClient` is built when the kit says ``hello``: with the EUI-64 and NWK address
    the kit proposes, unless the command line fixed them (as a real radio's EUI-64 is fixed).
    """

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        misbehave: str | None = None,
        after: int = 1,
    ) -> None:
        self.args = args
        self.kind = DeviceKind.IHD if args.type == "ihd" else DeviceKind.PPMID
        self.behaviour = behaviour_for(args.profile, args.set or ())
        versions = LEGACY_SPEC_VERSION if args.profile == "legacy" else SPEC_VERSION
        self.spec = args.spec or versions[self.kind]
        self._client: HanClient | None = None
        self.misbehave = misbehave
        self.after = after
        #: Who the device knows by address (EUI-64, NWK): its bound meters and anyone heard from.
        self.known: dict[tuple[int, int], DeviceIdentity] = {}
        self.answered = 0

    @property
    def client(self) -> HanClient:
        if self._client is None:
            raise _protocol("say hello first")
        return self._client

    def _hello(self, request: dict[str, Any]) -> dict[str, Any]:
        if self._client is not None:
            raise _protocol("hello twice on one connection (each connection is one device)")
        args = self.args
        eui64, nwk = EUI64[self.kind], DEFAULT_NWK[self.kind]
        if "eui64" in request:
            eui64 = parse_eui64(request["eui64"])
        if isinstance(request.get("nwk"), int) and 0 < request["nwk"] < 0xFFF8:
            nwk = request["nwk"]
        eui64 = args.eui64 if args.eui64 is not None else eui64
        nwk = args.nwk if args.nwk is not None else nwk
        # The link key the kit's trust centre holds for this slot; hancot's model does no APS
        # security of its own, so it only echoes it.
        link_key = request.get("link_key") if args.eui64 is None else None
        identity = DeviceIdentity(self.kind.value, self.kind, eui64, nwk)
        cls = Ihd if self.kind == DeviceKind.IHD else Ppmid
        self._client = cls(identity, behaviour=self.behaviour)
        answer = {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "kind": self.kind.value,
            "eui64": eui64_text(eui64),
            "nwk": nwk,
            "profile": self.behaviour.profile,
            "spec": self.spec,
            "policy": self.behaviour.policy,
            "model": f"hancot example {self.kind.value}",
        }
        if isinstance(link_key, str):
            answer["link_key"] = link_key
        return answer

    def close(self) -> None:
        if self._client is not None:
            self._client.store.close()

    # -- requests -------------------------------------------------------------------------------
    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """The answer to one request (without its id).  Raises RemoteDeviceError when bad."""
        kind = request["type"]
        now = request.get("time")
        if kind not in REQUESTS:
            raise _protocol(f"unknown request type {kind!r:.30}")
        if kind not in ("hello", "bye") and (not isinstance(now, int) or isinstance(now, bool)):
            raise _protocol(f"{kind} needs an integer 'time'")
        if kind == "hello":
            return self._hello(request)
        if kind == "bye":
            return {"type": "ok"}
        client = self.client
        if kind == "join":
            peers = {}
            for peer in request.get("peers") or []:
                try:
                    peer_kind = DeviceKind(peer["kind"])
                    identity = DeviceIdentity(
                        peer_kind.value, peer_kind, parse_eui64(peer["eui64"]), int(peer["nwk"])
                    )
                except (KeyError, TypeError, ValueError):
                    raise _protocol(f"bad peer {peer!r:.60}") from None
                peers[peer_kind] = identity
                self.known[(identity.eui64, identity.nwk)] = identity
            return self._frames(client.join(now, peers))
        if kind == "frame":
            (src_eui, src_nwk, src_ep), (dst_eui, dst_nwk, dst_ep), cluster, secured, zcl = (
                parse_frame(request.get("frame"))
            )
            src = self.known.get((src_eui, src_nwk))
            if src is None:
                # Someone the device is not bound to: it knows only the address.  HanClient
                # ignores what such a sender says (it matches meters by EUI-64 and NWK).
                src = DeviceIdentity(eui64_text(src_eui), DeviceKind.CAD, src_eui, src_nwk)
                self.known[(src_eui, src_nwk)] = src
            if (dst_eui, dst_nwk) != (client.identity.eui64, client.identity.nwk):
                return self._frames([])  # not addressed to this device: the radio drops it
            frame = HanFrame(
                time=now, src=src, dst=client.identity, cluster=cluster, payload=zcl,
                src_ep=src_ep, dst_ep=dst_ep, aps_secured=secured,
            )  # fmt: skip
            return self._frames(client.receive(now, frame))
        if kind == "tick":
            return self._frames(client.tick(now))
        if kind == "next_wakeup":
            return {"type": "wakeup", "time": client.next_wakeup(now)}
        if kind == "power_off":
            client.power_off(now)
            return {"type": "ok"}
        if kind == "power_on":
            return self._frames(client.power_on(now))
        if kind == "observe":
            return {"type": "observation", **observation_to_wire(observe_client(client, now))}
        raise AssertionError(kind)  # every name in REQUESTS is handled above

    def _frames(self, frames: list[HanFrame]) -> dict[str, Any]:
        return {"type": "frames", "frames": [frame_to_wire(f) for f in frames]}

    # -- the loop -------------------------------------------------------------------------------
    def serve(self, sock: socket.socket) -> int:
        """Answer requests until ``bye`` or the kit hangs up; the exit status."""
        reader = MessageReader(sock)
        while True:
            try:
                request = reader.read(None, eof_ok=True)
            except RemoteDeviceError as exc:
                # Refuse what is not a message and stop: after a bad length prefix the stream
                # cannot be resynchronised.
                self._send(sock, {"type": "error", "id": None, "message": exc.detail})
                return 1
            if request is None:
                return 0  # the kit hung up between messages: a normal end
            request_id = request.get("id")
            if self.misbehave and self.answered >= self.after:
                return self._misbehave(sock)
            try:
                answer = self.handle(request)
            except RemoteDeviceError as exc:
                answer = {"type": "error", "message": exc.detail}
            self._send(sock, {**answer, "id": request_id})
            self.answered += 1
            if request["type"] == "bye":
                return 0

    def _send(self, sock: socket.socket, message: dict[str, Any]) -> None:
        with contextlib.suppress(RemoteDeviceError):
            send_message(sock, message, 10.0)

    def _misbehave(self, sock: socket.socket) -> int:
        if self.misbehave == "garbage":
            # A length prefix that fits, then bytes that are not UTF-8 JSON.
            sock.sendall(b"\x00\x00\x00\x0c\xff\xfe not JSON!")
            time.sleep(30)  # keep the connection open: the kit must decide by itself
        elif self.misbehave == "silent":
            time.sleep(3600)  # never answer; the kit's timeout must fire (it kills us after)
        # "drop": hang up mid-conversation.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        return 3


def _protocol(message: str) -> RemoteDeviceError:
    return RemoteDeviceError(Reason.PROTOCOL, message)


def _host_port(text: str) -> tuple[str, int]:
    if text.startswith("tcp:"):
        text = text[4:]
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def _number(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (0x... for hex)") from None


def _eui64(text: str) -> int:
    digits = text.replace(":", "").replace("-", "")
    if len(digits) != 16:
        raise argparse.ArgumentTypeError(f"{text!r} is not an EUI-64 (16 hex digits)")
    return _number("0x" + digits)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m hancot.conformance.example_device",
        description="hancot's reference IHD/PPMID served over the conformance kit's socket "
        "framing (docs/remote-adapter.md).",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--connect", type=_host_port, metavar="HOST:PORT", help="connect to the kit")
    where.add_argument(
        "--listen", type=_host_port, metavar="HOST:PORT",
        help="wait for the kit to connect (port 0: any; the address is printed on stdout)",
    )  # fmt: skip
    p.add_argument("--type", choices=("ihd", "ppmid"), default="ihd", help="device type")
    p.add_argument(
        "--profile", default="reference",
        help="reference (v5.0), legacy (v4.2) or a faulty variant of the conformance kit",
    )  # fmt: skip
    p.add_argument(
        "--set", action="append", metavar="FIELD=VALUE",
        help="change one ClientBehaviour field, e.g. clears_messages=false (repeatable)",
    )  # fmt: skip
    p.add_argument("--once", action="store_true", help="with --listen: serve one connection")
    p.add_argument(
        "--eui64", type=_eui64,
        help="fixed EUI-64 (default: the one the kit proposes, else the premises' IHD/PPMID one)",
    )  # fmt: skip
    p.add_argument("--nwk", type=_number, help="fixed NWK short address (default: as --eui64)")
    p.add_argument("--spec", help="specification version to announce (default from the profile)")
    p.add_argument("--misbehave", choices=MISBEHAVIOURS, help="for testing the kit")
    p.add_argument(
        "--after", type=int, default=1, metavar="N",
        help="misbehave after N good answers (default 1: after hello)",
    )  # fmt: skip
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    behaviour_for(args.profile, args.set or ())  # refuse a bad profile before any connection

    def serve(sock: socket.socket) -> int:
        device = ExampleDevice(args, misbehave=args.misbehave, after=args.after)
        with sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                return device.serve(sock)
            finally:
                device.close()

    if args.listen is not None:
        # Each connection is a factory-new device; serve them one after another until killed
        # (or one only, with --once).
        with socket.create_server(args.listen) as listener:
            host, port = listener.getsockname()[:2]
            print(f"listening on tcp:{host}:{port}", flush=True)
            while True:
                sock, _ = listener.accept()
                status = serve(sock)
                if args.once:
                    return status
    address = args.connect
    if address is None:
        env = os.environ.get(ADDRESS_ENV)
        if not env:
            print(f"give --connect, --listen or set {ADDRESS_ENV}", file=sys.stderr)
            return 2
        address = _host_port(env)
    try:
        sock = socket.create_connection(address, timeout=10)
    except OSError as exc:
        print(f"cannot connect to {address[0]}:{address[1]}: {exc}", file=sys.stderr)
        return 2
    return serve(sock)


if __name__ == "__main__":
    sys.exit(main())
