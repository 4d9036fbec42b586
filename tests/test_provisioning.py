"""Provisioning a device at the district: its key, and the committee key it will trust."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest

from booth.cli import main
from booth.demo_election import make_demo_package
from booth.errors import PackageRefused
from booth.service import BoothService


def run(*argv) -> int:
    with redirect_stdout(io.StringIO()):
        return main(list(argv))


def test_a_device_with_a_pinned_committee_key_refuses_a_package_signed_by_anyone_else(tmp_path):
    state = tmp_path / "state"
    assert run("device", "init", str(state)) == 0
    genuine, _ = make_demo_package(tmp_path / "genuine")
    forged, _ = make_demo_package(tmp_path / "forged")  # a fresh, different committee key
    assert (
        run(
            "device",
            "pin-committee-key",
            str(state),
            str(genuine.parent / "demo-committee-keys" / "committee.pub.json"),
        )
        == 0
    )
    assert (
        run(
            "device", "pin-committee-key", str(state), str(forged.parent / "demo-committee-keys" / "committee.pub.json")
        )
        == 1
    )  # never replaced
    svc = BoothService.open(state)
    try:
        size = svc.ledger.size
        with pytest.raises(PackageRefused):
            svc.load_election(str(forged))
        assert svc.ledger.size == size and svc.status()["polls"] == "unconfigured"
        assert svc.load_election(str(genuine))["short_id"]
    finally:
        svc.close()
