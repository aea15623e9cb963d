"""Which requirements apply to a device, and whether it can ever meet them.

From the table of DOMAIN.md section 2 (the consultation conclusions report): SECMP0056 lands in
IHDTS v5.0, PPMIDTS v5.0, ESMETS v5.1, CHTS v1.5 (the GPF) and GBCS v5.0.  A device built to an
earlier version is not required to meet the Change of Tenancy requirements (``cot_support``),
and whether it ever can depends on whether it takes firmware over the air: ESMEs and
Communications Hubs do; IHDs in the field cannot; in-field PPMIDs lack OTA (SECMP0007 brings it
only to new devices).  Safety and baseline requirements apply to every version.  Requirements of
the ``extended`` clear policy apply only to a device that claims that policy.

GBCS governs the meters' WAN side (ECS12/GCS09); hancot applies the GBCS v5.0 condition to ESME
and GPF requirements only (an IHD speaks no GBCS; a PPMID's GBCS use does not carry the CoT).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hancot.conformance.requirements import Requirement, for_device
from hancot.errors import HancotError

#: Device type -> (its specification, the first version with SECMP0056, whether in-field
#: devices take firmware over the air by default).
SPECS: dict[str, tuple[str, str, bool]] = {
    "IHD": ("IHDTS", "5.0", False),
    "PPMID": ("PPMIDTS", "5.0", False),
    "ESME": ("ESMETS", "5.1", True),
    "GPF": ("CHTS", "1.5", True),
}
#: Versions live before the change, per DOMAIN.md section 2.
PREVIOUS: dict[str, str] = {"IHD": "4.2", "PPMID": "4.2", "ESME": "5.0", "GPF": "1.4"}
GBCS_WITH_CHANGE = "5.0"
METERS = ("ESME", "GPF")

APPLIES, NOT_REQUIRED, EXCLUDED = "applies", "not-required", "excluded"
YES, AFTER_UPGRADE, NEVER = "yes", "after OTA upgrade", "never"


class ApplicabilityError(HancotError):
    """A device profile that names an unknown type or an unreadable version."""


def _version(text: str) -> tuple[int, ...]:
    parts = text.strip().lstrip("vV").split(".")
    if not all(part.isdigit() and len(part) <= 3 for part in parts):
        raise ApplicabilityError(f"version {text!r} is not of the form MAJOR.MINOR (e.g. 5.0)")
    return tuple(int(part) for part in parts)


@dataclass(frozen=True)
class DeviceProfile:
    """What a device declares: type, specification version, GBCS version, OTA, clear policy."""

    kind: str
    version: str
    gbcs: str = GBCS_WITH_CHANGE
    ota: bool | None = None
    policy: str = "extended"

    def __post_init__(self) -> None:
        if self.kind not in SPECS:
            raise ApplicabilityError(f"device type {self.kind!r} must be one of {', '.join(SPECS)}")
        _version(self.version)
        _version(self.gbcs)
        if self.policy not in ("extended", "sec-minimum"):
            raise ApplicabilityError(f"policy {self.policy!r} must be extended or sec-minimum")

    @classmethod
    def current(cls, kind: str, *, policy: str = "extended") -> DeviceProfile:
        """A device built to the versions that carry SECMP0056."""
        return cls(kind, SPECS[kind][1], GBCS_WITH_CHANGE, None, policy)

    @property
    def spec(self) -> str:
        return SPECS[self.kind][0]

    @property
    def takes_firmware(self) -> bool:
        return SPECS[self.kind][2] if self.ota is None else self.ota

    @property
    def has_change(self) -> bool:
        spec_ok = _version(self.version) >= _version(SPECS[self.kind][1])
        if self.kind in METERS:
            return spec_ok and _version(self.gbcs) >= _version(GBCS_WITH_CHANGE)
        return spec_ok

    def label(self) -> str:
        gbcs = f", GBCS v{self.gbcs}" if self.kind in METERS else ""
        ota = "OTA" if self.takes_firmware else "no OTA"
        return f"{self.kind} {self.spec} v{self.version}{gbcs}, {ota}, policy {self.policy}"


@dataclass(frozen=True)
class Assessment:
    requirement: Requirement
    status: str  # applies | not-required | excluded
    can_meet: str  # yes | after OTA upgrade | never | n/a
    reason: str

    @property
    def applies(self) -> bool:
        return self.status == APPLIES


def assess(
    profile: DeviceProfile, requirements: Iterable[Requirement] | None = None
) -> list[Assessment]:
    reqs = for_device(profile.kind) if requirements is None else tuple(requirements)
    out = []
    target = SPECS[profile.kind][1]
    for req in reqs:
        if req.policy and req.policy != profile.policy:
            out.append(
                Assessment(
                    req,
                    EXCLUDED,
                    "n/a",
                    f"belongs to the {req.policy} policy; the device declares {profile.policy}",
                )
            )
        elif not req.cot_support:
            out.append(Assessment(req, APPLIES, YES, "safety/baseline: applies to every version"))
        elif profile.has_change:
            out.append(
                Assessment(
                    req, APPLIES, YES, f"{profile.spec} v{profile.version} carries SECMP0056"
                )
            )
        else:
            missing = f"{profile.spec} v{target}"
            if profile.kind in METERS:
                missing += f" and GBCS v{GBCS_WITH_CHANGE}"
            if profile.takes_firmware:
                can, how = AFTER_UPGRADE, f"can meet it after an OTA upgrade to {missing}"
            else:
                can, how = NEVER, "can never meet it: it cannot take firmware over the air"
            out.append(
                Assessment(
                    req,
                    NOT_REQUIRED,
                    can,
                    f"not required of {profile.spec} v{profile.version} (SECMP0056 arrives in "
                    f"{missing}); the device {how}",
                )
            )
    return out


#: The combinations ``hancot applicability`` shows by default: each type before and with the
#: change, and the PPMIDs SECMP0007 gives OTA.
COMMON_PROFILES: tuple[DeviceProfile, ...] = (
    DeviceProfile("IHD", "4.2", ota=False),
    DeviceProfile("IHD", "5.0", ota=False),
    DeviceProfile("PPMID", "4.2", ota=False),
    DeviceProfile("PPMID", "4.2", ota=True),
    DeviceProfile("PPMID", "5.0", ota=True),
    DeviceProfile("PPMID", "5.0", policy="sec-minimum"),
    DeviceProfile("ESME", "5.0", gbcs="4.0", ota=True),
    DeviceProfile("ESME", "5.1", gbcs="4.0", ota=True),
    DeviceProfile("ESME", "5.1", gbcs="5.0", ota=True),
    DeviceProfile("GPF", "1.4", gbcs="3.2", ota=True),
    DeviceProfile("GPF", "1.5", gbcs="5.0", ota=True),
)


def summary_row(profile: DeviceProfile) -> dict[str, object]:
    """One line of the default table: counts by status and what the device can ever meet."""
    found = assess(profile)
    applies = sum(1 for a in found if a.applies)
    not_required = [a for a in found if a.status == NOT_REQUIRED]
    excluded = sum(1 for a in found if a.status == EXCLUDED)
    if not not_required:
        ever = "meets the full set when conformant"
    elif not_required[0].can_meet == NEVER:
        ever = f"never: {len(not_required)} CoT requirement(s) out of reach (no OTA)"
    else:
        ever = f"after OTA upgrade: {len(not_required)} CoT requirement(s)"
    return {
        "device": profile.label(),
        "requirements": len(found),
        "apply": applies,
        "not_required": len(not_required),
        "excluded": excluded,
        "can_ever_meet": ever,
    }
