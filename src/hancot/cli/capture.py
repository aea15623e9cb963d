"""``hancot capture``: run the demo premises and write its HAN traffic as a pcap."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from hancot.cli.options import add_scenario_options, cannot_write, demo_options


def register(commands: Any) -> None:
    capture = commands.add_parser(
        "capture",
        help="run the demo premises and write every HAN frame to a pcap Wireshark can decrypt",
        description="Runs the same scenario as `hancot demo` and writes every frame on the HAN "
        "as IEEE 802.15.4 / Zigbee PRO (NWK security on, APS security where the device uses it) "
        "to OUT.pcap, then prints the keys and how to give them to Wireshark.",
    )
    capture.add_argument("out", type=Path, metavar="OUT.pcap", help="pcap file to write")
    add_scenario_options(capture)
    capture.add_argument(
        "--linktype",
        type=int,
        choices=(195, 230),
        default=195,
        help="pcap link type: 195 = 802.15.4 with FCS (default), 230 = without FCS",
    )
    capture.add_argument(
        "--no-nwk-security",
        action="store_true",
        help="send NWK frames in clear (the sender's EUI-64 then goes in the NWK header)",
    )
    capture.set_defaults(func=_cmd_capture)


def _cmd_capture(args: argparse.Namespace) -> int:
    from hancot.capture.scenario import capture_demo

    with demo_options(args) as options:
        try:
            result = capture_demo(
                options, args.out, linktype=args.linktype, nwk_security=not args.no_nwk_security
            )
        except OSError as exc:
            raise cannot_write(exc) from exc
    print(render_capture(result))
    return 0


def render_capture(result: Any) -> str:
    """The report of ``hancot capture``: what was written and how to open it decrypted."""
    from hancot.capture.writer import network_key_text

    kind = "802.15.4 with FCS" if result.linktype == 195 else "802.15.4 without FCS"
    lines = [
        f"wrote {result.frames} frames to {result.path} (link type {result.linktype}, {kind}; "
        f"PAN 0x{result.pan_id:04x}; {result.demo.options.days} days, CoT "
        f"{_iso(result.demo.cot_time)})",
    ]
    if not result.nwk_security:
        lines.append("NWK security is off: Wireshark needs no network key.")
    rows: list[tuple[str, bytes, str]] = []
    if result.nwk_security:
        rows.append(("network key", result.network_key, "hancot network key"))
    if result.uses_aps_security:
        for eui64, key in sorted(result.link_keys.items()):
            name = result.device_names.get(eui64, f"{eui64:016x}")
            rows.append((f"link key {name} ({eui64:016x})", key, f"hancot link key {eui64:016x}"))
        lines.append(f"{result.aps_secured} frames are APS-secured with link keys.")
        if result.aps_key_missing:
            lines.append(
                f"{result.aps_key_missing} frames asked for APS security but no link key was "
                "known for either end: they went with NWK security only."
            )
    if not rows:
        return "\n".join(lines)
    width = max(len(label) for label, _, _ in rows)
    lines.append("")
    for label, key, _ in rows:
        lines.append(f"{label:<{width}}  {network_key_text(key)}")
    lines += [
        "",
        "To open it decrypted in Wireshark: Edit > Preferences > Protocols > ZigBee > "
        "Pre-configured Keys (Edit...), add one row per key above: Key = the 16 bytes as shown, "
        "Byte Order = Normal, Label = any name.",
        "With tshark:",
    ]
    command = ["tshark", "-r", str(result.path)]
    for _, key, label in rows:
        command += ["-o", f'uat:zigbee_pc_keys:"{network_key_text(key)}","Normal","{label}"']
    lines.append("  " + " ".join(shlex.quote(part) for part in command))
    return "\n".join(lines)


def _iso(utc: int) -> str:
    from hancot import timeutil as tu

    return tu.iso(utc)
