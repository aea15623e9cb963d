"""The ``hancot`` command.

Each command lives in its own module of this package with a ``register(commands)`` function.
Errors a user can cause print one clear line and exit 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from hancot import __version__
from hancot.errors import HancotError

#: Command modules, in the order ``hancot --help`` lists them.  A module that is not part of
#: this installation is skipped.
COMMAND_MODULES = ("demo", "conform", "applicability", "capture", "audit", "fleet")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hancot",
        description="Change of Tenancy on the GB smart-metering HAN: reference devices, "
        "simulated premises, conformance kit.",
    )
    parser.add_argument("--version", action="version", version=f"hancot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"hancot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"hancot.cli.{name}":
                continue
            raise
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a full disk or closed pipe shows here, not at interpreter exit
        return code
    except HancotError as exc:
        print(f"hancot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hancot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``hancot ... | head``): not an error; silence the final flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.filename is not None:
            print(f"hancot: error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        else:
            print(f"hancot: error: cannot write the output: {exc.strerror}", file=sys.stderr)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 2


if __name__ == "__main__":
    sys.exit(main())
