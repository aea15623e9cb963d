"""Encode and decode whole ZCL frames, sans-IO, on zigpy's foundation and hancot's clusters.

Decoding never lets a library exception escape: every failure becomes a
:class:`~hancot.errors.ZclDecodeError` whose ``status`` is what the receiving device answers in
its Default Response (ZCL r8 2.5.12 and Table 2-12).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import zigpy.types as t
from zigpy.zcl import foundation

from hancot.errors import ZclDecodeError
from hancot.zcl import compiled
from hancot.zcl.header import Status, ZclHeader, parse_header
from hancot.zcl.registry import CLUSTERS, cluster_name

GeneralCommand = foundation.GeneralCommand


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """One attribute record of a Read Attributes Response or a report.

    ``type_id`` is the ZCL data type (ZCL r8 Table 2-10), ``value`` the decoded Python value;
    both are ``None`` when ``status`` is not SUCCESS.
    """

    attr_id: int
    status: int = Status.SUCCESS
    type_id: int | None = None
    value: Any = None


@dataclass(frozen=True, slots=True)
class ZclFrame:
    """A decoded ZCL frame.  ``name`` is the command name (``read_attributes``,
    ``publish_change_of_tenancy`` ...); ``args`` the decoded fields, by name."""

    cluster: int
    header: ZclHeader
    name: str
    args: dict[str, Any]

    @property
    def is_general(self) -> bool:
        return not self.header.cluster_specific


def _cluster(cluster_id: int) -> Any:
    try:
        return CLUSTERS[cluster_id]
    except KeyError:
        raise ZclDecodeError(
            f"cluster 0x{cluster_id:04X} is not supported", Status.UNSUPPORTED_CLUSTER
        ) from None


def _command_def(cluster_id: int, name: str) -> tuple[foundation.ZCLCommandDef, bool]:
    """Find a cluster command by name; the bool is True for server-to-client commands."""
    cluster = _cluster(cluster_id)
    for command in cluster.server_commands.values():
        if command.name == name:
            return command, False
    for command in cluster.client_commands.values():
        if command.name == name:
            return command, True
    raise KeyError(f"{cluster_name(cluster_id)} has no command {name!r}")


def encode_command(
    cluster_id: int,
    name: str,
    *,
    tsn: int,
    disable_default_response: bool = False,
    **fields: Any,
) -> bytes:
    """A cluster-specific command frame, direction taken from the command's definition.

    Default response stays enabled unless asked, as in the GBCS frames (frame control 0x09).
    """
    command, server_to_client = _command_def(cluster_id, name)
    header = ZclHeader(
        cluster_specific=True,
        server_to_client=server_to_client,
        tsn=tsn,
        command_id=command.id,
        disable_default_response=disable_default_response,
    )
    return header.to_bytes() + command.schema(**fields).serialize()


def encode_reply(request: ZclHeader, cluster_id: int, name: str, **fields: Any) -> bytes:
    """A cluster-specific command sent as the answer to ``request`` (same sequence number)."""
    command, _ = _command_def(cluster_id, name)
    return (
        request.reply(command.id, cluster_specific=True).to_bytes()
        + command.schema(**fields).serialize()
    )


def _type_for(cluster_id: int, attr_id: int) -> tuple[int, type]:
    cluster = CLUSTERS.get(cluster_id)
    if cluster is None or attr_id not in cluster.attributes:
        raise KeyError(f"{cluster_name(cluster_id)} defines no attribute 0x{attr_id:04X}")
    attr = cluster.attributes[attr_id]
    return int(attr.zcl_type), attr.type


def read_attributes(attr_ids: Iterable[int], *, tsn: int, server_to_client: bool = False) -> bytes:
    """A Read Attributes request (ZCL r8 2.5.1); by default of the server's attributes."""
    header = ZclHeader(
        cluster_specific=False,
        server_to_client=server_to_client,
        tsn=tsn,
        command_id=GeneralCommand.Read_Attributes,
    )
    return header.to_bytes() + b"".join(t.uint16_t(a).serialize() for a in attr_ids)


def _record(cluster_id: int, attr: AttributeValue) -> bytes:
    if attr.status != Status.SUCCESS:
        return attr.attr_id.to_bytes(2, "little") + bytes((int(attr.status),))
    type_id, python_type = _type_for(cluster_id, attr.attr_id)
    try:
        fast = compiled.encode_attribute_record(attr.attr_id, attr.status, type_id, attr.value)
    except OverflowError as exc:
        raise ValueError(f"attribute 0x{attr.attr_id:04X} value out of range: {exc}") from exc
    if fast is not None:
        return fast
    record = foundation.ReadAttributeRecord(attrid=attr.attr_id, status=attr.status)
    record.value = foundation.TypeValue(type=type_id, value=python_type(attr.value))
    return record.serialize()


def read_attributes_response(
    request: ZclHeader, cluster_id: int, records: Iterable[AttributeValue]
) -> bytes:
    """The Read Attributes Response to ``request`` (ZCL r8 2.5.2); types come from the cluster
    definition, so callers give plain values."""
    header = request.reply(GeneralCommand.Read_Attributes_rsp, cluster_specific=False)
    return header.to_bytes() + b"".join(_record(cluster_id, r) for r in records)


