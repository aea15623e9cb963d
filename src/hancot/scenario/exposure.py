"""Whose data does a device still hold?  The ground truth a simulation knows and a device does not.

A record belongs to the previous occupier when its date (the earliest moment its data may cover)
is before the new occupier moved in.  Messages are also matched by text against the messages the
supplier sent during the previous tenancy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hancot.devices.client import SEC_MINIMUM_KINDS, HanClient


@dataclass
class Exposure:
    """What one IHD/PPMID still holds of the previous occupier."""

    name: str
    profile: str
    policy: str
    previous_occupier_items: int
    by_kind: dict[str, int] = field(default_factory=dict)
    previous_messages_shown: list[str] = field(default_factory=list)

    @property
    def sec_minimum_met(self) -> bool:
        return not any(self.by_kind.get(kind) for kind in SEC_MINIMUM_KINDS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "profile": self.profile,
            "policy": self.policy,
            "previous_occupier_items": self.previous_occupier_items,
            "previous_occupier_items_by_kind": self.by_kind,
            "sec_minimum_met": self.sec_minimum_met,
        }


def exposure(client: HanClient, moved_in: int, previous_messages: list[str], now: int) -> Exposure:
    by_kind: dict[str, int] = {}
    for kind, records in client.held().items():
        count = sum(
            1
            for r in records
            if r.time < moved_in or (kind == "message" and r.data.get("text") in previous_messages)
        )
        if count:
            by_kind[kind] = count
    shown = client.latest_message(now)
    return Exposure(
        name=client.name,
        profile=client.behaviour.profile,
        policy=client.behaviour.policy,
        previous_occupier_items=sum(by_kind.values()),
        by_kind=by_kind,
        previous_messages_shown=[shown] if shown in previous_messages else [],
    )
