"""Power loss, by SIGKILL, of an IHD that keeps its store in a file.

The IHD runs in a real separate process (a fork), bound to an ESME and a GPF, through a scripted
premises: occupier A's days, a future-dated Change of Tenancy that falls due while it runs, occupier
B's first hours.  Every device event (join, frame received, tick) is one store transaction; the
child reports each one as it starts and after it commits.  The parent kills the child:

- at a chosen SQLite progress callback (every :data:`PROGRESS_STEP` VM instructions), so kills land
  at known points inside the transaction of the clear and inside ordinary recording, optionally
  with a tiny page cache so modified pages spill to the file before commit and recovery has real
  rolling back to do;
- after a seeded random delay, so some kills land inside SQLite's commit I/O.

After each kill the parent reopens the file (SQLite rolls a hot journal back), checks
``PRAGMA integrity_check``, checks that the store is exactly the state after the last committed
event (or, for a kill that may have hit a commit, after the next one), restarts the IHD from the
file at the time it died, checks the clear has completed before anything is shown, then runs the
rest of the script and checks the end state.  SIGKILL ends the process, not the machine: what the
process wrote is in the OS cache and survives; power loss of the machine is SQLite's documented
guarantee with ``synchronous = FULL`` (docs/reliability.md).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from hancot import timeutil as tu
from hancot.devices.client import ClientBehaviour, Ihd
from hancot.devices.store import Store
from hancot.han.frame import DeviceKind, HanFrame
from hancot.han.occupancy import Occupancy, Occupant
from hancot.han.premises import Premises, PremisesConfig
from hancot.wan.supplier import Supplier

#: SQLite VM instructions between two progress callbacks (possible kill points).
PROGRESS_STEP = 10
#: A Monday.
METERS_FROM = tu.parse_iso("2026-03-02T00:00:00Z")
IHD_JOINS = METERS_FROM + 2 * tu.DAY + 18 * 3600
COT = METERS_FROM + 3 * tu.DAY
END = COT + 3 * 3600
A = Occupant("A", electricity_per_day=9_000, gas_per_day=30_000)
B = Occupant("B", electricity_per_day=4_000, gas_per_day=12_000)
A_MESSAGE = "For A: your bill"
B_MESSAGE = "Welcome, B"

State = tuple[tuple[tuple[Any, ...], ...], Any]


class _Killed(Exception):
    pass


@dataclass
class World:
    premises: Premises
    ihd: Ihd


def build_world(store_path: Path, *, resume_at: int | None = None) -> World:
    """The premises with the IHD on a file store; ``resume_at`` restarts the IHD from its file at
    that time instead of joining it at :data:`IHD_JOINS`."""
    premises = Premises(
        METERS_FROM,
        Occupancy(3, [(METERS_FROM, A), (COT, B)]),
        PremisesConfig(seed=3, ihd=None, ppmid=None),
    )
    han = premises.han
    ihd = Ihd(premises.identities[DeviceKind.IHD], Store(store_path), behaviour=ClientBehaviour())
    ihd.powered = False  # not on the air until it joins or is restarted
    han.add(ihd)
    premises.chf.admit(ihd.identity)
    premises.commission()
    premises.esme.bind(ihd.identity)
    premises.gpf.bind(ihd.identity)
    supplier = Supplier(premises)
    peers = {k: premises.identities[k] for k in (DeviceKind.ESME, DeviceKind.GPF)}

    def join(now: int) -> list[HanFrame]:
        ihd.powered = True
        return ihd.join(now, peers)

    han.schedule(METERS_FROM + 10 * 3600, lambda now: supplier.display_message(now, A_MESSAGE))
    if resume_at is None:
        han.schedule(IHD_JOINS, join)
    else:
        han.schedule(resume_at, ihd.power_on)
    han.schedule(COT - 2 * 3600, lambda now: supplier.restrict_access_for_cot(now, COT))
    han.schedule(COT + 3600, lambda now: supplier.display_message(now, B_MESSAGE))
    return World(premises, ihd)


def state_of(store: Store) -> State:
    records = tuple(store.execute("SELECT kind, key, time, data FROM records ORDER BY kind, key"))
    return records, store.get("tenancy_client")


def _instrument(world: World, conn: Connection, kill_at: int | None, record: bool) -> None:
    """Report each event of the IHD to the parent; pause at progress callback ``kill_at``."""
    ihd = world.ihd
    calls = [0]
    op = [0]

    def progress() -> int:
        calls[0] += 1
        if calls[0] == kill_at:
            conn.send(("paused", op[0], calls[0]))
            time.sleep(600)  # the parent kills us here
        return 0

    ihd.store.set_progress_handler(progress, PROGRESS_STEP)

    def wrap(name: str) -> None:
        inner = getattr(ihd, name)

        def event(now: int, *args: Any) -> Any:
            op[0] += 1
            conn.send(("begin", op[0], now, calls[0]))
            out = inner(now, *args)
            done: tuple[Any, ...] = ("done", op[0], calls[0], len(ihd.clears))
            if record:
                ihd.store.set_progress_handler(None, 0)  # the snapshot is not part of the script
                done += (json.dumps(state_of(ihd.store)),)
                ihd.store.set_progress_handler(progress, PROGRESS_STEP)
            conn.send(done)
            return out

        setattr(ihd, name, event)

    for name in ("join", "receive", "tick", "power_on"):
        wrap(name)


def _child(store_path: str, kill_at: int | None, tiny_cache: bool, record: bool, conn: Connection):
    world = build_world(Path(store_path))
    if tiny_cache:
        world.ihd.store.execute("PRAGMA cache_size = 1")
    _instrument(world, conn, kill_at, record)
    world.premises.han.run_until(END)
    conn.send(("finished",))
    world.premises.close()
    conn.close()
    os._exit(0)


@dataclass
class Event:
    op: int
    time: int
    calls_before: int
    calls_after: int = -1
    clears: int = 0
    state: State | None = None


@dataclass
class DryRun:
    events: list[Event]
    seconds: float

    @property
    def clear_event(self) -> Event:
        return next(e for e in self.events if e.clears)

    @property
    def total_calls(self) -> int:
        return self.events[-1].calls_after


def _collect(conn: Connection, events: list[Event], deadline: float) -> str:
    """Read the child's reports until it pauses, finishes or dies; what happened."""
    while time.monotonic() < deadline:
        if not conn.poll(0.05):
            continue
        try:
            message = conn.recv()
        except EOFError:
            return "died"
        if message[0] == "begin":
            events.append(Event(message[1], message[2], message[3]))
        elif message[0] == "done":
            event = events[-1]
            event.calls_after, event.clears = message[2], message[3]
            if len(message) > 4:
                records, tenancy = json.loads(message[4])
                event.state = (tuple(tuple(r) for r in records), tenancy)
        elif message[0] == "paused":
            return "paused"
        elif message[0] == "finished":
            return "finished"
    return "timeout"


