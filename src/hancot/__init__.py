"""hancot: Change of Tenancy on the GB smart-metering Home Area Network.

Reference devices (CHF/GPF, ESME, GSME, IHD, PPMID), a deterministic simulated HAN carrying
real Zigbee Smart Energy frames, the WAN entry (DUIS / GBCS) and the tools built on them.
"""

__version__ = "0.1.0"
