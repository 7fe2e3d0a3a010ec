"""Which signing keys a verifier trusts: configuration only, never what lies beside a file.

Sources, all of which count: `--public-key FILE` (a PEM public key, e.g. the plan store's
signing-key.pub.pem copied to the verifier's machine), `$SOP_TRUSTED_KEYS` (a list separated
by the OS path separator of PEM files or SHA-256 key fingerprints, 64 hex digits), and a
plan store named explicitly (`--store` or `$SOP_STORE`). A key in the manifest itself or in
a store found next to the workbook is never trusted: anyone who can write the folder can
put one there.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sop_addin.store.keys import StoreKeyError, fingerprint, load_public_key

TRUSTED_KEYS_ENV = "SOP_TRUSTED_KEYS"
_FINGERPRINT = re.compile(r"^[0-9a-fA-F]{64}$")


class NoTrustedKey(ValueError):
    """No trusted key is configured, or a configured one cannot be read."""


@dataclass
class TrustedKeys:
    """Fingerprints (SHA-256 of the raw public key) and where each was configured."""

    sources: dict[str, str] = field(default_factory=dict)

    def add(self, key: Ed25519PublicKey, source: str) -> None:
        self.sources.setdefault(fingerprint(key), source)

    def trusts(self, fp: str) -> bool:
        return fp.lower() in self.sources

    def source(self, fp: str) -> str:
        return self.sources.get(fp.lower(), "")

    def __bool__(self) -> bool:
        return bool(self.sources)


def _read_key(path: Path, source: str) -> Ed25519PublicKey:
    try:
        return load_public_key(path.read_bytes())
    except OSError as exc:
        msg = f"{source}: cannot read the public key {path}: {exc.strerror or exc}"
        raise NoTrustedKey(msg) from exc
    except StoreKeyError as exc:
        msg = f"{source}: {path}: {exc}"
        raise NoTrustedKey(msg) from exc


def trusted_keys(
    public_keys: list[Path] | tuple[Path, ...] = (),
    stores: list[Ed25519PublicKey] | tuple[Ed25519PublicKey, ...] = (),
    environ: dict[str, str] | None = None,
) -> TrustedKeys:
    """The keys configured by option, by environment and by explicitly named stores."""
    env = os.environ if environ is None else environ
    trusted = TrustedKeys()
    for path in public_keys:
        trusted.add(_read_key(Path(path), "--public-key"), f"--public-key {path}")
    for entry in filter(None, (e.strip() for e in env.get(TRUSTED_KEYS_ENV, "").split(os.pathsep))):
        if _FINGERPRINT.match(entry):
            trusted.sources.setdefault(entry.lower(), f"${TRUSTED_KEYS_ENV}")
        else:
            key = _read_key(Path(entry), f"${TRUSTED_KEYS_ENV}")
            trusted.add(key, f"${TRUSTED_KEYS_ENV} {entry}")
    for key in stores:
        trusted.add(key, "the plan store")
    return trusted
