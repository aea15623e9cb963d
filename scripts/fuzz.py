#!/usr/bin/env python3
"""Long fuzz run over hancot's decoders and devices (hancot.reliability.fuzz).

    python scripts/fuzz.py --frames 200000 --seed 1

Prints the counts and every finding; exit status 1 when anything was found.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hancot.reliability.fuzz import run

VECTORS = Path(__file__).resolve().parent.parent / "tests" / "vectors"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200_000, help="mutated ZCL frames to try")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.frames <= 0:
        parser.error("--frames must be greater than 0")
    started = time.monotonic()
    result = run(
        args.frames,
        seed=args.seed,
        vectors=VECTORS,
        progress=lambda n: print(f"  {n} frames", file=sys.stderr),
    )
    seconds = time.monotonic() - started
    print(
        f"{result.frames} ZCL frames ({result.decoded} decoded, {result.rejected} rejected with a "
        f"ZCL status), {result.device_deliveries} delivered to devices, {result.gbcs} GBCS "
        f"messages, {result.duis} DUIS requests, seed {args.seed}, {seconds:.0f} s: "
        f"{len(result.failures)} finding(s)"
    )
    for failure in result.failures:
        print("  " + failure)
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
