"""A SMETS2 premises: CHF with its GPF, ESME, GSME, IHD and PPMID on one simulated HAN.

EUI-64s follow the DCC reference test data (ESME 00-DB-12-34-56-78-90-A0, GSME ...A1,
GPF ...A3), so the DUIS sample requests address this premises' devices as they are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from zigpy.util import convert_install_code

from hancot.devices.base import Device
from hancot.devices.client import ClientBehaviour, HanClient, Ihd, Ppmid
from hancot.devices.esme import Esme
from hancot.devices.gas import Chf, Gpf, Gsme
from hancot.devices.store import Store
from hancot.han.frame import DeviceIdentity, DeviceKind
from hancot.han.network import Han
from hancot.han.occupancy import Occupancy

EUI64 = {
    DeviceKind.ESME: 0x00DB1234567890A0,
    DeviceKind.GSME: 0x00DB1234567890A1,
    DeviceKind.CHF: 0x00DB1234567890A2,
    DeviceKind.GPF: 0x00DB1234567890A3,
    DeviceKind.IHD: 0x00DB1234567890A4,
    DeviceKind.PPMID: 0x00DB1234567890A5,
}


@dataclass
class PremisesConfig:
    """How to build a premises.  ``store_dir`` keeps each device's SQLite file there."""

    seed: int = 1
    ihd: ClientBehaviour | None = field(default_factory=ClientBehaviour)
    ppmid: ClientBehaviour | None = field(default_factory=ClientBehaviour)
    store_dir: Path | None = None
    esme_tenancy_attributes: bool = True
    gpf_tenancy_attributes: bool = True
    clock_offsets: dict[DeviceKind, int] = field(default_factory=dict)


class Premises:
    """Devices, keys and HAN of one premises, built deterministically from a seed."""

    def __init__(self, start: int, occupancy: Occupancy, config: PremisesConfig | None = None):
        self.config = config or PremisesConfig()
        self.start = start
        self.occupancy = occupancy
        rng = random.Random(self.config.seed)
        self.network_key = bytes(rng.randrange(256) for _ in range(16))
        self.pan_id = rng.randrange(1, 0xFFF0)
        self.han = Han(start)
        self.identities: dict[DeviceKind, DeviceIdentity] = {}
        for kind, eui in EUI64.items():
            nwk = 0x0000 if kind in (DeviceKind.CHF, DeviceKind.GPF) else rng.randrange(1, 0xFFF7)
            self.identities[kind] = DeviceIdentity(
                kind.value, kind, eui, nwk, link_key=self._link_key(kind, rng)
            )
        offsets = self.config.clock_offsets
        ids = self.identities
        self.chf = Chf(ids[DeviceKind.CHF], self._store(DeviceKind.CHF))
        self.esme = Esme(
            ids[DeviceKind.ESME],
            occupancy.electricity,
            self._store(DeviceKind.ESME),
            start=start,
            tenancy_attributes=self.config.esme_tenancy_attributes,
            clock_offset=offsets.get(DeviceKind.ESME, 0),
        )
        self.gpf = Gpf(
            ids[DeviceKind.GPF],
            self._store(DeviceKind.GPF),
            tenancy_attributes=self.config.gpf_tenancy_attributes,
            clock_offset=offsets.get(DeviceKind.GPF, 0),
        )
        self.gsme = Gsme(
            ids[DeviceKind.GSME], occupancy.gas, self._store(DeviceKind.GSME), start=start
        )
        self.ihd: Ihd | None = None
        self.ppmid: Ppmid | None = None
        if self.config.ihd is not None:
            self.ihd = Ihd(
                ids[DeviceKind.IHD],
                self._store(DeviceKind.IHD),
                behaviour=self.config.ihd,
                clock_offset=offsets.get(DeviceKind.IHD, 0),
            )
        if self.config.ppmid is not None:
            self.ppmid = Ppmid(
                ids[DeviceKind.PPMID],
                self._store(DeviceKind.PPMID),
                behaviour=self.config.ppmid,
                clock_offset=offsets.get(DeviceKind.PPMID, 0),
            )
        for device in self.devices:
            self.han.add(device)
            self.chf.admit(device.identity)

    def _link_key(self, kind: DeviceKind, rng: random.Random) -> bytes | None:
        if kind == DeviceKind.IHD:
            # Type 2 device: link key from its install code by the MMO hash (Zigbee 3.0 / SE 1.4).
            code = bytes(rng.randrange(256) for _ in range(16))
            crc = _crc16_x25(code)
            return bytes(convert_install_code(code + crc.to_bytes(2, "little")))
        if kind == DeviceKind.CHF:
            return None
        # Type 1 devices: the key CBKE would establish, drawn from the seed.
        return bytes(rng.randrange(256) for _ in range(16))

    def _store(self, kind: DeviceKind) -> Store:
        if self.config.store_dir is None:
            return Store()
        self.config.store_dir.mkdir(parents=True, exist_ok=True)
        return Store(self.config.store_dir / f"{kind.value.lower()}.sqlite")

    @property
    def devices(self) -> list[Device]:
        devices: list[Device] = [self.chf, self.gpf, self.esme, self.gsme]
        return devices + [d for d in (self.ihd, self.ppmid) if d is not None]

    @property
    def clients(self) -> list[HanClient]:
        return [d for d in (self.ihd, self.ppmid) if d is not None]

    def commission(self) -> None:
        """Join every device, meters first, and bind the clients to the ESME and the GPF."""
        ids = self.identities
        self.han.join(self.chf, {})
        self.han.join(self.gpf, {DeviceKind.GSME: ids[DeviceKind.GSME]})
        self.han.join(self.esme, {})
        self.han.join(self.gsme, {DeviceKind.GPF: ids[DeviceKind.GPF]})
        for client in self.clients:
            self.esme.bind(client.identity)
            self.gpf.bind(client.identity)
            self.han.join(
                client, {DeviceKind.ESME: ids[DeviceKind.ESME], DeviceKind.GPF: ids[DeviceKind.GPF]}
            )

    def close(self) -> None:
        for device in self.devices:
            device.store.close()


def _crc16_x25(data: bytes) -> int:
    """CRC-16/X-25 of an install code (Zigbee 3.0 install codes end with it, little-endian)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF
