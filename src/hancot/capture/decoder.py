"""Decodes one 802.15.4 frame down to its ZCL payload, never raising on bad input.

Sans-IO: bytes in, a :class:`CaptureRecord` out.  Anything that stops decoding (wrong key,
truncation, a frame that is not application data) becomes the record's ``note``; fields decoded
before the problem are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

from hancot.capture.aps import ApsFrameType, ApsHeader, decode_aps_frame
from hancot.capture.errors import CaptureKeyError, FrameDecodeError, MicError
from hancot.capture.mac import MacFrameType, decode_mac_frame
from hancot.capture.nwk import NwkFrameType, NwkHeader, decode_nwk_frame
from hancot.capture.security import AuxHeader, check_key

LinkKeys = Mapping[int, bytes] | Iterable[bytes]


@dataclass
class CaptureRecord:
    """What one captured frame says, as far as it could be decoded.

    ``time`` is Zigbee UTCTime seconds and ``unix_time`` the exact pcap timestamp; both are
    ``None`` for frames decoded outside a capture.  ``src_eui64`` comes from the NWK auxiliary
    header (or the NWK extended source when unsecured).  ``payload`` is the ZCL frame, ``None``
    unless it was reached in clear.  ``note`` is ``None`` for a fully decoded data frame and
    otherwise says why decoding stopped or what was suspicious.
    """

    index: int = 0
    time: int | None = None
    unix_time: float | None = None
    length: int = 0
    fcs_ok: bool | None = None
    mac_seq: int | None = None
    pan_id: int | None = None
    mac_src: int | None = None
    mac_dst: int | None = None
    nwk_src: int | None = None
    nwk_dst: int | None = None
    nwk_seq: int | None = None
    radius: int | None = None
    src_eui64: int | None = None
    nwk_secured: bool = False
    nwk_frame_counter: int | None = None
    aps_secured: bool = False
    aps_frame_counter: int | None = None
    aps_counter: int | None = None
    profile: int | None = None
    cluster: int | None = None
    src_ep: int | None = None
    dst_ep: int | None = None
    payload: bytes | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        """True when the frame decoded to a ZCL payload without any note."""
        return self.note is None and self.payload is not None

    def add_note(self, text: str) -> None:
        """Append ``text`` to the note."""
        self.note = text if self.note is None else f"{self.note}; {text}"

    def as_dict(self) -> dict[str, object]:
        """The fields as a plain dict (payload as hex), for printing and JSON."""
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["payload"] = self.payload.hex() if self.payload is not None else None
        return out


def ordered_link_keys(link_keys: LinkKeys, source: int | None) -> list[bytes]:
    """The candidate link keys, the one recorded for ``source`` first, without repeats."""
    if isinstance(link_keys, Mapping):
        first = [link_keys[source]] if source in link_keys else []
        keys = first + list(link_keys.values())
    else:
        keys = list(link_keys)
    seen: set[bytes] = set()
    out: list[bytes] = []
    for key in keys:
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def decode_frame(
    data: bytes,
    *,
    fcs: bool,
    network_key: bytes | None,
    link_keys: LinkKeys = (),
    record: CaptureRecord | None = None,
) -> CaptureRecord:
    """Decode MAC, NWK (decrypting with ``network_key``), APS (decrypting with ``link_keys``).

    ``fcs`` says whether ``data`` ends with the 2-byte FCS (link type 195).  ``record``, when
    given, is filled in (keeping its capture fields and note) and returned.
    """
    rec = record if record is not None else CaptureRecord()
    rec.length = len(data)
    try:
        _decode_into(rec, data, fcs, network_key, link_keys)
    except MicError as exc:
        rec.add_note(str(exc))
    except FrameDecodeError as exc:
        rec.add_note(f"undecodable: {exc}")
    except CaptureKeyError as exc:
        rec.add_note(f"unusable key: {exc}")
    return rec


def _decode_into(
    rec: CaptureRecord,
    data: bytes,
    fcs: bool,
    network_key: bytes | None,
    link_keys: LinkKeys,
) -> None:
    mac = decode_mac_frame(data, fcs=fcs)
    rec.fcs_ok = mac.fcs_ok
    rec.mac_seq = mac.header.seq
    rec.pan_id = mac.header.dst_pan if mac.header.dst_pan is not None else mac.header.src_pan
    rec.mac_src, rec.mac_dst = mac.header.src, mac.header.dst
    if mac.fcs_ok is False:
        rec.add_note("FCS mismatch: the frame is corrupted (or it has no FCS: try link type 230)")
    if mac.header.frame_type is not MacFrameType.DATA:
        rec.add_note(f"not a data frame: MAC {mac.header.frame_type.name.lower()} frame")
        return

    # Headers first, so a frame that fails to decrypt still shows who sent it.
    nwk_header, pos = NwkHeader.decode(mac.payload)
    rec.nwk_src, rec.nwk_dst = nwk_header.src, nwk_header.dst
    rec.nwk_seq, rec.radius = nwk_header.seq, nwk_header.radius
    rec.nwk_secured = nwk_header.security
    rec.src_eui64 = nwk_header.src_ieee
    if not nwk_header.security and network_key is not None:
        # Smart Energy secures every NWK frame with the network key (SE 1.4 5.4.3); a clear one
        # where a key is in use is forged, or its security bit was altered (nothing else would
        # catch that: the MIC is then never checked).
        rec.add_note("NWK frame not secured although a network key is in use: forged or altered")
    if nwk_header.security:
        aux, _ = AuxHeader.decode(mac.payload[pos:])
        rec.nwk_frame_counter = aux.frame_counter
        if aux.source is not None:
            rec.src_eui64 = aux.source
    nwk = decode_nwk_frame(
        mac.payload, key=check_key(network_key) if network_key is not None else None
    )
    if nwk.encrypted:
        rec.add_note("NWK-secured and no network key was given: payload left encrypted")
        return
    if nwk.header.frame_type is NwkFrameType.COMMAND:
        command = f"0x{nwk.payload[0]:02x}" if nwk.payload else "(empty)"
        rec.add_note(f"not a data frame: NWK command {command}")
        return

    header, pos = ApsHeader.decode(nwk.payload)
    rec.aps_counter = header.counter
    rec.aps_secured = header.security
    rec.profile, rec.cluster = header.profile, header.cluster
    rec.src_ep, rec.dst_ep = header.src_ep, header.dst_ep
    if header.security:
        rec.aps_frame_counter = AuxHeader.decode(nwk.payload[pos:])[0].frame_counter
    keys = ordered_link_keys(link_keys, rec.src_eui64)
    aps = decode_aps_frame(
        nwk.payload, link_keys=keys, network_key=network_key, source=rec.src_eui64
    )
    if aps.encrypted:
        rec.add_note("APS-secured and no link key was given: payload left encrypted")
        return
    if header.frame_type is not ApsFrameType.DATA:
        what = header.frame_type.name.lower()
        if header.frame_type is ApsFrameType.COMMAND and aps.payload:
            what += f" 0x{aps.payload[0]:02x}"
        rec.add_note(f"not a data frame: APS {what}")
        return
    if header.fragmented:
        rec.add_note("APS fragment: reassembly is not supported, payload is one block")
    rec.payload = aps.payload
