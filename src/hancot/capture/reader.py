"""Reads a pcap of 802.15.4 Zigbee traffic back into decoded records."""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike
from typing import BinaryIO

from hancot.capture.decoder import CaptureRecord, LinkKeys, decode_frame
from hancot.capture.pcap import LINKTYPE_IEEE802_15_4_WITHFCS, PcapReader, zigbee_seconds
from hancot.capture.security import check_key


def read_capture(
    path: str | PathLike[str],
    network_key: bytes | None,
    link_keys: LinkKeys = (),
) -> Iterator[CaptureRecord]:
    """Decode every record of the pcap at ``path``.

    The file header is checked at once: :class:`~hancot.capture.errors.PcapFormatError` for a
    file that is not classic pcap, :class:`~hancot.capture.errors.UnknownLinkTypeError` for a link
    type other than 195/230, :class:`~hancot.capture.errors.CaptureKeyError` for a malformed key.
    After that nothing raises: each record's problems (truncation, MIC failure, non-data frames)
    are in its ``note``.  ``link_keys`` maps EUI-64 to key, or is just a list of keys to try.
    """
    if network_key is not None:
        check_key(network_key)
    stream = open(path, "rb")  # noqa: SIM115 - handed to the generator, which closes it
    try:
        reader = PcapReader(stream)
    except BaseException:
        stream.close()
        raise
    return _records(stream, reader, network_key, link_keys)


def read_capture_stream(
    stream: BinaryIO, network_key: bytes | None, link_keys: LinkKeys = ()
) -> Iterator[CaptureRecord]:
    """As :func:`read_capture`, from an open binary stream (which the caller closes)."""
    reader = PcapReader(stream)
    return _decode(reader, network_key, link_keys)


def decode_records(
    reader: PcapReader, network_key: bytes | None, link_keys: LinkKeys = ()
) -> Iterator[CaptureRecord]:
    """Decode the records of an open :class:`PcapReader` (whose header the caller can inspect,
    e.g. for the link type), with the same guarantees as :func:`read_capture`."""
    if network_key is not None:
        check_key(network_key)
    return _decode(reader, network_key, link_keys)


def _records(
    stream: BinaryIO, reader: PcapReader, network_key: bytes | None, link_keys: LinkKeys
) -> Iterator[CaptureRecord]:
    with stream:
        yield from _decode(reader, network_key, link_keys)


def _decode(
    reader: PcapReader, network_key: bytes | None, link_keys: LinkKeys
) -> Iterator[CaptureRecord]:
    fcs = reader.header.linktype == LINKTYPE_IEEE802_15_4_WITHFCS
    scale = 1e9 if reader.header.nanosecond else 1e6
    for raw in reader:
        rec = CaptureRecord(index=raw.index, note=raw.note)
        if raw.ts_sec is not None and raw.ts_frac is not None:
            rec.time = zigbee_seconds(raw.ts_sec)
            rec.unix_time = raw.ts_sec + raw.ts_frac / scale
        if not raw.data:
            yield rec
            continue
        yield decode_frame(
            raw.data, fcs=fcs, network_key=network_key, link_keys=link_keys, record=rec
        )
