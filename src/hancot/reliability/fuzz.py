"""A seeded mutation fuzzer over hancot's decoders and devices (``scripts/fuzz.py``).

Seeds: every frame a short simulated premises puts on the air (all clusters and directions the
devices use), the ZCL frames inside the DCC reference GBCS vectors, the GBCS vectors themselves
and the DUIS reference requests.  Each round mutates a seed (bit flips, byte changes, insertions,
deletions, truncation, extension, splices) and checks:

- ``decode_frame`` returns a frame or raises :class:`~hancot.errors.ZclDecodeError`, nothing else;
  a frame that decodes to a cluster command re-encodes and decodes to the same fields;
- ``parse_gbcs`` raises only :class:`~hancot.errors.GbcsError`; ``parse_duis`` only
  :class:`~hancot.errors.DuisError`;
- every device (CHF, ESME, GPF, GSME, IHD, PPMID) given the frame, from a rogue device or in the
  name of a bound meter, never raises; a frame that does not decode is answered with one Default
  Response carrying a failure status (none to a Default Response) and writes nothing to the
  device's store; no client ever clears.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hancot import timeutil as tu
from hancot.devices.base import Device
from hancot.devices.client import HanClient
from hancot.errors import DuisError, GbcsError, ZclDecodeError
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.han.occupancy import Occupancy, Occupant
from hancot.han.premises import Premises, PremisesConfig
from hancot.wan import duis, gbcs
from hancot.wan.supplier import Supplier
from hancot.zcl.codec import decode_frame, encode_command
from hancot.zcl.header import Status

START = tu.parse_iso("2026-03-02T00:00:00Z")
ROGUE = DeviceIdentity("ROGUE", DeviceKind.CAD, 0x00DB1234567890EE, 0x7777)


@dataclass
class FuzzResult:
    frames: int = 0
    decoded: int = 0
    rejected: int = 0
    device_deliveries: int = 0
    gbcs: int = 0
    duis: int = 0
    failures: list[str] = field(default_factory=list)


def _mutate(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 5))):
        op = rng.randrange(7)
        if op == 0 and out:
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
        elif op == 1 and out:
            out[rng.randrange(len(out))] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        elif op == 2:
            i = rng.randrange(len(out) + 1)
            out[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5)))
        elif op == 3 and out:
            i = rng.randrange(len(out))
            del out[i : i + rng.randrange(1, 5)]
        elif op == 4:
            del out[rng.randrange(len(out) + 1) :]
        elif op == 5:
            out += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        else:
            other = rng.choice(corpus)
            i, j = rng.randrange(len(out) + 1), rng.randrange(len(other) + 1)
            out = out[:i] + bytearray(other[j:])
    return bytes(out)


def _premises() -> tuple[Premises, list[tuple[int, bytes]]]:
    """A commissioned premises after a CoT, and every (cluster, ZCL) frame it sent."""
    a = Occupant("A", electricity_per_day=9_000, gas_per_day=30_000)
    premises = Premises(START, Occupancy(1, [(START, a)]), PremisesConfig(seed=1))
    seen: list[tuple[int, bytes]] = []
    premises.han.taps.append(lambda f, delivered: seen.append((f.cluster, f.payload)))
    supplier = Supplier(premises)
    han = premises.han
    premises.commission()
    han.schedule(START + 3600, lambda now: premises.esme.set_debt(now, 6000, 50))
    han.schedule(START + 9 * 3600, lambda now: supplier.top_up(now, 2000))
    han.schedule(START + 10 * 3600, lambda now: supplier.display_message(now, "Fuzz seed"))
    han.run_until(START + 2 * tu.DAY)
    return premises, list(dict.fromkeys(seen))


def vector_seeds(root: Path) -> tuple[list[bytes], list[bytes]]:
    """(GBCS messages, DUIS requests) from the vendored DCC reference files."""
    messages = []
    for path in sorted((root / "rtds").rglob("*.HEX")):
        try:
            messages.append(bytes.fromhex("".join(path.read_text().split())))
        except ValueError:
            continue
    requests = [p.read_bytes() for p in sorted((root / "duis").glob("*.XML"))]
    return messages, requests


def _gbz_frames(messages: list[bytes]) -> list[tuple[int, bytes]]:
    frames = []
    for data in messages:
        try:
            message = gbcs.parse_gbcs(data)
        except GbcsError:
            continue
        for component in getattr(message.gbz, "components", None) or []:
            frames.append((int(component.cluster), bytes(component.zcl_frame)))
    return frames


def _check_decoder(cluster: int, data: bytes, result: FuzzResult) -> bool:
    try:
        frame = decode_frame(cluster, data)
    except ZclDecodeError:
        result.rejected += 1
        return False
    except Exception as exc:
        result.failures.append(f"decode_frame(0x{cluster:04X}, {data.hex()}) raised {exc!r}")
        return False
    result.decoded += 1
    if frame.header.cluster_specific and frame.header.manufacturer is None:
        try:
            again = encode_command(
                cluster,
                frame.name,
                tsn=frame.header.tsn,
                disable_default_response=frame.header.disable_default_response,
                **frame.args,
            )
            if decode_frame(cluster, again).args != frame.args:
                result.failures.append(
                    f"0x{cluster:04X} {frame.name} {data.hex()}: round trip differs"
                )
        except Exception as exc:
            result.failures.append(f"0x{cluster:04X} {frame.name} {data.hex()}: re-encode {exc!r}")
    return True


def _check_device(
    device: Device,
    src: DeviceIdentity,
    cluster: int,
    data: bytes,
    decodes: bool,
    result: FuzzResult,
) -> None:
    before = device.store.changes
    clears = len(device.clears) if isinstance(device, HanClient) else 0
    now = _NOW[0]
    try:
        out = device.receive(now, HanFrame(now, src, device.identity, cluster, data))
    except Exception as exc:
        result.failures.append(f"{device.name} raised {exc!r} on 0x{cluster:04X} {data.hex()}")
        return
    result.device_deliveries += 1
    if isinstance(device, HanClient) and len(device.clears) != clears:
        result.failures.append(f"{device.name} cleared on 0x{cluster:04X} {data.hex()}")
    if decodes and cluster in device.clusters:
        return
    if device.store.changes != before:
        result.failures.append(f"{device.name} wrote its store on malformed {data.hex()}")
    command = 4 if data and data[0] & 0x04 else 2  # after the manufacturer code, if any
    is_default_response = len(data) > command and not data[0] & 0x01 and data[command] == 0x0B
    if is_default_response and not out:
        return
    if len(out) != 1:
        result.failures.append(
            f"{device.name} answered {len(out)} frames to malformed {data.hex()}"
        )
        return
    try:
        answer = decode_frame(out[0].cluster, out[0].payload)
    except ZclDecodeError as exc:
        result.failures.append(f"{device.name} answer does not decode: {exc}")
        return
    if answer.name != "default_response" or answer.args["status"] == Status.SUCCESS:
        result.failures.append(
            f"{device.name} answered {answer.name} {answer.args} to {data.hex()}"
        )


_NOW = [START]


def run(
    frames: int,
    *,
    seed: int = 1,
    vectors: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> FuzzResult:
    rng = random.Random(seed)
    premises, seen = _premises()
    _NOW[0] = premises.han.now
    messages, requests = vector_seeds(vectors) if vectors is not None else ([], [])
    zcl_seeds = seen + _gbz_frames(messages)
    corpus = [data for _, data in zcl_seeds] + messages
    devices = premises.devices
    bound = [premises.identities[DeviceKind.ESME], premises.identities[DeviceKind.GPF]]
    clusters = sorted({c for c, _ in zcl_seeds} | {0x0006, 0x0702, 0x0705})
    result = FuzzResult()
    for n in range(frames):
        cluster, data = rng.choice(zcl_seeds)
        if rng.random() < 0.05:
            cluster = rng.choice(clusters)
        mutated = _mutate(rng, data, corpus)
        result.frames += 1
        decodes = _check_decoder(cluster, mutated, result)
        device = rng.choice(devices)
        src = (
            rng.choice([ROGUE, *bound])
            if device.kind in (DeviceKind.IHD, DeviceKind.PPMID)
            else ROGUE
        )
        _check_device(device, src, cluster, mutated, decodes, result)
        if messages and n % 8 == 0:
            blob = _mutate(rng, rng.choice(messages), corpus)
            result.gbcs += 1
            try:
                gbcs.parse_gbcs(blob)
            except GbcsError:
                pass
            except Exception as exc:
                result.failures.append(f"parse_gbcs({blob.hex()}) raised {exc!r}")
        if requests and n % 64 == 0:
            text = _mutate(rng, rng.choice(requests), requests)
            result.duis += 1
            try:
                duis.parse_duis(text)
            except DuisError:
                pass
            except Exception as exc:
                result.failures.append(f"parse_duis raised {exc!r} on {text[:60]!r}")
        if progress is not None and n and n % 10_000 == 0:
            progress(n)
        if len(result.failures) >= 20:
            break
    premises.close()
    return result
