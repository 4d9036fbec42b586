"""The README's commands, typed as written by someone trying booth for the first time.

Each test runs the command as a separate process (``python -m booth ...``) from a
folder outside the checkout, and checks what the person at the terminal sees and
what is left on disk: the command works as written (or says plainly what it needs),
writes nothing into the checkout or the current folder unasked, and speaks
Indonesian first.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from booth.api.client import BoothClient

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def booth(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "booth", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or {**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _no_display_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    env.update(PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy", XDG_RUNTIME_DIR="/nonexistent")
    return env


def test_the_readme_lists_the_commands_these_tests_try():
    for command in (
        "booth service ledger --state DIR --socket P",
        "booth kiosk --state DIR",
        "booth screens [OUT]",
        "booth election keygen|new|sign|check|reset-pin",
        "booth device init STATE",
        "booth photos open|purge",
    ):
        assert command in README, command


def test_the_ledger_service_runs_as_written_and_serves_the_user_who_started_it(tmp_path):
    state, sock = tmp_path / "state", tmp_path / "api.sock"
    assert booth("device", "init", str(state), cwd=tmp_path).returncode == 0
    service = subprocess.Popen(
        [sys.executable, "-m", "booth", "service", "ledger", "--state", str(state), "--socket", str(sock)],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while not sock.exists():
            assert service.poll() is None, service.stderr.read()
            assert time.monotonic() < deadline, "the service never opened its socket"
            time.sleep(0.1)
        with BoothClient(sock, timeout=30) as client:
            assert client.status()["polls"] == "unconfigured"  # a new device, waiting for its election
    finally:
        service.send_signal(signal.SIGTERM)
        _, said = service.communicate(timeout=60)
    assert service.returncode == 0, said
    assert f"melayani pengguna ini saja / serving only this user (uid {os.getuid()})" in said


def test_the_kiosk_without_a_display_says_why_and_stops_before_touching_anything(tmp_path):
    done = booth("kiosk", "--state", str(tmp_path / "state"), cwd=tmp_path, env=_no_display_env())
    assert done.returncode == 2, done.stderr
    assert "tidak ada layar / no display" in done.stderr
    assert "SDL_VIDEODRIVER=dummy" in done.stderr  # and how to run it without one
    assert "pygame-ce" not in done.stdout + done.stderr  # no banner noise
    assert not (tmp_path / "state").exists()


def test_the_kiosk_never_provisions_a_device_in_a_folder_that_does_not_exist(tmp_path):
    env = {**_no_display_env(), "SDL_VIDEODRIVER": "dummy"}
    done = booth("kiosk", "--state", str(tmp_path / "typo"), "--windowed", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "tidak ada / does not exist" in done.stderr and "booth device init" in done.stderr
    assert not (tmp_path / "typo").exists()


def test_the_kiosk_never_provisions_over_the_remains_of_another_device(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "vault.db").write_bytes(b"left from another device")
    env = {**_no_display_env(), "SDL_VIDEODRIVER": "dummy"}
    done = booth("kiosk", "--state", str(state), "--windowed", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "not empty" in done.stderr
    assert sorted(p.name for p in state.iterdir()) == ["vault.db"]


def test_booth_election_help_names_every_command():
    done = booth("election", "--help", cwd=ROOT)
    for command in ("keygen", "new", "sign", "check", "reset-pin"):
        assert re.search(rf"\b{command}\b", done.stdout.split("positional arguments")[0]), (command, done.stdout)
        assert re.search(rf"^\s+{command}\b", done.stdout, re.M), command


def test_the_documentation_tools_write_into_a_new_temporary_folder_unless_told(tmp_path, monkeypatch):
    from booth import cli

    monkeypatch.chdir(tmp_path)
    made = cli._out_or_temporary(None, "screens")
    assert Path(made).is_dir() and not Path(made).is_relative_to(ROOT) and not Path(made).is_relative_to(tmp_path)
    assert cli._out_or_temporary("docs/screens", "screens") == "docs/screens"
    parser = cli.build_parser()
    for command in ("screens", "guidebook"):
        assert parser.parse_args([command]).out is None
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the committee's photo commands
def test_every_photo_vault_refusal_has_indonesian_words():
    from booth.ledger import vault
    from booth.records_cli import VAULT_WORDS_ID, vault_words

    refusals = {
        c.__name__: c
        for c in vars(vault).values()
        if isinstance(c, type) and issubclass(c, vault.VaultError) and c is not vault.VaultError
    }
    assert set(refusals) <= set(VAULT_WORDS_ID), set(refusals) - set(VAULT_WORDS_ID)
    said = vault_words(vault.WrongCommitteeKey())
    assert said == "Ini bukan kunci panitia pemilihan ini. / This is not the committee key of this election."


def test_opening_a_photo_without_a_vault_says_so_in_both_languages(tmp_path):
    keys = tmp_path / "keys"
    assert booth("election", "keygen", str(keys), cwd=tmp_path).returncode == 0
    done = booth(
        "photos",
        "open",
        str(tmp_path / "nowhere"),
        "--committee-key",
        str(keys),
        "--voter",
        "DPT-0001",
        "--out",
        str(tmp_path / "x.jpg"),
        cwd=tmp_path,
    )
    assert done.returncode in (1, 2), done.stderr
    assert done.stderr.startswith("booth photos open: ")
    assert " / " in done.stderr  # Indonesian, then English
    assert not (tmp_path / "x.jpg").exists()


def test_purging_the_photos_says_what_happened_in_both_languages(tmp_path):
    done = booth("photos", "purge", str(tmp_path / "state"), cwd=tmp_path)
    assert done.returncode == 2
    assert "Ulangi dengan --yes / " in done.stderr and "Repeat with --yes" in done.stderr
    done = booth("photos", "purge", str(tmp_path / "state"), "--yes", cwd=tmp_path)
    assert done.returncode == 1
    assert "Tidak ada brankas foto di sini. / There is no photo vault here." in done.stderr


@pytest.mark.parametrize("command", ["screens", "guidebook"])
def test_the_help_of_the_documentation_tools_says_where_they_write(command):
    done = booth(command, "--help", cwd=ROOT)
    assert "temporary folder" in done.stdout
