"""``hancot conform``: run the Change of Tenancy requirement catalogue against one device."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hancot.cli.options import positive_seconds
from hancot.errors import HancotError


def register(commands: Any) -> None:
    conform = commands.add_parser(
        "conform",
        help="run the CoT conformance kit against an IHD, PPMID or meter",
        description="Run every scenario of the conformance kit against one device in virtual "
        "time and give a verdict per requirement (docs/requirements.md). Exit status 0 when no "
        "applicable requirement fails or errors, 1 otherwise, 2 on a usage error.",
    )
    conform.add_argument(
        "--device",
        default="reference-ihd",
        metavar="DEVICE",
        help="a built-in device (see --list-devices), a maker's factory as package.module:name, "
        "or a device behind the socket adapter: tcp:HOST:PORT, unix:PATH, exec:COMMAND "
        "(default reference-ihd)",
    )
    conform.add_argument("--list-devices", action="store_true", help="list built-in devices")
    conform.add_argument(
        "--type",
        choices=("IHD", "PPMID"),
        help="device type of a module:factory device (default: its 'kind' attribute, else IHD)",
    )
    conform.add_argument(
        "--policy",
        choices=("extended", "sec-minimum"),
        help="clear policy the device claims (default: what the device declares, else extended)",
    )
    conform.add_argument(
        "--spec-version",
        metavar="X.Y",
        help="IHDTS/PPMIDTS/ESMETS/CHTS version the device is built to (default: the first "
        "version with SECMP0056); earlier versions make the CoT requirements not applicable",
    )
    conform.add_argument(
        "--gbcs", metavar="X.Y", default="5.0", help="GBCS version (meters; default 5.0)"
    )
    conform.add_argument(
        "--ota",
        choices=("yes", "no"),
        help="whether the device takes firmware over the air (default: by type)",
    )
    conform.add_argument("--requirements", metavar="ID,...", help="run only these requirement ids")
    conform.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report")
    conform.add_argument("--json", type=Path, metavar="FILE", help="write a JSON report")
    conform.add_argument("--html", type=Path, metavar="FILE", help="write a standalone HTML report")
    conform.add_argument(
        "--scenario-timeout",
        type=positive_seconds,
        default=30.0,
        metavar="SECONDS",
        help="real-time limit of one scenario (default 30)",
    )
    conform.add_argument("--quiet", action="store_true", help="no progress lines")
    conform.set_defaults(func=_cmd_conform)


def _list_devices() -> int:
    from hancot.conformance.devices import BUILTIN

    width = max(len(name) for name in BUILTIN)
    family = None
    order = ("reference", "legacy", "variant", "meter")
    for name, subject in sorted(BUILTIN.items(), key=lambda kv: order.index(kv[1].family)):
        if subject.family != family:
            family = subject.family
            print(
                {
                    "reference": "reference devices",
                    "legacy": "pre-SECMP0056 devices",
                    "variant": "deliberately faulty devices (expected to fail)",
                    "meter": "meters (probed from the IHD slot)",
                }.get(family, family)
                + ":"
            )
        caught = (
            f"  [caught by {', '.join(str(n) for n in subject.caught_by)}]"
            if subject.caught_by
            else ""
        )
        print(f"  {name:<{width}}  {subject.kind.value:<5} {subject.description}{caught}")
    print(
        "\nA maker's device: --device package.module:factory (factory(identity) -> "
        "DeviceUnderTest, see docs/conformance.md), or tcp:/unix:/exec: for the socket adapter."
    )
    return 0


def _cmd_conform(args: argparse.Namespace) -> int:
    if args.list_devices:
        return _list_devices()
    from hancot.conformance.applicability import SPECS, DeviceProfile
    from hancot.conformance.devices import load_subject
    from hancot.conformance.report import console_summary, to_html, to_json, to_junit
    from hancot.conformance.runner import run_conformance

    subject = load_subject(args.device, kind=args.type, policy=args.policy)
    if args.type is not None and subject.kind.value != args.type:
        raise HancotError(
            f"--type {args.type} does not match {args.device} (device type {subject.kind.value})"
        )
    kind = subject.kind.value
    profile = DeviceProfile(
        kind,
        args.spec_version or SPECS[kind][1],
        gbcs=args.gbcs,
        ota=None if args.ota is None else args.ota == "yes",
        policy=subject.policy,
    )
    requirement_ids = None
    if args.requirements is not None:
        requirement_ids = [i.strip() for i in args.requirements.split(",") if i.strip()]
        if not requirement_ids:
            raise HancotError("--requirements names no requirement id (e.g. COT-IHD-006)")

    def progress(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    report = run_conformance(
        subject,
        profile=profile,
        requirement_ids=requirement_ids,
        scenario_seconds=args.scenario_timeout,
        progress=progress,
    )
    for path, render in ((args.junit, to_junit), (args.json, to_json), (args.html, to_html)):
        if path is None:
            continue
        try:
            path.write_text(render(report), encoding="utf-8")
        except OSError as exc:
            raise HancotError(f"cannot write {path}: {exc.strerror}") from exc
    print(console_summary(report))
    return 0 if report.ok else 1
