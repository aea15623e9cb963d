"""Conformance runs shared by several test modules (each full run takes about a second)."""

from __future__ import annotations

import pytest

from hancot.conformance.devices import load_subject
from hancot.conformance.runner import ConformanceReport, run_conformance

_RUNS: dict[str, ConformanceReport] = {}


def conformance_run(device: str) -> ConformanceReport:
    """The full catalogue against a built-in device, run once per test session."""
    if device not in _RUNS:
        _RUNS[device] = run_conformance(load_subject(device))
    return _RUNS[device]


@pytest.fixture(scope="session")
def run_of() -> object:
    return conformance_run
