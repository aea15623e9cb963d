"""The devices the kit can test: built-in ones by name, and a maker's by ``module:factory``.

A *subject* is what a conformance run is about.  For an IHD or PPMID it carries a factory that
builds a fresh :class:`~hancot.conformance.dut.DeviceUnderTest` for each scenario (each scenario
starts from a factory-new device).  For a meter (ESME or GPF) it names the faults of hancot's own
meter model to switch on; the kit then probes that meter from the IHD slot.

A maker's factory is any callable ``factory(identity) -> DeviceUnderTest`` importable as
``package.module:name``; it may carry attributes ``kind`` (``"IHD"`` or ``"PPMID"``) and
``policy`` (``"extended"`` or ``"sec-minimum"``) to declare what it is.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hancot.conformance.dut import DeviceUnderTest, ReferenceDut
from hancot.conformance.variants import VARIANTS
from hancot.devices.client import ClientBehaviour, Ihd, Ppmid
from hancot.errors import HancotError
from hancot.han.frame import DeviceIdentity, DeviceKind

DutFactory = Callable[[DeviceIdentity], DeviceUnderTest]
#: ``--device`` prefixes of the out-of-process adapter (:mod:`hancot.conformance.remote`).
REMOTE_SCHEMES = ("tcp", "unix", "exec")


class DeviceLoadError(HancotError):
    """A ``--device`` value names no built-in device and no importable factory."""


@dataclass(frozen=True)
class Subject:
    """A device under test, as the kit knows it."""

    name: str
    kind: DeviceKind
    description: str
    factory: DutFactory | None = None
    #: Meter subjects: attributes of hancot's meter model to set (e.g. restricts_history=False).
    meter_faults: dict[str, bool] = field(default_factory=dict)
    #: The clear policy the device claims (extended or sec-minimum).
    policy: str = "extended"
    #: Requirement numbers a built-in faulty device is expected to fail (empty: none).
    caught_by: tuple[int, ...] = ()
    #: What the built-in device is modelled on (reference, legacy, variant, meter, external).
    family: str = "external"

    @property
    def is_meter(self) -> bool:
        return self.kind in (DeviceKind.ESME, DeviceKind.GPF)


def client_factory(kind: DeviceKind, behaviour: ClientBehaviour) -> DutFactory:
    """A factory of hancot IHD/PPMID models with ``behaviour``."""
    cls = Ihd if kind == DeviceKind.IHD else Ppmid

    def build(identity: DeviceIdentity) -> DeviceUnderTest:
        return ReferenceDut(cls(identity, behaviour=behaviour))

    return build


def _builtin() -> dict[str, Subject]:
    subjects: list[Subject] = []
    for kind, spec in ((DeviceKind.IHD, "IHDTS"), (DeviceKind.PPMID, "PPMIDTS")):
        low = kind.value.lower()
        subjects.append(
            Subject(
                f"reference-{low}",
                kind,
                f"hancot reference {kind.value} ({spec} v5.0 with SECMP0056)",
                client_factory(kind, ClientBehaviour()),
                family="reference",
            )
        )
        subjects.append(
            Subject(
                f"legacy-{low}",
                kind,
                f"{spec} v4.2 {kind.value}: never reads the tenancy attributes",
                client_factory(kind, ClientBehaviour.legacy()),
                family="legacy",
            )
        )
    for variant in VARIANTS:
        for kind_name in variant.kinds:
            kind = DeviceKind(kind_name)
            subjects.append(
                Subject(
                    f"{kind_name.lower()}-{variant.name}",
                    kind,
                    f"faulty {kind_name}: {variant.description}",
                    client_factory(kind, variant.behaviour()),
                    policy=variant.extra.get("claims_policy", variant.behaviour().policy),
                    caught_by=variant.caught_by,
                    family="variant",
                )
            )
    for kind in (DeviceKind.ESME, DeviceKind.GPF):
        low = kind.value.lower()
        subjects += [
            Subject(
                f"reference-{low}",
                kind,
                f"hancot reference {kind.value} "
                f"({'ESMETS v5.1' if kind == DeviceKind.ESME else 'CHTS v1.5'})",
                family="meter",
            ),
            Subject(
                f"{low}-serves-old-history",
                kind,
                f"faulty {kind.value}: keeps serving pre-CoT history on the HAN",
                meter_faults={"restricts_history": False},
                caught_by=(3, 4, 5, 6) if kind == DeviceKind.ESME else (3, 4, 5),
                family="meter",
            ),
            Subject(
                f"{low}-no-tenancy-attributes",
                kind,
                f"{'ESMETS v5.0 ESME' if kind == DeviceKind.ESME else 'CHTS v1.4 GPF'}: "
                "no tenancy attributes on the HAN",
                meter_faults={"tenancy_attributes": False},
                caught_by=(1, 2, 8),
                family="meter",
            ),
        ]
    return {s.name: s for s in subjects}


BUILTIN: dict[str, Subject] = _builtin()


def load_subject(spec: str, *, kind: str | None = None, policy: str | None = None) -> Subject:
    """A built-in device by name, or a maker's factory given as ``module:factory``."""
    if spec in BUILTIN:
        subject = BUILTIN[spec]
        if policy is not None and not subject.is_meter:
            subject = Subject(**{**subject.__dict__, "policy": policy})
        return subject
    if spec.split(":", 1)[0] in REMOTE_SCHEMES:
        return _remote_subject(spec, kind=kind, policy=policy)
    if ":" not in spec:
        raise DeviceLoadError(
            f"unknown device {spec!r}: give a built-in name (hancot conform --list-devices) "
            "or a factory as package.module:function"
        )
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DeviceLoadError(f"cannot import {module_name!r} for --device {spec}: {exc}") from exc
    factory: Any = module
    for part in attr.split("."):
        factory = getattr(factory, part, None)
        if factory is None:
            raise DeviceLoadError(f"module {module_name!r} has no {attr!r} (--device {spec})")
    if not callable(factory):
        raise DeviceLoadError(f"{spec} is not callable: it must build a DeviceUnderTest")
    declared = kind or getattr(factory, "kind", None) or "IHD"
    try:
        device_kind = DeviceKind(str(declared).upper())
    except ValueError:
        raise DeviceLoadError(f"device type {declared!r} must be IHD or PPMID") from None
    if device_kind not in (DeviceKind.IHD, DeviceKind.PPMID):
        raise DeviceLoadError(f"device type {declared!r} must be IHD or PPMID")
    claimed = policy or getattr(factory, "policy", None) or "extended"
    if claimed not in ("extended", "sec-minimum"):
        raise DeviceLoadError(f"policy {claimed!r} must be extended or sec-minimum")
    doc = (getattr(factory, "__doc__", None) or "").strip().splitlines()
    return Subject(
        spec,
        device_kind,
        doc[0] if doc else f"maker's {device_kind.value} from {spec}",
        factory,
        policy=claimed,
    )


def _remote_subject(spec: str, *, kind: str | None, policy: str | None) -> Subject:
    """A device behind the socket adapter; one session first asks it what it is."""
    from hancot.conformance.remote import RemoteFactory

    factory = RemoteFactory(spec)
    description = factory.describe()
    declared = kind or (factory.kind.value if factory.kind is not None else "IHD")
    try:
        device_kind = DeviceKind(declared.upper())
    except ValueError:
        raise DeviceLoadError(f"device type {declared!r} must be IHD or PPMID") from None
    if device_kind not in (DeviceKind.IHD, DeviceKind.PPMID):
        raise DeviceLoadError(f"remote device says it is a {declared}; the kit tests IHD/PPMID")
    claimed = policy or factory.policy or "extended"
    if claimed not in ("extended", "sec-minimum"):
        raise DeviceLoadError(f"policy {claimed!r} must be extended or sec-minimum")
    return Subject(spec, device_kind, description, factory, policy=claimed)
