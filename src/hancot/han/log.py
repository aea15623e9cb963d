"""A log of every frame on the simulated HAN: time, source, destination, cluster and a decoded
summary, as a person debugging a premises wants to read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from hancot import timeutil as tu
from hancot.errors import ZclError
from hancot.han.frame import HanFrame
from hancot.zcl.codec import decode_frame
from hancot.zcl.registry import cluster_name


@dataclass(frozen=True)
class FrameLogEntry:
    time: int
    src: str
    dst: str
    cluster: int
    summary: str
    delivered: bool

    def line(self) -> str:
        mark = "" if self.delivered else "  [not delivered]"
        return (
            f"{tu.to_datetime(self.time):%Y-%m-%d %H:%M:%S}  {self.src:>6} -> {self.dst:<6} "
            f"{cluster_name(self.cluster):<16} {self.summary}{mark}"
        )


def summarise(frame: HanFrame) -> str:
    """A one-line decoded view of a frame (command, and its arguments in short)."""
    try:
        decoded = decode_frame(frame.cluster, frame.payload)
    except ZclError as exc:
        return f"undecodable ({exc}) {frame.payload.hex()}"
    args = decoded.args
    if decoded.name == "read_attributes":
        ids = ",".join(f"0x{a:04X}" for a in args["attribute_ids"])
        return f"Read Attributes [{ids}]"
    if decoded.name in {"read_attributes_rsp", "report_attributes"}:
        parts = []
        for record in args["records"]:
            if record.status:
                parts.append(f"0x{record.attr_id:04X}=status 0x{int(record.status):02X}")
            else:
                parts.append(f"0x{record.attr_id:04X}={int(record.value)}")
        label = "Read Attributes Response" if decoded.name == "read_attributes_rsp" else "Report"
        return f"{label} [{', '.join(parts)}]"
    if decoded.name == "default_response":
        return f"Default Response cmd 0x{args['command_id']:02X} status 0x{args['status']:02X}"
    shown = []
    for key, value in args.items():
        if isinstance(value, list):
            shown.append(f"{key}=[{len(value)}]")
        elif isinstance(value, str):
            shown.append(f"{key}={value!r}")
        elif isinstance(value, bytes):
            shown.append(f"{key}={value.hex()}")
        else:
            shown.append(f"{key}={int(value)}")
    return f"{decoded.name} {' '.join(shown)}".strip()


class FrameLog:
    """Collects log entries; optionally writes each line to a text stream as it happens."""

    def __init__(self, stream: TextIO | None = None, *, keep: bool = True) -> None:
        self.stream = stream
        self.keep = keep
        self.entries: list[FrameLogEntry] = []

    def __call__(self, frame: HanFrame, delivered: bool) -> None:
        entry = FrameLogEntry(
            frame.time, frame.src.name, frame.dst.name, frame.cluster, summarise(frame), delivered
        )
        if self.keep:
            self.entries.append(entry)
        if self.stream is not None:
            self.stream.write(entry.line() + "\n")
