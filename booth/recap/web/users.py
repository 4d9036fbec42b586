"""The committee's accounts: who may sign in to the recap's pages, with scrypt password hashes.

Kept in the recap's data directory as ``committee-users.json`` (written
atomically, readable by the owner only): ``{"users": {name: {"hash", "added_at"}}}``.
Names are 1-32 characters of lowercase letters, digits, ``.``, ``_`` and ``-``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from booth.recap.web.auth import check_new_password, hash_password

USERS_FILE = "committee-users.json"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")


class UserError(ValueError):
    """A bad account name or password; the message is for a person (id / en)."""


@dataclass(frozen=True)
class CommitteeUser:
    name: str
    added_at: str


class UserBook:
    """The committee accounts stored in one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / USERS_FILE

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"users": {}}
        if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
            raise UserError(f"{self.path} rusak / is damaged")
        return data

    def _write(self, data: dict) -> None:
        tmp = self.path.with_name(f".{USERS_FILE}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def add(self, name: str, password: str, *, replace: bool = False) -> CommitteeUser:
        """Add (or with ``replace``, reset the password of) the account ``name``."""
        if not _NAME.fullmatch(name):
            raise UserError(
                "Nama pengguna: 1-32 huruf kecil, angka, '.', '_' atau '-' / "
                "user name: 1-32 lowercase letters, digits, '.', '_' or '-'"
            )
        try:
            check_new_password(password)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        data = self._read()
        if name in data["users"] and not replace:
            raise UserError(f"Pengguna {name} sudah ada / user {name} already exists")
        added = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        data["users"][name] = {"hash": hash_password(password), "added_at": added}
        self._write(data)
        return CommitteeUser(name, added)

    def remove(self, name: str) -> None:
        data = self._read()
        if name not in data["users"]:
            raise UserError(f"Pengguna {name} tidak ada / no user {name}")
        del data["users"][name]
        self._write(data)

    def password_hash(self, name: str) -> str | None:
        """The stored hash of ``name``, or None when there is no such account."""
        entry = self._read()["users"].get(name)
        return entry.get("hash") if isinstance(entry, dict) else None

    def list(self) -> list[CommitteeUser]:
        users = self._read()["users"]
        return [CommitteeUser(n, str(users[n].get("added_at", ""))) for n in sorted(users)]
