"""Which cluster definitions hancot speaks, by cluster id."""

from __future__ import annotations

from zigpy.zcl import Cluster
from zigpy.zcl.clusters.general import Basic, Time

from hancot.zcl.clusters import DeviceManagement, Messaging, Metering, Prepayment, Price

CLUSTERS: dict[int, type[Cluster]] = {
    cluster.cluster_id: cluster
    for cluster in (Basic, Time, Price, Metering, Messaging, Prepayment, DeviceManagement)
}

BASIC = Basic.cluster_id
TIME = Time.cluster_id
PRICE = Price.cluster_id
METERING = Metering.cluster_id
MESSAGING = Messaging.cluster_id
PREPAYMENT = Prepayment.cluster_id
DEVICE_MANAGEMENT = DeviceManagement.cluster_id


def cluster_name(cluster_id: int) -> str:
    cluster = CLUSTERS.get(cluster_id)
    return cluster.__name__ if cluster else f"cluster 0x{cluster_id:04X}"
