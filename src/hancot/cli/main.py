"""The ``hancot`` command.

Errors a user can cause print one clear line and exit 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from hancot import __version__
from hancot.errors import HancotError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
    return value


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    """The options every premises scenario takes (demo, capture)."""
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--days", type=_positive_int, default=28, help="simulated days (default 28, at least 4)"
    )
    parser.add_argument(
        "--policy",
        choices=("extended", "sec-minimum"),
        default="extended",
        help="what an IHD/PPMID clears on a CoT beyond the SEC minimum (default extended: "
        "also top-up history and debt recovery information)",
    )
    parser.add_argument(
        "--poll-interval",
        type=_positive_int,
        default=30,
        metavar="MINUTES",
        help="how often IHD/PPMID query the tenancy attributes (default 30)",
    )
    parser.add_argument(
        "--ihd",
        choices=("reference", "legacy"),
        default="reference",
        help="IHD behaviour: reference (IHDTS v5.0) or legacy (v4.2: never reads tenancy)",
    )
    parser.add_argument(
        "--ppmid",
        choices=("reference", "legacy"),
        default="reference",
        help="PPMID behaviour: reference (PPMIDTS v5.0) or legacy (v4.2)",
    )
    parser.add_argument("--frame-log", type=Path, metavar="FILE", help="write every HAN frame here")
    parser.add_argument(
        "--store", type=Path, metavar="DIR", help="keep each device's SQLite store in DIR"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hancot",
        description="Change of Tenancy on the GB smart-metering HAN: reference devices, "
        "simulated premises, conformance kit.",
    )
    parser.add_argument("--version", action="version", version=f"hancot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run a dual-fuel premises through a Change of Tenancy and show who sees what",
        description="Occupier A lives at a dual-fuel prepayment premises, the supplier sets a "
        "Change of Tenancy, occupier B moves in: what do the IHD and PPMID still hold of A? "
        "Exit status 0 when clean, 1 when anything of A's remains.",
    )
    add_scenario_options(demo)
    demo.add_argument("--json", action="store_true", help="print a machine-readable summary")
    demo.set_defaults(func=_cmd_demo)
    return parser


def _cmd_demo(args: argparse.Namespace) -> int:
    from hancot.scenario.demo import DemoOptions, run_demo
    from hancot.scenario.report import render_demo

    log_stream = None
    try:
        if args.frame_log is not None:
            log_stream = args.frame_log.open("w", encoding="utf-8")
        result = run_demo(
            DemoOptions(
                seed=args.seed,
                days=args.days,
                policy=args.policy,
                poll_interval=args.poll_interval * 60,
                ihd=args.ihd,
                ppmid=args.ppmid,
                frame_log=log_stream,
                store_dir=args.store,
            )
        )
    except OSError as exc:
        raise HancotError(f"cannot write {exc.filename}: {exc.strerror}") from exc
    finally:
        if log_stream is not None:
            log_stream.close()
    if args.json:
        print(json.dumps(result.summary(), indent=2))
    else:
        print(render_demo(result))
    return 0 if result.verdict == "clean" else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except HancotError as exc:
        print(f"hancot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hancot: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
