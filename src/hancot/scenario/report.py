"""Text rendering of a demo run: timeline, before/after of each IHD/PPMID, verdict."""

from __future__ import annotations

from typing import Any

from hancot import timeutil as tu
from hancot.scenario.demo import DemoResult

_KIND_LABELS = {
    "day": "daily consumption",
    "week": "weekly consumption",
    "month": "monthly consumption",
    "profile": "half-hour profile",
    "message": "supplier messages",
    "top_up": "top-up history",
    "debt_log": "debt recovery log",
}
_PROFILE_LABELS = {
    "IHD": {"reference": "reference (IHDTS v5.0)", "legacy": "legacy (IHDTS v4.2)"},
    "PPMID": {"reference": "reference (PPMIDTS v5.0)", "legacy": "legacy (PPMIDTS v4.2)"},
}


def _shows(name: str, shows: dict[str, Any]) -> list[str]:
    if name == "IHD":
        lines = []
        for fuel in ("electricity", "gas"):
            view = shows[fuel]
            lines.append(
                f"{fuel:<11} yesterday {_kwh(view['yesterday_kwh'])}, "
                f"{view['days_of_history']} days / {view['weeks_of_history']} weeks / "
                f"{view['months_of_history']} months of history"
            )
        lines.append(f"message     {shows['message'] or '-'}")
        return lines
    top_ups = ", ".join(
        f"{t['time'][:10]} £{t['amount_pence'] / 100:.2f}" for t in shows["recent_top_ups"]
    )
    return [
        f"credit      {_money(shows['credit_pence'])}, debt {_money(shows['debt_pence'])}",
        f"top-ups     {top_ups or '-'}",
        f"repayments  {shows['debt_repayments']} recorded",
        f"message     {shows['message'] or '-'}",
    ]


def _money(pence: int | None) -> str:
    return f"£{(pence or 0) / 100:.2f}"


def _kwh(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} kWh"


def render_demo(result: DemoResult) -> str:
    opts = result.options
    out = [
        "hancot demo: a dual-fuel prepayment premises through a Change of Tenancy",
        f"seed {opts.seed}, {opts.days} days, clear policy {opts.policy}, "
        f"tenancy poll every {opts.poll_interval // 60} min; "
        f"IHD {_PROFILE_LABELS['IHD'][opts.ihd]}, PPMID {_PROFILE_LABELS['PPMID'][opts.ppmid]}",
        "",
        "Timeline",
    ]
    for entry in result.timeline:
        out.append(f"  {tu.iso(entry.time)}  {entry.actor:<8} {entry.text}")
    out += ["", "What each device holds and shows"]
    for exposure in result.exposures:
        name = exposure.name
        before = result.before.get(name, {"holds": {}, "shows": None})
        after = result.after[name]
        out.append(f"  {name} ({exposure.profile})")
        kinds = sorted(set(before["holds"]) | set(after["holds"]), key=list(_KIND_LABELS).index)
        out.append(f"    {'records held':<22}{'before CoT':>12}{'at end':>10}{'of A at end':>14}")
        for kind in kinds:
            out.append(
                f"    {_KIND_LABELS[kind]:<22}{before['holds'].get(kind, 0):>12}"
                f"{after['holds'].get(kind, 0):>10}{exposure.by_kind.get(kind, 0):>14}"
            )
        if before["shows"] is not None:
            out.append("    shows before the CoT:")
            out += [f"      {line}" for line in _shows(name, before["shows"])]
        out.append("    shows at the end:")
        out += [f"      {line}" for line in _shows(name, after["shows"])]
    out.append("")
    out.append(f"{result.frames} HAN frames ({result.frames / opts.days:.0f} per day)")
    if result.verdict == "clean":
        out.append("Verdict: CLEAN - no IHD or PPMID holds or shows any of occupier A's data.")
    else:
        leaks = [
            f"{e.name} holds {e.previous_occupier_items} of A's records "
            f"({', '.join(f'{n} {_KIND_LABELS[k]}' for k, n in e.by_kind.items())})"
            + ("" if e.sec_minimum_met else " - below the SEC minimum")
            for e in result.exposures
            if e.previous_occupier_items
        ]
        out.append("Verdict: LEAK - occupier B can see occupier A's data:")
        out += [f"  {line}" for line in leaks]
    return "\n".join(out)
