"""Price cluster 0x0700 (Zigbee Smart Energy 1.4, Annex D.4): tariff, not personal history.

Defined so a premises can serve Get Current Price; a Change of Tenancy does not clear it.
"""

from __future__ import annotations

from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy
from zigpy.zcl.foundation import BaseAttributeDefs, BaseCommandDefs, ZCLAttributeDef, ZCLCommandDef


class Price(smartenergy.Price):
    """Price (0x0700)."""

    class AttributeDefs(BaseAttributeDefs):
        # Tier Label attribute set 0x00 (SE 1.4 D.4.2.2.1)
        tier1_price_label: Final = ZCLAttributeDef(id=0x0000, type=t.LVBytes, access="r")
        # Billing information set 0x07: the standing charge (SE 1.4 D.4.2.2.8)
        standing_charge: Final = ZCLAttributeDef(id=0x0301, type=t.uint32_t, access="r")

    class ServerCommandDefs(BaseCommandDefs):
        # Commands a server receives (SE 1.4 D.4.3.3)
        get_current_price: Final = ZCLCommandDef(id=0x00, schema={"command_options": t.bitmap8})

    class ClientCommandDefs(BaseCommandDefs):
        # Commands a client receives (SE 1.4 D.4.2.4.1): Publish Price
        publish_price: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "provider_id": t.uint32_t,
                "rate_label": t.LVBytes,
                "issuer_event_id": t.uint32_t,
                "current_time": t.UTCTime,
                "unit_of_measure": t.uint8_t,
                "currency": t.uint16_t,
                "price_trailing_digit_and_price_tier": t.uint8_t,
                "number_of_price_tiers_and_register_tier": t.uint8_t,
                "start_time": t.UTCTime,
                "duration_in_minutes": t.uint16_t,
                "price": t.uint32_t,
                "price_ratio?": t.uint8_t,
                "generation_price?": t.uint32_t,
                "generation_price_ratio?": t.uint8_t,
                "alternate_cost_delivered?": t.uint32_t,
                "alternate_cost_unit?": t.uint8_t,
                "alternate_cost_trailing_digit?": t.uint8_t,
                "number_of_block_thresholds?": t.uint8_t,
                "price_control?": t.bitmap8,
            },
        )
