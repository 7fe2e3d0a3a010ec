"""The tamper battery: what a careless colleague, a malicious insider with write access to the
folder, or an unlucky operator does to an approved plan, and what `sop verify` and
`sop audit verify` say about it.

One approved tiny company per module (v1 approved and distributed, v2 approved after it);
each test tampers with its own copy of the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill, Protection

from sop_addin.actions.approval import distribute
from sop_addin.approval.manifest import manifest_path
from sop_addin.cli import cli
from sop_addin.contract import CONTRACT
from sop_addin.store import PlanStore
from sop_addin.store.keys import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, fingerprint
from sop_addin.store.plan_store import DB_FILE
from sop_addin.workbook.file_port import FilePort
from tests.approval_support import approve_tiny, planned_tiny, set_setting

V1, V2 = "2027-01-v1", "2027-01-v2"


@pytest.fixture(autouse=True)
def _no_configured_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOP_STORE", raising=False)
    monkeypatch.delenv("SOP_TRUSTED_KEYS", raising=False)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """folder/tiny.xlsx, .sop-store (with backup-after-v1.sqlite3), approved/ v1 and v2,
    departments/ (v1)."""
    folder = tmp_path_factory.mktemp("company")
    workbook = planned_tiny(folder)
    approve_tiny(workbook)
    distribute(
        FilePort.open(workbook),
        snapshot=folder / "approved" / f"{V1}.xlsx",
        out_dir=folder / "departments",
        store=folder / ".sop-store",
        actor="Ada",
    )
    shutil.copy(folder / ".sop-store" / DB_FILE, folder / "backup-after-v1.sqlite3")
    set_setting(workbook, "plan_version", V2)  # a label: the same plan, a new version
    approve_tiny(workbook, approver="Bob")
    return folder


@pytest.fixture
def copy(company: Path, tmp_path: Path) -> Path:
    """A copy of the whole folder to tamper with."""
    target = tmp_path / "company"
    shutil.copytree(company, target, symlinks=True)
    return target


def _sop(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def _verify(folder: Path, path: Path, *extra: str | Path) -> Result:
    return _sop("verify", path, "--store", folder / ".sop-store", *extra)


def _audit(folder: Path, *extra: str | Path) -> Result:
    return _sop("audit", "verify", "--store", folder / ".sop-store", *extra)


def _said(result: Result) -> str:
    return " ".join(result.output.split())


def _snapshot(folder: Path, version: str = V1) -> Path:
    return folder / "approved" / f"{version}.xlsx"


def _department(folder: Path, slug: str) -> Path:
    return folder / "departments" / f"{V1}-{slug}.xlsx"


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    wb = load_workbook(path)
    change(wb)
    wb.save(path)


# The tab that holds the supply tables in a snapshot (the raw tables' '<tab> data' tab).
SUPPLY = CONTRACT.table("ProductBalance").tab
FINANCE = CONTRACT.table("FinancePlan").tab


def _label(name: str) -> str:
    """A ProductBalance column's header as written (its label), from its contract name."""
    return next(c.heading for c in CONTRACT.table("ProductBalance").columns if c.name == name)


def _number_cell(ws: Any, header: str) -> str:
    """The first body cell of a numeric column (row 4: title row 1, header 2, body from 3)."""
    col = next(c.column_letter for c in ws[2] if c.value in (header, _label(header)))
    return f"{col}4"


def _raw(folder: Path) -> sqlite3.Connection:
    db = sqlite3.connect(folder / ".sop-store" / DB_FILE, isolation_level=None)
    db.execute("DROP TRIGGER IF EXISTS audit_no_update")
    db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    return db


# -- the untouched plan passes ----------------------------------------------------------------


def test_untouched_files_verify_and_say_who_signed(company: Path) -> None:
    fp = PlanStore(company / ".sop-store").key_fingerprint()
    for path in [_snapshot(company), _snapshot(company, V2), _department(company, "sales")]:
        result = _verify(company, path)
        assert result.exit_code == 0, result.output
        assert f"intact: {path}" in _said(result)
        assert f"signed by {fp[:16]}..." in _said(result)
    assert _audit(company).exit_code == 0


# -- verification: whose key ---------------------------------------------------------------


