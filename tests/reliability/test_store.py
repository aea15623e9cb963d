"""Durable device stores: restart from the files, secure deletion of the previous occupier's bytes,
and damaged or foreign store files refused with a clear error and left as they were."""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest

from hancot.cli.main import main
from hancot.devices.client import Ihd, Ppmid
from hancot.devices.store import APPLICATION_ID, SCHEMA_VERSION, Store, StoreError
from hancot.han.frame import DeviceKind
from tests.conftest import DAY, START, build_site

HOUR = 3600
COT = START + 3 * DAY
#: Unique strings planted in occupier A's records: message texts and top-up codes (UTRNs).
A_MESSAGES = ["MARKER-A-MSG-7f3c9e1d: your statement", "MARKER-A-MSG-2b8d4a60: meter reading"]
A_UTRNS = ["73914628305519002000", "73914628305519101500"]
B_MESSAGE = "Welcome B 0c55e2aa"
B_UTRN = "55512345678901001000"


def _files(directory: Path, device: str) -> list[Path]:
    base = directory / f"{device}.sqlite"
    return [p for p in (base, Path(f"{base}-journal"), Path(f"{base}-wal")) if p.exists()]


def _markers_in(directory: Path, device: str) -> list[str]:
    found = []
    for path in _files(directory, device):
        raw = path.read_bytes()
        for marker in A_MESSAGES + A_UTRNS:
            if marker.encode() in raw or marker.encode("utf-16-le") in raw:
                found.append(f"{marker} in {path.name}")
    return found


def _run_site(store_dir: Path):
    site = build_site(move_in_b=COT, store_dir=store_dir)
    for day, text in enumerate(A_MESSAGES, start=1):
        site.at(
            START + day * DAY + 10 * HOUR, lambda now, t=text: site.supplier.display_message(now, t)
        )
    for day, utrn in enumerate(A_UTRNS):
        amount = int(utrn[-6:])
        site.at(
            START + day * DAY + 9 * HOUR,
            lambda now, u=utrn, a=amount: site.supplier.top_up(now, a, u),
        )
    site.at(COT - 10 * HOUR, lambda now: site.supplier.restrict_access_for_cot(now, COT))
    site.at(COT + 9 * HOUR, lambda now: site.supplier.top_up(now, 1000, B_UTRN))
    site.at(COT + 10 * HOUR, lambda now: site.supplier.display_message(now, B_MESSAGE))
    return site


def test_the_clear_leaves_no_byte_of_the_previous_occupier_in_the_files(tmp_path: Path) -> None:
    site = _run_site(tmp_path)
    site.run(COT - HOUR)
    ihd, ppmid = site.premises.ihd, site.premises.ppmid
    assert ihd is not None and ppmid is not None
    # The control: before the CoT both devices hold A's markers, in their files.
    assert {r.data["text"] for r in ihd.store.records("message")} >= set(A_MESSAGES[1:])
    assert {r.data["code"] for r in ppmid.store.records("top_up")} >= set(A_UTRNS)
    assert _markers_in(tmp_path, "ihd") and _markers_in(tmp_path, "ppmid")
    site.run(COT + DAY)
    assert ihd.clears and ppmid.clears
    pragmas = (ihd.store.secure_delete, ihd.store.journal_mode)
    site.premises.close()
    # After the clear: nothing in the database file, its journal or its free pages.
    assert _markers_in(tmp_path, "ihd") == []
    assert _markers_in(tmp_path, "ppmid") == []
    # ... while the new occupier's records are there (the scan can see what is kept).
    assert B_UTRN.encode() in (tmp_path / "ppmid.sqlite").read_bytes()
    assert B_MESSAGE.encode() in (tmp_path / "ihd.sqlite").read_bytes()
    for name in ("ihd", "ppmid"):
        journal = tmp_path / f"{name}.sqlite-journal"
        assert not journal.exists() or journal.stat().st_size == 0
        assert not Path(f"{tmp_path / name}.sqlite-wal").exists()
    assert pragmas == (True, "truncate")


