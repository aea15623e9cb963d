"""Audit throughput: ``hancot audit`` against tshark's own pass over the same capture.

One run writes a demo capture (28 days by default), then times, best of 5 each: hancot's
audit (read, decrypt NWK and APS, decode ZCL, reconstruct conversations, judge) and tshark
decrypting and dissecting the same file with the same keys, printing the fields the audit uses.
Both include opening the file; tshark's figure includes its start-up, shown on its own as the
pass over a one-frame capture.  Read the ratio: these machines are noisy.

Run: ``python benchmarks/bench_audit.py [--days N]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hancot.capture.audit import audit_capture
from hancot.capture.pcap import PcapReader, PcapWriter
from hancot.capture.scenario import capture_demo
from hancot.capture.writer import wireshark_key_options
from hancot.scenario.demo import DemoOptions

#: What tshark prints per frame: the fields the audit reads (cluster, command, attributes,
#: values, tenancy, Get Profile, logs, messages), so both sides dissect the same depth.
TSHARK_FIELDS = [
    "frame.number",
    "zbee.sec.src64",
    "zbee_nwk.src",
    "zbee_nwk.dst",
    "zbee_aps.cluster",
    "zbee_zcl.cmd.tsn",
    "zbee_zcl.cmd.id",
    "zbee_zcl.attr.id",
    "zbee_zcl_se.met.attr_id",
    "zbee_zcl_se.device_management.attr_id",
    "zbee_zcl.attr.status",
    "zbee_zcl.attr.utc",
    "zbee_zcl.attr.bitmap32",
    "zbee_zcl.attr.uint24",
    "zbee_zcl_se.met.get_profile_response.end_time",
    "zbee_zcl_se.met.get_profile_response.intervals",
    "zbee_zcl_se.pp.publish_top_up_log.top_up_time",
    "zbee_zcl_se.pp.publish_debt_log.collection_time",
    "zbee_zcl_se.msg.message.start_time",
]


def best_of(runs: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def tshark_pass(tshark: str, path: Path, options: list[str]) -> None:
    args = [tshark, "-n", "-r", str(path), *options, "-T", "fields"]
    for field in TSHARK_FIELDS:
        args += ["-e", field]
    env = {**os.environ, "TZ": "UTC", "LC_ALL": "C"}
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)


def first_frame_copy(src: Path, dst: Path) -> None:
    with src.open("rb") as f_in, dst.open("wb") as f_out:
        reader = PcapReader(f_in)
        writer = PcapWriter(f_out, reader.header.linktype)
        record = next(iter(reader))
        assert record.ts_sec is not None
        writer.write(record.data, record.ts_sec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=28, help="simulated days (default 28)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs each (default 5)")
    args = parser.parse_args()
    tshark = shutil.which("tshark")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.pcap"
        capture = capture_demo(DemoOptions(days=args.days), path)
        frames = capture.frames
        options = wireshark_key_options(capture.keyring)
        report = audit_capture(path, capture.network_key, capture.link_keys)
        assert report.zcl_frames == frames and report.verdict == "compliant", report.render()
        ours = best_of(
            args.runs, lambda: audit_capture(path, capture.network_key, capture.link_keys)
        )
        rows = [("hancot audit", frames, ours)]
        if tshark is not None:
            theirs = best_of(args.runs, lambda: tshark_pass(tshark, path, options))
            one = Path(tmp) / "one.pcap"
            first_frame_copy(path, one)
            startup = best_of(args.runs, lambda: tshark_pass(tshark, one, options))
            rows += [("tshark -T fields (decrypt + dissect)", frames, theirs)]
            rows += [("tshark on a 1-frame capture (start-up)", 1, startup)]
    print(
        f"capture: {args.days} simulated days, {frames} frames, NWK + APS security, link type 195"
    )
    print(f"{'pass':<40} {'frames':>7} {'seconds':>8} {'frames/s':>10}")
    for name, count, seconds in rows:
        print(f"{name:<40} {count:>7} {seconds:>8.3f} {count / seconds:>10,.0f}")
    if tshark is None:
        print("tshark is not installed: no ratio", file=sys.stderr)
        return 0
    ratio = (frames / ours) / (frames / rows[1][2])
    print(f"hancot audit / tshark throughput ratio: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
