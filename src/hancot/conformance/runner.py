"""Run the catalogue against one device and reach a verdict per requirement.

A requirement's verdict combines the checks of every scenario that decides it: ``fail`` if any
check failed (a failure is evidence), else ``error`` if a scenario that should have decided it
could not finish, else ``pass`` if any check passed, else ``not-applicable``.  A requirement the
device's declared type, versions or policy exclude (:mod:`hancot.conformance.applicability`) is
``not-applicable`` without running anything.
"""

from __future__ import annotations

import time as wallclock
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hancot import __version__
from hancot.conformance import scenarios as sc
from hancot.conformance.applicability import DeviceProfile, assess
from hancot.conformance.bench import Bench
from hancot.conformance.devices import Subject
from hancot.conformance.guard import DutError, wall_clock_limit
from hancot.conformance.requirements import Requirement, for_device, requirement_id
from hancot.conformance.scenarios import FAIL, NOT_APPLICABLE, PASS
from hancot.errors import HancotError

#: A scenario's checks reach pass, fail or not-applicable (defined with them); a scenario that
#: could not finish leaves its requirements in error.
ERROR = "error"
VERDICTS = (PASS, FAIL, ERROR, NOT_APPLICABLE)
#: Real-time bound of one scenario: the safety net for a device that blocks inside a call.
DEFAULT_SCENARIO_SECONDS = 30.0


@dataclass
class Evidence:
    """One scenario's say on one requirement."""

    scenario: str
    verdict: str
    reason: str
    frames: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class RequirementResult:
    requirement: Requirement
    verdict: str
    reason: str
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class ScenarioRun:
    id: str
    title: str
    status: str  # ran | error
    seconds: float
    error: str = ""


@dataclass
class ConformanceReport:
    subject: Subject
    profile: DeviceProfile
    results: list[RequirementResult]
    scenarios: list[ScenarioRun]
    seconds: float
    hancot_version: str = __version__

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(VERDICTS, 0)
        for result in self.results:
            out[result.verdict] += 1
        return out

    @property
    def ok(self) -> bool:
        """No applicable requirement failed or errored, and at least one passed (a run where
        nothing applied proves nothing)."""
        return not any(r.verdict in (FAIL, ERROR) for r in self.results) and any(
            r.verdict == PASS for r in self.results
        )

    def verdict_of(self, req_id: str) -> str:
        for result in self.results:
            if result.requirement.id == req_id:
                return result.verdict
        raise KeyError(req_id)


Progress = Callable[[str], None]


def run_conformance(
    subject: Subject,
    *,
    profile: DeviceProfile | None = None,
    requirement_ids: Iterable[str] | None = None,
    scenario_seconds: float | None = DEFAULT_SCENARIO_SECONDS,
    progress: Progress | None = None,
) -> ConformanceReport:
    """Run every scenario that decides a selected requirement of ``subject``'s type."""
    started = wallclock.perf_counter()
    kind = subject.kind.value
    profile = profile or DeviceProfile.current(kind, policy=subject.policy)
    catalogue = for_device(kind)
    if requirement_ids is not None:
        wanted = {i.strip().upper() for i in requirement_ids}
        unknown = wanted - {r.id for r in catalogue}
        if unknown:
            raise HancotError(
                f"requirement(s) {', '.join(sorted(unknown))} are not in the {kind} catalogue "
                "(see docs/requirements.md)"
            )
        catalogue = tuple(r for r in catalogue if r.id in wanted)
    applicability = {a.requirement.id: a for a in assess(profile, catalogue)}
    to_run = {r.id for r in catalogue if applicability[r.id].applies}
    evidence: dict[str, list[Evidence]] = {r.id: [] for r in catalogue}
    runs: list[ScenarioRun] = []
    chosen = [
        s for s in sc.for_kind(kind) if any(requirement_id(kind, n) in to_run for n in s.numbers)
    ]
    for index, scenario in enumerate(chosen, 1):
        if progress:
            progress(f"[{index}/{len(chosen)}] {scenario.id}: {scenario.title}")
        run, checks = _run_scenario(subject, scenario, scenario_seconds)
        runs.append(run)
        decided = set()
        for check in checks:
            rid = requirement_id(kind, check.number)
            if rid in to_run:
                decided.add(rid)
                evidence[rid].append(
                    Evidence(scenario.id, check.verdict, check.reason, check.frames, check.state)
                )
        if run.status == ERROR:
            for number in scenario.numbers:
                rid = requirement_id(kind, number)
                if rid in to_run and rid not in decided:
                    evidence[rid].append(Evidence(scenario.id, ERROR, run.error))
        if progress and run.status == ERROR:
            progress(f"      error: {run.error}")
    results = []
    for req in catalogue:
        assessment = applicability[req.id]
        if not assessment.applies:
            results.append(RequirementResult(req, NOT_APPLICABLE, assessment.reason))
            continue
        results.append(_combine(req, evidence[req.id]))
    return ConformanceReport(subject, profile, results, runs, wallclock.perf_counter() - started)


def _run_scenario(
    subject: Subject, scenario: sc.Scenario, seconds: float | None
) -> tuple[ScenarioRun, list[sc.Check]]:
    started = wallclock.perf_counter()
    bench: Bench | None = None
    ctx: sc.Ctx | None = None
    error = ""
    try:
        with wall_clock_limit(seconds):
            bench = Bench(subject, scenario.options())
            ctx = sc.Ctx(bench)
            scenario.run(ctx)
    except DutError as exc:
        error = f"device under test: {exc}"
    except HancotError as exc:
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        # Most likely the device broke an assumption of the premises (a frame to nowhere, a
        # value of the wrong type); say where, briefly, rather than crash the whole run.
        where = traceback.extract_tb(exc.__traceback__)[-1]
        error = (
            f"{type(exc).__name__}: {exc} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
        )
    finally:
        if bench is not None:
            try:
                bench.close()
            except Exception as exc:  # closing a broken device must not hide the verdicts
                error = error or f"closing the device failed: {exc}"
    run = ScenarioRun(
        scenario.id,
        scenario.title,
        ERROR if error else "ran",
        wallclock.perf_counter() - started,
        error,
    )
    return run, ctx.checks if ctx is not None else []


def _combine(req: Requirement, evidence: list[Evidence]) -> RequirementResult:
    by = {v: [e for e in evidence if e.verdict == v] for v in VERDICTS}
    if by[FAIL]:
        first = by[FAIL][0]
        return RequirementResult(req, FAIL, f"{first.scenario}: {first.reason}", evidence)
    if by[ERROR]:
        first = by[ERROR][0]
        return RequirementResult(req, ERROR, f"{first.scenario}: {first.reason}", evidence)
    if by[PASS]:
        reason = "; ".join(f"{e.scenario}: {e.reason}" for e in by[PASS][:2])
        return RequirementResult(req, PASS, reason, evidence)
    if by[NOT_APPLICABLE]:
        first = by[NOT_APPLICABLE][0]
        return RequirementResult(req, NOT_APPLICABLE, f"{first.scenario}: {first.reason}", evidence)
    return RequirementResult(req, ERROR, "no scenario decided this requirement", evidence)
