"""Conformance reports: console summary, JSON, JUnit XML (for CI) and standalone HTML.

The HTML report is one file with inline CSS and no external assets or scripts, so a test house
can hand it over as it is.  Every format carries, per requirement, the verdict, the reason and
the evidence (scenario, frames, device state).
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from hancot.conformance.requirements import SOURCE_KINDS
from hancot.conformance.runner import (
    ERROR,
    FAIL,
    NOT_APPLICABLE,
    PASS,
    ConformanceReport,
    RequirementResult,
)

_MARK = {PASS: "PASS", FAIL: "FAIL", ERROR: "ERROR", NOT_APPLICABLE: "N/A"}


def _generated() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_dict(report: ConformanceReport) -> dict[str, Any]:
    subject = report.subject
    return {
        "hancot_version": report.hancot_version,
        "device": {
            "name": subject.name,
            "type": subject.kind.value,
            "description": subject.description,
            "declared": report.profile.label(),
        },
        "ok": report.ok,
        "counts": report.counts(),
        "seconds": round(report.seconds, 3),
        "scenarios": [
            {
                "id": s.id,
                "title": s.title,
                "status": s.status,
                "seconds": round(s.seconds, 3),
                **({"error": s.error} if s.error else {}),
            }
            for s in report.scenarios
        ],
        "requirements": [_result_dict(r) for r in report.results],
    }


def _result_dict(result: RequirementResult) -> dict[str, Any]:
    req = result.requirement
    return {
        "id": req.id,
        "title": req.title,
        "statement": req.statement,
        "sources": [s.text() for s in req.sources],
        "cot_support": req.cot_support,
        "verdict": result.verdict,
        "reason": result.reason,
        "evidence": [
            {
                "scenario": e.scenario,
                "verdict": e.verdict,
                "reason": e.reason,
                "frames": e.frames,
                "state": e.state,
            }
            for e in result.evidence
        ],
    }


def to_json(report: ConformanceReport) -> str:
    return json.dumps(to_dict(report), indent=2, default=str) + "\n"


def to_junit(report: ConformanceReport) -> str:
    """JUnit XML: one test suite, one test case per requirement (classname = device)."""
    counts = report.counts()
    suite = ET.Element(
        "testsuite",
        {
            "name": f"hancot conform {report.subject.name}",
            "tests": str(len(report.results)),
            "failures": str(counts[FAIL]),
            "errors": str(counts[ERROR]),
            "skipped": str(counts[NOT_APPLICABLE]),
            "time": f"{report.seconds:.3f}",
            "timestamp": _generated(),
        },
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("device", report.subject.name),
        ("declared", report.profile.label()),
        ("hancot_version", report.hancot_version),
    ):
        ET.SubElement(props, "property", {"name": name, "value": value})
    for result in report.results:
        req = result.requirement
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"hancot.conform.{report.subject.kind.value}",
                "name": f"{req.id} {req.title}",
                "time": "0",
            },
        )
        detail = _evidence_text(result)
        if result.verdict == FAIL:
            node = ET.SubElement(case, "failure", {"message": result.reason})
            node.text = detail
        elif result.verdict == ERROR:
            node = ET.SubElement(case, "error", {"message": result.reason})
            node.text = detail
        elif result.verdict == NOT_APPLICABLE:
            ET.SubElement(case, "skipped", {"message": result.reason})
        else:
            out = ET.SubElement(case, "system-out")
            out.text = detail
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


def _evidence_text(result: RequirementResult) -> str:
    lines = []
    for e in result.evidence:
        lines.append(f"[{e.scenario}] {e.verdict}: {e.reason}")
        lines += [f"    {f}" for f in e.frames]
        if e.state:
            lines.append("    state: " + json.dumps(e.state, default=str))
    return "\n".join(lines)


def console_summary(report: ConformanceReport) -> str:
    counts = report.counts()
    lines = [
        f"hancot conform: {report.subject.name} ({report.subject.description})",
        f"declared: {report.profile.label()}",
        "",
    ]
    for result in report.results:
        req = result.requirement
        lines.append(f"  {_MARK[result.verdict]:<5} {req.id}  {req.title}")
        if result.verdict != PASS:
            lines.append(f"        {result.reason}")
    lines += [
        "",
        f"{counts[PASS]} passed, {counts[FAIL]} failed, {counts[ERROR]} errors, "
        f"{counts[NOT_APPLICABLE]} not applicable; {len(report.scenarios)} scenarios in "
        f"{report.seconds:.1f} s",
        "verdict: " + verdict_text(report),
    ]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em;color:#222;
max-width:72em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.35em .5em;
text-align:left;vertical-align:top}th{background:#f3f3f3}
.pass{background:#e6f4ea}.fail{background:#fce8e6}.error{background:#fef7e0}
.not-applicable{background:#f1f3f4;color:#555}
.v{font-weight:bold;white-space:nowrap}.id{white-space:nowrap;font-family:monospace}
pre{background:#f8f8f8;border:1px solid #e0e0e0;padding:.5em;overflow-x:auto;font-size:.85em;
white-space:pre-wrap}
details{margin:.3em 0}summary{cursor:pointer}
.meta td{border:none;padding:.1em .8em .1em 0}
"""


