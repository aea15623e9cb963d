"""``hancot demo``: a dual-fuel premises through a Change of Tenancy."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hancot.cli.options import add_scenario_options, cannot_write, demo_options


def register(commands: Any) -> None:
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


def _cmd_demo(args: argparse.Namespace) -> int:
    from hancot.scenario.demo import run_demo
    from hancot.scenario.report import render_demo

    with demo_options(args) as options:
        try:
            result = run_demo(options)
        except BrokenPipeError:
            raise  # the reader of the frame log went away: ended quietly by main
        except OSError as exc:
            raise cannot_write(exc) from exc
    if args.json:
        print(json.dumps(result.summary(), indent=2))
    else:
        print(render_demo(result))
    return 0 if result.verdict == "clean" else 1