def _spawn(store: Path, kill_at: int | None, tiny_cache: bool, record: bool) -> tuple[Any, Any]:
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(str(store), kill_at, tiny_cache, record, child))
    process.start()
    child.close()
    return process, parent


def dry_run(workdir: Path) -> DryRun:
    """The script run once without a kill, recording the state after every event."""
    store = workdir / "dry.sqlite"
    process, conn = _spawn(store, None, False, True)
    events: list[Event] = []
    started = time.monotonic()
    outcome = _collect(conn, events, started + 120)
    seconds = time.monotonic() - started
    process.join(10)
    if outcome != "finished":
        raise RuntimeError(f"the dry run did not finish ({outcome})")
    return DryRun(events, seconds)


def _plain_run(store: Path) -> DryRun:
    """The script run to its end, observed as a trial is (no snapshots)."""
    process, conn = _spawn(store, None, False, False)
    events: list[Event] = []
    started = time.monotonic()
    outcome = _collect(conn, events, started + 120)
    seconds = time.monotonic() - started
    process.join(10)
    conn.close()
    if outcome != "finished":
        raise RuntimeError(f"the script did not finish ({outcome})")
    return DryRun(events, seconds)


@dataclass
class Trial:
    kind: str  # "clear" | "recording" | "random"
    kill_at: int | None = None
    delay: float | None = None
    tiny_cache: bool = False
    killed_in_op: int | None = None
    committed_op: int = 0
    problems: list[str] = field(default_factory=list)