def _forge(folder: Path) -> Path:
    """Mallory edits a number in the v1 snapshot and signs it with a fresh store beside it."""
    from sop_addin.approval.approve import write_signed
    from sop_addin.approval.manifest import read_manifest
    from sop_addin.approval.snapshot import build_locked_workbook, read_table_values
    from sop_addin.contract import CONTRACT

    snapshot = _snapshot(folder)
    meta = read_manifest(manifest_path(snapshot))["manifest"]["metadata"]
    port = FilePort.open(snapshot)
    tables = read_table_values(port, list(CONTRACT.tables))
    for table in tables:
        if table.name == "ProductBalance":
            header = table.block[0]
            column = next(i for i, h in enumerate(header) if h in ("unmet", _label("unmet")))
            table.block[1][column] = 0.0
    forged_store = PlanStore(folder / "approved" / ".sop-store")  # found beside the file
    locked = build_locked_workbook([("Approved S&OP plan", "forged")], tables)
    snapshot.unlink()
    write_signed(locked, snapshot, "snapshot", meta, forged_store)
    return snapshot


def test_a_forged_snapshot_signed_by_a_store_beside_it_is_never_intact(copy: Path) -> None:
    forged = _forge(copy)
    alone = _sop("verify", forged)  # nothing configured: no key is trusted by default
    assert alone.exit_code == 2 and "no trusted key" in _said(alone)
    real = _verify(copy, forged)
    assert real.exit_code == 1 and "not signed by a trusted key" in _said(real)
    fp = PlanStore(copy / ".sop-store").key_fingerprint()
    pinned = _sop("verify", forged, env={"SOP_TRUSTED_KEYS": fp})
    assert pinned.exit_code == 1 and "not signed by a trusted key" in _said(pinned)
    by_pem = _sop("verify", forged, "--public-key", copy / ".sop-store" / PUBLIC_KEY_FILE)
    assert by_pem.exit_code == 1 and "not signed by a trusted key" in _said(by_pem)


def test_trusted_keys_from_the_environment_pem_or_fingerprint(copy: Path) -> None:
    pem = copy / ".sop-store" / PUBLIC_KEY_FILE
    fp = PlanStore(copy / ".sop-store").key_fingerprint()
    for value in (str(pem), fp, fp.upper(), f"{pem}{os.pathsep}{fp}"):
        result = _sop("verify", _snapshot(copy), env={"SOP_TRUSTED_KEYS": value})
        assert result.exit_code == 0, (value, result.output)
    unreadable = _sop("verify", _snapshot(copy), env={"SOP_TRUSTED_KEYS": str(copy / "no.pem")})
    assert unreadable.exit_code == 2 and "cannot read the public key" in _said(unreadable)


