"""The plan store: approvals, the append-only audit trail and the signing key, in one folder."""

from sop_addin.store.keys import StoreKeyError, fingerprint, load_public_key
from sop_addin.store.plan_store import (
    DEFAULT_STORE_NAME,
    EVENT_KINDS,
    STORE_ENV,
    Approval,
    ApprovalConflict,
    AuditFinding,
    PlanStore,
    StoreError,
    resolve_store_dir,
)

__all__ = [
    "DEFAULT_STORE_NAME",
    "EVENT_KINDS",
    "STORE_ENV",
    "Approval",
    "ApprovalConflict",
    "AuditFinding",
    "PlanStore",
    "StoreError",
    "StoreKeyError",
    "fingerprint",
    "load_public_key",
    "resolve_store_dir",
]