def _state_after(dry: DryRun, op: int) -> State:
    if op == 0:
        return ((), None)
    state = dry.events[op - 1].state
    assert state is not None
    return state


def run_trial(trial: Trial, dry: DryRun, workdir: Path, name: str) -> Trial:
    store = workdir / f"trial-{name}.sqlite"
    process, conn = _spawn(store, trial.kill_at, trial.tiny_cache, False)
    events: list[Event] = []
    if trial.delay is None:
        outcome = _collect(conn, events, time.monotonic() + 60)
    else:
        outcome = _collect(conn, events, time.monotonic() + trial.delay)
    if process.pid is not None:
        os.kill(process.pid, signal.SIGKILL)
    process.join(10)
    # What the child reported before it died may still be in the pipe.
    _collect(conn, events, time.monotonic() + 5)
    conn.close()
    if outcome in ("finished", "died"):
        trial.problems.append(f"child {outcome} before the kill")
        return trial
    committed = max((e.op for e in events if e.calls_after >= 0), default=0)
    started = events[-1] if events else None
    trial.committed_op = committed
    trial.killed_in_op = started.op if started and started.calls_after < 0 else None
    verify_after_kill(trial, dry, store, events)
    return trial


def verify_after_kill(trial: Trial, dry: DryRun, path: Path, events: list[Event]) -> None:
    problems = trial.problems
    store = Store(path)  # rolls back a hot journal
    try:
        if store.integrity_check() != "ok":
            problems.append(f"integrity_check: {store.integrity_check()}")
        state = state_of(store)
    finally:
        store.close()
    allowed = [_state_after(dry, trial.committed_op)]
    if trial.kill_at is None and trial.killed_in_op is not None:
        allowed.append(_state_after(dry, trial.killed_in_op))  # the kill may have hit the commit
    if state not in allowed:
        problems.append(
            f"store after the kill is not the state after event {trial.committed_op}"
            + (" or the next" if len(allowed) > 1 else "")
            + f" (it is the state after event(s) {[e.op for e in dry.events if e.state == state]})"
        )
    # Restart the IHD from its file where it died, and check the clear before anything is shown.
    died_at = events[-1].time if events else IHD_JOINS
    if trial.committed_op == 0 and state == ((), None):
        return  # killed before it ever joined: nothing to restart
    world = build_world(path, resume_at=died_at)
    ihd = world.ihd
    try:
        world.premises.han.run_until(died_at)  # the restart: power-up, which applies due CoTs
        tracker = ihd.tracker
        if died_at >= COT and (COT in tracker.acted or tracker.next_due() is not None):
            if tracker.watermark != COT or tracker.pending:
                problems.append("a due CoT was not completed at power-up")
            if any(r.time < COT for rs in ihd.held().values() for r in rs):
                problems.append("the previous occupier's records are shown after the restart")
        world.premises.han.run_until(END)
        if tracker.watermark != COT:
            problems.append("the CoT was never acted on after the restart")
        if any(r.time < COT for rs in ihd.held().values() for r in rs):
            problems.append("records of the previous occupier remain at the end")
        if ihd.latest_message(END) != B_MESSAGE:
            problems.append("the new occupier's message is missing at the end")
        if ihd.store.integrity_check() != "ok":
            problems.append("integrity_check failed after the resumed run")
    finally:
        world.premises.close()


