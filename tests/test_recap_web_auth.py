"""The recap's committee sign-in: only committee members reach /panitia, every form needs its
CSRF token, guessing passwords is slowed down, and accounts are made with `booth recap user add`."""

from __future__ import annotations

import argparse
import doctest
import io
import re
import socket
import threading
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from booth.recap.web import auth, create_app, users_cli
from booth.recap.web.auth import (
    COOKIE_NAME,
    SessionSigner,
    hash_password,
    verify_password,
)
from booth.recap.web.users import USERS_FILE, UserBook, UserError

PASSWORD = "kopi tubruk pagi"


@pytest.fixture()
def data(tmp_path):
    UserBook(tmp_path).add("ani", PASSWORD)
    return tmp_path


@pytest.fixture()
def client(data):
    with TestClient(create_app(None, data_dir=data)) as c:
        yield c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(client, username="ani", password=PASSWORD, next_="/panitia"):
    token = csrf_of(client.get("/panitia/masuk").text)
    return client.post(
        "/panitia/masuk", data={"csrf": token, "username": username, "password": password, "next": next_}
    )


def test_the_auth_rules_walk_through_their_examples():
    assert doctest.testmod(auth, raise_on_error=False).failed == 0


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_sign_in_page(client):
    r = client.get("/panitia", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/panitia/masuk?next=/panitia"
    assert client.get("/panitia.json").status_code == 401
    page = client.get("/panitia")
    assert "Masuk panitia" in page.text and "Committee sign-in" in page.text
    assert "Masuk sebagai" not in page.text


def test_a_committee_member_signs_in_sees_the_accounts_and_signs_out(client):
    r = sign_in(client)
    assert r.status_code == 200 and r.url.path == "/panitia"
    assert "Masuk sebagai <strong>ani</strong>" in r.text
    assert client.get("/panitia.json").json()["signed_in_as"] == "ani"
    out = client.post("/panitia/keluar", data={"csrf": csrf_of(r.text)})
    assert out.url.path == "/panitia/masuk"
    assert client.get("/panitia.json").status_code == 401


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(client):
    wrong = sign_in(client, password="kopi susu sore")
    unknown = sign_in(client, username="budi")
    assert wrong.status_code == unknown.status_code == 401
    for r in (wrong, unknown):
        assert "Nama pengguna atau kata sandi salah" in r.text and "Wrong user name or password" in r.text
    assert client.get("/panitia.json").status_code == 401


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client):
    r = client.post("/panitia/masuk", data={"username": "ani", "password": PASSWORD})
    assert r.status_code == 403 and "Token formulir tidak sah" in r.text
    assert client.get("/panitia.json").status_code == 401  # not signed in by a forged form
    page = sign_in(client)
    # a token from another session is no good either
    other = TestClient(client.app)
    foreign = csrf_of(other.get("/panitia/masuk").text)
    assert client.post("/panitia/keluar", data={"csrf": foreign}).status_code == 403
    assert client.post("/panitia/keluar", data={}).status_code == 403
    assert client.get("/panitia.json").status_code == 200  # still signed in
    assert client.post("/panitia/keluar", data={"csrf": csrf_of(page.text)}).status_code == 200


def test_guessing_passwords_is_slowed_down_even_for_the_right_one(client):
    for _ in range(auth.FREE_FAILURES + 1):
        assert sign_in(client, password="salah sekali lagi").status_code == 401
    r = sign_in(client)
    assert r.status_code == 429 and "Terlalu banyak percobaan gagal" in r.text
    assert int(r.headers["retry-after"]) >= 1
    assert client.get("/panitia.json").status_code == 401


def test_a_session_cookie_edited_by_hand_is_worth_nothing(client, data):
    sign_in(client)
    cookie = client.cookies[COOKIE_NAME]
    forged = cookie.replace(cookie.split(".")[0], cookie.split(".")[0][:-2] + "AA")
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, forged)
    assert client.get("/panitia.json").status_code == 401
    # a cookie signed with another recap's secret is refused too
    other = SessionSigner(b"x" * 32)
    client.cookies.set(COOKIE_NAME, other.dumps(other.new(user="ani")))
    assert client.get("/panitia.json").status_code == 401


