"""The conformance scenarios: short stories in virtual time, each checking requirements.

Every scenario gets a fresh :class:`~hancot.conformance.bench.Bench` (a new premises and a
factory-new device under test), plays its story and calls :meth:`Ctx.check` once per requirement
it decides, quoting the frames and the device state that decided it.

The common story (``Ctx.tenancy_a``): the premises is commissioned at START (a Monday, 00:00);
occupier A has a debt set up at 01:00, tops up at 09:00 and gets a supplier message the next day
at 01:00; by the CoT time T (START + 36 h unless a scenario says otherwise) an IHD holds A's
days, week, month, half-hour profile and message, a PPMID A's top-up, debt recovery record and
message.  Occupier B moves in at T.  Scenarios last two to four simulated days.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hancot import timeutil as tu
from hancot.conformance.bench import (
    HISTORY_KINDS,
    HOUR,
    MINUTE,
    START,
    Bench,
    BenchOptions,
    FrameRecord,
    observation_summary,
)
from hancot.conformance.dut import Observation
from hancot.devices.client import SEC_MINIMUM_KINDS
from hancot.han.frame import DeviceIdentity, DeviceKind
from hancot.zcl import registry as reg
from hancot.zcl.codec import encode_command, read_attributes
from hancot.zcl.header import Status

#: What the poll-interval requirement allows between two queries (DOMAIN.md section 7) plus a
#: minute for the time a device takes to get round to it.
POLL_BOUND = 30 * MINUTE
POLL_SLACK = MINUTE
#: How soon after joining or powering up a query must go out (COT-xxx-004/005).
PROMPT = MINUTE
#: Clock skew the kit applies, and the tolerance of COT-xxx-026.
SKEW = 10 * MINUTE
SKEW_TOLERANCE = 15 * MINUTE
#: A CoT set "now" reaches the device at its next poll: judge one poll interval and 5 minutes on.
AFTER_POLL = POLL_BOUND + 5 * MINUTE
PREPAYMENT_HISTORY = ("top_up", "debt_log")
CLEAR_PREPAYMENT_DATA = 1 << 14
CLEAR_IHD_DATA_CONSUMER = 1 << 9

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not-applicable"
#: Which cluster carries the data of each record kind to an IHD/PPMID.
_KIND_CLUSTER = {
    "day": reg.METERING,
    "week": reg.METERING,
    "month": reg.METERING,
    "profile": reg.METERING,
    "message": reg.MESSAGING,
    "top_up": reg.PREPAYMENT,
    "debt_log": reg.PREPAYMENT,
}


@dataclass
class Check:
    """The verdict one scenario reached on one requirement (by number)."""

    number: int
    verdict: str
    reason: str
    frames: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


class AcrossCot(NamedTuple):
    """What the device held either side of a CoT, and both summaries as evidence."""

    before: Observation
    after: Observation
    evidence: dict[str, Any]


class Ctx:
    """What a scenario function works with: the bench and the checks it has made."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.checks: list[Check] = []
        self.kind = bench.slot.value
        self.T = bench.moved_in

    # -- verdicts -----------------------------------------------------------------------------
    def check(
        self,
        number: int,
        ok: bool | None,
        reason: str,
        *,
        frames: list[FrameRecord] | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        verdict = NOT_APPLICABLE if ok is None else PASS if ok else FAIL
        self.checks.append(
            Check(
                number,
                verdict,
                reason,
                self.bench.evidence_frames(frames or []),
                json.loads(json.dumps(state or {}, default=str)),
            )
        )

    # -- shared story -------------------------------------------------------------------------
    def commission(self) -> None:
        self.bench.commission()

    def tenancy_a(
        self, until: int | None = None, message_fuels: tuple[str, ...] = ("electricity", "gas")
    ) -> None:
        """Commission and play occupier A's tenancy up to ``until`` (default: 1 minute before T),
        A's supplier message going to the meters of ``message_fuels``."""
        b = self.bench
        self.commission()
        b.run_action(START + 1 * HOUR, lambda now: b.premises.esme.set_debt(now, 3000, 50))
        b.run_action(START + 9 * HOUR, lambda now: b.supplier.top_up(now, 2000))
        b.message(START + 25 * HOUR, "Occupier A: your statement is ready", message_fuels)
        b.run_until(until if until is not None else self.T - MINUTE)

    def observe(self, label: str, cot: int | None = None) -> tuple[Observation, dict[str, Any]]:
        obs = self.bench.observe()
        summary = observation_summary(obs, self.T if cot is None else cot)
        summary["at"] = tu.iso(self.bench.now)
        summary["label"] = label
        return obs, summary

    def across_cot(
        self,
        before: str,
        after: str,
        *,
        cot: int | None = None,
        at: int | None = None,
        fuels: tuple[str, ...] = ("electricity", "gas"),
        **kw: Any,
    ) -> AcrossCot:
        """Observe (labelled ``before``), have the supplier set a CoT dated ``cot`` (default T)
        at ``at`` (default: the CoT time itself), run one poll interval and 5 minutes past
        ``at`` (the device learns of it at its next poll) and observe again (``after``).

        Both summaries count what is dated before ``cot``; ``kw`` goes to the supplier's
        SRV 3.2 (``control=``)."""
        b = self.bench
        when = self.T if cot is None else cot
        at = when if at is None else at
        held, s0 = self.observe(before, cot)
        b.cot(at, when, fuels, **kw)
        b.run_until(at + AFTER_POLL)
        now, s1 = self.observe(after, cot)
        return AcrossCot(held, now, {"before": s0, "after": s1})

    # -- judgements ------------------------------------------------------------------------------
    def judge_cleared(
        self,
        number: int,
        kinds: tuple[str, ...],
        before: Observation,
        after: Observation,
        evidence: dict[str, Any],
        *,
        cot: int | None = None,
        since: int | None = None,
        what: str = "",
    ) -> None:
        """Pass when the device held records of ``kinds`` dated before the CoT, and holds none
        now; not applicable when it never held any."""
        cot = self.T if cot is None else cot
        what = what or "/".join(kinds)
        held = before.count(kinds, before=cot)
        left = after.count(kinds, before=cot)
        frames = self.bench.frames_between(
            since if since is not None else cot - MINUTE, self.bench.now
        )
        if held == 0 and left == 0:
            # Nothing held is "not applicable" only if nothing of the kind ever reached the
            # device; a device that was sent such data and reports none cannot show its clear.
            delivered = self._data_delivered(kinds, cot)
            self.check(
                number,
                False if delivered else None,
                f"the device reports no {what} record dated before the CoT although "
                f"{len(delivered)} frame(s) carrying it reached it: its clear cannot be shown"
                if delivered
                else f"the device held no {what} record dated before the CoT, so there was "
                "nothing to clear",
                frames=delivered or frames,
                state=evidence,
            )
            return
        self.check(
            number,
            left == 0,
            f"{what}: {held} record(s) dated before the CoT {tu.iso(cot)} held before it, "
            f"{left} still held at {tu.iso(self.bench.now)}",
            frames=frames,
            state=evidence,
        )

    def _data_delivered(self, kinds: tuple[str, ...], until: int) -> list[FrameRecord]:
        """Frames from the meters to the device, before ``until``, that carry data of ``kinds``
        (Metering for consumption and profile, Messaging for messages, Prepayment for logs)."""
        clusters = {_KIND_CLUSTER[k] for k in kinds if k in _KIND_CLUSTER}
        return [
            r
            for r in self.bench.frames_between(0, until)
            if r.frame.dst.name == self.bench.name
            and r.frame.cluster in clusters
            and r.frame.src.kind in (DeviceKind.ESME, DeviceKind.GPF)
            and len(r.frame.payload) > 5  # more than a Default Response
        ]

    def judge_kept(
        self,
        number: int,
        kinds: tuple[str, ...],
        before: Observation,
        after: Observation,
        evidence: dict[str, Any],
        *,
        cut: int,
        since: int,
        dated: str = "before",
        what: str = "",
    ) -> None:
        """Pass when every record of ``kinds`` dated before (or at/after) ``cut`` held at
        ``before`` is still held at ``after`` (matched by kind and date)."""

        def chosen(obs: Observation) -> set[tuple[str, int, str]]:
            return {
                (r.kind, r.time, r.summary)
                for r in obs.records
                if r.kind in kinds and ((r.time < cut) == (dated == "before"))
            }

        wanted = chosen(before)
        have = chosen(after)
        # A record may be re-dated (a straddling period) but must not vanish: compare by kind.
        lost = {
            k: sum(1 for r in wanted if r[0] == k) - sum(1 for r in have if r[0] == k)
            for k in kinds
        }
        lost = {k: n for k, n in lost.items() if n > 0}
        frames = self.bench.frames_between(since, self.bench.now)
        what = what or "/".join(kinds)
        if not wanted:
            self.check(
                number,
                None,
                f"the device held no {what} record dated {dated} {tu.iso(cut)} to keep",
                frames=frames,
                state=evidence,
            )
            return
        self.check(
            number,
            not lost,
            f"{what} dated {dated} {tu.iso(cut)}: {len(wanted)} held at first, "
            + (f"lost {lost}" if lost else "all still held"),
            frames=frames,
            state=evidence,
        )

    def judge_new_messages_kept(
        self,
        number: int,
        before: Observation,
        after: Observation,
        evidence: dict[str, Any],
        *,
        since: int,
    ) -> None:
        """Pass when every message dated at or after T held at ``before`` is still held."""
        self.judge_kept(
            number,
            ("message",),
            before,
            after,
            evidence,
            cut=self.T,
            since=since,
            dated="at or after",
            what="new occupier's messages",
        )

    def judge_queries(
        self, number: int, start: int, end: int, meters: tuple[DeviceKind, ...], label: str
    ) -> None:
        b = self.bench
        found = {m: b.tenancy_queries(start, end, m) for m in meters}
        missing = [m.value for m, q in found.items() if not q]
        frames = [r for q in found.values() for r in q] or b.frames_between(start, end)
        self.check(
            number,
            not missing,
            f"{label}: tenancy queries to "
            + ", ".join(f"{m.value} x{len(q)}" for m, q in found.items())
            + (f"; none to {', '.join(missing)}" if missing else ""),
            frames=sorted(frames, key=lambda r: r.time),
            state={"window": [tu.iso(start), tu.iso(end)]},
        )


ScenarioFn = Callable[[Ctx], None]


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    #: Requirement numbers it checks; for meter scenarios the COT-MTR numbers.
    numbers: tuple[int, ...]
    run: ScenarioFn
    kinds: tuple[str, ...] = ("IHD", "PPMID")
    options: Callable[[], BenchOptions] = BenchOptions


SCENARIOS: list[Scenario] = []


def scenario(
    sid: str,
    title: str,
    numbers: tuple[int, ...],
    *,
    kinds: tuple[str, ...] = ("IHD", "PPMID"),
    options: Callable[[], BenchOptions] = BenchOptions,
) -> Callable[[ScenarioFn], ScenarioFn]:
    def register(fn: ScenarioFn) -> ScenarioFn:
        SCENARIOS.append(Scenario(sid, title, numbers, fn, kinds, options))
        return fn

    return register


BOTH = (DeviceKind.ESME, DeviceKind.GPF)


# -- querying ---------------------------------------------------------------------------------
@scenario("C01-join", "Joins the HAN and queries both meters", (1, 2, 4))
def _join(c: Ctx) -> None:
    b = c.bench
    c.commission()
    joined = b.now
    b.run_until(joined + 2 * HOUR)
    c.judge_queries(1, joined, b.now, (DeviceKind.ESME,), "first two hours after joining")
    c.judge_queries(2, joined, b.now, (DeviceKind.GPF,), "first two hours after joining")
    c.judge_queries(4, joined, joined + PROMPT, BOTH, "within 60 s of joining")


@scenario("C02-poll-interval", "Polls the tenancy attributes of both meters", (3,))
def _poll(c: Ctx) -> None:
    b = c.bench
    c.commission()
    joined = b.now
    end = joined + 6 * HOUR
    b.run_until(end)
    worst: dict[str, int] = {}
    frames: list[FrameRecord] = []
    for meter in BOTH:
        queries = b.tenancy_queries(joined, end, meter)
        frames += queries
        times = [joined + PROMPT] + [q.time for q in queries] + [end]
        worst[meter.value] = max(later - earlier for earlier, later in itertools.pairwise(times))
    bad = {m: gap for m, gap in worst.items() if gap > POLL_BOUND + POLL_SLACK}
    c.check(
        3,
        not bad,
        "longest gap between tenancy queries over 6 h: "
        + ", ".join(f"{m} {gap // 60} min" for m, gap in worst.items())
        + f" (bound {POLL_BOUND // 60} min)",
        frames=sorted(frames, key=lambda r: r.time),
        state={"longest_gap_s": worst},
    )


@scenario("C03-power-up", "Queries both meters on power-up", (5,))
def _power_up(c: Ctx) -> None:
    b = c.bench
    c.commission()
    b.power_off(START + 2 * HOUR)
    b.power_on(START + 4 * HOUR + 7 * MINUTE)
    on = b.now
    b.run_until(on + PROMPT)
    c.judge_queries(5, on, on + PROMPT, BOTH, "within 60 s of powering up")


# -- clearing -------------------------------------------------------------------------------------
@scenario("C04-cot-now", "A CoT dated now clears the previous occupier's data", (6, 7, 8, 9, 10))
def _cot_now(c: Ctx) -> None:
    c.tenancy_a()
    before, after, ev = c.across_cot("before the CoT", "a poll interval after the CoT")
    c.judge_cleared(6, HISTORY_KINDS, before, after, ev, what="historic consumption")
    c.judge_cleared(7, ("profile",), before, after, ev, what="load profile")
    c.judge_cleared(8, ("message",), before, after, ev, what="supplier message")
    if c.kind == "PPMID":
        c.judge_cleared(9, ("top_up",), before, after, ev, what="top-up")
        c.judge_cleared(10, ("debt_log",), before, after, ev, what="debt recovery")


def _future_cot(c: Ctx, ahead: int, fuels: tuple[str, ...]) -> AcrossCot:
    """Set a CoT for T ``ahead`` seconds early; judge 12 (kept until T) and 13 (cleared just
    after T); returns the observations either side of T."""
    b = c.bench
    c.tenancy_a(c.T - ahead)
    at_set, s0 = c.observe("when the CoT is set")
    b.cot(b.now, c.T, fuels)
    b.run_until(c.T - MINUTE)
    early, s1 = c.observe("1 minute before the CoT time")
    c.judge_kept(
        12,
        SEC_MINIMUM_KINDS,
        at_set,
        early,
        {"set": s0, "before": s1},
        cut=c.T,
        since=c.T - ahead,
        what="SEC-minimum data",
    )
    b.run_until(c.T + 10 * MINUTE)
    after, s2 = c.observe("10 minutes after the CoT time")
    ev = {"before": s1, "after": s2}
    c.judge_cleared(13, SEC_MINIMUM_KINDS, early, after, ev, what="SEC-minimum data")
    return AcrossCot(early, after, ev)


@scenario("C05-future-cot", "A future-dated CoT waits for its time, then clears", (12, 13))
def _future(c: Ctx) -> None:
    _future_cot(c, 10 * HOUR, ("electricity", "gas"))


@scenario(
    "C06-pending-power-cycle",
    "A pending CoT survives a power cycle with the meters out of reach",
    (14,),
)
def _pending_power(c: Ctx) -> None:
    b = c.bench
    c.tenancy_a(c.T - 10 * HOUR)
    b.cot(b.now, c.T)
    b.run_until(c.T - 7 * HOUR)
    before, s0 = c.observe("pending")
    b.power_off(c.T - 6 * HOUR)
    b.set_out_of_range(c.T - 5 * HOUR, True)
    b.power_on(c.T - 4 * HOUR)
    b.run_until(c.T + 10 * MINUTE)
    after, s1 = c.observe("10 minutes after the CoT time, still out of range")
    c.judge_cleared(
        14,
        SEC_MINIMUM_KINDS,
        before,
        after,
        {"before": s0, "after": s1},
        since=c.T - 6 * HOUR,
        what="SEC-minimum data",
    )


@scenario(
    "C07-backdated", "A backdated CoT clears the old occupier's, keeps the new one's", (15, 11)
)
def _backdated(c: Ctx) -> None:
    b = c.bench
    c.tenancy_a()
    b.message(c.T + 2 * HOUR, "Welcome, occupier B")
    b.message(c.T + 4 * HOUR, "Occupier B: your tariff")
    if c.kind == "PPMID":
        b.run_action(c.T + 5 * HOUR, lambda now: b.supplier.top_up(now, 1000))
    b.run_until(c.T + 12 * HOUR - MINUTE)
    before, after, ev = c.across_cot(
        "before the backdated CoT is set",
        "a poll interval after the backdated CoT",
        at=c.T + 12 * HOUR,
    )
    c.judge_cleared(
        15,
        SEC_MINIMUM_KINDS,
        before,
        after,
        ev,
        since=c.T + 12 * HOUR - MINUTE,
        what="SEC-minimum data",
    )
    c.judge_kept(
        11,
        ("message", "top_up"),
        before,
        after,
        ev,
        cut=c.T,
        since=c.T + 12 * HOUR - MINUTE,
        dated="at or after",
        what="new occupier's",
    )


def _new_occupier_story(c: Ctx, first_fuels: tuple[str, ...]) -> tuple[Observation, dict]:
    b = c.bench
    c.tenancy_a()
    b.cot(c.T, c.T, first_fuels)
    b.message(c.T + 2 * HOUR, "Welcome, occupier B")
    b.message(c.T + 4 * HOUR, "Occupier B: your tariff")
    b.run_until(c.T + 6 * HOUR - MINUTE)
    return c.observe("new occupier's data held")


@scenario("C08-same-cot-twice", "The same CoT sent again clears nothing more", (16, 11))
def _twice(c: Ctx) -> None:
    b = c.bench
    before, s0 = _new_occupier_story(c, ("electricity", "gas"))
    b.cot(c.T + 6 * HOUR, c.T)
    b.run_until(c.T + 7 * HOUR)
    after, s1 = c.observe("an hour after the repeat")
    ev = {"before": s0, "after": s1}
    c.judge_new_messages_kept(16, before, after, ev, since=c.T + 6 * HOUR - MINUTE)
    c.judge_new_messages_kept(11, before, after, ev, since=c.T)


@scenario("C09-same-cot-other-meter", "The same CoT from the other meter, later", (16,))
def _twice_other(c: Ctx) -> None:
    b = c.bench
    before, s0 = _new_occupier_story(c, ("electricity",))
    b.cot(c.T + 6 * HOUR, c.T, ("gas",))
    b.run_until(c.T + 7 * HOUR)
    after, s1 = c.observe("an hour after the GPF got the same CoT")
    c.judge_new_messages_kept(
        16, before, after, {"before": s0, "after": s1}, since=c.T + 6 * HOUR - MINUTE
    )


def _one_fuel(c: Ctx, fuel: str) -> None:
    c.tenancy_a()
    before, after, ev = c.across_cot(
        "before the CoT", f"a poll interval after a CoT on {fuel} only", fuels=(fuel,)
    )
    fuels = {
        f: sum(1 for r in after.records if f in r.summary and r.time < c.T)
        for f in ("electricity", "gas")
    }
    ev["after"]["dated_before_cot_by_fuel"] = fuels
    c.judge_cleared(
        17,
        SEC_MINIMUM_KINDS,
        before,
        after,
        ev,
        what=f"SEC-minimum data of both fuels (CoT on {fuel})",
    )


@scenario("C10-electricity-only", "A CoT on the ESME alone clears both fuels", (17,))
def _elec_only(c: Ctx) -> None:
    _one_fuel(c, "electricity")


@scenario("C11-gas-only", "A CoT on the GPF alone clears both fuels", (17,))
def _gas_only(c: Ctx) -> None:
    _one_fuel(c, "gas")


@scenario("C12-powered-off", "A CoT set while the device is powered off", (18,))
def _powered_off(c: Ctx) -> None:
    b = c.bench
    c.tenancy_a(c.T - 2 * HOUR)
    before, s0 = c.observe("before powering off")
    b.power_off(b.now)
    b.cot(c.T, c.T)
    b.power_on(c.T + 3 * HOUR)
    b.run_until(c.T + 3 * HOUR + 10 * MINUTE)
    after, s1 = c.observe("10 minutes after powering up")
    c.judge_cleared(
        18,
        SEC_MINIMUM_KINDS,
        before,
        after,
        {"before": s0, "after": s1},
        since=c.T + 3 * HOUR - MINUTE,
        what="SEC-minimum data",
    )


@scenario("C13-out-of-range", "A CoT set while the device is out of range", (19,))
def _out_of_range(c: Ctx) -> None:
    b = c.bench
    c.tenancy_a(c.T - HOUR)
    before, s0 = c.observe("before going out of range")
    b.set_out_of_range(b.now, True)
    b.cot(c.T, c.T)
    back = c.T + 2 * HOUR
    b.set_out_of_range(back, False)
    b.run_until(back + POLL_BOUND + 5 * MINUTE)
    after, s1 = c.observe("one poll interval after coming back in range")
    c.judge_cleared(
        19,
        SEC_MINIMUM_KINDS,
        before,
        after,
        {"before": s0, "after": s1},
        since=back,
        what="SEC-minimum data",
    )


def _no_esme_tenancy() -> BenchOptions:
    return BenchOptions(esme_tenancy_attributes=False)


def _no_gpf_tenancy() -> BenchOptions:
    return BenchOptions(gpf_tenancy_attributes=False)


def _keeps_working(c: Ctx, number: int, meter: DeviceKind) -> None:
    b = c.bench
    since = b.now - 12 * HOUR
    data = [
        r
        for r in b.frames_between(since, b.now)
        if r.frame.src.name == meter.value
        and r.frame.dst.name == b.name
        and r.frame.cluster != reg.DEVICE_MANAGEMENT
    ]
    obs, summary = c.observe("after a day with the meter lacking tenancy attributes")
    c.check(
        number,
        bool(data) and bool(obs.records or obs.shows),
        f"{len(data)} data frame(s) from the {meter.value} to the device in the last 12 h; "
        f"device holds {len(obs.records)} record(s)",
        frames=data,
        state=summary,
    )


def _says_so(c: Ctx, number: int, meter: DeviceKind) -> None:
    obs, summary = c.observe("status")
    said = [s for s in obs.status if meter.value in s]
    c.check(
        number,
        bool(said),
        f"status mentions the {meter.value}: {said[0]!r}"
        if said
        else f"no status line mentions the {meter.value} (status: {list(obs.status)})",
        frames=c.bench.tenancy_queries(START, START + HOUR, meter)
        + [
            r
            for r in c.bench.frames_between(START, START + HOUR, cluster=reg.DEVICE_MANAGEMENT)
            if r.frame.src.name == meter.value
        ],
        state=summary,
    )


@scenario(
    "C14-esme-unsupported",
    "ESME answers UNSUPPORTED_ATTRIBUTE (pre-ESMETS 5.1)",
    (20, 21),
    options=_no_esme_tenancy,
)
def _esme_unsupported(c: Ctx) -> None:
    c.commission()
    c.bench.run_until(START + 26 * HOUR)
    _keeps_working(c, 20, DeviceKind.ESME)
    _says_so(c, 21, DeviceKind.ESME)


@scenario(
    "C15-gpf-not-found",
    "GPF without tenancy attributes (answers NOT_FOUND)",
    (22, 23, 17),
    options=_no_gpf_tenancy,
)
def _gpf_not_found(c: Ctx) -> None:
    c.tenancy_a()
    _keeps_working(c, 22, DeviceKind.GPF)
    _says_so(c, 23, DeviceKind.GPF)
    before, after, ev = c.across_cot(
        "before the CoT", "a poll interval after the CoT (only the ESME can tell)"
    )
    c.judge_cleared(17, SEC_MINIMUM_KINDS, before, after, ev, what="SEC-minimum data of both fuels")


def _cancelled_cot(c: Ctx, set_label: str, new_cot: int | None = None) -> None:
    """A CoT for T set 10 hours ahead and cancelled 5 hours before T (then, when ``new_cot`` is
    given, a new date set an hour after the cancel); judge 24 an hour after T."""
    b = c.bench
    c.tenancy_a(c.T - 10 * HOUR)
    at_set, s0 = c.observe(set_label)
    b.cot(b.now, c.T)
    b.cot(c.T - 5 * HOUR, tu.UTC_INVALID)
    if new_cot is not None:
        b.cot(c.T - 4 * HOUR, new_cot)
    b.run_until(c.T + HOUR)
    after, s1 = c.observe("an hour after the cancelled time")
    c.judge_kept(
        24,
        SEC_MINIMUM_KINDS,
        at_set,
        after,
        {"set": s0, "after": s1},
        cut=c.T,
        since=c.T - 5 * HOUR - MINUTE,
        what="SEC-minimum data",
    )


@scenario("C16-cancel", "A pending CoT cancelled with 0xFFFFFFFF clears nothing", (24,))
def _cancel(c: Ctx) -> None:
    _cancelled_cot(c, "when the CoT is set")


@scenario("C17-cancel-then-new", "After a cancellation, a new CoT date takes effect", (24, 25))
def _cancel_new(c: Ctx) -> None:
    b = c.bench
    second = c.T + tu.DAY
    _cancelled_cot(c, "when the first CoT is set", second)
    b.run_until(second - MINUTE)
    before, s2 = c.observe("before the new CoT time", second)
    b.run_until(second + 10 * MINUTE)
    after, s3 = c.observe("10 minutes after the new CoT time", second)
    c.judge_cleared(
        25,
        SEC_MINIMUM_KINDS,
        before,
        after,
        {"before": s2, "after": s3},
        cot=second,
        what="SEC-minimum data",
    )


def _skew(c: Ctx, fuels: tuple[str, ...]) -> None:
    b = c.bench
    c.tenancy_a(c.T - 10 * HOUR)
    at_set, s0 = c.observe("when the CoT is set")
    b.cot(b.now, c.T, fuels)
    b.run_until(c.T - SKEW_TOLERANCE)
    early, s1 = c.observe("15 minutes before the CoT time")
    b.run_until(c.T + SKEW_TOLERANCE)
    late, s2 = c.observe("15 minutes after the CoT time")
    kept = early.count(SEC_MINIMUM_KINDS, before=c.T)
    held = at_set.count(SEC_MINIMUM_KINDS, before=c.T)
    left = late.count(SEC_MINIMUM_KINDS, before=c.T)
    c.check(
        26,
        None if held == 0 else kept > 0 and left == 0,
        f"pre-CoT SEC-minimum records: {held} when set, {kept} at T-15 min, {left} at T+15 min",
        frames=b.frames_between(c.T - SKEW_TOLERANCE, c.T + SKEW_TOLERANCE),
        state={
            "set": s0,
            "early": s1,
            "late": s2,
            "offsets": {
                "device": b.options.dut_clock_offset,
                **{k.value: v for k, v in b.options.meter_clock_offsets.items()},
            },
        },
    )


@scenario(
    "C18-device-clock-behind",
    "Device clock 10 minutes behind the meters",
    (26,),
    options=lambda: BenchOptions(dut_clock_offset=-SKEW),
)
def _behind(c: Ctx) -> None:
    _skew(c, ("electricity", "gas"))


@scenario(
    "C19-device-clock-ahead",
    "Device clock 10 minutes ahead of the meters",
    (26,),
    options=lambda: BenchOptions(dut_clock_offset=SKEW),
)
def _ahead(c: Ctx) -> None:
    _skew(c, ("electricity", "gas"))


@scenario(
    "C20-esme-clock-ahead",
    "ESME clock 10 minutes ahead, CoT on electricity",
    (26,),
    options=lambda: BenchOptions(meter_clock_offsets={DeviceKind.ESME: SKEW}),
)
def _esme_ahead(c: Ctx) -> None:
    _skew(c, ("electricity",))


def _display_message(message_id: int, start: int, text: str) -> bytes:
    return encode_command(
        reg.MESSAGING,
        "display_message",
        tsn=0x42,
        message_id=message_id,
        message_control=0,
        start_time=start,
        duration_in_minutes=0xFFFF,
        message=text,
    )


@scenario("C21-late-message", "A message dated before the CoT delivered after it", (27,))
def _late_message(c: Ctx) -> None:
    b = c.bench
    c.tenancy_a()
    b.cot(c.T, c.T)
    b.run_until(c.T + HOUR)
    _, s0 = c.observe("after the CoT")
    b.inject(
        c.T + HOUR,
        b.esme,
        reg.MESSAGING,
        _display_message(0x0BAD, c.T - 5 * HOUR, "Occupier A: your refund"),
    )
    b.run_until(c.T + HOUR + MINUTE)
    after, s1 = c.observe("after the late message")
    left = after.count(("message",), before=c.T)
    c.check(
        27,
        left == 0,
        f"after a Display Message dated {tu.iso(c.T - 5 * HOUR)} arrived at "
        f"{tu.iso(c.T + HOUR)}, the device holds {left} message(s) dated before the CoT",
        frames=b.frames_between(c.T + HOUR, b.now),
        state={"before": s0, "after": s1},
    )


@scenario(
    "C22-old-data-served-late",
    "Out of range over the CoT; a faulty ESME still serves the old message and history",
    (27,),
    options=lambda: BenchOptions(meter_faults={DeviceKind.ESME: {"restricts_history": False}}),
)
def _old_served(c: Ctx) -> None:
    b = c.bench
    c.tenancy_a(c.T - 14 * HOUR)
    b.set_out_of_range(b.now, True)
    b.message(c.T - 12 * HOUR, "Occupier A: moving out checklist")
    b.cot(c.T, c.T)
    b.set_out_of_range(c.T + HOUR, False)
    b.run_until(c.T + HOUR + POLL_BOUND + 10 * MINUTE)
    after, s1 = c.observe("back in range after the CoT")
    left = after.count(SEC_MINIMUM_KINDS, before=c.T)
    c.check(
        27,
        left == 0,
        f"the ESME served pre-CoT data; the device holds {left} SEC-minimum record(s) dated "
        "before the CoT",
        frames=b.frames_between(c.T + HOUR, c.T + HOUR + 5 * MINUTE),
        state={"after": s1},
    )


@scenario("C23-change-of-supplier", "A Change of Supplier alone clears nothing", (28,))
def _cos(c: Ctx) -> None:
    b = c.bench
    c.tenancy_a()
    before, s0 = c.observe("before the Change of Supplier")
    b.run_action(c.T, lambda now: b.supplier.change_supplier(now, 0x0000_0099, now))
    b.run_until(c.T + 2 * HOUR)
    after, s1 = c.observe("2 hours after the Change of Supplier")
    c.judge_kept(
        28,
        SEC_MINIMUM_KINDS + PREPAYMENT_HISTORY,
        before,
        after,
        {"before": s0, "after": s1},
        cut=c.T,
        since=c.T,
        what="consumer data",
    )


def _publish_cot(
    issuer: int, when: int, control: int = CLEAR_IHD_DATA_CONSUMER, tsn: int = 0x43
) -> bytes:
    return encode_command(
        reg.DEVICE_MANAGEMENT,
        "publish_change_of_tenancy",
        tsn=tsn,
        provider_id=1,
        issuer_event_id=issuer,
        tariff_type=0,
        implementation_date_time=when,
        proposed_tenancy_change_control=control,
    )


@scenario("C24-stale-issuer-id", "A Publish Change of Tenancy with a stale issuer event id", (29,))
def _stale(c: Ctx) -> None:
    b = c.bench
    c.tenancy_a()
    # The GPF answers the device's next query with a Publish Change of Tenancy (issuer id
    # 0x2000), and later one with a lower id (0x1FFF) for a date after the new occupier moved in.
    b.answer_next_query(DeviceKind.GPF, lambda tsn: _publish_cot(0x2000, c.T, tsn=tsn))
    b.message(c.T + 2 * HOUR, "Welcome, occupier B")
    b.message(c.T + 4 * HOUR, "Occupier B: your tariff")
    b.run_until(c.T + 6 * HOUR - MINUTE)
    before, s0 = c.observe("new occupier's messages held")
    b.answer_next_query(DeviceKind.GPF, lambda tsn: _publish_cot(0x1FFF, c.T + 5 * HOUR, tsn=tsn))
    b.run_until(c.T + 6 * HOUR + AFTER_POLL)
    after, s1 = c.observe("after the stale Publish Change of Tenancy")
    c.judge_new_messages_kept(29, before, after, {"before": s0, "after": s1}, since=c.T + 6 * HOUR)


@scenario("C25-unbound-publisher", "A Publish Change of Tenancy from an unbound device", (30,))
def _unbound(c: Ctx) -> None:
    b = c.bench
    c.tenancy_a()
    before, s0 = c.observe("before the forged publish")
    intruder = DeviceIdentity("CAD", DeviceKind.CAD, 0x00DB1234567890FF, 0x7E57)
    b.inject(c.T, intruder, reg.DEVICE_MANAGEMENT, _publish_cot(0x7FFF_FFFF, c.T))
    b.run_until(c.T + 10 * MINUTE)
    after, s1 = c.observe("10 minutes after the forged publish")
    c.judge_kept(
        30,
        SEC_MINIMUM_KINDS,
        before,
        after,
        {"before": s0, "after": s1},
        cut=c.T,
        since=c.T,
        what="SEC-minimum data",
    )


@scenario("C26-baseline", "Shows current data and supplier messages", (31, 32))
def _baseline(c: Ctx) -> None:
    b = c.bench
    c.commission()
    b.run_until(START + 3 * HOUR)
    cluster = reg.METERING if c.kind == "IHD" else reg.PREPAYMENT
    meters = BOTH if c.kind == "IHD" else (DeviceKind.ESME,)
    answers = {
        m: [
            r
            for r in b.frames_between(START, b.now, cluster=cluster)
            if r.frame.src.name == m.value and r.frame.dst.name == b.name
        ]
        for m in meters
    }
    obs, s0 = c.observe("3 hours after joining")
    shown = any(v not in (None, "", [], {}) for v in obs.shows.values())
    c.check(
        31,
        all(answers.values()) and shown,
        f"{reg.cluster_name(cluster)} answers from "
        + ", ".join(f"{m.value} x{len(a)}" for m, a in answers.items())
        + f"; shows {'something' if shown else 'nothing'}",
        frames=[r for a in answers.values() for r in a],
        state=s0,
    )
    text = "Planned supply interruption on Friday"
    b.message(START + 3 * HOUR, text, ("electricity",))
    b.run_until(START + 3 * HOUR + 5 * MINUTE)
    obs, s1 = c.observe("5 minutes after a supplier message")
    held = obs.count(("message",))
    shows_text = text in json.dumps(obs.shows, default=str)
    c.check(
        32,
        held > 0 and shows_text,
        f"holds {held} message(s); the screen {'shows' if shows_text else 'does not show'} "
        "the text",
        frames=b.frames_between(START + 3 * HOUR, b.now, cluster=reg.MESSAGING),
        state=s1,
    )


@scenario(
    "C27-clear-prepayment-bit", "Bit 14 (clear prepayment data) honoured", (33,), kinds=("PPMID",)
)
def _bit14(c: Ctx) -> None:
    c.tenancy_a()
    before, after, ev = c.across_cot(
        "before the CoT",
        "a poll interval after the CoT with bit 14",
        control=CLEAR_IHD_DATA_CONSUMER | CLEAR_PREPAYMENT_DATA,
    )
    c.judge_cleared(33, PREPAYMENT_HISTORY, before, after, ev, what="top-up and debt recovery")


@scenario("C28-second-cot", "A second, later CoT is applied in its turn", (34,))
def _second(c: Ctx) -> None:
    b = c.bench
    _new_occupier_story(c, ("electricity", "gas"))
    second = c.T + tu.DAY
    b.run_until(second - MINUTE)
    before, after, ev = c.across_cot(
        "before the second CoT",
        "a poll interval after the second CoT",
        cot=second,
        fuels=("electricity",),
    )
    c.judge_cleared(34, SEC_MINIMUM_KINDS, before, after, ev, cot=second, what="SEC-minimum data")


@scenario("C29-power-cycle-after-cot", "A power cycle after the CoT keeps the new data", (11, 16))
def _cycle_after(c: Ctx) -> None:
    b = c.bench
    before, s0 = _new_occupier_story(c, ("electricity", "gas"))
    b.power_off(c.T + 6 * HOUR)
    b.power_on(c.T + 7 * HOUR)
    b.run_until(c.T + 7 * HOUR + 10 * MINUTE)
    after, s1 = c.observe("after the power cycle")
    ev = {"before": s0, "after": s1}
    c.judge_new_messages_kept(11, before, after, ev, since=c.T + 7 * HOUR)
    c.judge_new_messages_kept(16, before, after, ev, since=c.T + 7 * HOUR)


@scenario("C30-future-gas-only", "A future-dated CoT on the GPF alone", (12, 13, 17))
def _future_gas(c: Ctx) -> None:
    early, after, ev = _future_cot(c, 6 * HOUR, ("gas",))
    c.judge_cleared(
        17, SEC_MINIMUM_KINDS, early, after, ev, what="SEC-minimum data of both fuels (CoT on gas)"
    )


@scenario(
    "C31-new-occupier-top-up",
    "The new occupier's top-up survives the CoT clear",
    (11,),
    kinds=("PPMID",),
)
def _new_top_up(c: Ctx) -> None:
    b = c.bench
    c.tenancy_a()
    b.run_action(c.T + 1 * HOUR, lambda now: b.supplier.top_up(now, 1500))
    b.run_until(c.T + tu.DAY - 12 * HOUR + 30 * MINUTE)  # past the next midnight's full poll
    set_at = b.now
    before, after, ev = c.across_cot(
        "new occupier's top-up read", "a poll interval after a backdated CoT", at=set_at
    )
    c.judge_kept(
        11,
        ("top_up",),
        before,
        after,
        ev,
        cut=c.T,
        since=set_at,
        dated="at or after",
        what="new occupier's top-ups",
    )


# -- meters under test ----------------------------------------------------------------------
def _meter_kind(c: Ctx) -> DeviceKind:
    return c.bench.subject.kind


def _meter_identity(c: Ctx) -> DeviceIdentity:
    return c.bench.premises.identities[_meter_kind(c)]


def _fuel(c: Ctx) -> str:
    return "electricity" if _meter_kind(c) == DeviceKind.ESME else "gas"


def _probe_frames(c: Ctx, start: int) -> list[FrameRecord]:
    return c.bench.frames_between(start, c.bench.now)


def _read(c: Ctx, cluster: int, attrs: list[int]) -> dict[int, Any]:
    """Read attributes from the meter under test: id -> value, or the status name."""
    answers = c.bench.probe_send(
        c.bench.now, _meter_identity(c), cluster, read_attributes(attrs, tsn=0x51)
    )
    out: dict[int, Any] = {}
    for decoded in answers:
        if decoded is not None and decoded.name == "read_attributes_rsp":
            for record in decoded.args["records"]:
                out[record.attr_id] = (
                    int(record.value)
                    if record.status == Status.SUCCESS
                    else Status(record.status).name
                )
    return out


def _history_attrs() -> list[int]:
    from hancot.zcl.clusters import metering as mt

    return (
        [mt.day_attribute(d) for d in range(9)]
        + [mt.week_attribute(w) for w in mt.WEEKS]
        + [mt.month_attribute(m) for m in mt.MONTHS]
    )


def _read_history(c: Ctx) -> dict[int, Any]:
    attrs = _history_attrs()
    values: dict[int, Any] = {}
    for i in range(0, len(attrs), 8):
        values.update(_read(c, 0x0702, attrs[i : i + 8]))
    return values


def _meter_story(c: Ctx) -> None:
    """Commission with the probe and let occupier A live there until just before T."""
    c.tenancy_a(message_fuels=(_fuel(c),))


@scenario(
    "M01-tenancy-attributes",
    "Tenancy attributes on the HAN after SRV 3.2",
    (1,),
    kinds=("ESME", "GPF"),
)
def _m_attrs(c: Ctx) -> None:
    b = c.bench
    _meter_story(c)
    b.cot(c.T, c.T, (_fuel(c),))
    start = b.now
    values = _read(c, reg.DEVICE_MANAGEMENT, [0x0200, 0x0201])
    ok = values.get(0x0200) == c.T and values.get(0x0201) == CLEAR_IHD_DATA_CONSUMER
    c.check(
        1,
        ok,
        f"after SRV 3.2 for {tu.iso(c.T)}: 0x0200={values.get(0x0200)!r} "
        f"(expected {c.T}), 0x0201={values.get(0x0201)!r}",
        frames=_probe_frames(c, start),
        state={"read": values},
    )


@scenario(
    "M02-get-change-of-tenancy",
    "Get Change of Tenancy before and after SRV 3.2",
    (2,),
    kinds=("ESME", "GPF"),
)
def _m_get(c: Ctx) -> None:
    b = c.bench
    _meter_story(c)
    request = encode_command(reg.DEVICE_MANAGEMENT, "get_change_of_tenancy", tsn=0x52)
    start = b.now
    first = b.probe_send(b.now, _meter_identity(c), reg.DEVICE_MANAGEMENT, request)
    b.cot(c.T, c.T, (_fuel(c),))
    second = b.probe_send(b.now, _meter_identity(c), reg.DEVICE_MANAGEMENT, request)

    def named(answers: list[Any]) -> list[str]:
        return [a.name if a is not None else "undecodable" for a in answers]

    not_found = any(
        a is not None and a.name == "default_response" and a.args["status"] == Status.NOT_FOUND
        for a in first
    )
    published = [a for a in second if a is not None and a.name == "publish_change_of_tenancy"]
    ok = not_found and bool(published) and int(published[0].args["implementation_date_time"]) == c.T
    c.check(
        2,
        ok,
        f"before SRV 3.2: {named(first)}; after: {named(second)}",
        frames=_probe_frames(c, start),
    )


def _m_after_cot(c: Ctx, fuels: tuple[str, ...] | None = None) -> int:
    b = c.bench
    _meter_story(c)
    b.cot(c.T, c.T, fuels or (_fuel(c),))
    b.run_until(c.T + 10 * MINUTE)
    return b.now


@scenario("M03-history-attributes", "History attributes after the CoT", (3,), kinds=("ESME", "GPF"))
def _m_history(c: Ctx) -> None:
    from hancot.zcl.clusters import metering as mt

    start = _m_after_cot(c)
    values = _read_history(c)
    # Periods wholly before T (T is noon of day 1): days 2..8 ago, previous weeks and months.
    wholly_before = [mt.day_attribute(d) for d in range(2, 9)]
    served = {
        f"0x{a:04X}": v
        for a, v in values.items()
        if a in wholly_before and isinstance(v, int) and v != 0xFFFFFF
    }
    day_before = values.get(mt.day_attribute(1))
    ok = not served and day_before in (0xFFFFFF, None, "UNSUPPORTED_ATTRIBUTE")
    c.check(
        3,
        ok,
        f"yesterday (wholly before the CoT) reads {day_before!r}; other pre-CoT "
        f"days served: {served or 'none'}",
        frames=_probe_frames(c, start),
        state={"read": {f"0x{a:04X}": v for a, v in values.items()}},
    )


@scenario("M04-profile", "Get Profile after the CoT", (4,), kinds=("ESME", "GPF"))
def _m_profile(c: Ctx) -> None:
    b = c.bench
    start = _m_after_cot(c)
    request = encode_command(
        reg.METERING,
        "get_profile",
        tsn=0x53,
        interval_channel=0,
        end_time=c.T,
        number_of_periods=24,
    )
    answers = b.probe_send(b.now, _meter_identity(c), reg.METERING, request)
    intervals = sum(
        int(a.args["number_of_periods_delivered"])
        for a in answers
        if a is not None and a.name == "get_profile_response"
    )
    c.check(
        4,
        intervals == 0 and bool(answers),
        f"Get Profile ending at the CoT time returned {intervals} interval(s)",
        frames=_probe_frames(c, start),
    )


@scenario("M05-last-message", "Get Last Message after the CoT", (5,), kinds=("ESME", "GPF"))
def _m_message(c: Ctx) -> None:
    b = c.bench
    start = _m_after_cot(c)
    request = encode_command(reg.MESSAGING, "get_last_message", tsn=0x54)
    answers = b.probe_send(b.now, _meter_identity(c), reg.MESSAGING, request)
    old = [
        a
        for a in answers
        if a is not None and a.name == "display_message" and int(a.args["start_time"]) < c.T
    ]
    c.check(
        5,
        not old and bool(answers),
        f"Get Last Message answered {[a.name if a else None for a in answers]}; "
        f"{len(old)} message(s) dated before the CoT",
        frames=_probe_frames(c, start),
    )


@scenario("M06-prepayment-logs", "Top-up and debt logs after the CoT", (6,), kinds=("ESME",))
def _m_logs(c: Ctx) -> None:
    b = c.bench
    start = _m_after_cot(c)
    old = 0
    names = []
    for name, fields in (
        ("get_top_up_log", {"number_of_records": 5}),
        ("get_debt_repayment_log", {"number_of_debts": 10, "debt_type": 0xFF}),
    ):
        request = encode_command(reg.PREPAYMENT, name, tsn=0x55, latest_end_time=b.now, **fields)
        for a in b.probe_send(b.now, _meter_identity(c), reg.PREPAYMENT, request):
            names.append(a.name if a is not None else "undecodable")
            if a is not None and a.name == "publish_top_up_log":
                old += sum(1 for r in a.args["top_up_payload"] if int(r.top_up_time) < c.T)
            if a is not None and a.name == "publish_debt_log":
                old += sum(1 for r in a.args["debt_payload"] if int(r.collection_time) < c.T)
    c.check(
        6,
        old == 0 and bool(names),
        f"answers {names}; {old} record(s) dated before the CoT",
        frames=_probe_frames(c, start),
    )


@scenario(
    "M07-future-cot-meter",
    "A future-dated CoT restricts nothing early",
    (7,),
    kinds=("ESME", "GPF"),
)
def _m_future(c: Ctx) -> None:
    from hancot.zcl.clusters import metering as mt

    b = c.bench
    _meter_story(c)
    b.cot(b.now, c.T + tu.DAY, (_fuel(c),))
    start = b.now
    values = _read(c, reg.METERING, [mt.day_attribute(1)])
    yesterday = values.get(mt.day_attribute(1))
    c.check(
        7,
        isinstance(yesterday, int) and yesterday != 0xFFFFFF,
        f"with a CoT set for tomorrow, yesterday reads {yesterday!r}",
        frames=_probe_frames(c, start),
        state={"read": values},
    )


@scenario(
    "M08-cancel-meter", "SRV 3.2 with 0xFFFFFFFF cancels a future CoT", (8,), kinds=("ESME", "GPF")
)
def _m_cancel(c: Ctx) -> None:
    from hancot.zcl.clusters import metering as mt

    b = c.bench
    _meter_story(c)
    b.cot(b.now, c.T + HOUR, (_fuel(c),))
    b.cot(b.now, tu.UTC_INVALID, (_fuel(c),))
    b.run_until(c.T + 2 * HOUR)
    start = b.now
    values = _read(c, reg.DEVICE_MANAGEMENT, [0x0200])
    history = _read(c, reg.METERING, [mt.day_attribute(1)])
    yesterday = history.get(mt.day_attribute(1))
    ok = (
        values.get(0x0200) == tu.UTC_INVALID
        and isinstance(yesterday, int)
        and (yesterday != 0xFFFFFF)
    )
    c.check(
        8,
        ok,
        f"after the cancel: 0x0200={values.get(0x0200)!r}, yesterday reads {yesterday!r}",
        frames=_probe_frames(c, start),
        state={"read": {**values, **history}},
    )


BY_ID: dict[str, Scenario] = {s.id: s for s in SCENARIOS}


def for_kind(kind: str) -> list[Scenario]:
    return [s for s in SCENARIOS if kind in s.kinds]
