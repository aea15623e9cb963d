"""The WAN entry: DUIS requests and the Python API reach the meters as GBCS and act on the HAN."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import DAY, START, build_site

from hancot import timeutil as tu
from hancot.errors import DuisError
from hancot.wan import gbcs
from hancot.wan.duis import parse_duis

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
HOUR = 3600


def test_duis_srv_3_2_sets_the_esme_and_gpf_tenancy_from_the_request() -> None:
    site = build_site()
    site.run(START + DAY)
    for name, meter, expected in (
        ("ECS12_3.2_SUCCESS_REQUEST_DUIS.XML", site.premises.esme, "2014-03-27T15:45:32Z"),
        ("GCS09_3.2_SUCCESS_REQUEST_DUIS.XML", site.premises.gpf, "2015-02-01T00:00:00Z"),
    ):
        request = parse_duis(VECTORS / "duis" / name)
        site.han.send(site.supplier.apply_duis(site.han.now, request))
        assert meter.tenancy.update_date_time == tu.parse_iso(expected)


def test_duis_srv_3_1_message_reaches_the_ihd_screen() -> None:
    site = build_site()
    site.run(START + HOUR)
    request = parse_duis(VECTORS / "duis" / "GCS07_3.1_SUCCESS_REQUEST_DUIS.XML")
    site.at(START + 2 * HOUR, lambda now: site.supplier.apply_duis(now, request))
    site.run(START + 3 * HOUR)
    assert site.premises.ihd.screen(site.han.now)["message"] == "Reset"
    assert site.premises.ppmid.screen(site.han.now)["message"] == "Reset"


def test_gcs09_gbz_matches_the_rtds_bytes_ids_and_times_aside() -> None:
    site = build_site()
    site.supplier.restrict_access_for_cot(START + DAY, START + 2 * DAY, ["gas"])
    ours = gbcs.GbzPayload.from_bytes(site.supplier.events[-1].payload)
    rtds = gbcs.parse_gbcs_hex(
        (VECTORS / "rtds/3.2_GCS09/GCS09_3.2_SUCCESS_COMMAND_GBCS.HEX").read_text()
    ).gbz
    assert rtds is not None
    (mine,), (theirs,) = ours.components, rtds.components
    assert (mine.control, mine.cluster) == (theirs.control, theirs.cluster)
    # frame control, sequence, command; provider id (4), issuer event id (4), tariff type (1),
    # implementation date-time (4), control (4): compare all but the ids and times.
    assert mine.zcl_frame[:3] == theirs.zcl_frame[:3]
    assert len(mine.zcl_frame) == len(theirs.zcl_frame)
    assert mine.zcl_frame[11] == theirs.zcl_frame[11]  # tariff type
    assert mine.zcl_frame[16:] == theirs.zcl_frame[16:]  # control 0x00000200
    assert int.from_bytes(mine.zcl_frame[12:16], "little") == START + 2 * DAY
    # The GPF answers as the reference GPF does: a Default Response with SUCCESS.
    response = gbcs.GbzPayload.from_bytes(site.supplier.events[-1].response)
    rtds_response = gbcs.parse_gbcs_hex(
        (VECTORS / "rtds/3.2_GCS09/GCS09_3.2_SUCCESS_RESPONSE_GBCS.HEX").read_text()
    ).gbz
    assert rtds_response is not None
    assert response.to_bytes() == rtds_response.to_bytes()


def test_a_malformed_duis_request_changes_nothing(tmp_path: Path) -> None:
    site = build_site()
    site.run(START + DAY)
    good = (VECTORS / "duis" / "GCS09_3.2_SUCCESS_REQUEST_DUIS.XML").read_bytes()
    bad = good.replace(b"2015-02-01T00:00:00.00Z", b"2015-02-30T00:00:00.00Z")
    before = (site.premises.gpf.tenancy, site.premises.esme.tenancy)
    with pytest.raises(DuisError, match="RestrictionDateTime"):
        site.supplier.apply_duis(site.han.now, parse_duis(bad))
    assert (site.premises.gpf.tenancy, site.premises.esme.tenancy) == before


def test_a_request_for_another_premises_is_refused() -> None:
    site = build_site()
    good = (VECTORS / "duis" / "GCS09_3.2_SUCCESS_REQUEST_DUIS.XML").read_bytes()
    other = parse_duis(good.replace(b"00-DB-12-34-56-78-90-A3", b"00-DB-12-34-56-78-90-FF"))
    with pytest.raises(DuisError, match="not a meter of this premises"):
        site.supplier.apply_duis(START, other)
    assert site.premises.gpf.tenancy.update_date_time == 0


def _top_up_request(utrn: str, target: str = "00-DB-12-34-56-78-90-A0") -> bytes:
    text = (VECTORS / "duis" / "ECS12_3.2_SUCCESS_REQUEST_DUIS.XML").read_text()
    start = text.index("<sr:RestrictAccessForChangeOfTenancy>")
    end = text.index("</sr:RestrictAccessForChangeOfTenancy>") + len(
        "</sr:RestrictAccessForChangeOfTenancy>"
    )
    text = text[:start] + f"<sr:TopUpDevice><sr:UTRN>{utrn}</sr:UTRN></sr:TopUpDevice>" + text[end:]
    text = text.replace(">3.2<", ">2.2<").replace("00-DB-12-34-56-78-90-A0", target)
    return text.encode()


def test_duis_srv_2_2_top_up_reaches_the_ppmid() -> None:
    site = build_site()
    site.run(START + HOUR)
    request = parse_duis(_top_up_request("00000000000000001250"))
    site.at(START + 2 * HOUR, lambda now: site.supplier.apply_duis(now, request))
    site.run(START + DAY + HOUR)
    assert site.premises.esme.store.get("credit") > 0
    shown = site.premises.ppmid.screen(site.han.now)["recent_top_ups"]
    assert [t["amount_pence"] for t in shown] == [1250]
    with pytest.raises(DuisError, match="prepayment"):
        site.supplier.apply_duis(
            site.han.now, parse_duis(_top_up_request("1" * 20, "00-DB-12-34-56-78-90-A3"))
        )
