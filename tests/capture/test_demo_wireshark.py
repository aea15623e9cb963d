"""Wireshark as the oracle for a whole simulated premises.

A short demo run (through its Change of Tenancy) is captured; tshark, given only the keys
``hancot capture`` prints, must decrypt and dissect every frame without a malformed or expert
mark, and its field values must equal what hancot's own ZCL codec reads from the same frames:
clusters, commands, attribute ids, data types and values (0x0200 UTCTime, 0x0201 bitmap32 and
the rest), statuses, Display Message, Get Profile and its response, the prepayment logs and
Publish Change of Tenancy.  "Ours" is :func:`hancot.zcl.codec.decode_frame` on the payloads
:func:`hancot.capture.read_capture` decrypts, so the two decoders are independent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hancot import timeutil as tu
from hancot.capture.reader import read_capture
from hancot.capture.scenario import CaptureResult, capture_demo
from hancot.capture.writer import wireshark_key_options
from hancot.han.frame import DeviceKind
from hancot.han.premises import Premises
from hancot.scenario.demo import DEFAULT_START, DemoOptions
from hancot.zcl import registry as reg
from hancot.zcl.codec import ZclFrame, decode_frame, encode_command

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")

DAYS = 5
#: tshark joins repeated values of one field with this; supplier messages contain commas.
AGG = "|"

#: Dissector field prefix of each Smart Energy cluster hancot speaks.
PREFIX = {
    reg.PRICE: "zbee_zcl_se.price",
    reg.METERING: "zbee_zcl_se.met",
    reg.MESSAGING: "zbee_zcl_se.msg",
    reg.PREPAYMENT: "zbee_zcl_se.pp",
    reg.DEVICE_MANAGEMENT: "zbee_zcl_se.device_management",
}
#: Clusters whose attribute ids tshark shows under a field of their own (Time has no commands).
ATTR_PREFIX = {**PREFIX, reg.TIME: "zbee_zcl_general.time"}
#: ZCL data type (ZCL r8 Table 2-10) -> the tshark field showing such a value.
VALUE_FIELD = {
    0xE2: "zbee_zcl.attr.utc",
    0x1B: "zbee_zcl.attr.bitmap32",
    0x22: "zbee_zcl.attr.uint24",
    0x23: "zbee_zcl.attr.uint32",
    0x25: "zbee_zcl.attr.uint48",
    0x2A: "zbee_zcl.attr.int24",
    0x2B: "zbee_zcl.attr.int32",
}
PUB = "zbee_zcl_se.device_management.publish_change_of_tenancy."
PROFILE = "zbee_zcl_se.met.get_profile."
PROFILE_RSP = "zbee_zcl_se.met.get_profile_response."
FIELDS = [
    "frame.number",
    "zbee_aps.cluster",
    "zbee.sec.decryption_key",
    "zbee_sec.encrypted_payload",
    "_ws.malformed",
    "_ws.expert",
    "zbee_zcl.cmd.tsn",
    "zbee_zcl.cmd.id",
    "zbee_zcl.cmd.id.rsp",
    "zbee_zcl.attr.status",
    "zbee_zcl.attr.data.type",
    *VALUE_FIELD.values(),
    *[f"{p}.attr_id" for c, p in ATTR_PREFIX.items() if c != reg.MESSAGING],  # Messaging: none
    *[f"{p}.cmd.srv_tx.id" for p in PREFIX.values()],
    *[f"{p}.cmd.srv_rx.id" for p in PREFIX.values()],
    "zbee_zcl_se.msg.message.id",
    "zbee_zcl_se.msg.message.start_time",
    "zbee_zcl_se.msg.message.duration",
    "zbee_zcl_se.msg.message",
    PROFILE + "interval_channel",
    PROFILE + "end_time",
    PROFILE + "number_of_periods",
    PROFILE_RSP + "end_time",
    PROFILE_RSP + "status",
    PROFILE_RSP + "profile_interval_period",
    PROFILE_RSP + "number_of_periods_delivered",
    PROFILE_RSP + "intervals",
    "zbee_zcl_se.pp.publish_top_up_log.top_up_time",
    "zbee_zcl_se.pp.publish_top_up_log.top_up_amount",
    "zbee_zcl_se.pp.publish_debt_log.collection_time",
    "zbee_zcl_se.pp.publish_debt_log.amount_collected",
    PUB + "provider_id",
    PUB + "issuer_event_id",
    PUB + "implementation_date",
    PUB + "proposed_tenancy_change_control",
]


def ask_for_tenancy(premises: Premises) -> None:
    """Have the IHD send Get Change of Tenancy to both meters late in the run, so the capture
    holds Publish Change of Tenancy responses (the demo's clients only read the attributes)."""
    ihd = premises.ihd
    assert ihd is not None
    when = DEFAULT_START + DAYS * tu.DAY - 2 * 3600

    def ask(now: int) -> list[Any]:
        return [
            ihd.send(
                now,
                premises.identities[kind],
                reg.DEVICE_MANAGEMENT,
                encode_command(reg.DEVICE_MANAGEMENT, "get_change_of_tenancy", tsn=ihd.next_tsn()),
            )
            for kind in (DeviceKind.ESME, DeviceKind.GPF)
        ]

    premises.han.schedule(when, ask, "IHD asks for the change of tenancy")


@dataclass
class Oracle:
    capture: CaptureResult
    rows: list[dict[str, list[str]]]
    ours: list[ZclFrame]
    version: str


def run_tshark(path: Path, options: list[str]) -> list[dict[str, list[str]]]:
    assert TSHARK is not None
    args = [TSHARK, "-n", "-r", str(path), *options, "-T", "fields", "-E", "separator=/t"]
    args += ["-E", "occurrence=a", "-E", f"aggregator={AGG}"]
    for name in FIELDS:
        args += ["-e", name]
    env = {**os.environ, "TZ": "UTC", "LC_ALL": "C"}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = []
    for line in done.stdout.splitlines():
        values = line.split("\t")
        rows.append({k: (v.split(AGG) if v else []) for k, v in zip(FIELDS, values, strict=True)})
    return rows


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Oracle:
    path = tmp_path_factory.mktemp("oracle") / "demo.pcap"
    capture = capture_demo(DemoOptions(days=DAYS, on_premises=ask_for_tenancy), path)
    rows = run_tshark(path, wireshark_key_options(capture.keyring))
    records = list(read_capture(path, capture.network_key, capture.link_keys))
    assert all(rec.ok for rec in records)
    ours = [decode_frame(rec.cluster or 0, rec.payload or b"") for rec in records]
    assert TSHARK is not None
    version = subprocess.run(
        [TSHARK, "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[2]
    return Oracle(capture, rows, ours, version)


_TIME = re.compile(r"(\w{3}) +(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)")


def utc_of(text: str) -> int:
    """A tshark absolute time under TZ=UTC ("Jan  5, 2026 00:00:00.000000000 UTC") as UTCTime."""
    match = _TIME.match(text)
    assert match is not None, text
    month, day, year, hh, mm, ss = match.groups()
    moment = datetime.strptime(f"{month} {day} {year} {hh}:{mm}:{ss}", "%b %d %Y %H:%M:%S")
    return tu.from_datetime(moment.replace(tzinfo=UTC))


def number(text: str) -> int:
    return int(text, 0)


def frames_named(oracle: Oracle, *names: str) -> Iterator[tuple[dict[str, list[str]], ZclFrame]]:
    for row, ours in zip(oracle.rows, oracle.ours, strict=True):
        if ours.name in names:
            yield row, ours


def test_tshark_decrypts_and_dissects_every_frame(oracle: Oracle) -> None:
    assert len(oracle.rows) == len(oracle.ours) == oracle.capture.frames > 3000
    for row in oracle.rows:
        number_ = row["frame.number"]
        assert row["zbee_sec.encrypted_payload"] == [], number_
        assert row["_ws.malformed"] == [] and row["_ws.expert"] == [], number_
        assert row["zbee.sec.decryption_key"][:1] == ["hancot network key"], number_


def test_clusters_sequence_numbers_and_commands_agree(oracle: Oracle) -> None:
    for row, ours in zip(oracle.rows, oracle.ours, strict=True):
        assert [number(v) for v in row["zbee_aps.cluster"]] == [ours.cluster]
        assert [number(v) for v in row["zbee_zcl.cmd.tsn"]] == [ours.header.tsn]
        if ours.is_general:
            assert [number(v) for v in row["zbee_zcl.cmd.id"]] == [ours.header.command_id]
        else:
            side = "srv_tx" if ours.header.server_to_client else "srv_rx"
            field = f"{PREFIX[ours.cluster]}.cmd.{side}.id"
            assert [number(v) for v in row[field]] == [ours.header.command_id], row
    names = {ours.name for ours in oracle.ours}
    assert {"read_attributes", "read_attributes_rsp", "report_attributes"} <= names
    assert {"get_profile", "get_profile_response", "display_message", "default_response"} <= names
    assert {"publish_top_up_log", "publish_debt_log", "publish_change_of_tenancy"} <= names


def test_attribute_ids_types_statuses_and_values_agree(oracle: Oracle) -> None:
    checked_types: set[int] = set()
    for row, ours in frames_named(
        oracle, "read_attributes", "read_attributes_rsp", "report_attributes"
    ):
        ids_field = f"{ATTR_PREFIX.get(ours.cluster, 'zbee_zcl.attr')}.attr_id"
        if ours.name == "read_attributes":
            assert [number(v) for v in row[ids_field]] == ours.args["attribute_ids"]
            continue
        records = ours.args["records"]
        assert [number(v) for v in row[ids_field]] == [r.attr_id for r in records]
        if ours.name == "read_attributes_rsp":
            assert [number(v) for v in row["zbee_zcl.attr.status"]] == [r.status for r in records]
        present = [r for r in records if r.type_id is not None]
        assert [number(v) for v in row["zbee_zcl.attr.data.type"]] == [r.type_id for r in present]
        for type_id, field in VALUE_FIELD.items():
            expected = [int(r.value) for r in present if r.type_id == type_id]
            parse = utc_of if type_id == 0xE2 else number
            assert [parse(v) for v in row[field]] == expected, (field, row["frame.number"])
            if expected:
                checked_types.add(type_id)
    assert {0xE2, 0x1B, 0x22, 0x25, 0x2B} <= checked_types


def test_tenancy_attributes_agree(oracle: Oracle) -> None:
    cot = oracle.capture.demo.cot_time
    seen: set[int] = set()
    for row, ours in frames_named(oracle, "read_attributes_rsp"):
        if ours.cluster != reg.DEVICE_MANAGEMENT:
            continue
        by_id = {r.attr_id: r for r in ours.args["records"]}
        assert by_id[0x0200].type_id == 0xE2 and by_id[0x0201].type_id == 0x1B
        assert [utc_of(v) for v in row["zbee_zcl.attr.utc"]] == [by_id[0x0200].value]
        assert [number(v) for v in row["zbee_zcl.attr.bitmap32"]] == [by_id[0x0201].value]
        seen.add(int(by_id[0x0200].value))
    assert {0, cot} <= seen  # unset before the supplier's SRV 3.2, the CoT date after


def test_display_messages_agree(oracle: Oracle) -> None:
    texts = []
    for row, ours in frames_named(oracle, "display_message"):
        assert row["zbee_zcl_se.msg.message"] == [ours.args["message"]]
        assert [number(v) for v in row["zbee_zcl_se.msg.message.id"]] == [ours.args["message_id"]]
        # Wireshark 4.0 gives the start time as the raw UTCTime number.
        assert [number(v) for v in row["zbee_zcl_se.msg.message.start_time"]] == [
            ours.args["start_time"]
        ]
        assert [number(v) for v in row["zbee_zcl_se.msg.message.duration"]] == [
            ours.args["duration_in_minutes"]
        ]
        texts.append(ours.args["message"])
    assert "Welcome, occupier B" in texts
    assert any("," in text for text in texts)  # the aggregator does not split message text


def test_get_profile_fields_agree(oracle: Oracle) -> None:
    requests = responses = 0
    for row, ours in frames_named(oracle, "get_profile", "get_profile_response"):
        args = ours.args
        if ours.name == "get_profile":
            requests += 1
            assert [number(v) for v in row[PROFILE + "interval_channel"]] == [
                args["interval_channel"]
            ]
            assert [utc_of(v) for v in row[PROFILE + "end_time"]] == [args["end_time"]]
            assert [number(v) for v in row[PROFILE + "number_of_periods"]] == [
                args["number_of_periods"]
            ]
            continue
        responses += 1
        assert [utc_of(v) for v in row[PROFILE_RSP + "end_time"]] == [args["end_time"]]
        assert [number(v) for v in row[PROFILE_RSP + "status"]] == [args["status"]]
        assert [number(v) for v in row[PROFILE_RSP + "profile_interval_period"]] == [
            args["profile_interval_period"]
        ]
        assert [number(v) for v in row[PROFILE_RSP + "number_of_periods_delivered"]] == [
            args["number_of_periods_delivered"]
        ]
        assert [number(v) for v in row[PROFILE_RSP + "intervals"]] == list(args["intervals"])
    assert requests == responses > 0


def test_prepayment_logs_agree(oracle: Oracle) -> None:
    top_up = "zbee_zcl_se.pp.publish_top_up_log."
    debt = "zbee_zcl_se.pp.publish_debt_log."
    for row, ours in frames_named(oracle, "publish_top_up_log", "publish_debt_log"):
        if ours.name == "publish_top_up_log":
            records = ours.args["top_up_payload"]
            assert [utc_of(v) for v in row[top_up + "top_up_time"]] == [
                r.top_up_time for r in records
            ]
            assert [number(v) for v in row[top_up + "top_up_amount"]] == [
                r.top_up_amount for r in records
            ]
        else:
            records = ours.args["debt_payload"]
            assert [utc_of(v) for v in row[debt + "collection_time"]] == [
                r.collection_time for r in records
            ]
            assert [number(v) for v in row[debt + "amount_collected"]] == [
                r.amount_collected for r in records
            ]


def test_default_response_statuses_agree(oracle: Oracle) -> None:
    statuses = set()
    for row, ours in frames_named(oracle, "default_response"):
        assert [number(v) for v in row["zbee_zcl.cmd.id.rsp"]] == [ours.args["command_id"]]
        assert [number(v) for v in row["zbee_zcl.attr.status"]] == [ours.args["status"]]
        statuses.add(ours.args["status"])
    assert 0x8B in statuses  # NOT_FOUND, e.g. Get Last Message before any message


def test_publish_change_of_tenancy_and_its_byte_swapped_control(oracle: Oracle) -> None:
    published = list(frames_named(oracle, "publish_change_of_tenancy"))
    assert len(published) == 2  # ESME and GPF answer the IHD's Get Change of Tenancy
    for row, ours in published:
        args = ours.args
        assert [number(v) for v in row[PUB + "provider_id"]] == [args["provider_id"]]
        assert [number(v) for v in row[PUB + "issuer_event_id"]] == [args["issuer_event_id"]]
        assert [utc_of(v) for v in row[PUB + "implementation_date"]] == [
            args["implementation_date_time"]
        ]
        assert args["implementation_date_time"] == oracle.capture.demo.cot_time
        control = int(args["proposed_tenancy_change_control"])
        assert control != 0
        swapped = int.from_bytes(control.to_bytes(4, "little"), "big")
        (shown,) = (number(v) for v in row[PUB + "proposed_tenancy_change_control"])
        if oracle.version.startswith("4.0."):
            # Wireshark 4.0 reads this bitmap big-endian (DOMAIN.md section 4; docs/capture.md):
            # what it shows is exactly our value byte-swapped, i.e. the wire bytes are ours.
            assert shown == swapped
        else:
            assert shown in {control, swapped}