def test_a_manifest_re_signed_with_its_own_embedded_key_is_not_trusted(copy: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sop_addin.approval.manifest import sign_manifest, write_manifest

    path = manifest_path(_snapshot(copy))
    document = json.loads(path.read_text())
    body = document["manifest"]
    body["metadata"]["approver"] = "CEO"
    write_manifest(path, sign_manifest(body, Ed25519PrivateKey.generate()))
    result = _verify(copy, _snapshot(copy))
    assert result.exit_code == 1 and "not signed by a trusted key" in _said(result)


def test_an_edited_manifest_fails_its_signature(copy: Path) -> None:
    path = manifest_path(_snapshot(copy))
    document = json.loads(path.read_text())
    document["manifest"]["metadata"]["approver"] = "CEO"
    path.write_text(json.dumps(document))
    result = _verify(copy, _snapshot(copy))
    assert result.exit_code == 1 and "signature is not valid" in _said(result)


# -- verification: which file ------------------------------------------------------------


def _swap(source: Path, target: Path) -> None:
    shutil.copy(source, target)
    shutil.copy(manifest_path(source), manifest_path(target))


def test_a_department_workbook_swapped_for_another_fails(copy: Path) -> None:
    _swap(_department(copy, "finance"), _department(copy, "sales"))
    result = _verify(copy, _department(copy, "sales"))
    assert result.exit_code == 1
    assert f"signed for '{V1}-finance.xlsx' (plan {V1}, department Finance)" in _said(result)


def test_v1_copied_over_v2_fails(copy: Path) -> None:
    _swap(_snapshot(copy, V1), _snapshot(copy, V2))
    result = _verify(copy, _snapshot(copy, V2))
    assert result.exit_code == 1 and "a renamed, swapped or replayed file" in _said(result)


def test_a_renamed_file_fails(copy: Path) -> None:
    renamed = copy / "approved" / "2027-01-final.xlsx"
    _snapshot(copy).rename(renamed)
    manifest_path(_snapshot(copy)).rename(manifest_path(renamed))
    result = _verify(copy, renamed)
    assert result.exit_code == 1 and f"signed for '{V1}.xlsx'" in _said(result)


def test_the_wrong_plan_version_fails_when_asked_for(copy: Path) -> None:
    result = _verify(copy, _snapshot(copy, V1), "--plan-version", V2)
    assert result.exit_code == 1 and f"this is plan version '{V1}', not '{V2}'" in _said(result)
    assert _verify(copy, _snapshot(copy, V2), "--plan-version", V2).exit_code == 0


def test_an_older_plan_says_a_later_one_is_approved(company: Path) -> None:
    result = _verify(company, _snapshot(company, V1))
    assert result.exit_code == 0 and f"a later plan version is approved: {V2}" in _said(result)


# -- verification: what a reader sees ---------------------------------------------------------


def _chart_over_the_values(wb: Any) -> None:
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.add_data(Reference(wb[SUPPLY], min_col=3, min_row=2, max_row=4))
    wb[SUPPLY].add_chart(chart, "A3")


def _shrink_a_table(wb: Any) -> None:
    """The last row falls out of ProductBalance: `sop review` would read one row fewer."""
    table = wb[SUPPLY].tables["ProductBalance"]
    table.ref = "I2:V5"
    table.autoFilter.ref = "I2:V5"


def _supply(wb: Any) -> Any:
    return wb[SUPPLY]


def test_a_changed_number_format_fails_naming_the_cell_and_format(copy: Path) -> None:
    path = _snapshot(copy)
    cell = _number_cell(load_workbook(path)[SUPPLY], "unmet")

    def hide_unmet(wb: Any) -> None:
        _supply(wb)[cell].number_format = '"0"'  # shows 0 whatever the value

    _edit(path, hide_unmet)
    result = _verify(copy, path)
    assert result.exit_code == 1
    assert f"look changed in {SUPPLY}!{cell} (number format" in _said(result)
    # The format as Excel shows it: "0" (a quoted literal) and \0 are the same text
    assert "(number format '#,##0' -> '\\\\0')" in _said(result)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda wb: setattr(wb[SUPPLY].row_dimensions[4], "hidden", True), "rows hidden: 4"),
        (lambda wb: setattr(wb[SUPPLY].column_dimensions["C"], "hidden", True), "hidden: C"),
        (lambda wb: setattr(wb[SUPPLY].column_dimensions["C"], "width", 1), "hidden: C"),
        (lambda wb: setattr(wb[SUPPLY].row_dimensions[6], "height", 1), "rows hidden: 6"),
        (_chart_over_the_values, "charts added: BarChart at A3"),
        (lambda wb: setattr(wb[FINANCE], "sheet_state", "hidden"), "sheet is now hidden"),
        (lambda wb: setattr(wb[FINANCE], "sheet_state", "veryHidden"), "now veryHidden"),
        (lambda wb: wb[SUPPLY].merge_cells("A3:C4"), "merged cells added: A3:C4"),
        (
            lambda wb: wb[SUPPLY].conditional_formatting.add(
                "A3:Z99",
                CellIsRule(operator="greaterThan", formula=["0"], font=Font(color="FFFFFF")),
            ),
            "conditional formats added",
        ),
        (
            lambda wb: setattr(wb[SUPPLY]["A3"], "comment", Comment("ignore this row", "M")),
            "comments added: A3: ignore this row",
        ),
        (lambda wb: setattr(wb[SUPPLY]["A3"], "font", Font(color="FFEDEDED")), "A3 (font"),
        (lambda wb: setattr(wb[SUPPLY]["A3"], "fill", PatternFill("solid", "FFFFFF")), "fill"),
        (lambda wb: setattr(wb[SUPPLY]["A3"], "font", Font(sz=1)), "A3 (font"),
        (
            lambda wb: setattr(wb[SUPPLY]["A3"], "protection", Protection(locked=False)),
            "A3 (protection 'locked' -> 'unlocked')",
        ),
        (_shrink_a_table, "tables added: ProductBalance I2:V5"),
        (lambda wb: setattr(wb[SUPPLY]["A3"], "hyperlink", "http://x.test"), "hyperlinks added"),
        (lambda wb: setattr(wb[SUPPLY].protection, "sheet", False), "protection was removed"),
        (
            lambda wb: setattr(wb[SUPPLY].protection, "hashValue", "AAAA"),
            "protection was replaced",
        ),
        (lambda wb: wb.move_sheet(SUPPLY, offset=1), "the sheets were reordered"),
        (lambda wb: wb.create_sheet("Notes"), "sheet 'Notes' was added"),
        (lambda wb: wb.remove(wb["Scenarios"]), "sheet 'Scenarios' is missing"),
        (lambda wb: setattr(wb[SUPPLY], "title", "Supply2"), f"sheet '{SUPPLY}' is missing"),
        (lambda wb: setattr(wb[SUPPLY]["A3"], "value", None), f"value changed in {SUPPLY}!A3"),
        (lambda wb: setattr(wb[SUPPLY]["AZ90"], "value", 1), f"value changed in {SUPPLY}!AZ90"),
        (lambda wb: setattr(wb["Approval"]["B5"], "value", "CEO"), "value changed in Approval!B5"),
        (lambda wb: setattr(wb[SUPPLY]["A3"], "value", " A"), f"value changed in {SUPPLY}!A3"),
    ],
)
def test_what_a_reader_sees_is_covered(copy: Path, change: Any, said: str) -> None:
    path = _snapshot(copy)
    _edit(path, change)
    result = _verify(copy, path)
    assert result.exit_code == 1, result.output
    assert said in _said(result), result.output