def to_html(report: ConformanceReport) -> str:
    e = html.escape
    counts = report.counts()
    subject = report.subject
    rows = []
    for result in report.results:
        req = result.requirement
        rows.append(
            f'<tr class="{e(result.verdict)}" id="{e(req.id)}"><td class="id">{e(req.id)}</td>'
            f"<td>{e(req.title)}</td>"
            f'<td class="v">{e(_MARK[result.verdict])}</td><td>{e(result.reason)}</td></tr>'
        )
    details = []
    for result in report.results:
        req = result.requirement
        evidence = []
        for ev in result.evidence:
            frames = "\n".join(ev.frames) or "(no frames quoted)"
            state = json.dumps(ev.state, indent=1, default=str) if ev.state else "(none)"
            evidence.append(
                f"<details><summary>{e(ev.scenario)}: {e(ev.verdict)} - {e(ev.reason)}"
                f"</summary><p>Frames</p><pre>{e(frames)}</pre><p>Device state</p>"
                f"<pre>{e(state)}</pre></details>"
            )
        sources = "".join(
            f"<li>{e(s.kind)} ({e(SOURCE_KINDS[s.kind])}): {e(s.detail)}</li>" for s in req.sources
        )
        details.append(
            f'<h3 id="detail-{e(req.id)}">{e(req.id)} {e(req.title)} '
            f'<span class="v">[{e(_MARK[result.verdict])}]</span></h3>'
            f"<p>{e(req.statement)}</p><ul>{sources}</ul>"
            f"<p><b>Reason:</b> {e(result.reason)}</p>{''.join(evidence)}"
        )
    scenario_rows = "".join(
        f'<tr class="{"error" if s.error else "pass"}"><td>{e(s.id)}</td><td>{e(s.title)}</td>'
        f"<td>{e(s.status)}</td><td>{s.seconds:.2f} s</td><td>{e(s.error)}</td></tr>"
        for s in report.scenarios
    )
    verdict = verdict_text(report)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>hancot conformance report: {e(subject.name)}</title>
<style>{_CSS}</style></head><body>
<h1>Change of Tenancy conformance report: {e(subject.name)}</h1>
<table class="meta">
<tr><td>Device</td><td>{e(subject.name)}: {e(subject.description)}</td></tr>
<tr><td>Declared</td><td>{e(report.profile.label())}</td></tr>
<tr><td>Verdict</td><td class="v">{verdict}</td></tr>
<tr><td>Results</td><td>{counts[PASS]} passed, {counts[FAIL]} failed, {counts[ERROR]} errors,
{counts[NOT_APPLICABLE]} not applicable</td></tr>
<tr><td>Run</td><td>{len(report.scenarios)} scenarios, {report.seconds:.1f} s, hancot
{e(report.hancot_version)}, generated {_generated()}</td></tr>
</table>
<h2>Requirements</h2>
<table><tr><th>Id</th><th>Requirement</th><th>Verdict</th><th>Reason</th></tr>
{"".join(rows)}
</table>
<h2>Evidence</h2>
{"".join(details)}
<h2>Scenarios</h2>
<table><tr><th>Id</th><th>Scenario</th><th>Status</th><th>Time</th><th>Error</th></tr>
{scenario_rows}
</table>
<p>Requirement catalogue: docs/requirements.md of hancot. Time in the frames is the simulated
premises clock (UTC).</p>
</body></html>
"""


def verdict_text(report: ConformanceReport) -> str:
    """CONFORMS, DOES NOT CONFORM, or INCONCLUSIVE when nothing applicable was decided."""
    if report.ok:
        return "CONFORMS"
    if not any(r.verdict in (FAIL, ERROR) for r in report.results):
        return "INCONCLUSIVE (no applicable requirement passed)"
    return "DOES NOT CONFORM"
