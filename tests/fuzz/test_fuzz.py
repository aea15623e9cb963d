"""Property tests of every decoder and of devices receiving arbitrary frames."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hancot.devices.client import HanClient
from hancot.errors import DuisError, GbcsError, ZclDecodeError
from hancot.han.frame import HanFrame
from hancot.reliability.fuzz import ROGUE, _premises, run
from hancot.wan import duis, gbcs
from hancot.zcl.codec import decode_frame, encode_command
from hancot.zcl.header import Status
from hancot.zcl.registry import CLUSTERS

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
CLUSTER_IDS = sorted(CLUSTERS)
PREMISES, SEEN = _premises()


@settings(max_examples=400)
@given(st.sampled_from([*CLUSTER_IDS, 0x0006]), st.binary(max_size=64))
def test_random_bytes_decode_or_give_a_typed_error(cluster: int, data: bytes) -> None:
    try:
        frame = decode_frame(cluster, data)
    except ZclDecodeError as exc:
        assert exc.status != Status.SUCCESS
        return
    assert frame.cluster == cluster


def _commands() -> list[tuple[int, str]]:
    return sorted(
        {
            (cluster, decode_frame(cluster, data).name)
            for cluster, data in SEEN
            if data[0] & 0x01 and decode_frame(cluster, data).header.manufacturer is None
        }
    )


@pytest.mark.parametrize(("cluster", "name"), _commands())
def test_every_cluster_command_the_premises_sends_round_trips(cluster: int, name: str) -> None:
    frames = [decode_frame(c, d) for c, d in SEEN if c == cluster and d[0] & 0x01]
    for frame in (f for f in frames if f.name == name):
        again = encode_command(
            cluster,
            name,
            tsn=frame.header.tsn,
            disable_default_response=frame.header.disable_default_response,
            **frame.args,
        )
        assert decode_frame(cluster, again) == frame
        assert encode_command(cluster, name, tsn=frame.header.tsn,
                              disable_default_response=frame.header.disable_default_response,
                              **decode_frame(cluster, again).args) == again  # fmt: skip


def test_every_general_command_the_premises_sends_decodes() -> None:
    names = {decode_frame(c, d).name for c, d in SEEN if not d[0] & 0x01}
    assert {"read_attributes", "read_attributes_rsp", "default_response"} <= names


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_gbcs_random_bytes_raise_only_gbcs_error(data: bytes) -> None:
    with contextlib.suppress(GbcsError):
        gbcs.parse_gbcs(data)


@settings(max_examples=200)
@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_duis_random_input_raises_only_duis_error(data: bytes) -> None:
    with contextlib.suppress(DuisError):
        duis.parse_duis(data)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["CHF", "ESME", "GPF", "GSME", "IHD", "PPMID"]),
    st.sampled_from([*CLUSTER_IDS, 0x0006]),
    st.binary(max_size=48),
)
def test_any_frame_to_any_device_never_raises_and_malformed_changes_nothing(
    name: str, cluster: int, data: bytes
) -> None:
    device = PREMISES.han.device(name)
    try:
        decode_frame(cluster, data)
        decodes = cluster in device.clusters
    except ZclDecodeError:
        decodes = False
    before = device.store.changes
    clears = len(device.clears) if isinstance(device, HanClient) else 0
    out = device.receive(
        PREMISES.han.now, HanFrame(PREMISES.han.now, ROGUE, device.identity, cluster, data)
    )
    if isinstance(device, HanClient):
        assert len(device.clears) == clears
    if decodes:
        return
    assert device.store.changes == before
    command = 4 if data and data[0] & 0x04 else 2
    if len(data) > command and not data[0] & 0x01 and data[command] == 0x0B:
        assert out == []  # never answer a Default Response
        return
    (answer,) = out
    reply = decode_frame(answer.cluster, answer.payload)
    assert reply.name == "default_response" and reply.args["status"] != Status.SUCCESS
    assert answer.dst == ROGUE


def test_a_short_mutation_run_finds_nothing() -> None:
    result = run(4000, seed=7, vectors=VECTORS)
    assert result.frames == 4000 and result.decoded > 0 and result.rejected > 0
    assert result.gbcs > 0 and result.duis > 0
    assert result.failures == []


@pytest.mark.parametrize("encoding", ["F-8", "no-such-encoding", "UTF-9"])
def test_duis_with_an_unknown_xml_encoding_is_a_duis_error(encoding: str) -> None:
    # Found by scripts/fuzz.py: the XML declaration's encoding reached Python's codec lookup.
    text = (VECTORS / "duis" / "ECS12_3.2_SUCCESS_REQUEST_DUIS.XML").read_bytes()
    start = text.index(b"encoding=") + len(b'encoding="')
    mutated = text[:start] + encoding.encode() + text[text.index(b'"', start) :]
    with pytest.raises(DuisError, match="encoding"):
        duis.parse_duis(mutated)