def _patch_sheet_xml(path: Path, sheet: str, patch: Callable[[str], str]) -> None:
    """Edit a sheet's XML in the zip directly (openpyxl cannot write a zero height or width)."""
    import zipfile

    index = load_workbook(path).sheetnames.index(sheet) + 1
    part = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    text = parts[part].decode()
    patched = patch(text)
    assert patched != text, "the patch changed nothing"
    parts[part] = patched.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_zero_height_row_and_a_zero_width_column_are_hidden_rows_and_columns(
    copy: Path,
) -> None:
    import re

    path = _snapshot(copy)
    _patch_sheet_xml(
        path, SUPPLY, lambda x: x.replace('<row r="5"', '<row r="5" ht="0" customHeight="1"', 1)
    )
    _patch_sheet_xml(
        path,
        SUPPLY,
        lambda x: re.sub(
            r'<col width="[0-9.]+" customWidth="1" min="4" max="4"',
            '<col width="0" customWidth="1" min="4" max="4"',
            x,
        ),
    )
    result = _verify(copy, path)
    assert result.exit_code == 1
    assert "rows hidden: 5" in _said(result) and "columns hidden: D" in _said(result)


def test_a_macro_part_slipped_into_the_container_is_caught(copy: Path) -> None:
    import zipfile

    path = _snapshot(copy)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really")
    result = _verify(copy, path)
    assert result.exit_code == 1 and "the file now holds macros" in _said(result)


def test_changed_cells_are_named_exactly_not_their_cross_product(copy: Path) -> None:
    path = _snapshot(copy)
    ws = load_workbook(path)[SUPPLY]
    unmet, demand = _number_cell(ws, "unmet"), _number_cell(ws, "demand")
    first = f"{unmet[:-1]}3"  # row 3, the unmet column
    second = f"{demand[:-1]}5"  # row 5, the demand column

    def two_cells(wb: Any) -> None:
        wb[SUPPLY][first] = float(wb[SUPPLY][first].value or 0) + 1
        wb[SUPPLY][second] = float(wb[SUPPLY][second].value or 0) + 1

    _edit(path, two_cells)
    result = _verify(copy, path)
    wanted = sorted([first, second], key=lambda c: (int(c[-1]), c))
    assert f"value changed in {SUPPLY}!{wanted[0]}, {SUPPLY}!{wanted[1]}" in _said(result)
    assert _said(result).count(f"{SUPPLY}!") == 2


def test_an_old_format_manifest_is_a_clear_error(copy: Path) -> None:
    path = manifest_path(_snapshot(copy))
    document = json.loads(path.read_text())
    document["manifest"]["format"] = "sop-addin signed manifest v1"
    path.write_text(json.dumps(document))
    result = _verify(copy, _snapshot(copy))
    assert result.exit_code == 2 and "an older sop-addin" in _said(result)


# -- audit trail -----------------------------------------------------------------------------


def test_a_store_truncated_to_zero_bytes_is_caught(copy: Path) -> None:
    (copy / ".sop-store" / DB_FILE).write_bytes(b"")
    audit = _audit(copy)
    assert audit.exit_code == 1 and f"{DB_FILE} is empty (0 bytes)" in _said(audit)
    verify = _verify(copy, _snapshot(copy))
    assert verify.exit_code == 1 and "the plan store has no database" in _said(verify)
    approve = _sop(
        "approve", copy / "tiny.xlsx", "--approver", "Eve", "--store", copy / ".sop-store"
    )
    assert approve.exit_code == 3 and "empty audit log" in _said(approve)


