"""Command-line options shared by several ``hancot`` commands."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from hancot.errors import HancotError

if TYPE_CHECKING:
    from hancot.scenario.demo import DemoOptions


def positive_seconds(text: str) -> float:
    """A finite number of seconds greater than 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 86_400:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text} must be more than 0 and less than a day")
    return value


def _poll_minutes(text: str) -> int:
    value = _positive_int(text)
    if value > 1440:
        raise argparse.ArgumentTypeError(f"{text} minutes is more than a day")
    return value


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
        type=_poll_minutes,
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


def cannot_write(exc: OSError) -> HancotError:
    """The one-line user error for a file a command could not open or write."""
    where = exc.filename if exc.filename is not None else "the output file"
    return HancotError(f"cannot write {where}: {exc.strerror}")


@contextmanager
def demo_options(args: argparse.Namespace) -> Iterator[DemoOptions]:
    """The :class:`DemoOptions` of the options :func:`add_scenario_options` added, with the
    ``--frame-log`` file open for writing until the block ends.

    A frame log that cannot be opened is a :class:`HancotError`; errors while the block runs,
    and on closing the log, are the caller's to handle (``hancot demo`` lets a BrokenPipeError
    through to main, which ends quietly)."""
    from hancot.scenario.demo import DemoOptions

    log_stream = None
    if args.frame_log is not None:
        try:
            log_stream = args.frame_log.open("w", encoding="utf-8")
        except OSError as exc:
            raise cannot_write(exc) from exc
    try:
        yield DemoOptions(
            seed=args.seed,
            days=args.days,
            policy=args.policy,
            poll_interval=args.poll_interval * 60,
            ihd=args.ihd,
            ppmid=args.ppmid,
            frame_log=log_stream,
            store_dir=args.store,
        )
    finally:
        if log_stream is not None:
            log_stream.close()
