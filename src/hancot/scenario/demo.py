"""The default demonstration: a dual-fuel prepayment premises through a Change of Tenancy.

Occupier A lives there for most of the run, using energy, receiving supplier messages, topping up
and repaying a debt.  The supplier sets the CoT (SRV 3.2) the day before A leaves, for midnight;
occupier B moves in at that midnight, tops up and gets a welcome message.  The verdict says
whether any IHD/PPMID still holds anything of A's at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from hancot import timeutil as tu
from hancot.devices.client import ClientBehaviour, HanClient
from hancot.devices.store import check_new_store_dir
from hancot.errors import ScenarioError
from hancot.han.log import FrameLog
from hancot.han.occupancy import Occupancy, Occupant
from hancot.han.premises import Premises, PremisesConfig
from hancot.scenario.exposure import Exposure, exposure
from hancot.wan.supplier import Supplier
from hancot.zcl.clusters.device_management import ProposedTenancyChangeControl as Ctl

#: The demo starts on a Monday, so weeks line up with the calendar.
DEFAULT_START = tu.parse_iso("2026-01-05T00:00:00Z")
OCCUPIER_A = Occupant("Occupier A", electricity_per_day=9_500, gas_per_day=38_000)
OCCUPIER_B = Occupant("Occupier B", electricity_per_day=5_500, gas_per_day=22_000)


@dataclass
class DemoOptions:
    seed: int = 1
    days: int = 28
    policy: str = "extended"
    poll_interval: int = 1800
    ihd: str = "reference"
    ppmid: str = "reference"
    frame_log: TextIO | None = None
    store_dir: Path | None = None
    start: int = DEFAULT_START
    #: Called with the premises before the run starts: to attach HAN taps (e.g. a pcap writer)
    #: or configure a device (e.g. a meter that does not restrict history).
    on_premises: Callable[[Premises], None] | None = None

    def validate(self) -> None:
        if self.days < 4:
            raise ScenarioError("the demo needs at least 4 days (A's tenancy, the CoT, B's days)")
        if self.days > 400:
            raise ScenarioError("the demo runs at most 400 simulated days")
        for name, value in (("ihd", self.ihd), ("ppmid", self.ppmid)):
            if value not in ("reference", "legacy"):
                raise ScenarioError(f"--{name} must be 'reference' or 'legacy', not {value!r}")
        if self.store_dir is not None:
            check_new_store_dir(self.store_dir)


@dataclass
class TimelineEntry:
    time: int
    actor: str
    text: str


@dataclass
class DemoResult:
    options: DemoOptions
    cot_time: int
    timeline: list[TimelineEntry]
    before: dict[str, dict[str, Any]]
    after: dict[str, dict[str, Any]]
    exposures: list[Exposure]
    occupier_a_messages: list[str]
    frames: int
    frames_dropped: int
    wan_events: list[Any] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "leak" if any(e.previous_occupier_items for e in self.exposures) else "clean"

    def summary(self) -> dict[str, Any]:
        opts = self.options
        return {
            "verdict": self.verdict,
            "seed": opts.seed,
            "days": opts.days,
            "policy": opts.policy,
            "poll_interval_s": opts.poll_interval,
            "change_of_tenancy": tu.to_datetime(self.cot_time).isoformat(),
            "devices": [
                {
                    **e.as_dict(),
                    "holds": self.after[e.name]["holds"],
                    "shows": self.after[e.name]["shows"],
                }
                for e in self.exposures
            ],
            "occupier_a_messages": self.occupier_a_messages,
            "frames": self.frames,
            "frames_per_day": round(self.frames / opts.days, 1),
        }


def _behaviour(profile: str, opts: DemoOptions) -> ClientBehaviour:
    if profile == "legacy":
        return ClientBehaviour.legacy(policy=opts.policy, poll_interval=opts.poll_interval)
    return ClientBehaviour(policy=opts.policy, poll_interval=opts.poll_interval)


def _snapshot(client: HanClient, now: int) -> dict[str, Any]:
    return {
        "holds": {kind: len(records) for kind, records in client.held().items()},
        "shows": client.screen(now),
    }


def run_demo(opts: DemoOptions | None = None) -> DemoResult:
    opts = opts or DemoOptions()
    opts.validate()
    start = opts.start
    a_days = max(2, opts.days * 3 // 4)
    cot_time = start + a_days * tu.DAY
    end = start + opts.days * tu.DAY
    occupancy = Occupancy(opts.seed, [(start, OCCUPIER_A), (cot_time, OCCUPIER_B)])
    premises = Premises(
        start,
        occupancy,
        PremisesConfig(
            seed=opts.seed,
            ihd=_behaviour(opts.ihd, opts),
            ppmid=_behaviour(opts.ppmid, opts),
            store_dir=opts.store_dir,
        ),
    )
    han = premises.han
    if opts.on_premises is not None:
        opts.on_premises(premises)
    frame_log = FrameLog(opts.frame_log, keep=False) if opts.frame_log else None
    if frame_log:
        han.taps.append(frame_log)
    supplier = Supplier(premises)
    timeline: list[TimelineEntry] = []
    a_messages: list[str] = []

    def at(time: int, actor: str, text: str, action: Any) -> None:
        def run(now: int) -> Any:
            timeline.append(TimelineEntry(now, actor, text))
            return action(now)

        han.schedule(time, run, text)

    hour = 3600
    # Occupier A's tenancy
    at(start, "premises", "installed; occupier A moves in", lambda now: premises.commission())
    at(
        start + 1 * hour,
        "supplier",
        "debt of £60.00 set, recovered at 50p a day",
        lambda now: premises.esme.set_debt(now, 6000, 50),
    )
    for day in range(1, a_days, 7):
        at(
            start + day * tu.DAY + 9 * hour,
            "supplier",
            "occupier A tops up £20.00",
            lambda now: supplier.top_up(now, 2000),
        )
    for day, text in (
        (min(2, a_days - 2), "Occupier A: your January statement is ready"),
        (min(9, a_days - 1), "Occupier A: your smart meter reading was 4,212 kWh"),
    ):
        a_messages.append(text)
        at(
            start + day * tu.DAY + 10 * hour,
            "supplier",
            f"message: {text!r}",
            lambda now, text=text: supplier.display_message(now, text),
        )
    before: dict[str, dict[str, Any]] = {}

    def snapshot_before(now: int) -> None:
        for client in premises.clients:
            before[client.name] = _snapshot(client, now)

    # The supplier restricts access the afternoon before A leaves, for midnight (future-dated).
    # Control: clear IHD data (bit 9), and settle A's credit and debt off the meter (bits 2, 3).
    control = int(
        Ctl.Clear_IHD_Data_Consumer | Ctl.Reset_Credit_Register | Ctl.Reset_Debit_Register
    )
    at(
        cot_time - 10 * hour,
        "supplier",
        f"SRV 3.2 Restrict Access for CoT from {tu.iso(cot_time)} (control 0x{control:08X})",
        lambda now: supplier.restrict_access_for_cot(now, cot_time, control=control),
    )
    at(cot_time - 60, "premises", "occupier A moves out", snapshot_before)
    at(cot_time, "premises", "occupier B moves in", lambda now: None)
    at(
        cot_time + 9 * hour,
        "supplier",
        "occupier B tops up £10.00",
        lambda now: supplier.top_up(now, 1000),
    )
    at(
        min(cot_time + tu.DAY + 10 * hour, end - hour),
        "supplier",
        "message: 'Welcome, occupier B'",
        lambda now: supplier.display_message(now, "Welcome, occupier B"),
    )
    han.run_until(end)

    for client in premises.clients:
        for note in client.notes:
            if "Change of Tenancy" in note.text or "pending" in note.text:
                timeline.append(TimelineEntry(note.time, client.name, note.text))
    timeline.sort(key=lambda e: e.time)
    after = {client.name: _snapshot(client, end) for client in premises.clients}
    exposures = [exposure(client, cot_time, a_messages, end) for client in premises.clients]
    result = DemoResult(
        options=opts,
        cot_time=cot_time,
        timeline=timeline,
        before=before,
        after=after,
        exposures=exposures,
        occupier_a_messages=a_messages,
        frames=han.frames_sent,
        frames_dropped=han.frames_dropped,
        wan_events=supplier.events,
    )
    premises.close()
    return result
