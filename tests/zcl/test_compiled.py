"""The compiled fixed-layout codecs agree with zigpy's own codecs on random values."""

from __future__ import annotations

import pytest
import zigpy.types as t
from hypothesis import given, settings
from hypothesis import strategies as st
from zigpy.zcl import foundation

from hancot.errors import ZclDecodeError
from hancot.zcl import compiled
from hancot.zcl.codec import AttributeValue, decode_frame, encode_command, read_attributes_response
from hancot.zcl.header import ZclHeader
from hancot.zcl.registry import CLUSTERS

FIXED_COMMANDS = [
    (cluster_id, command)
    for cluster_id, cluster in CLUSTERS.items()
    for command in [*cluster.server_commands.values(), *cluster.client_commands.values()]
    if compiled.command_layout(command.schema) is not None and command.schema.fields
]
FIXED_ATTRIBUTES = [
    (cluster_id, attr)
    for cluster_id, cluster in CLUSTERS.items()
    for attr in cluster.attributes.values()
    if int(attr.zcl_type) in compiled.FIXED_SIZE_TYPES and issubclass(attr.type, t.FixedIntType)
]


def _value(draw: st.DrawFn, python_type: type) -> int:
    bits, signed = python_type._bits, python_type._signed
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    return draw(st.integers(low, high))


def test_the_tenancy_commands_are_compiled() -> None:
    names = {command.name for _, command in FIXED_COMMANDS}
    assert {"publish_change_of_tenancy", "get_profile", "get_top_up_log"} <= names
    assert len(FIXED_ATTRIBUTES) > 200


@pytest.mark.parametrize(
    ("cluster_id", "command"), FIXED_COMMANDS, ids=[c.name for _, c in FIXED_COMMANDS]
)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_compiled_commands_match_zigpy(cluster_id: int, command, data: st.DataObject) -> None:
    fields = {
        field.name: data.draw(st.composite(lambda draw, ty=field.type: _value(draw, ty))())
        for field in command.schema.fields
    }
    ours = encode_command(cluster_id, command.name, tsn=1, **fields)
    zigpy_payload = command.schema(**fields).serialize()
    assert ours[3:] == zigpy_payload
    decoded = decode_frame(cluster_id, ours)
    theirs, _ = command.schema.deserialize(zigpy_payload)
    assert decoded.args == theirs.as_dict()
    with pytest.raises(ZclDecodeError):
        decode_frame(cluster_id, ours[:-1])


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_compiled_attribute_records_match_zigpy(data: st.DataObject) -> None:
    chosen = data.draw(st.lists(st.sampled_from(FIXED_ATTRIBUTES), min_size=1, max_size=6))
    cluster_id = chosen[0][0]
    chosen = [c for c in chosen if c[0] == cluster_id]
    values = [
        data.draw(st.composite(lambda draw, ty=a.type: _value(draw, ty))()) for _, a in chosen
    ]
    request = ZclHeader(False, False, 5, 0x00)
    ours = read_attributes_response(
        request,
        cluster_id,
        [AttributeValue(a.id, value=v) for (_, a), v in zip(chosen, values, strict=True)],
    )
    records = [
        foundation.ReadAttributeRecord(
            a.id, foundation.Status.SUCCESS, foundation.TypeValue(int(a.zcl_type), a.type(v))
        )
        for (_, a), v in zip(chosen, values, strict=True)
    ]
    assert ours[3:] == b"".join(r.serialize() for r in records)
    decoded = decode_frame(cluster_id, ours).args["records"]
    assert [(r.attr_id, r.type_id, r.value) for r in decoded] == [
        (a.id, int(a.zcl_type), v) for (_, a), v in zip(chosen, values, strict=True)
    ]


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(max_size=40))
def test_random_read_attributes_responses_decode_or_fail_like_zigpy(payload: bytes) -> None:
    frame = bytes((0x18, 1, 0x01)) + payload
    try:
        ours = decode_frame(0x0708, frame).args["records"]
    except ZclDecodeError:
        ours = None
    try:
        rest, theirs = payload, []
        while rest:
            record, rest = foundation.ReadAttributeRecord.deserialize(rest)
            theirs.append(record)
    except Exception:
        theirs = None
    if theirs is None:
        assert ours is None
    else:
        assert ours is not None
        assert [(r.attr_id, int(r.status)) for r in ours] == [
            (x.attrid, int(x.status)) for x in theirs
        ]
