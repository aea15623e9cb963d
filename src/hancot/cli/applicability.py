"""``hancot applicability``: which CoT requirements apply to a device, and can it ever meet them."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(commands: Any) -> None:
    cmd = commands.add_parser(
        "applicability",
        help="which CoT requirements apply to a device type and version",
        description="From a device's type, specification version (IHDTS, PPMIDTS, ESMETS, CHTS), "
        "GBCS version and OTA capability, say which requirements apply and whether the device "
        "can ever meet them. Without --type, a table over the common combinations.",
    )
    cmd.add_argument("--type", choices=("IHD", "PPMID", "ESME", "GPF"), help="device type")
    cmd.add_argument(
        "--version",
        metavar="X.Y",
        help="its specification version (IHDTS/PPMIDTS/ESMETS/CHTS; default: the first with "
        "SECMP0056)",
    )
    cmd.add_argument("--gbcs", metavar="X.Y", default="5.0", help="GBCS version (default 5.0)")
    cmd.add_argument(
        "--ota", choices=("yes", "no"), help="takes firmware over the air (default: by type)"
    )
    cmd.add_argument(
        "--policy", choices=("extended", "sec-minimum"), default="extended", help="clear policy"
    )
    cmd.add_argument("--json", action="store_true", help="print JSON")
    cmd.set_defaults(func=_cmd_applicability)


def _cmd_applicability(args: argparse.Namespace) -> int:
    from hancot.conformance.applicability import (
        COMMON_PROFILES,
        SPECS,
        DeviceProfile,
        assess,
        summary_row,
    )

    if args.type is None:
        rows = [summary_row(p) for p in COMMON_PROFILES]
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        width = max(len(str(r["device"])) for r in rows)
        print(f"{'device':<{width}}  apply  not-req  excl  can ever meet the CoT requirements")
        for r in rows:
            print(
                f"{r['device']!s:<{width}}  {r['apply']!s:>5}  {r['not_required']!s:>7}  "
                f"{r['excluded']!s:>4}  {r['can_ever_meet']}"
            )
        return 0
    profile = DeviceProfile(
        args.type,
        args.version or SPECS[args.type][1],
        gbcs=args.gbcs,
        ota=None if args.ota is None else args.ota == "yes",
        policy=args.policy,
    )
    found = assess(profile)
    if args.json:
        print(
            json.dumps(
                {
                    "device": profile.label(),
                    "requirements": [
                        {
                            "id": a.requirement.id,
                            "title": a.requirement.title,
                            "status": a.status,
                            "can_meet": a.can_meet,
                            "reason": a.reason,
                        }
                        for a in found
                    ],
                },
                indent=2,
            )
        )
        return 0
    print(profile.label())
    for a in found:
        print(f"  {a.requirement.id}  {a.status:<12} {a.can_meet:<17} {a.requirement.title}")
    not_required = [a for a in found if a.status == "not-required"]
    if not_required:
        print(f"\n{not_required[0].reason}")
    return 0
