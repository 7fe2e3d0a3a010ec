"""What the approval, audit and governance commands share: options, errors, passwords."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from sop_addin.commands.common import EXIT_FAILED, EXIT_INVALID, fail, user_errors

EXIT_TAMPERED = 1
PASSWORD_ENV = "SOP_OPEN_PASSWORD"


@contextmanager
def approval_errors() -> Iterator[None]:
    """The CLI's user errors plus those of approval, the plan store and verification."""
    from sop_addin.actions.soe import OutsidePlan
    from sop_addin.approval.approve import ApprovalBlocked
    from sop_addin.approval.approved_plan import NoApprovedPlan
    from sop_addin.approval.departments import DepartmentConfigError
    from sop_addin.approval.distribute import SnapshotNotIntact
    from sop_addin.approval.encryption import EncryptionError
    from sop_addin.approval.manifest import ManifestError
    from sop_addin.approval.trust import NoTrustedKey
    from sop_addin.store import ApprovalConflict, StoreError, StoreKeyError

    with user_errors():
        try:
            yield
        except (ApprovalBlocked, ApprovalConflict, ManifestError, EncryptionError) as exc:
            fail(str(exc), EXIT_INVALID)
        except (DepartmentConfigError, NoTrustedKey) as exc:
            fail(str(exc), EXIT_INVALID)
        except (NoApprovedPlan, OutsidePlan) as exc:
            fail(str(exc), EXIT_INVALID)
        except (SnapshotNotIntact, StoreError, StoreKeyError) as exc:
            fail(str(exc), EXIT_FAILED)


STORE_HELP = "Plan store folder (default: $SOP_STORE, else .sop-store beside the workbook)."


def store_option(func: Any = None, *, help: str = STORE_HELP) -> Any:
    """The --store option; `@store_option(help=...)` where the default differs."""

    def decorate(f: Any) -> Any:
        return click.option(
            "--store",
            "store_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help=help,
        )(f)

    return decorate(func) if func is not None else decorate


def public_key_option(func: Any) -> Any:
    return click.option(
        "--public-key",
        "public_keys",
        type=click.Path(dir_okay=False, path_type=Path),
        multiple=True,
        help="A trusted signing key (PEM, e.g. the plan store's signing-key.pub.pem); "
        "repeatable; adds to $SOP_TRUSTED_KEYS.",
    )(func)


def configured_store(given: Path | None) -> Path | None:
    """A plan store named by configuration only: --store, else $SOP_STORE; never one found."""
    from sop_addin.store import STORE_ENV

    if given is not None:
        return given
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else None


def password(path: Path | None = None, new: bool = False) -> str | None:
    """The password-to-open: $SOP_OPEN_PASSWORD, else a prompt (only when one is needed)."""
    from sop_addin.approval.encryption import is_encrypted

    if not new and (path is None or not path.is_file() or not is_encrypted(path)):
        return None
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    return str(click.prompt("Password to open", hide_input=True, confirmation_prompt=new))
