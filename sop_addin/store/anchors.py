"""The audit trail checked against what lies outside it: signed manifests and pinned keys.

A store can be swapped whole for an older backup, emptied, or rebuilt with a new key, and
still be consistent in itself. The manifests it signed are not in its power: each carries the
approval row's sequence number and hash, so a store that no longer holds that row is caught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sop_addin.store.keys import StoreKeyError
from sop_addin.store.plan_store import AuditFinding, PlanStore, StoreError

DEFAULT_MANIFEST_FOLDERS = ("approved", "departments")


@dataclass
class TrailReport:
    """What `sop audit verify` found."""

    findings: list[AuditFinding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    anchors: int = 0
    store_absent: bool = False


def known_manifests(folder: Path, given: list[Path], store: PlanStore | None) -> list[Path]:
    """Manifests given (files or folders), else those beside the store and the store names."""
    from sop_addin.approval.manifest import MANIFEST_SUFFIX, manifest_path

    places = given or [folder.parent / name for name in DEFAULT_MANIFEST_FOLDERS]
    found: set[Path] = set()
    for place in places:
        if place.is_dir():
            found.update(
                p.resolve()
                for p in place.glob(f"*{MANIFEST_SUFFIX}")
                if not p.name.startswith(".")  # pending or temp files
            )
        elif place.is_file():
            found.add(place.resolve())
    if store is not None and not given and not store.database_missing:
        for approval in store.approvals():
            path = manifest_path(Path(approval.snapshot))
            if path.is_file():
                found.add(path.resolve())
    return sorted(found)


def check_trail(folder: Path, manifests: list[Path], trusted: object) -> TrailReport:
    """The store's own checks, the pinned key, and every known manifest's anchor."""
    from sop_addin.approval.manifest import ManifestError, read_manifest
    from sop_addin.approval.trust import TrustedKeys

    report = TrailReport()
    if not folder.is_dir():
        report.store_absent = True
        paths = known_manifests(folder, manifests, None)
        if paths:
            report.findings.append(
                AuditFinding(
                    None,
                    f"no plan store at {folder}, but {len(paths)} signed manifest(s) were "
                    "approved in one: it was deleted or moved",
                )
            )
        return report
    store = PlanStore(folder, create=False)
    report.findings = store.verify_audit()
    report.rows = len(store.events())
    if isinstance(trusted, TrustedKeys) and trusted:
        try:
            current = store.key_fingerprint()
        except (StoreError, StoreKeyError):
            current = ""
        if current and not trusted.trusts(current):
            report.findings.append(
                AuditFinding(None, f"the store key {current[:16]}... is not a trusted key")
            )
    else:
        report.notes.append(
            "the store key is not pinned outside the store: set $SOP_TRUSTED_KEYS to its "
            "fingerprint (or pass --public-key) to catch a store rebuilt with a new key"
        )
    for path in known_manifests(folder, manifests, store):
        try:
            body = read_manifest(path)["manifest"]
        except ManifestError as exc:
            report.findings.append(AuditFinding(None, f"{path.name}: {exc}"))
            continue
        problem = store.check_anchor(body["metadata"].get("audit"))
        report.anchors += 1
        if problem is not None:
            report.findings.append(AuditFinding(None, f"{path.name}: {problem}"))
    return report