def test_a_removed_account_is_signed_out_at_its_next_page(client, data):
    sign_in(client)
    UserBook(data).remove("ani")
    assert client.get("/panitia", follow_redirects=False).headers["location"] == "/panitia/masuk"


def test_sign_in_never_sends_a_member_to_another_site(client):
    for target in ("//evil.example/panitia", "https://evil.example/", "/\\evil.example"):
        r = sign_in(client, next_=target)
        assert r.url.host == "testserver" and r.history[0].headers["location"] == "/"


def test_an_oversized_form_is_refused_before_it_is_read(client):
    token = csrf_of(client.get("/panitia/masuk").text)
    r = client.post("/panitia/masuk", data={"csrf": token, "username": "ani", "password": "x" * 200_000})
    assert r.status_code == 413 and "Formulir terlalu besar" in r.text


def test_pages_forbid_framing_and_outside_scripts(client):
    r = client.get("/panitia/masuk")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert "http://" not in r.text and "https://" not in r.text  # nothing from the internet


def test_password_hashes_are_salted_scrypt_and_damaged_ones_never_match():
    a, b = hash_password(PASSWORD), hash_password(PASSWORD)
    assert a != b and a.startswith("scrypt$32768$8$1$")
    assert verify_password(PASSWORD, a) and not verify_password("kopi tubruk sore", a)
    for damaged in ("", "scrypt$", a.replace("scrypt", "md5"), "scrypt$1099511627776$8$1$AA==$AA==", a[:-8]):
        assert not verify_password(PASSWORD, damaged)


def test_the_accounts_file_holds_hashes_only(data):
    text = (data / USERS_FILE).read_text()
    assert PASSWORD not in text and "scrypt$" in text
    assert (data / USERS_FILE).stat().st_mode & 0o077 == 0


def _recap_parser():
    parser = argparse.ArgumentParser(prog="booth recap")
    users_cli.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_booth_recap_user_add_makes_an_account_that_can_sign_in(tmp_path, monkeypatch, capsys):
    args = _recap_parser().parse_args(["user", "add", "--data", str(tmp_path), "sri", "--password-stdin"])
    monkeypatch.setattr("sys.stdin", io.StringIO("bunga melati putih\n"))
    assert args.func(args) == 0
    assert "sri" in capsys.readouterr().out
    assert verify_password("bunga melati putih", UserBook(tmp_path).password_hash("sri"))
    # a second add of the same name, and a short password, are refused with words
    monkeypatch.setattr("sys.stdin", io.StringIO("bunga melati putih\n"))
    assert args.func(args) == 1
    assert "sudah ada" in capsys.readouterr().err
    short = _recap_parser().parse_args(["user", "add", "--data", str(tmp_path), "eko", "--password-stdin"])
    monkeypatch.setattr("sys.stdin", io.StringIO("pendek\n"))
    assert short.func(short) == 1
    assert "minimal 10 karakter" in capsys.readouterr().err
    with pytest.raises(UserError):
        UserBook(tmp_path).add("Bad Name!", "bunga melati putih")
    missing = _recap_parser().parse_args(["user", "list", "--data", str(tmp_path / "nope")])
    assert missing.func(missing) == 2


def test_sign_in_over_a_real_server_on_loopback_sets_a_guarded_cookie(data):
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(None, data_dir=data), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            token = csrf_of(c.get("/panitia/masuk").text)
            r = c.post("/panitia/masuk", data={"csrf": token, "username": "ani", "password": PASSWORD})
            assert r.status_code == 303 and r.headers["location"] == "/"
            cookie = r.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie
            assert "Masuk sebagai <strong>ani</strong>" in c.get("/panitia").text
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_no_cookie_text_made_up_by_a_visitor_signs_anyone_in(cookie):
    signer = SessionSigner(b"s" * 32)
    session = signer.loads(cookie)
    assert session is None or session.user is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120), st.text(max_size=40))
def test_a_damaged_stored_hash_never_crashes_a_sign_in(stored, password):
    assert verify_password(password, stored) is False
