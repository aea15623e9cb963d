"""Simulated premises-days per wall-clock second for the demo premises, and HAN frames per
simulated day; in-memory stores and SQLite files on disk, in the same process.

Run: ``python benchmarks/bench_premises.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from hancot.scenario.demo import DemoOptions, run_demo

DAYS = 28


def measure(store_dir: Path | None) -> tuple[float, float]:
    start = time.perf_counter()
    result = run_demo(DemoOptions(days=DAYS, store_dir=store_dir))
    elapsed = time.perf_counter() - start
    return DAYS / elapsed, result.frames / DAYS


def main() -> None:
    in_memory = max(measure(None) for _ in range(3))
    with tempfile.TemporaryDirectory() as tmp:
        on_disk = max(measure(Path(tmp) / f"run{i}") for i in range(2))
    print(f"demo premises, {DAYS} simulated days (best of runs)")
    print(f"{'stores':<22}{'premises-days/s':>17}{'frames/day':>12}")
    print(f"{'in memory':<22}{in_memory[0]:>17.1f}{in_memory[1]:>12.0f}")
    print(f"{'SQLite files on disk':<22}{on_disk[0]:>17.1f}{on_disk[1]:>12.0f}")
    print(f"disk / memory speed ratio: {on_disk[0] / in_memory[0]:.2f}")


if __name__ == "__main__":
    main()