@dataclass
class Campaign:
    dry: DryRun
    trials: list[Trial]
    seconds: float

    @property
    def failures(self) -> list[Trial]:
        return [t for t in self.trials if t.problems]

    def summary(self) -> dict[str, Any]:
        by_kind: dict[str, int] = {}
        for trial in self.trials:
            by_kind[trial.kind] = by_kind.get(trial.kind, 0) + 1
        clear = self.dry.clear_event
        return {
            "kill_points": len(self.trials),
            "by_kind": by_kind,
            "events_in_script": len(self.dry.events),
            "progress_callbacks_in_script": self.dry.total_calls,
            "progress_callbacks_in_clear": clear.calls_after - clear.calls_before,
            "failures": len(self.failures),
            "seconds": round(self.seconds, 1),
        }


def campaign(
    workdir: Path,
    *,
    in_clear: int = 30,
    in_recording: int = 24,
    at_random: int = 8,
    seed: int = 1,
    fast_dir: Path | None = None,
) -> Campaign:
    """Kill the IHD at ``in_clear`` points spread over the transaction of the clear,
    ``in_recording`` points spread over the rest of the script, and ``at_random`` seeded delays.

    ``fast_dir`` (e.g. on tmpfs) holds the stores of the kills at progress callbacks, where file
    syncs only cost time: a SIGKILL does not lose what the process wrote to the OS.  The random
    kills run in ``workdir`` on a real disk, where most of the time goes in commit I/O.
    """
    started = time.monotonic()
    fast = fast_dir or workdir
    dry = dry_run(fast)
    # Progress callbacks counted in a run observed exactly like a trial (the dry run's snapshots
    # shift SQLite's instruction counter), so each kill point lands where it is meant to.
    counted = _plain_run(fast / "counted.sqlite").events
    if [e.op for e in counted] != [e.op for e in dry.events]:
        raise RuntimeError("the script is not deterministic: the two runs saw different events")
    for event, seen in zip(dry.events, counted, strict=True):
        event.calls_before, event.calls_after = seen.calls_before, seen.calls_after
    rng = random.Random(seed)
    clear = dry.clear_event
    trials: list[Trial] = []
    lo, hi = clear.calls_before + 1, clear.calls_after
    for i in range(in_clear):
        at = lo + (hi - lo) * i // max(1, in_clear - 1)
        trials.append(Trial("clear", kill_at=at, tiny_cache=i % 2 == 1))
    others = [n for n in range(1, dry.total_calls + 1) if not lo <= n <= hi]
    for i in range(in_recording):
        at = others[len(others) * i // in_recording]
        trials.append(Trial("recording", kill_at=at, tiny_cache=i % 2 == 1))
    if at_random:
        # How long the script takes on the disk, so random delays fall inside it.
        run_seconds = _plain_run(workdir / "calibrate.sqlite").seconds
        for _ in range(at_random):
            trials.append(Trial("random", delay=rng.uniform(0.05, 0.85) * run_seconds))
    done = []
    for i, trial in enumerate(trials):
        result = run_trial(trial, dry, workdir if trial.delay is not None else fast, str(i))
        attempt = 0
        while trial.delay is not None and result.problems == ["child finished before the kill"]:
            # Disk speed varies: a delay that outlived the script is halved and tried again.
            attempt += 1
            trial = Trial("random", delay=trial.delay / 2)
            result = run_trial(trial, dry, workdir, f"{i}-{attempt}")
        done.append(result)
    return Campaign(dry, done, time.monotonic() - started)


def main() -> int:  # pragma: no cover - the test runs campaign(); this prints the record
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-clear", type=int, default=30)
    parser.add_argument("--in-recording", type=int, default=24)
    parser.add_argument("--at-random", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    shm = Path("/dev/shm")
    with (
        tempfile.TemporaryDirectory() as tmp,
        tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as fast,
    ):
        result = campaign(
            Path(tmp),
            fast_dir=Path(fast),
            in_clear=args.in_clear,
            in_recording=args.in_recording,
            at_random=args.at_random,
            seed=args.seed,
        )
    print(json.dumps(result.summary(), indent=2))
    for trial in result.failures:
        print(trial)
    return 1 if result.failures else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