def test_a_deleted_store_database_or_folder_is_caught(copy: Path) -> None:
    (copy / ".sop-store" / DB_FILE).unlink()
    audit = _audit(copy)
    assert audit.exit_code == 1 and f"{DB_FILE} is missing" in _said(audit)
    shutil.rmtree(copy / ".sop-store")
    gone = _audit(copy)
    assert gone.exit_code == 1 and "signed manifest(s) were approved in one" in _said(gone)


def test_a_store_emptied_of_every_row_and_the_head_is_caught(copy: Path) -> None:
    with _raw(copy) as db:
        db.execute("DELETE FROM audit")
        db.execute("DELETE FROM audit_head")
        db.execute("DELETE FROM approvals")
    audit = _audit(copy)
    assert audit.exit_code == 1 and "the audit log is empty" in _said(audit)
    assert "audit log intact" not in _said(audit)


def test_a_store_rolled_back_to_a_backup_is_caught_and_blocks_a_second_approval(
    copy: Path,
) -> None:
    shutil.copy(copy / "backup-after-v1.sqlite3", copy / ".sop-store" / DB_FILE)
    audit = _audit(copy)
    assert audit.exit_code == 1
    assert f"{V2}.manifest.json: the manifest was approved at audit row" in _said(audit)
    assert "emptied, truncated or rolled back" in _said(audit)
    verify = _verify(copy, _snapshot(copy, V2))
    assert verify.exit_code == 1 and "rolled back" in _said(verify)
    # Eve approves v2 again from the rolled-back store: refused, nothing written
    again = _sop("approve", copy / "tiny.xlsx", "--approver", "Eve", "--store", copy / ".sop-store")
    assert again.exit_code == 3 and "restore the plan store" in _said(again)
    elsewhere = _sop(
        "approve",
        copy / "tiny.xlsx",
        "--approver",
        "Eve",
        "--store",
        copy / ".sop-store",
        "--out",
        copy / "elsewhere",
    )  # into another folder: the manifests beside the store still know better
    assert elsewhere.exit_code == 3 and "restore the plan store" in _said(elsewhere)
    assert [a.plan_version for a in PlanStore(copy / ".sop-store").approvals()] == [V1]


def test_an_edited_approvals_row_is_caught(copy: Path) -> None:
    with _raw(copy) as db:
        db.execute("UPDATE approvals SET approver = 'CEO' WHERE plan_version = ?", (V1,))
    audit = _audit(copy)
    assert audit.exit_code == 1 and f"approvals table: the row of '{V1}' was edited" in _said(audit)


def test_approving_the_same_version_twice_after_editing_the_table_is_caught(copy: Path) -> None:
    with _raw(copy) as db:
        db.execute("DELETE FROM approvals WHERE plan_version = ?", (V2,))
    store = PlanStore(copy / ".sop-store")
    store.approve(V2, "2027-01", "Eve", "/elsewhere/v2.xlsx", "beef", details={})
    audit = _audit(copy)
    assert audit.exit_code == 1 and f"'{V2}' approved a second time" in _said(audit)


def _rebuild_with_a_new_key(folder: Path, content: dict[str, str] | None = None) -> PlanStore:
    """Mallory re-creates the store with her own key, approver changed to CEO (and content
    hashes replaced by `content`), every hash recomputed: consistent in itself."""
    store_dir = folder / ".sop-store"
    old = PlanStore(store_dir)
    events, approvals = old.events(), old.approvals()
    shutil.rmtree(store_dir)
    new = PlanStore(store_dir)
    for event in events[1:]:
        if event["event"] == "approval":
            approval = next(a for a in approvals if a.plan_version == event["plan_version"])
            new.approve(
                approval.plan_version,
                approval.plan_cycle,
                "CEO",
                approval.snapshot,
                (content or {}).get(approval.plan_version, approval.content_hash),
                details={},
            )
        elif event["event"] not in ("plan_version", "override"):
            new.record(event["event"], event["actor"], event["payload"], event["plan_version"])
    return new


def test_a_store_rebuilt_with_a_new_key_is_caught(copy: Path, company: Path) -> None:
    pinned = PlanStore(company / ".sop-store").key_fingerprint()
    _rebuild_with_a_new_key(copy)
    assert PlanStore(copy / ".sop-store").verify_audit() == []  # consistent in itself
    audit = _audit(copy)  # the manifests still know the old chain
    assert audit.exit_code == 1 and f"{V1}.manifest.json: " in _said(audit)
    no_anchor = _audit(copy, "--manifests", copy / "none")
    assert no_anchor.exit_code == 0  # no manifests, no pin: nothing to compare it with
    pinned_run = _sop(
        "audit", "verify", "--store", copy / ".sop-store", env={"SOP_TRUSTED_KEYS": pinned}
    )
    assert pinned_run.exit_code == 1 and "is not a trusted key" in _said(pinned_run)
    verify = _sop("verify", _snapshot(copy), env={"SOP_TRUSTED_KEYS": pinned, "SOP_STORE": ""})
    assert verify.exit_code == 0  # the file itself is still the approved one


