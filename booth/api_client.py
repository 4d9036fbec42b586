"""The kiosk's side of the ledger socket (moved): now :mod:`booth.api.client`."""

from __future__ import annotations

from booth.api.client import DEFAULT, BoothClient, RemoteError, error_from_json, package_zip_bytes

__all__ = ["DEFAULT", "BoothClient", "RemoteError", "error_from_json", "package_zip_bytes"]