def report_attributes(
    cluster_id: int, records: Iterable[AttributeValue], *, tsn: int, server_to_client: bool = True
) -> bytes:
    """A Report Attributes frame (ZCL r8 2.5.11), sent by a server by default."""
    header = ZclHeader(
        cluster_specific=False,
        server_to_client=server_to_client,
        tsn=tsn,
        command_id=GeneralCommand.Report_Attributes,
        disable_default_response=True,
    )
    body = b""
    for record in records:
        type_id, python_type = _type_for(cluster_id, record.attr_id)
        body += t.uint16_t(record.attr_id).serialize()
        body += foundation.TypeValue(type=type_id, value=python_type(record.value)).serialize()
    return header.to_bytes() + body


def default_response(request: ZclHeader, status: int) -> bytes:
    """The Default Response to ``request`` (ZCL r8 2.5.12)."""
    header = request.reply(GeneralCommand.Default_Response, cluster_specific=False)
    return header.to_bytes() + bytes((request.command_id, int(status)))


def _decode_general(cluster_id: int, header: ZclHeader, payload: bytes) -> ZclFrame:
    if header.command_id == GeneralCommand.Read_Attributes:
        if len(payload) % 2:
            raise ZclDecodeError(
                "Read Attributes payload has an odd length: attribute ids are 2 bytes",
                Status.MALFORMED_COMMAND,
            )
        ids = [int.from_bytes(payload[i : i + 2], "little") for i in range(0, len(payload), 2)]
        return ZclFrame(cluster_id, header, "read_attributes", {"attribute_ids": ids})
    if header.command_id == GeneralCommand.Read_Attributes_rsp:
        fast = compiled.decode_read_attributes_response(payload)
        if fast is not None:
            records = [AttributeValue(*record) for record in fast]
            return ZclFrame(cluster_id, header, "read_attributes_rsp", {"records": records})
        records = []
        rest = payload
        while rest:
            record, rest = foundation.ReadAttributeRecord.deserialize(rest)
            if record.status == Status.SUCCESS:
                records.append(
                    AttributeValue(
                        record.attrid, Status.SUCCESS, int(record.value.type), record.value.value
                    )
                )
            else:
                records.append(AttributeValue(record.attrid, int(record.status)))
        return ZclFrame(cluster_id, header, "read_attributes_rsp", {"records": records})
    if header.command_id == GeneralCommand.Report_Attributes:
        reports: list[AttributeValue] = []
        rest = payload
        while rest:
            attr, rest = foundation.Attribute.deserialize(rest)
            reports.append(
                AttributeValue(attr.attrid, Status.SUCCESS, int(attr.value.type), attr.value.value)
            )
        return ZclFrame(cluster_id, header, "report_attributes", {"records": reports})
    if header.command_id == GeneralCommand.Default_Response:
        if len(payload) < 2:
            raise ZclDecodeError("Default Response needs 2 bytes", Status.MALFORMED_COMMAND)
        return ZclFrame(
            cluster_id,
            header,
            "default_response",
            {"command_id": payload[0], "status": payload[1]},
        )
    raise ZclDecodeError(
        f"general command 0x{header.command_id:02X} is not supported",
        Status.UNSUP_GENERAL_COMMAND,
    )


def decode_frame(cluster_id: int, data: bytes) -> ZclFrame:
    """Decode a ZCL frame received on ``cluster_id``.

    Raises :class:`ZclDecodeError`; its ``status`` is the answer the receiver owes:
    MALFORMED_COMMAND, UNSUP_CLUSTER_COMMAND, UNSUP_GENERAL_COMMAND, UNSUP_MANUF_* or
    UNSUPPORTED_CLUSTER.
    """
    header, payload = parse_header(bytes(data))
    if header.manufacturer is not None:
        status = (
            Status.UNSUP_MANUF_CLUSTER_COMMAND
            if header.cluster_specific
            else Status.UNSUP_MANUF_GENERAL_COMMAND
        )
        raise ZclDecodeError(
            f"manufacturer-specific command (code 0x{header.manufacturer:04X}) is not supported",
            status,
        )
    try:
        if not header.cluster_specific:
            return _decode_general(cluster_id, header, payload)
        cluster = _cluster(cluster_id)
        commands = cluster.client_commands if header.server_to_client else cluster.server_commands
        command = commands.get(header.command_id)
        if command is None:
            side = "server-to-client" if header.server_to_client else "client-to-server"
            raise ZclDecodeError(
                f"{cluster_name(cluster_id)} has no {side} command 0x{header.command_id:02X}",
                Status.UNSUP_CLUSTER_COMMAND,
            )
        layout = compiled.command_layout(command.schema)
        if layout is not None:
            fixed = compiled.decode_fixed(layout, payload)
            if fixed is None:
                raise ZclDecodeError(
                    f"malformed {cluster_name(cluster_id)} {command.name}: {len(payload)} byte(s)"
                    f" is shorter than its {sum(size for _, size, _ in layout)}-byte payload",
                    Status.MALFORMED_COMMAND,
                )
            return ZclFrame(cluster_id, header, command.name, dict(fixed))
        fields, _rest = command.schema.deserialize(payload)
        args = {name: value for name, value in fields.as_dict().items() if value is not None}
        return ZclFrame(cluster_id, header, command.name, args)
    except ZclDecodeError:
        raise
    except Exception as exc:  # zigpy raises ValueError, KeyError, struct.error ... on bad bytes
        raise ZclDecodeError(
            f"malformed {cluster_name(cluster_id)} frame 0x{header.command_id:02X}: {exc}",
            Status.MALFORMED_COMMAND,
        ) from exc