def test_a_forgery_anchored_in_a_rebuilt_store_fails_against_a_pinned_key(
    copy: Path, company: Path
) -> None:
    """The worst case short of the key: store rebuilt with a new key, snapshot forged and
    signed with it, anchored in the rebuilt store. Only a key pinned outside the folder
    catches it; `--store` alone trusts the store (docs/security.md says so)."""
    pinned = PlanStore(company / ".sop-store").key_fingerprint()
    forged = _forge(copy)
    from sop_addin.approval.manifest import read_manifest, sign_manifest, write_manifest

    body = read_manifest(manifest_path(forged))["manifest"]
    store = _rebuild_with_a_new_key(copy, content={V1: body["content_hash"]})
    row = store.approval(V1)
    assert row is not None
    with store._connect() as db:
        (digest,) = db.execute("SELECT hash FROM audit WHERE seq = ?", (row.audit_seq,)).fetchone()
    body["metadata"]["audit"] = {
        "seq": row.audit_seq,
        "hash": digest,
        "key_fingerprint": store.key_fingerprint(),
    }  # anchored in the rebuilt store
    write_manifest(manifest_path(forged), sign_manifest(body, store.private_key))
    fooled = _verify(copy, forged)
    assert fooled.exit_code == 0  # the documented limit of trusting a store by --store alone
    pinned_run = _sop(
        "verify", forged, "--store", copy / ".sop-store", env={"SOP_TRUSTED_KEYS": pinned}
    )
    assert pinned_run.exit_code == 1 and "not signed by a trusted key" in _said(pinned_run)


def test_a_store_re_keyed_in_place_is_caught(copy: Path) -> None:
    from sop_addin.store.keys import load_or_create_key

    store_dir = copy / ".sop-store"
    (store_dir / PRIVATE_KEY_FILE).unlink()
    (store_dir / PUBLIC_KEY_FILE).unlink()
    load_or_create_key(store_dir)
    audit = _audit(copy)
    assert audit.exit_code == 1
    assert "the store key changed: row 1 pinned" in _said(audit)
    assert "the head record's signature is not valid" in _said(audit)


def test_a_deleted_signing_key_is_never_silently_replaced(copy: Path) -> None:
    (copy / ".sop-store" / PRIVATE_KEY_FILE).unlink()
    (copy / ".sop-store" / PUBLIC_KEY_FILE).unlink()
    set_setting(copy / "tiny.xlsx", "plan_version", "2027-01-v3")  # not yet approved
    approve = _sop(
        "approve",
        copy / "tiny.xlsx",
        "--approver",
        "Eve",
        "--store",
        copy / ".sop-store",
        "--out",
        copy / "elsewhere",
    )
    assert approve.exit_code == 3 and "no signing key" in _said(approve)
    assert not (copy / ".sop-store" / PRIVATE_KEY_FILE).exists()
    audit = _audit(copy)
    assert audit.exit_code == 1 and "signing key cannot be read" in _said(audit)


def test_a_swapped_public_key_file_is_caught(copy: Path, tmp_path: Path) -> None:
    other = PlanStore(tmp_path / "other")
    shutil.copy(tmp_path / "other" / PUBLIC_KEY_FILE, copy / ".sop-store" / PUBLIC_KEY_FILE)
    audit = _audit(copy)
    assert audit.exit_code == 1
    assert "signing-key.pub.pem is not the public half of signing-key.pem" in _said(audit)
    assert other.key_fingerprint() != PlanStore(copy / ".sop-store").key_fingerprint()


