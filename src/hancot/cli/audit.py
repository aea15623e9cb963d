"""``hancot audit``: Change of Tenancy compliance of a HAN capture (ours or a real sniffer's)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from hancot.errors import HancotError


class KeyFormatError(HancotError):
    """A key or EUI-64 given on the command line is not in a form hancot reads."""


_SEPARATORS = re.compile(r"[\s:\-]")


def _hex_octets(text: str, octets: int) -> str | None:
    """The hex digits of ``text`` without separators or a ``0x`` prefix, when they are exactly
    ``octets`` bytes; else None."""
    cleaned = _SEPARATORS.sub("", text.strip())
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    return cleaned if re.fullmatch(f"[0-9a-fA-F]{{{2 * octets}}}", cleaned) else None


def parse_key(text: str, what: str = "key") -> bytes:
    """16 bytes from ``01:02:...`` (Wireshark's form), ``01 02 ...``, ``01-02-...`` or 32 hex
    digits (an optional ``0x`` prefix is allowed)."""
    digits = _hex_octets(text, 16)
    if digits is None:
        raise KeyFormatError(
            f"{what} {text!r} is not 16 bytes of hex: give it as Wireshark shows it "
            "(01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef) or as 32 hex digits"
        )
    return bytes.fromhex(digits)


def parse_eui64(text: str) -> int:
    """An EUI-64 from ``00:db:12:34:56:78:90:a0`` or 16 hex digits, most significant byte first."""
    digits = _hex_octets(text, 8)
    if digits is None:
        raise KeyFormatError(
            f"EUI-64 {text!r} is not 8 bytes of hex (e.g. 00:db:12:34:56:78:90:a0)"
        )
    return int(digits, 16)


def parse_link_key(text: str) -> tuple[int, bytes]:
    """``EUI64=KEY`` as given to ``--link-key``."""
    if "=" not in text:
        raise KeyFormatError(
            f"--link-key {text!r} must be EUI64=KEY, e.g. 00:db:12:34:56:78:90:a4=66:b6:...:bb"
        )
    eui, key = text.split("=", 1)
    return parse_eui64(eui), parse_key(key, f"link key for {eui}")


def register(commands: Any) -> None:
    audit = commands.add_parser(
        "audit",
        help="judge Change of Tenancy compliance from a HAN capture",
        description="Reads a pcap of HAN traffic (link type 195 or 230: hancot's or a real "
        "sniffer's), decrypts it, reconstructs the devices and their conversations, and reports "
        "who read the tenancy attributes from which meter and how often, when the CoT changed, "
        "and whether anything of the previous occupier was served afterwards. Exit status 0 "
        "when no violation is found, 1 when one is, 2 for a user error (bad key, unreadable "
        "file) or a capture nothing could be decrypted from.",
    )
    audit.add_argument("capture", type=Path, metavar="CAPTURE", help="pcap file to audit")
    audit.add_argument(
        "--nwk-key",
        required=True,
        metavar="KEY",
        help="network key, 16 bytes as hex (01:23:...:ef, the form `hancot capture` prints)",
    )
    audit.add_argument(
        "--link-key",
        action="append",
        default=[],
        metavar="EUI64=KEY",
        help="an APS link key of the device EUI64 (repeat for each device)",
    )
    audit.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="EUI64=LABEL",
        help="label a device in the report (repeatable), e.g. 00:db:12:34:56:78:90:a4=IHD",
    )
    audit.add_argument(
        "--max-gap",
        type=int,
        default=30,
        metavar="MINUTES",
        help="longest expected interval between a client's tenancy reads (default 30)",
    )
    audit.add_argument("--json", action="store_true", help="print a machine-readable report")
    audit.set_defaults(func=_cmd_audit)


def _cmd_audit(args: argparse.Namespace) -> int:
    from hancot.capture.audit import audit_capture

    network_key = parse_key(args.nwk_key, "network key")
    link_keys = dict(parse_link_key(text) for text in args.link_key)
    names: dict[int, str] = {}
    for text in args.name:
        eui, sep, label = text.partition("=")
        if not sep or not label:
            raise KeyFormatError(f"--name {text!r} must be EUI64=LABEL")
        names[parse_eui64(eui)] = label
    if args.max_gap <= 0:
        raise HancotError(f"--max-gap must be greater than 0, not {args.max_gap}")
    report = audit_capture(
        args.capture, network_key, link_keys, names=names, max_gap=args.max_gap * 60
    )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(report.render())
    if report.verdict == "inconclusive":
        reasons = ", ".join(f"{count} {kind}" for kind, count in report.note_counts.items())
        print(
            f"hancot: error: none of the {report.frames} frames of {args.capture} could be "
            f"decoded to ZCL ({reasons or 'no frames'}); check the network key",
            file=sys.stderr,
        )
        return 2
    return 1 if report.verdict == "violation" else 0
