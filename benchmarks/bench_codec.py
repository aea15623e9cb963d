"""Frames per second to encode + decode the tenancy frames: hancot's codec against plain zigpy.

Both run in the same process, on the same frames; the ratio is what to read (these machines are
noisy).  Run: ``python benchmarks/bench_codec.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import zigpy.types as t
from zigpy.zcl import foundation

from hancot.zcl import registry as reg
from hancot.zcl.clusters import DeviceManagement
from hancot.zcl.codec import AttributeValue, decode_frame, encode_command, read_attributes_response
from hancot.zcl.header import ZclHeader

COT = 0x1FC66E20
CONTROL = 0x00000200
REQUEST = ZclHeader(False, False, 7, 0x00)
RSP_SCHEMA = foundation.GENERAL_COMMANDS[foundation.GeneralCommand.Read_Attributes_rsp].schema
PUBLISH = DeviceManagement.client_commands[0x00]


def ours_read_attributes_response() -> None:
    frame = read_attributes_response(
        REQUEST,
        reg.DEVICE_MANAGEMENT,
        [AttributeValue(0x0200, value=COT), AttributeValue(0x0201, value=CONTROL)],
    )
    decode_frame(reg.DEVICE_MANAGEMENT, frame)


def zigpy_read_attributes_response() -> None:
    header = foundation.ZCLHeader.general(
        7,
        foundation.GeneralCommand.Read_Attributes_rsp,
        direction=foundation.Direction.Server_to_Client,
    )
    body = RSP_SCHEMA(
        status_records=[
            foundation.ReadAttributeRecord(
                0x0200, foundation.Status.SUCCESS, foundation.TypeValue(0xE2, t.UTCTime(COT))
            ),
            foundation.ReadAttributeRecord(
                0x0201, foundation.Status.SUCCESS, foundation.TypeValue(0x1B, t.bitmap32(CONTROL))
            ),
        ]
    )
    frame = header.serialize() + body.serialize()
    _hdr, rest = foundation.ZCLHeader.deserialize(frame)
    RSP_SCHEMA.deserialize(rest)


FIELDS = {
    "provider_id": 0,
    "issuer_event_id": 0x1C374A80,
    "tariff_type": 0,
    "implementation_date_time": COT,
    "proposed_tenancy_change_control": CONTROL,
}


def ours_publish_change_of_tenancy() -> None:
    frame = encode_command(reg.DEVICE_MANAGEMENT, "publish_change_of_tenancy", tsn=0, **FIELDS)
    decode_frame(reg.DEVICE_MANAGEMENT, frame)


def zigpy_publish_change_of_tenancy() -> None:
    header = foundation.ZCLHeader.cluster(0, 0x00, direction=foundation.Direction.Server_to_Client)
    frame = header.serialize() + PUBLISH.schema(**FIELDS).serialize()
    _hdr, rest = foundation.ZCLHeader.deserialize(frame)
    PUBLISH.schema.deserialize(rest)


def frames_per_second(func: Callable[[], None], *, seconds: float = 0.5, repeats: int = 5) -> float:
    """Best of ``repeats`` timed runs of about ``seconds`` each."""
    count = 1
    while True:
        start = time.perf_counter()
        for _ in range(count):
            func()
        elapsed = time.perf_counter() - start
        if elapsed > 0.05:
            break
        count *= 4
    per_run = max(1, int(count * seconds / elapsed))
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(per_run):
            func()
        best = max(best, per_run / (time.perf_counter() - start))
    return best


def run() -> list[tuple[str, float, float]]:
    rows = []
    for label, ours, theirs in (
        (
            "Read Attributes Response 0x0200/0x0201",
            ours_read_attributes_response,
            zigpy_read_attributes_response,
        ),
        (
            "Publish Change of Tenancy",
            ours_publish_change_of_tenancy,
            zigpy_publish_change_of_tenancy,
        ),
    ):
        rows.append((label, frames_per_second(ours), frames_per_second(theirs)))
    return rows


def main() -> None:
    print("encode + decode, frames/s (best of 5 runs)")
    print(f"{'frame':<42}{'hancot':>12}{'zigpy':>12}{'ratio':>8}")
    for label, ours, theirs in run():
        print(f"{label:<42}{ours:>12,.0f}{theirs:>12,.0f}{ours / theirs:>7.1f}x")


if __name__ == "__main__":
    main()
