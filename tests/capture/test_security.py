"""CCM* frame security, auxiliary header, key derivation and the key ring."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from hypothesis import given
from hypothesis import strategies as st

from hancot.capture.errors import CaptureKeyError, CounterExhaustedError, FrameDecodeError, MicError
from hancot.capture.security import (
    AuxHeader,
    KeyId,
    KeyRing,
    ccm_nonce,
    hashed_link_key,
    link_key_from_install_code,
    secure,
    unsecure,
)
from hancot.errors import HancotError

from .samples import IHD_LINK_KEY, NETWORK_KEY, WRONG_KEY

SOURCE = 0x0015_8D00_1122_3344


def test_install_code_gives_the_published_link_key() -> None:
    # Example install code with CRC and its MMO hash, as published for Zigbee install codes.
    code = bytes.fromhex("83FED3407A939723A5C639B26916D505C3B5")
    assert link_key_from_install_code(code) == bytes.fromhex("66B6900981E1EE3CA4206B6B861C02BB")


def test_install_code_with_bad_crc_is_a_typed_error() -> None:
    with pytest.raises(CaptureKeyError, match="install code"):
        link_key_from_install_code(bytes.fromhex("83FED3407A939723A5C639B26916D505C3B6"))


def test_network_aux_header_on_air() -> None:
    aux = AuxHeader(KeyId.NETWORK, frame_counter=0x01020304, source=SOURCE, key_seq=7)
    raw = aux.encode()
    # 0x28: level 0 as sent, key id network key, extended nonce.
    assert raw[0] == 0x28
    assert raw[1:5] == bytes([4, 3, 2, 1])
    assert raw[5:13] == SOURCE.to_bytes(8, "little")
    assert raw[13] == 7
    assert aux.encode(level=5)[0] == 0x2D
    assert AuxHeader.decode(raw) == (aux, 14)


@given(
    st.sampled_from(list(KeyId)),
    st.integers(0, 2**32 - 1),
    st.none() | st.integers(0, 2**64 - 1),
    st.integers(0, 255),
)
def test_aux_header_round_trip(key_id: KeyId, counter: int, source: int | None, seq: int) -> None:
    aux = AuxHeader(key_id, counter, source, seq if key_id is KeyId.NETWORK else None)
    raw = aux.encode()
    assert AuxHeader.decode(raw + b"tail") == (aux, len(raw))


def test_secure_matches_an_independent_ccm_computation() -> None:
    # Build the nonce and "a" data straight from the spec text and check secure() agrees:
    # nonce = EUI-64 LE || counter LE || control with level 5; a = header || aux with level 5.
    header = bytes.fromhex("4802007e0000" + "1e05")
    aux = AuxHeader(KeyId.NETWORK, frame_counter=9, source=SOURCE, key_seq=0)
    payload = b"\x00\x01\x08\x07\x09\x01\x01\x02"
    wire = secure(NETWORK_KEY, header, aux, payload)
    aux_air = bytes([0x28]) + (9).to_bytes(4, "little") + SOURCE.to_bytes(8, "little") + b"\x00"
    assert wire[: len(aux_air)] == aux_air
    nonce = SOURCE.to_bytes(8, "little") + (9).to_bytes(4, "little") + b"\x2d"
    assert ccm_nonce(SOURCE, 9, 0x2D) == nonce
    a = header + b"\x2d" + aux_air[1:]
    expected = AESCCM(NETWORK_KEY, tag_length=4).encrypt(nonce, payload, a)
    assert wire[len(aux_air) :] == expected
    assert len(expected) == len(payload) + 4


def test_unsecure_round_trip_and_wrong_key() -> None:
    header = b"HDR"
    aux = AuxHeader(KeyId.DATA, frame_counter=1, source=SOURCE)
    wire = secure(IHD_LINK_KEY, header, aux, b"zcl")
    parsed, n = AuxHeader.decode(wire)
    assert unsecure(IHD_LINK_KEY, header, parsed, wire[n:]) == b"zcl"
    with pytest.raises(MicError):
        unsecure(WRONG_KEY, header, parsed, wire[n:])
    with pytest.raises(MicError):  # the header is authenticated too
        unsecure(IHD_LINK_KEY, b"HDX", parsed, wire[n:])


def test_nonce_source_from_outside_when_no_extended_nonce() -> None:
    aux = AuxHeader(KeyId.DATA, frame_counter=5)
    sealed = secure(IHD_LINK_KEY, b"h", aux, b"data", source=SOURCE)[aux_len(aux) :]
    assert unsecure(IHD_LINK_KEY, b"h", aux, sealed, source=SOURCE) == b"data"
    with pytest.raises(MicError):
        unsecure(IHD_LINK_KEY, b"h", aux, sealed, source=SOURCE + 1)
    with pytest.raises(FrameDecodeError, match="EUI-64 is unknown"):
        unsecure(IHD_LINK_KEY, b"h", aux, sealed)


def aux_len(aux: AuxHeader) -> int:
    return len(aux.encode())


def test_hashed_keys_differ_from_the_link_key_and_each_other() -> None:
    transport = hashed_link_key(IHD_LINK_KEY, KeyId.KEY_TRANSPORT)
    load = hashed_link_key(IHD_LINK_KEY, KeyId.KEY_LOAD)
    assert len({transport, load, IHD_LINK_KEY}) == 3
    assert len(transport) == 16


@pytest.mark.parametrize("key", [b"", bytes(15), bytes(17)])
def test_bad_key_length_is_a_hancot_error(key: bytes) -> None:
    with pytest.raises(CaptureKeyError, match="16 bytes") as info:
        KeyRing(key)
    assert isinstance(info.value, HancotError)


def test_key_ring_counters_are_per_device() -> None:
    ring = KeyRing(NETWORK_KEY, link_keys={SOURCE: IHD_LINK_KEY})
    assert ring.link_key(SOURCE) == IHD_LINK_KEY
    assert ring.link_key(1) is None
    assert [ring.next_nwk_counter(SOURCE) for _ in range(3)] == [0, 1, 2]
    assert ring.next_nwk_counter(1) == 0
    assert ring.next_aps_counter(SOURCE) == 0
    assert ring.next_nwk_counter(SOURCE) == 3


def test_exhausted_frame_counter_refuses_to_send() -> None:
    ring = KeyRing(NETWORK_KEY)
    ring._nwk_counters[SOURCE] = 0xFFFFFFFF
    with pytest.raises(CounterExhaustedError, match="exhausted"):
        ring.next_nwk_counter(SOURCE)
