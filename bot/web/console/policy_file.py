"""The creditor policy file as admins edit it in the console: read, validate, replace.

A save never leaves a half-written file (temp file + rename in the same folder), keeps the
previous version next to it as `<file>.bak`, and refuses to overwrite a file that changed
since the admin opened it (someone else saved, or an operator edited it on disk).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogs.negotiation.policy import Policy, PolicyError, load_policy

MAX_POLICY_BYTES = 256 * 1024


class PolicyFileError(Exception):
    """The policy was not saved; `problems` are shown to the admin, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class PolicyChangedError(PolicyFileError):
    """The file on disk is not the one the admin edited (someone saved meanwhile)."""

    def __init__(self) -> None:
        super().__init__(["the policy file changed since it was opened"])


@dataclass(frozen=True, slots=True)
class PolicyText:
    text: str
    digest: str  # of the bytes on disk, sent back with the form to detect concurrent edits


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_policy_text(path: Path) -> PolicyText:
    data = path.read_bytes()
    return PolicyText(data.decode("utf-8"), digest_of(data))


def validate(text: str) -> Policy:
    """The policy the text describes, or PolicyFileError naming each bad key path."""
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise PolicyFileError([f"the policy is larger than {MAX_POLICY_BYTES // 1024} KiB"])
    try:
        return load_policy(text)
    except PolicyError as error:
        raise PolicyFileError(error.problems) from None


def write_atomically(path: Path, text: str, expected_digest: str) -> None:
    """Replace `path` with `text`, keeping the old content as `<path>.bak`.

    Raises PolicyChangedError if the file on disk no longer has `expected_digest`.
    """
    current = path.read_bytes()
    if digest_of(current) != expected_digest:
        raise PolicyChangedError
    _replace(path.with_name(path.name + ".bak"), current)
    _replace(path, text.encode("utf-8"))


def _replace(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


async def save_policy(path: Path, text: str, expected_digest: str) -> Policy:
    """Validate, then write; nothing is written when the text is invalid."""
    policy = validate(text)
    await asyncio.to_thread(write_atomically, path, text, expected_digest)
    return policy


def changed_keys(old: Policy, new: Policy) -> list[str]:
    """Key paths whose value differs (e.g. `offers.max_installments`), for the audit log.

    Only the paths, never the values: `[creditor]` may hold a person's CPF.
    """
    before = dict(_flatten(old.model_dump(mode="json")))
    after = dict(_flatten(new.model_dump(mode="json")))
    return sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and value:
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value