_LOOSE = """
ALTER TABLE audit RENAME TO audit_old;
CREATE TABLE audit (seq, at, actor, event, plan_version, payload, prev_hash, hash);
INSERT INTO audit SELECT * FROM audit_old;
DROP TABLE audit_old;
"""


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        (_LOOSE + "UPDATE audit SET seq = 'two' WHERE seq = 2;", "sequence number 'two' is not"),
        (_LOOSE + "UPDATE audit SET actor = NULL WHERE seq = 2;", "row 2: actor is None, not text"),
        ("UPDATE audit SET payload = '{not json' WHERE seq = 3;", "row 3: payload is not JSON"),
        ("UPDATE audit SET hash = 'x' WHERE seq = 2;", "row 2: hash is not a SHA-256"),
        ("UPDATE audit SET at = x'ff' WHERE seq = 2;", "row 2: at is b'\\xff', not text"),
        ("UPDATE audit_head SET seq = 'x';", "the head record is malformed"),
        ("UPDATE approvals SET audit_seq = 'x';", "points to no approval row"),
    ],
)
def test_malformed_rows_are_reported_by_row_never_a_traceback(
    copy: Path, sql: str, said: str
) -> None:
    with _raw(copy) as db:
        db.executescript(sql)
    audit = _audit(copy)
    assert audit.exit_code == 1, audit.output
    assert said in _said(audit), audit.output
    assert audit.exception is None or isinstance(audit.exception, SystemExit)
    log = _sop("audit", "log", "--store", copy / ".sop-store")
    assert log.exception is None or isinstance(log.exception, SystemExit), log.output


# -- key files --------------------------------------------------------------------------------


def test_a_symlink_planted_where_the_key_goes_is_never_followed(tmp_path: Path) -> None:
    colleague = tmp_path / "colleague-notes.txt"
    colleague.write_text("my notes\n")
    colleague.chmod(0o644)
    shared = tmp_path / "shared" / ".sop-store"
    shared.mkdir(parents=True)
    (shared / PRIVATE_KEY_FILE).symlink_to(colleague)
    result = _sop("audit", "log", "--store", shared)
    assert result.exit_code == 3 and "symbolic link" in _said(result)
    assert colleague.read_text() == "my notes\n"
    (shared / PRIVATE_KEY_FILE).unlink()
    (shared / PUBLIC_KEY_FILE).symlink_to(colleague)
    with pytest.raises(Exception, match="symbolic link"):
        PlanStore(shared)
    assert colleague.read_text() == "my notes\n"


def test_key_files_are_owner_only_and_a_readable_key_is_refused(tmp_path: Path) -> None:
    store = PlanStore(tmp_path / "store")
    private = tmp_path / "store" / PRIVATE_KEY_FILE
    assert private.stat().st_mode & 0o077 == 0
    assert fingerprint(store.public_key) == store.key_fingerprint()
    private.chmod(0o644)
    result = _sop("audit", "verify", "--store", tmp_path / "store")
    assert result.exit_code == 1 and "can be read by others" in _said(result)


# -- the approval's file step -----------------------------------------------------------------


def test_a_planted_pending_record_moves_nothing(copy: Path, tmp_path: Path) -> None:
    """A pending-approval row is acted on only for that approval's own files."""
    secret = tmp_path / "payroll.xlsx"
    secret.write_bytes(b"payroll")
    with _raw(copy) as db:
        db.execute(
            "INSERT INTO pending_approvals VALUES (?, ?, ?, ?, ?)",
            (
                V1,
                str(copy / "approved" / "stolen.xlsx"),
                str(secret),
                str(copy / "approved" / "stolen.manifest.json"),
                str(tmp_path / "nothing.json"),
            ),
        )
    PlanStore(copy / ".sop-store")  # the next command: finishes valid records only
    assert secret.read_bytes() == b"payroll"
    assert not (copy / "approved" / "stolen.xlsx").exists()
    audit = _audit(copy)
    assert audit.exit_code == 1 and "it was planted or edited, and is left alone" in _said(audit)


def test_pending_files_survive_the_stale_temp_cleanup(tmp_path: Path) -> None:
    from sop_addin.store.plan_store import PENDING_PREFIX
    from sop_addin.workbook.atomic import clean_stale_temps

    pending = tmp_path / f"{PENDING_PREFIX}abc-2027-01-v1.xlsx"
    pending.write_bytes(b"the only copy")
    os.utime(pending, (0, 0))  # very old
    clean_stale_temps(tmp_path)
    assert pending.read_bytes() == b"the only copy"


# -- saved again unchanged: LibreOffice, openpyxl --------------------------------------------


def _tie_values() -> list[float]:
    """Doubles whose shortest form ends in a 5 at the 16th digit (ties for a 15-digit writer),
    and ordinary ones; seeded, so the test is the same every run."""
    import random
    from decimal import Decimal

    rng = random.Random(13)
    values = []
    for i in range(3000):
        if i % 2:
            digits = rng.randint(10**14, 10**15 - 1) * 10 + 5  # 16 digits ending in 5
            values.append(float(Decimal(digits).scaleb(-rng.randint(0, 18))))
        else:
            values.append(rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-8, 8))
    return values


