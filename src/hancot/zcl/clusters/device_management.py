"""Device Management cluster 0x0708 (Zigbee Smart Energy 1.4, Annex D.10).

The tenancy attribute set (0x02xx) and the Publish Change of Tenancy command are what SECMP0056
makes ESMEs and GPFs expose to IHDs and PPMIDs (DOMAIN.md section 4).
"""

from __future__ import annotations

from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy
from zigpy.zcl.foundation import BaseAttributeDefs, BaseCommandDefs, ZCLAttributeDef, ZCLCommandDef


class ProposedTenancyChangeControl(t.bitmap32):
    """ProposedTenancyChangeControl (SE 1.4 D.10.2.2.3; DOMAIN.md section 4).

    Bits 11-12 together hold the meter contactor state (0 off, 1 off/armed, 2 on, 3 unchanged);
    use :func:`contactor_state` to read them.
    """

    Pre_Snapshots = 1 << 0
    Post_Snapshots = 1 << 1
    Reset_Credit_Register = 1 << 2
    Reset_Debit_Register = 1 << 3
    Reset_Billing_Period = 1 << 4
    Clear_Tariff_Plan = 1 << 5
    Clear_Standing_Charge = 1 << 6
    Block_Historical_Load_Profile = 1 << 7
    Clear_Historical_Load_Profile = 1 << 8
    Clear_IHD_Data_Consumer = 1 << 9
    Clear_IHD_Data_Supplier = 1 << 10
    Contactor_State_Bit0 = 1 << 11
    Contactor_State_Bit1 = 1 << 12
    Clear_Transaction_Log = 1 << 13
    Clear_Prepayment_Data = 1 << 14


def contactor_state(control: int) -> int:
    """The 2-bit meter contactor state held in bits 11-12 of the tenancy control bitmap."""
    return (int(control) >> 11) & 0b11


#: ProposedProviderChangeControl / ProviderChangeControl (SE 1.4 D.10.2.2.2) uses the same bit
#: definitions as the tenancy control bitmap.
ProviderChangeControl = ProposedTenancyChangeControl


class WanStatus(t.enum8):
    """WANStatus (SE 1.4 D.10.2.2.4)."""

    Not_Available = 0x00
    Available = 0x01


class DeviceManagement(smartenergy.DeviceManagement):
    """Device Management (0x0708).

    Only the server attributes are defined: the client-side attributes that share the ids
    0x0200/0x0201 (event configuration) are different things, and the ZCL direction bit of a
    Read Attributes frame decides which side is meant.
    """

    class AttributeDefs(BaseAttributeDefs):
        # Supplier Control attribute set 0x01 (SE 1.4 D.10.2.2.2)
        provider_id: Final = ZCLAttributeDef(id=0x0100, type=t.uint32_t, access="r")
        provider_name: Final = ZCLAttributeDef(id=0x0101, type=t.LVBytes, access="r")
        provider_contact_details: Final = ZCLAttributeDef(id=0x0102, type=t.LVBytes, access="r")
        proposed_provider_id: Final = ZCLAttributeDef(id=0x0110, type=t.uint32_t, access="r")
        proposed_provider_name: Final = ZCLAttributeDef(id=0x0111, type=t.LVBytes, access="r")
        proposed_provider_change_date_time: Final = ZCLAttributeDef(
            id=0x0112, type=t.UTCTime, access="r"
        )
        proposed_provider_change_control: Final = ZCLAttributeDef(
            id=0x0113, type=ProviderChangeControl, access="r"
        )
        proposed_provider_contact_details: Final = ZCLAttributeDef(
            id=0x0114, type=t.LVBytes, access="r"
        )
        received_provider_id: Final = ZCLAttributeDef(id=0x0120, type=t.uint32_t, access="r")
        received_provider_name: Final = ZCLAttributeDef(id=0x0121, type=t.LVBytes, access="r")
        received_provider_contact_details: Final = ZCLAttributeDef(
            id=0x0122, type=t.LVBytes, access="r"
        )
        # Tenancy attribute set 0x02 (SE 1.4 D.10.2.2.3): UTCTime 0xE2 and bitmap32 0x1B
        change_of_tenancy_update_date_time: Final = ZCLAttributeDef(
            id=0x0200, type=t.UTCTime, access="r"
        )
        proposed_tenancy_change_control: Final = ZCLAttributeDef(
            id=0x0201, type=ProposedTenancyChangeControl, access="r"
        )
        # Backhaul Control attribute set 0x03 (SE 1.4 D.10.2.2.4)
        wan_status: Final = ZCLAttributeDef(id=0x0300, type=WanStatus, access="r")

    class ServerCommandDefs(BaseCommandDefs):
        # Commands a server receives (SE 1.4 D.10.2.3)
        get_change_of_tenancy: Final = ZCLCommandDef(id=0x00, schema={})
        get_change_of_supplier: Final = ZCLCommandDef(id=0x01, schema={})
        request_new_password: Final = ZCLCommandDef(id=0x02, schema={"password_type": t.enum8})
        get_site_id: Final = ZCLCommandDef(id=0x03, schema={})
        get_cin: Final = ZCLCommandDef(id=0x05, schema={})

    class ClientCommandDefs(BaseCommandDefs):
        # Commands a client receives (SE 1.4 D.10.3.3)
        publish_change_of_tenancy: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "tariff_type": t.uint8_t,
                "implementation_date_time": t.UTCTime,
                "proposed_tenancy_change_control": ProposedTenancyChangeControl,
            },
        )
        publish_change_of_supplier: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "current_provider_id": t.uint32_t,
                "issuer_event_id": t.uint32_t,
                "tariff_type": t.uint8_t,
                "proposed_provider_id": t.uint32_t,
                "provider_change_implementation_time": t.UTCTime,
                "provider_change_control": ProviderChangeControl,
                "proposed_provider_name": t.LVBytes,
                "proposed_provider_contact_details": t.LVBytes,
            },
        )
        update_site_id: Final = ZCLCommandDef(
            id=0x03,
            schema={
                "issuer_event_id": t.uint32_t,
                "site_id_time": t.UTCTime,
                "provider_id": t.uint32_t,
                "site_id": t.LVBytes,
            },
        )
        update_cin: Final = ZCLCommandDef(
            id=0x06,
            schema={
                "issuer_event_id": t.uint32_t,
                "implementation_time": t.UTCTime,
                "provider_id": t.uint32_t,
                "customer_id_number": t.LVBytes,
            },
        )
