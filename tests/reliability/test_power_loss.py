"""Power loss: an IHD in its own process, killed with SIGKILL at 62 points across a Change of
Tenancy clear and ordinary recording, restarted from its store file each time
(hancot.reliability.powercut; results recorded in docs/reliability.md)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest

from hancot.reliability.powercut import campaign

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs fork and SIGKILL")


def test_killed_at_62_points_the_clear_is_atomic_and_nothing_is_lost(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else tmp_path) as fast:
        result = campaign(tmp_path, in_clear=30, in_recording=24, at_random=8, fast_dir=Path(fast))
    summary = result.summary()
    assert summary["kill_points"] == 62 >= 50
    assert summary["by_kind"] == {"clear": 30, "recording": 24, "random": 8}
    # The kills inside the clear hit distinct points of its one transaction.
    in_clear = {t.kill_at for t in result.trials if t.kind == "clear"}
    assert len(in_clear) == 30 and summary["progress_callbacks_in_clear"] >= 30
    assert all(
        t.killed_in_op == result.dry.clear_event.op for t in result.trials if t.kind == "clear"
    )
    # Every killed process had committed some events and been stopped part-way.
    assert sum(t.committed_op > 0 for t in result.trials) >= 55
    assert [(t.kind, t.kill_at, t.delay, t.problems) for t in result.failures] == []