def test_number_text_rounds_as_libreoffice_writes() -> None:
    from sop_addin.approval.content import normalise, number_text

    # 82261615611686.05 is stored just below the tie (...686.04999...): '%.15g' gives
    # 82261615611686; LibreOffice writes '%.16g' = 82261615611686.05, then half-up -> .1
    assert f"{82261615611686.05:.15g}" == "82261615611686"
    assert number_text(82261615611686.05) == "82261615611686.1"
    # 1.310980771910725: '%.16g' = 1.310980771910725 -> half-up to 15 digits: ...073
    assert number_text(1.310980771910725) == "1.31098077191073"
    assert number_text(0.1 + 0.2) == "0.3"  # 0.30000000000000004 -> 15 digits
    assert normalise(5) == normalise(5.0) == "n:5.0"
    assert normalise(-0.0) == normalise(0) == "n:0.0"
    for value in _tie_values()[:200]:  # a number written by LibreOffice normalises to itself
        assert number_text(float(number_text(value))) == number_text(value)


@pytest.mark.libreoffice
def test_saved_again_by_libreoffice_and_openpyxl_unchanged_still_verifies(
    company: Path, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    from sop_addin.approval.content import normalise
    from tests.libreoffice import convert

    floats = tmp_path / "floats.xlsx"
    wb = Workbook()
    values = _tie_values()
    for row, value in enumerate(values, start=1):
        wb.active.cell(row, 1, value)  # type: ignore[union-attr]
    wb.save(floats)
    originals = [_snapshot(company), _department(company, "sales"), _department(company, "finance")]
    converted = convert([*originals, floats], tmp_path / "lo")  # one LibreOffice start
    # numbers: LibreOffice's 15 digits normalise like the doubles they came from
    saved = load_workbook(converted[-1]).active
    again = [saved.cell(row, 1).value for row in range(1, len(values) + 1)]  # type: ignore[union-attr]
    assert [normalise(v) for v in again] == [normalise(v) for v in values]
    old_rule = sum(f"{a:.15g}" != f"{b:.15g}" for a, b in zip(values, again, strict=True))
    assert old_rule > 0  # the '%.15g' rule of the issue fails on these very values
    # the approved files, saved again by LibreOffice, then by openpyxl, each verify
    for original, resaved in zip(originals, converted, strict=False):
        folder = tmp_path / "check" / original.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / original.name
        shutil.copy(resaved, target)
        shutil.copy(manifest_path(original), manifest_path(target))
        store = ["--store", company / ".sop-store"]
        result = _sop("verify", target, *store)
        assert result.exit_code == 0, (original.name, result.output)
        assert "workbook-structure lock is gone" in _said(result)  # LibreOffice drops it
        _edit(target, lambda wb: None)  # openpyxl load + save
        assert _sop("verify", target, *store).exit_code == 0


# -- what the approver sees ---------------------------------------------------------------------


def test_the_approval_checklist_is_the_exec_checklist_all_of_it(company: Path) -> None:
    """Every Exec checklist line (Deviations authorised, Working plan, ...) is on the cover."""
    from sop_addin.workbook.tables import read_output

    exec_lines = read_output(FilePort.open(company / "tiny.xlsx"), "Checklist", "t")
    cover = load_workbook(_snapshot(company))["Approval"]
    rows = {r[0]: (r[1], r[2]) for r in cover.iter_rows(values_only=True) if r and r[0]}
    assert "Deviations authorised" in set(exec_lines["check"])
    for line in exec_lines.itertuples():
        assert rows[line.check] == (line.status, line.detail), line.check
    assert rows["Plan matches its inputs"][0] == "pass"  # and approval's own line
    assert rows["Promoted scenario"] == ("none: the base plan", None)


def test_numbers_written_back_with_17_digits_as_excel_does_still_verify(copy: Path) -> None:
    """Excel keeps the double and writes up to 17 significant digits: rewrite every number of
    every sheet that way (what Excel's save changes in a cell value) and verify."""
    import re
    import zipfile

    path = _snapshot(copy)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    rewritten = 0
    for name, data in parts.items():
        if name.startswith("xl/worksheets/sheet"):
            text, count = re.subn(
                r"<v>(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)</v>",
                lambda m: f"<v>{float(m.group(1)):.17g}</v>",
                data.decode(),
            )
            parts[name], rewritten = text.encode(), rewritten + count
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert rewritten > 100
    result = _verify(copy, path)
    assert result.exit_code == 0, result.output
