"""The Change of Tenancy requirement catalogue, as data.

``docs/requirements.md`` is the human-readable form of the same list; a test keeps the two in
step.  Identifiers are stable: a requirement may be reworded or retired, never renumbered.

Client requirements share their number between the IHD and the PPMID catalogue
(``COT-IHD-006`` and ``COT-PPMID-006`` are the same requirement for the two device types), so a
number that exists for only one of them is one that makes sense for only one of them.

Every requirement is traced to where it comes from (:class:`Source`):

- ``SECMP0056``: the modification's solution and legal text (DOMAIN.md section 2);
- ``ZSE-DM``: the Zigbee Smart Energy Device Management cluster definitions (DOMAIN.md section 4);
- ``GBCS``: the effect on the meter of GBCS ECS12 / GCS09 (DOMAIN.md section 3);
- ``DOMAIN-7``: one of hancot's readings where the public record is silent (DOMAIN.md section 7);
- ``DOMAIN-5``: the HAN security facts of DOMAIN.md section 5.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hancot.errors import HancotError

SOURCE_KINDS = {
    "SECMP0056": "SECMP0056 solution / legal text",
    "ZSE-DM": "Zigbee SE Device Management cluster",
    "GBCS": "GBCS ECS12/GCS09 effect on the meter",
    "DOMAIN-7": "hancot reading, DOMAIN.md section 7",
    "DOMAIN-5": "HAN security, DOMAIN.md section 5",
}

#: Device types a requirement can be written for.
CLIENT_TYPES = ("IHD", "PPMID")
METER_TYPES = ("ESME", "GPF")


class UnknownRequirementError(HancotError):
    """A requirement id that is not in the catalogue."""


@dataclass(frozen=True)
class Source:
    kind: str
    detail: str

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {self.kind!r}")

    def text(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class Requirement:
    """One requirement of the catalogue.

    ``cot_support`` says the requirement can only be met by a device that acts on the Change of
    Tenancy (IHDTS/PPMIDTS v5.0, ESMETS v5.1, CHTS v1.5): a pre-SECMP0056 device fails it.  The
    others are safety and baseline requirements a pre-SECMP0056 device meets by doing nothing.
    ``policy`` names the clear policy the requirement belongs to (``extended``), or is empty when
    it holds whatever the device's policy.
    """

    id: str
    device: str
    title: str
    statement: str
    sources: tuple[Source, ...]
    cot_support: bool
    policy: str = ""

    @property
    def number(self) -> int:
        return int(self.id.rsplit("-", 1)[1])


def _src(*pairs: tuple[str, str]) -> tuple[Source, ...]:
    return tuple(Source(kind, detail) for kind, detail in pairs)


_SEC_QUERY = ("SECMP0056", "IHDs and PPMIDs are mandated to query ESME and GPF for CoT information")
_SEC_CLEAR = (
    "SECMP0056",
    "on a CoT the IHD/PPMID clears historic consumption data and Supplier messages",
)
_D7_WHEN = ("DOMAIN-7", "When to query")
_D7_WHAT_COT = ("DOMAIN-7", "What a CoT is")
_D7_WHAT_CLEAR = ("DOMAIN-7", "What to clear")
_D7_WHOSE = ("DOMAIN-7", "Whose data")
_D7_ONE_FUEL = ("DOMAIN-7", "One fuel")
_DM_ATTRS = ("ZSE-DM", "server attributes 0x0200 ChangeOfTenancyUpdateDateTime / 0x0201 control")

# fmt: off
#: (number, types, title, statement, sources, cot_support, policy)
_CLIENT_ROWS: tuple[tuple[int, tuple[str, ...], str, str, tuple[Source, ...], bool, str], ...] = (
    (1, CLIENT_TYPES, "Queries the ESME for CoT information",
     "Reads the ESME's tenancy attributes (0x0200/0x0201) or sends it Get Change of Tenancy.",
     _src(_SEC_QUERY, _DM_ATTRS), True, ""),
    (2, CLIENT_TYPES, "Queries the GPF for CoT information",
     "Reads the GPF's tenancy attributes (0x0200/0x0201) or sends it Get Change of Tenancy.",
     _src(_SEC_QUERY, _DM_ATTRS), True, ""),
    (3, CLIENT_TYPES, "Poll interval bound",
     "Queries each meter for CoT information at least once per poll interval (default 30 "
     "minutes) while joined and powered.",
     _src(_D7_WHEN), True, ""),
    (4, CLIENT_TYPES, "Queries on joining",
     "Queries the ESME and the GPF for CoT information within 60 s of joining the HAN.",
     _src(_D7_WHEN), True, ""),
    (5, CLIENT_TYPES, "Queries on power-up",
     "Queries the ESME and the GPF for CoT information within 60 s of powering up.",
     _src(_D7_WHEN), True, ""),
    (6, CLIENT_TYPES, "Clears historic consumption of every period",
     "When a CoT takes effect, holds no daily, weekly or monthly consumption record dated "
     "before the CoT date-time (not applicable to a device that never held such records).",
     _src(_SEC_CLEAR, _D7_WHAT_CLEAR), True, ""),
    (7, CLIENT_TYPES, "Clears the load profile",
     "When a CoT takes effect, holds no half-hour profile interval dated before the CoT "
     "date-time (not applicable to a device that never held profile data).",
     _src(_SEC_CLEAR, _D7_WHAT_CLEAR), True, ""),
    (8, CLIENT_TYPES, "Clears supplier messages",
     "When a CoT takes effect, holds and shows no supplier message dated before the CoT.",
     _src(_SEC_CLEAR, _D7_WHAT_CLEAR), True, ""),
    (9, ("PPMID",), "Clears top-up history (extended policy)",
     "Under the extended policy, when a CoT takes effect, holds no top-up record dated before "
     "the CoT date-time.",
     _src(("DOMAIN-7", "What to clear: policy extended"),
          ("SECMP0056", "consultation respondent asking for Top-Up history")), True, "extended"),
    (10, ("PPMID",), "Clears debt recovery information (extended policy)",
     "Under the extended policy, when a CoT takes effect, holds no debt recovery record dated "
     "before the CoT date-time.",
     _src(("DOMAIN-7", "What to clear: policy extended"),
          ("SECMP0056", "consultation respondent asking for Debt Recovery information")),
     True, "extended"),
    (11, CLIENT_TYPES, "Keeps the new occupier's data",
     "Records dated at or after the CoT date-time (the new occupier's) are kept, including "
     "when the CoT is backdated.",
     _src(_D7_WHOSE), False, ""),
    (12, CLIENT_TYPES, "Future-dated CoT: nothing cleared early",
     "A CoT dated in the future clears nothing before the device's clock reaches it.",
     _src(_D7_WHAT_COT), False, ""),
    (13, CLIENT_TYPES, "Future-dated CoT: takes effect at its time",
     "A CoT dated in the future takes effect when the device's clock reaches it, with no "
     "further WAN action.",
     _src(_D7_WHAT_COT), True, ""),
    (14, CLIENT_TYPES, "A pending CoT survives a power cycle",
     "A pending CoT takes effect at its time even if the device was power cycled in between "
     "and cannot reach the meters afterwards.",
     _src(_D7_WHAT_COT), True, ""),
    (15, CLIENT_TYPES, "Backdated CoT",
     "A CoT dated in the past takes effect on reading it: records dated before it go.",
     _src(_D7_WHAT_COT, _D7_WHOSE), True, ""),
    (16, CLIENT_TYPES, "The same CoT twice",
     "A CoT value already acted on, seen again from the same or the other meter, clears "
     "nothing more.",
     _src(_D7_WHAT_COT), False, ""),
    (17, CLIENT_TYPES, "CoT on one fuel only",
     "A CoT set on either meter alone clears the previous occupier's records of both fuels.",
     _src(_D7_ONE_FUEL), True, ""),
    (18, CLIENT_TYPES, "CoT while powered off",
     "A CoT set while the device was powered off takes effect after it powers up.",
     _src(_D7_WHEN, _SEC_QUERY), True, ""),
    (19, CLIENT_TYPES, "CoT while out of range",
     "A CoT set while the device was out of range takes effect within one poll interval of "
     "it coming back in range.",
     _src(_D7_WHEN, _SEC_QUERY), True, ""),
    (20, CLIENT_TYPES, "Keeps working with an ESME without tenancy attributes",
     "With an ESME that answers UNSUPPORTED_ATTRIBUTE for 0x0200/0x0201 (pre-ESMETS 5.1), the "
     "device still reads and shows electricity data.",
     _src(("DOMAIN-7", "When to query (mixed fleet, DOMAIN.md section 2)"), _DM_ATTRS),
     False, ""),
    (21, CLIENT_TYPES, "Says so when the ESME lacks tenancy attributes",
     "With such an ESME, the device reports that a CoT cannot be detected from it.",
     _src(("DOMAIN-7", "When to query (mixed fleet, DOMAIN.md section 2)"), _DM_ATTRS),
     True, ""),
    (22, CLIENT_TYPES, "Keeps working with a GPF without tenancy attributes",
     "With a GPF that has no tenancy attributes (answers NOT_FOUND to Get Change of Tenancy, "
     "UNSUPPORTED_ATTRIBUTE to 0x0200), the device still reads and shows the GPF's data "
     "(that a CoT from the ESME then clears both fuels is COT-xxx-017).",
     _src(("ZSE-DM", "a server with nothing to publish answers NOT_FOUND"), _D7_ONE_FUEL),
     False, ""),
    (23, CLIENT_TYPES, "Says so when the GPF lacks tenancy attributes",
     "With such a GPF, the device reports that a CoT cannot be detected from it.",
     _src(("ZSE-DM", "a server with nothing to publish answers NOT_FOUND"),
          ("DOMAIN-7", "When to query")), True, ""),
    (24, CLIENT_TYPES, "Cancellation",
     "ChangeOfTenancyUpdateDateTime 0xFFFFFFFF cancels a pending CoT: nothing is cleared at "
     "the cancelled time.",
     _src(_D7_WHAT_COT, ("ZSE-DM", "UTCTime 0xFFFFFFFF is invalid/cancel")), False, ""),
    (25, CLIENT_TYPES, "A new CoT after a cancellation",
     "After a cancellation, a new CoT date-time takes effect at its time.",
     _src(_D7_WHAT_COT), True, ""),
    (26, CLIENT_TYPES, "Clock skew between devices",
     "With the device's or a meter's clock up to 15 minutes off, a CoT takes effect within 15 "
     "minutes of its time and nothing is cleared more than 15 minutes early.",
     _src(_D7_WHAT_COT), True, ""),
    (27, CLIENT_TYPES, "Pre-CoT data delivered after the CoT",
     "Messages and history dated before the CoT that arrive after it took effect (a late "
     "Display Message, Get Last Message, a meter still serving old history) are not kept.",
     _src(_D7_WHOSE), True, ""),
    (28, CLIENT_TYPES, "Change of Supplier alone clears nothing",
     "A Change of Supplier with no Change of Tenancy clears no consumer data.",
     _src(("DOMAIN-7", "Change of Supplier")), False, ""),
    (29, CLIENT_TYPES, "Stale issuer event id ignored",
     "A Publish Change of Tenancy whose issuer event id is not above the last one accepted "
     "from that meter changes nothing.",
     _src(("ZSE-DM", "Publish Change of Tenancy IssuerEventID"),
          ("DOMAIN-7", "What a CoT is; DOMAIN.md section 4 peer defects")), False, ""),
    (30, CLIENT_TYPES, "Only bound meters",
     "A Publish Change of Tenancy from a device the IHD/PPMID is not bound to changes nothing.",
     _src(("DOMAIN-5", "every joined device holds the network key and can forge frames")),
     False, ""),
    (31, CLIENT_TYPES, "Shows current data",
     "After joining, the device reads and shows current data (IHD: consumption of both fuels; "
     "PPMID: credit).",
     _src(("DOMAIN-7", "What the IHD/PPMID reads and caches (DOMAIN.md section 4)")), False, ""),
    (32, CLIENT_TYPES, "Shows supplier messages",
     "A supplier message sent through the meters is held and shown.",
     _src(("SECMP0056", "Supplier messages are data the device displays")), False, ""),
    (33, ("PPMID",), "Honours Clear Prepayment Data",
     "With bit 14 (clear prepayment data) set in the control bitmap, top-up history and debt "
     "recovery records dated before the CoT are cleared whatever the policy.",
     _src(_D7_WHAT_CLEAR, ("ZSE-DM", "ProposedTenancyChangeControl bit 14")), True, ""),
    (34, CLIENT_TYPES, "A later, different CoT is applied in its turn",
     "A second, later CoT value (from either meter) takes effect in its turn and clears the "
     "records dated before it.",
     _src(_D7_ONE_FUEL, _D7_WHAT_COT), True, ""),
)

_METER_ROWS: tuple[tuple[int, tuple[str, ...], str, str, tuple[Source, ...], bool], ...] = (
    (1, METER_TYPES, "Tenancy attributes on the HAN",
     "After SRV 3.2 the meter serves 0x0200 ChangeOfTenancyUpdateDateTime and 0x0201 "
     "ProposedTenancyChangeControl with the values set over the WAN.",
     _src(("SECMP0056", "ESME and GPF make the Zigbee CoT attributes available on the HAN"),
          _DM_ATTRS), True),
    (2, METER_TYPES, "Get Change of Tenancy",
     "Get Change of Tenancy is answered with Publish Change of Tenancy carrying the CoT "
     "date-time once one is set, and with Default Response NOT_FOUND before.",
     _src(("ZSE-DM", "Get Change of Tenancy / Publish Change of Tenancy")), True),
    (3, METER_TYPES, "No pre-CoT history attributes after the CoT",
     "Once the CoT takes effect, no history attribute (days, weeks, months) whose period lies "
     "wholly before it reads a value.",
     _src(("GBCS", "ECS12/GCS09: restrict access to data before the CoT date-time"),
          ("DOMAIN-7", "Meters")), True),
    (4, METER_TYPES, "No pre-CoT profile after the CoT",
     "Once the CoT takes effect, Get Profile returns no interval dated before it.",
     _src(("GBCS", "ECS12/GCS09: profile data log restricted"), ("DOMAIN-7", "Meters")), True),
    (5, METER_TYPES, "No pre-CoT message after the CoT",
     "Once the CoT takes effect, Get Last Message returns no message dated before it.",
     _src(("DOMAIN-7", "Meters")), True),
    (6, ("ESME",), "No pre-CoT top-up or debt log after the CoT",
     "Once the CoT takes effect, Get Top Up Log and Get Debt Repayment Log return no record "
     "dated before it.",
     _src(("GBCS", "ECS12: prepayment daily read log restricted"), ("DOMAIN-7", "Meters")),
     True),
    (7, METER_TYPES, "Future-dated CoT: history served until then",
     "A CoT dated in the future restricts nothing before the meter's clock reaches it.",
     _src(("GBCS", "ECS12/GCS09: from that date"),), False),
    (8, METER_TYPES, "Cancellation",
     "SRV 3.2 with 0xFFFFFFFF before a CoT takes effect cancels it: the attribute reads "
     "0xFFFFFFFF and no history is restricted at the cancelled time.",
     _src(("ZSE-DM", "UTCTime 0xFFFFFFFF is invalid/cancel"), _D7_WHAT_COT), True),
)
# fmt: on


def _build() -> tuple[Requirement, ...]:
    out: list[Requirement] = []
    for number, types, title, statement, sources, cot, policy in _CLIENT_ROWS:
        for device in types:
            out.append(
                Requirement(
                    f"COT-{device}-{number:03d}", device, title, statement, sources, cot, policy
                )
            )
    for number, types, title, statement, sources, cot in _METER_ROWS:
        applies = "+".join(types)
        out.append(Requirement(f"COT-MTR-{number:03d}", applies, title, statement, sources, cot))
    return tuple(sorted(out, key=_order))


def _order(req: Requirement) -> tuple[int, int]:
    family = req.id.split("-")[1]
    return (("IHD", "PPMID", "MTR").index(family), req.number)


CATALOGUE: tuple[Requirement, ...] = _build()
BY_ID: dict[str, Requirement] = {r.id: r for r in CATALOGUE}


def requirement(req_id: str) -> Requirement:
    try:
        return BY_ID[req_id]
    except KeyError:
        raise UnknownRequirementError(
            f"no requirement {req_id!r} in the catalogue (see docs/requirements.md)"
        ) from None


def for_device(kind: str) -> tuple[Requirement, ...]:
    """The requirements written for one device type (IHD, PPMID, ESME or GPF)."""
    return tuple(
        r
        for r in CATALOGUE
        if r.device == kind or (r.id.startswith("COT-MTR") and kind in r.device.split("+"))
    )


def requirement_id(kind: str, number: int) -> str:
    """The id of requirement ``number`` for device type ``kind`` (meters share COT-MTR)."""
    family = "MTR" if kind in METER_TYPES else kind
    return f"COT-{family}-{number:03d}"


def select(ids: Iterable[str]) -> tuple[Requirement, ...]:
    """Requirements by id, checked; raises :class:`UnknownRequirementError` for unknown ones."""
    return tuple(requirement(i.strip().upper()) for i in ids if i.strip())