def test_devices_rebuilt_from_their_files_hold_records_pending_cot_and_watermark(
    tmp_path: Path,
) -> None:
    site = _run_site(tmp_path)
    site.run(COT - HOUR)  # the CoT is pending on both clients
    ihd, ppmid = site.premises.ihd, site.premises.ppmid
    assert ihd is not None and ppmid is not None
    held = {c.name: c.held() for c in (ihd, ppmid)}
    pending = {c.name: c.tracker.pending for c in (ihd, ppmid)}
    assert all(COT in [v for v, _ in p.values()] for p in pending.values())
    identities = {c.name: c.identity for c in (ihd, ppmid)}
    site.premises.close()

    rebuilt_ihd = Ihd(identities["IHD"], Store(tmp_path / "ihd.sqlite"))
    rebuilt_ppmid = Ppmid(identities["PPMID"], Store(tmp_path / "ppmid.sqlite"))
    for client in (rebuilt_ihd, rebuilt_ppmid):
        assert client.held() == held[client.name]
        assert client.tracker.pending == pending[client.name]
        assert set(client.meters) == {"ESME", "GPF"}  # bindings survive too
        # Powered up after the CoT time, with no meter answering: the clear happens first.
        client.power_on(COT + HOUR)
        assert client.tracker.watermark == COT
        assert all(r.time >= COT for records in client.held().values() for r in records)
        client.store.close()
    # A third start from the same files: the watermark persisted.
    again = Ihd(identities["IHD"], Store(tmp_path / "ihd.sqlite"))
    assert again.tracker.watermark == COT and again.tracker.pending == {}
    again.store.close()


# -- damaged, foreign and newer store files ------------------------------------------------------
def _valid_store(path: Path) -> None:
    store = Store(path)
    store.set("x", 1)
    store.put("message", "1", START, {"text": "hello"})
    store.close()


def _random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(5).randbytes(8192))


def _truncated(path: Path) -> None:
    _valid_store(path)
    path.write_bytes(path.read_bytes()[:60])


def _torn_pages(path: Path) -> None:
    _valid_store(path)
    raw = bytearray(path.read_bytes())
    raw[4096:] = random.Random(6).randbytes(len(raw) - 4096)  # every page after the first
    path.write_bytes(bytes(raw))


def _text_file(path: Path) -> None:
    path.write_text("these are not the stores you are looking for\n")


def _foreign_sqlite(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE contacts (name TEXT)")
    db.execute("INSERT INTO contacts VALUES ('someone')")
    db.commit()
    db.close()


def _newer_schema(path: Path) -> None:
    _valid_store(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()


def _other_application(path: Path) -> None:
    _valid_store(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID + 1}")
    db.commit()
    db.close()


BAD = {
    "random bytes": (_random_bytes, "not an SQLite database"),
    "truncated": (_truncated, "not an SQLite database"),
    "torn pages": (_torn_pages, "damaged"),
    "text file": (_text_file, "not an SQLite database"),
    "another program's database": (_foreign_sqlite, "not a hancot device store"),
    "newer schema": (_newer_schema, "newer than this hancot"),
    "another application id": (_other_application, "not a hancot device store"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_store_file_is_refused_and_left_as_it_was(tmp_path: Path, case: str) -> None:
    make, message = BAD[case]
    path = tmp_path / "ihd.sqlite"
    make(path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(StoreError, match=message) as exc:
        Store(path)
    assert str(path) in str(exc.value)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_directory_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path)


def test_an_empty_file_becomes_a_store_and_an_existing_one_reopens(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    path.touch()
    _valid_store(path)
    store = Store(path)
    assert store.get("x") == 1 and store.records("message")[0].data == {"text": "hello"}
    assert store.execute("PRAGMA application_id") == [(APPLICATION_ID,)]
    assert store.integrity_check() == "ok"
    store.close()


@pytest.mark.parametrize("case", ["random bytes", "newer schema", "another program's database"])
def test_demo_with_a_bad_store_prints_one_line_and_exits_2(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make, message = BAD[case]
    path = tmp_path / "ihd.sqlite"
    make(path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert main(["demo", "--days", "4", "--store", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hancot: error: ") and message in err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_demo_keeps_its_stores_and_refuses_to_reuse_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--days", "4", "--store", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.glob("*.sqlite")}
    assert names == {f"{k.value.lower()}.sqlite" for k in DeviceKind if k != DeviceKind.CAD}
    stamps = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.iterdir()}
    for name in names:
        store = Store(tmp_path / name)
        assert store.integrity_check() == "ok"
        store.close()
    capsys.readouterr()
    assert main(["demo", "--days", "4", "--store", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "already holds device stores" in err and err.count("\n") == 1
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.iterdir()} == stamps
    ihd = Store(tmp_path / "ihd.sqlite")
    assert ihd.get("tenancy_client")["watermark"] > 0
    ihd.close()


def test_demo_store_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["demo", "--days", "4", "--store", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert target.read_text() == "x"
    assert os.listdir(tmp_path) == ["file"]
