"""Zigbee Smart Energy clusters that zigpy leaves as empty stubs, defined on zigpy's own types.

Each module subclasses zigpy's stub (same cluster id, same ``ep_attribute``) and fills in the
attribute and command definitions in zigpy's declarative style, so the definitions could move
upstream unchanged.  zigpy's naming: ``ServerCommandDefs`` are the commands a *server* receives
(client-to-server frames, direction bit 0); ``ClientCommandDefs`` are those a *client* receives
(server-to-client frames, direction bit 1).
"""

from hancot.zcl.clusters.device_management import DeviceManagement
from hancot.zcl.clusters.messaging import Messaging
from hancot.zcl.clusters.metering import Metering
from hancot.zcl.clusters.prepayment import Prepayment
from hancot.zcl.clusters.price import Price

__all__ = ["DeviceManagement", "Messaging", "Metering", "Prepayment", "Price"]
