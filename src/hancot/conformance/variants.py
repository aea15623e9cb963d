"""Deliberately faulty IHD/PPMID implementations that ship with the kit, to show it has teeth.

Each is the reference :class:`~hancot.devices.client.ClientBehaviour` with one or two fields
changed, modelled on a defect a real implementation could plausibly have.  ``caught_by`` lists
the requirement numbers that must fail for it (the tests check each one is caught).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from hancot.devices.client import ClientBehaviour
from hancot.han.frame import DeviceKind


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    changes: dict[str, Any]
    caught_by: tuple[int, ...]
    kinds: tuple[str, ...] = ("IHD", "PPMID")
    extra: dict[str, Any] = field(default_factory=dict)

    def behaviour(self) -> ClientBehaviour:
        return replace(ClientBehaviour(profile=f"variant:{self.name}"), **self.changes)


VARIANTS: tuple[Variant, ...] = (
    Variant(
        "polls-esme-only",
        "queries the tenancy attributes of the ESME only, never the GPF",
        {"tenancy_sources": frozenset({DeviceKind.ESME})},
        (2,),
    ),
    Variant(
        "clears-messages-not-history",
        "clears supplier messages on a CoT but keeps the historic consumption and profile",
        {"clears_history": False},
        (6, 7),
        kinds=("IHD",),
    ),
    Variant(
        "forgets-pending-on-power-cycle",
        "keeps a pending (future-dated) CoT in RAM only: a power cycle loses it",
        {"persists_pending": False},
        (14,),
    ),
    Variant(
        "future-cot-immediate",
        "treats a future-dated CoT as if it took effect on reading it",
        {"future_immediate": True},
        (12,),
    ),
    Variant(
        "accepts-stale-issuer-id",
        "acts on a Publish Change of Tenancy whatever its issuer event id",
        {"checks_issuer_event_id": False},
        (29,),
    ),
    Variant(
        "clears-everything",
        "clears the new occupier's data too (everything it holds, whatever its date)",
        {"keeps_post_cot_data": False},
        (11,),
    ),
    Variant(
        "no-query-on-power-up",
        "does not query the meters when it powers up, only at the next poll",
        {"query_on_power_up": False},
        (5,),
    ),
    Variant(
        "no-query-on-join",
        "does not query the meters when it joins, only at the first poll",
        {"query_on_join": False},
        (4,),
    ),
    Variant(
        "keeps-late-pre-cot-data",
        "accepts messages and history dated before the CoT that arrive after it",
        {"refuses_pre_cot_records": False},
        (27,),
    ),
    Variant(
        "polls-every-4-hours",
        "queries the tenancy attributes every 4 hours instead of every 30 minutes",
        {"poll_interval": 4 * 3600},
        (3,),
    ),
    Variant(
        "keeps-prepayment-history",
        "claims the extended policy but keeps top-up history and debt recovery records",
        {"policy": "sec-minimum"},
        (9, 10),
        kinds=("PPMID",),
        extra={"claims_policy": "extended"},
    ),
)

BY_NAME: dict[str, Variant] = {v.name: v for v in VARIANTS}
