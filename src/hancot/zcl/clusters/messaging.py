"""Messaging cluster 0x0703 (Zigbee Smart Energy 1.4, Annex D.5).

Supplier messages (DUIS SRV 3.1, GBCS ECS10/GCS07) reach IHDs and PPMIDs as Display Message.
They are personal data of the occupier they were sent to (SECMP0056 clears them on a CoT).
"""

from __future__ import annotations

from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy
from zigpy.zcl.foundation import BaseAttributeDefs, BaseCommandDefs, ZCLCommandDef

from hancot.zcl.types import CharacterString

#: DurationInMinutes 0xFFFF: "until changed" (SE 1.4 D.5.2.3.1.1.4).
DURATION_UNTIL_CHANGED = 0xFFFF
#: StartTime 0x00000000: "now" (SE 1.4 D.5.2.3.1.1.3).
START_NOW = 0


class MessageControl(t.bitmap8):
    """MessageControl (SE 1.4 D.5.2.3.1.1.2): transmission (bits 0-1), importance (bits 2-3),
    enhanced confirmation (bit 5), message confirmation required (bit 7)."""

    Transmission_Bit0 = 1 << 0
    Transmission_Bit1 = 1 << 1
    Importance_Bit0 = 1 << 2
    Importance_Bit1 = 1 << 3
    Enhanced_Confirmation_Required = 1 << 5
    Message_Confirmation_Required = 1 << 7


class ExtendedMessageControl(t.bitmap8):
    """Extended Message Control (SE 1.4 D.5.2.3.1.1.6)."""

    Message_Confirmation_Status = 1 << 0


class MessageConfirmationControl(t.bitmap8):
    """Message Confirmation Control (SE 1.4 D.5.3.3.1.2.3)."""

    No_Returned = 1 << 0
    Yes_Returned = 1 << 1


#: Display Message and Display Protected Message share one payload (SE 1.4 D.5.2.3.1, D.5.2.3.3).
_DISPLAY_MESSAGE = {
    "message_id": t.uint32_t,
    "message_control": MessageControl,
    "start_time": t.UTCTime,
    "duration_in_minutes": t.uint16_t,
    "message": CharacterString,
    "extended_message_control?": ExtendedMessageControl,
}


class Messaging(smartenergy.Messaging):
    """Messaging (0x0703).  The cluster has no attributes."""

    class AttributeDefs(BaseAttributeDefs):
        pass

    class ServerCommandDefs(BaseCommandDefs):
        # Commands a server receives (SE 1.4 D.5.3.3)
        get_last_message: Final = ZCLCommandDef(id=0x00, schema={})
        message_confirmation: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "message_id": t.uint32_t,
                "confirmation_time": t.UTCTime,
                "message_confirmation_control?": MessageConfirmationControl,
                "message_response?": t.LVBytes,
            },
        )

    class ClientCommandDefs(BaseCommandDefs):
        # Commands a client receives (SE 1.4 D.5.2.3)
        display_message: Final = ZCLCommandDef(id=0x00, schema=_DISPLAY_MESSAGE)
        cancel_message: Final = ZCLCommandDef(
            id=0x01,
            schema={"message_id": t.uint32_t, "message_control": MessageControl},
        )
        display_protected_message: Final = ZCLCommandDef(id=0x02, schema=_DISPLAY_MESSAGE)
        cancel_all_messages: Final = ZCLCommandDef(
            id=0x03, schema={"implementation_date_time": t.UTCTime}
        )
