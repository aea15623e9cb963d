"""Zigbee frame security: the auxiliary header, AES-CCM*, key derivation and the key ring.

Clause numbers are the Zigbee specification R22 (docs-05-3474-22, "Zigbee PRO 2015") chapter 4.
The NWK and APS layers share one auxiliary header format (4.5.1) and one CCM* transform (4.5.2,
Annex A); they differ only in which header is authenticated and which key is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from zigpy.util import aes_mmo_hash, convert_install_code

from hancot.capture.errors import (
    CaptureKeyError,
    CounterExhaustedError,
    FrameDecodeError,
    MicError,
)

#: Zigbee keys are 128-bit AES keys (4.2.1).
KEY_LEN = 16
#: nwkSecurityLevel of Zigbee PRO and the APS level: ENC-MIC-32 (4.5.1.1.1).
DEFAULT_LEVEL = 5
#: Largest frame counter value; a device must not transmit once it is reached (4.3.1.1).
MAX_FRAME_COUNTER = 0xFFFFFFFF

# Security control field (4.5.1.1): bits 0-2 level, 3-4 key identifier, 5 extended nonce.
_LEVEL_MASK = 0x07
_KEY_ID_SHIFT = 3
_EXT_NONCE = 0x20
#: MIC length in bytes for each security level (4.5.1.1.1).
_MIC_LEN = {5: 4, 6: 8, 7: 16}


class KeyId(IntEnum):
    """Key identifier sub-field (4.5.1.1.2)."""

    DATA = 0  # a link key
    NETWORK = 1
    KEY_TRANSPORT = 2
    KEY_LOAD = 3


@dataclass(frozen=True)
class AuxHeader:
    """Auxiliary security header (4.5.1).

    ``level`` is the security level as sent: Zigbee transmits 0 and the receiver substitutes its
    configured level (4.3.1.1 step 7, 4.3.1.2 step 1).  ``source`` (an EUI-64) is present when the
    extended nonce bit is set (4.5.1.3); ``key_seq`` when the key identifier is the network key
    (4.5.1.4).  ``reserved`` keeps bits 6-7 of the security control as received: they are part
    of the authenticated data, so a frame whose reserved bits were altered must fail its MIC.
    """

    key_id: KeyId
    frame_counter: int
    source: int | None = None
    key_seq: int | None = None
    level: int = 0
    reserved: int = 0

    def control(self, level: int | None = None) -> int:
        """The security control octet, with ``level`` substituted when given (4.5.1.1)."""
        lvl = self.level if level is None else level
        ctrl = (lvl & _LEVEL_MASK) | (int(self.key_id) << _KEY_ID_SHIFT) | (self.reserved & 0xC0)
        return ctrl | (_EXT_NONCE if self.source is not None else 0)

    def encode(self, level: int | None = None) -> bytes:
        """Serialise the header; ``level`` overrides the security level bits (for the "a" data)."""
        out = bytearray([self.control(level)])
        out += self.frame_counter.to_bytes(4, "little")  # 4.5.1.2
        if self.source is not None:
            out += self.source.to_bytes(8, "little")  # 4.5.1.3
        if self.key_id is KeyId.NETWORK:
            out.append((self.key_seq or 0) & 0xFF)  # 4.5.1.4
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> tuple[AuxHeader, int]:
        """Decode from the start of ``data``; returns the header and its length in bytes."""
        if len(data) < 5:
            raise FrameDecodeError(
                f"auxiliary security header needs at least 5 bytes, {len(data)} remain"
            )
        ctrl = data[0]
        key_id = KeyId((ctrl >> _KEY_ID_SHIFT) & 0x3)
        pos = 5
        source = key_seq = None
        if ctrl & _EXT_NONCE:
            if len(data) < pos + 8:
                raise FrameDecodeError("frame ends inside the auxiliary header's source address")
            source = int.from_bytes(data[pos : pos + 8], "little")
            pos += 8
        if key_id is KeyId.NETWORK:
            if len(data) < pos + 1:
                raise FrameDecodeError("frame ends before the auxiliary header's key sequence")
            key_seq = data[pos]
            pos += 1
        header = cls(
            key_id=key_id,
            frame_counter=int.from_bytes(data[1:5], "little"),
            source=source,
            key_seq=key_seq,
            level=ctrl & _LEVEL_MASK,
            reserved=ctrl & 0xC0,
        )
        return header, pos


def ccm_nonce(source: int, frame_counter: int, control: int) -> bytes:
    """The 13-byte CCM* nonce: source EUI-64, frame counter, security control, all LE (4.5.2.2)."""
    return source.to_bytes(8, "little") + frame_counter.to_bytes(4, "little") + bytes([control])


def _cipher(key: bytes, level: int) -> tuple[AESCCM, int]:
    check_key(key)
    if level not in _MIC_LEN:
        raise ValueError(
            f"security level {level} is not supported; Zigbee PRO uses 5 (ENC-MIC-32), "
            "hancot also accepts 6 and 7"
        )
    mic_len = _MIC_LEN[level]
    return AESCCM(key, tag_length=mic_len), mic_len


def secure(
    key: bytes,
    header: bytes,
    aux: AuxHeader,
    payload: bytes,
    level: int = DEFAULT_LEVEL,
    *,
    source: int | None = None,
) -> bytes:
    """Protect ``payload``; returns the on-air auxiliary header, ciphertext and MIC.

    The authenticated data "a" is ``header`` followed by the auxiliary header with the security
    level set to ``level``; the on-air auxiliary header carries ``aux.level`` (normally 0)
    (4.3.1.1 steps 5-7 for NWK, 4.4.1.1 for APS; CCM* Annex A.2).  ``source`` is the sender's
    EUI-64 for the nonce when ``aux`` has no extended nonce.
    """
    sender = aux.source if aux.source is not None else source
    if sender is None:
        raise ValueError("secure() needs the sender's EUI-64 (aux.source or source) for the nonce")
    cipher, _ = _cipher(key, level)
    nonce = ccm_nonce(sender, aux.frame_counter, aux.control(level))
    sealed = cipher.encrypt(nonce, payload, header + aux.encode(level))
    return aux.encode() + sealed


def unsecure(
    key: bytes,
    header: bytes,
    aux: AuxHeader,
    sealed: bytes,
    *,
    level: int = DEFAULT_LEVEL,
    source: int | None = None,
) -> bytes:
    """Verify and decrypt ``sealed`` (ciphertext + MIC); returns the plaintext payload.

    ``source`` supplies the sender's EUI-64 when the auxiliary header has no extended nonce
    (4.3.1.2 step 3).  Raises :class:`MicError` when the MIC does not verify.
    """
    sender = aux.source if aux.source is not None else source
    if sender is None:
        raise FrameDecodeError(
            "cannot build the CCM* nonce: the auxiliary header has no extended nonce and the "
            "sender's EUI-64 is unknown"
        )
    cipher, mic_len = _cipher(key, level)
    if len(sealed) < mic_len:
        raise FrameDecodeError(f"secured payload of {len(sealed)} bytes is shorter than its MIC")
    nonce = ccm_nonce(sender, aux.frame_counter, aux.control(level))
    try:
        return cipher.decrypt(nonce, sealed, header + aux.encode(level))
    except InvalidTag as exc:
        raise MicError("MIC check failed: wrong key, or the frame was altered") from exc


def check_key(key: bytes) -> bytes:
    """Return ``key`` if it is a 16-byte key, else raise :class:`CaptureKeyError`."""
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_LEN:
        size = len(key) if isinstance(key, bytes | bytearray) else type(key).__name__
        raise CaptureKeyError(f"a Zigbee key is 16 bytes (AES-128, 4.2.1); got {size}")
    return bytes(key)


def link_key_from_install_code(code: bytes) -> bytes:
    """APS link key from an install code (with its CRC) by the Matyas-Meyer-Oseas hash (B.1.3).

    Install codes are 6, 8, 12 or 16 bytes plus a 2-byte CRC-16/X.25 (SE 1.4 5.4.8.1.1).
    """
    try:
        return bytes(convert_install_code(bytes(code)))
    except ValueError as exc:
        raise CaptureKeyError(f"install code {bytes(code).hex()} is not usable: {exc}") from exc


class KeyRing:
    """The keys a capture is protected with, and each sender's outgoing frame counters.

    One network key (with its key sequence number, 4.5.1.4) and the link keys by device EUI-64.
    Frame counters are per device: a device's NWK counter belongs to it, not to a link (4.3.1.1
    step 1), and hancot keeps one APS counter per sending device.
    """

    def __init__(
        self,
        network_key: bytes,
        *,
        key_seq: int = 0,
        link_keys: Mapping[int, bytes] | None = None,
    ) -> None:
        self.network_key = check_key(network_key)
        if not 0 <= key_seq <= 0xFF:
            raise CaptureKeyError(f"key sequence number {key_seq} does not fit one octet")
        self.key_seq = key_seq
        self._link_keys: dict[int, bytes] = {}
        for eui64, key in (link_keys or {}).items():
            self.set_link_key(eui64, key)
        self._nwk_counters: dict[int, int] = {}
        self._aps_counters: dict[int, int] = {}

    def set_link_key(self, eui64: int, key: bytes) -> None:
        """Record the APS link key shared with device ``eui64``."""
        self._link_keys[eui64] = check_key(key)

    def link_key(self, eui64: int) -> bytes | None:
        """The link key for ``eui64``, or ``None``."""
        return self._link_keys.get(eui64)

    @property
    def link_keys(self) -> dict[int, bytes]:
        """A copy of the link keys by EUI-64."""
        return dict(self._link_keys)

    def next_nwk_counter(self, eui64: int) -> int:
        """Take the next outgoing NWK frame counter of device ``eui64`` (starting at 0)."""
        return _take(self._nwk_counters, eui64, "NWK")

    def next_aps_counter(self, eui64: int) -> int:
        """Take the next outgoing APS frame counter of device ``eui64`` (starting at 0)."""
        return _take(self._aps_counters, eui64, "APS")


def _take(counters: dict[int, int], eui64: int, layer: str) -> int:
    value = counters.get(eui64, 0)
    if value >= MAX_FRAME_COUNTER:
        raise CounterExhaustedError(
            f"{layer} frame counter of {eui64:016x} is exhausted; the device must be given a new "
            "key before it can send again (Zigbee R22 4.3.1.1)"
        )
    counters[eui64] = value + 1
    return value


def hashed_link_key(key: bytes, key_id: KeyId) -> bytes:
    """The key-transport (input 0x00) or key-load (input 0x02) key derived from a link key.

    HMAC over the Matyas-Meyer-Oseas hash with a one-octet message (B.1.4 keyed hash, 4.5.3):
    APS commands carrying keys are protected with these rather than with the link key itself.
    """
    inputs = {KeyId.KEY_TRANSPORT: 0x00, KeyId.KEY_LOAD: 0x02}
    if key_id not in inputs:
        raise ValueError(f"only key-transport and key-load keys are hashed, not {key_id.name}")
    check_key(key)
    inner = aes_mmo_hash(bytes(b ^ 0x36 for b in key) + bytes([inputs[key_id]]))  # ipad
    return bytes(aes_mmo_hash(bytes(b ^ 0x5C for b in key) + bytes(inner)))  # opad
