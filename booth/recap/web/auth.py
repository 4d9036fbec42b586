"""Committee sign-in for the recap's pages: password hashes, signed session cookies,
CSRF tokens and the login rate limit.

Nothing here knows about HTTP routes; ``booth.recap.web.app`` calls these.

- Passwords are hashed with scrypt (``hashlib.scrypt``, the standard library's
  binding of OpenSSL) at N=2**15, r=8, p=1, a 16-byte random salt; the stored
  text is ``scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`` so the cost can be raised
  later without breaking old hashes.
- A session is a cookie signed with the recap's web secret (HMAC-SHA-256 via
  itsdangerous): ``{"sid": random, "user": name or None}`` with a timestamp; it
  expires after ``SESSION_SECONDS``.  Every session, even before sign-in, has a
  random ``sid``, so the login form itself carries a CSRF token.
- A CSRF token is HMAC(secret, "csrf" + sid): tied to one session, so a page on
  another site cannot guess it; every POST must carry it in the ``csrf`` field.
- The rate limit counts failed sign-ins per client address and per user name:
  after ``FREE_FAILURES`` failures the next try must wait, the wait doubling
  each time up to ``MAX_LOCK_SECONDS``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
_MAX_STORED_N = 2**20  # a stored hash asking for more is refused (it would be a memory bomb)
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256
SESSION_SECONDS = 12 * 3600
COOKIE_NAME = "recap_sesi"
FREE_FAILURES = 5
FIRST_LOCK_SECONDS = 30.0
MAX_LOCK_SECONDS = 15 * 60.0
FAILURE_MEMORY_SECONDS = 3600.0


class PasswordRefused(ValueError):
    """A new password does not meet the rules; the message is for a person (id / en)."""


def check_new_password(password: str) -> None:
    """Raise ``PasswordRefused`` unless ``password`` is acceptable for a committee account.

    >>> check_new_password("short")
    Traceback (most recent call last):
    ...
    booth.recap.web.auth.PasswordRefused: Kata sandi minimal 10 karakter / the password needs at least 10 characters
    >>> check_new_password("kopi tubruk pagi")
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordRefused(
            f"Kata sandi minimal {MIN_PASSWORD_CHARS} karakter / "
            f"the password needs at least {MIN_PASSWORD_CHARS} characters"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordRefused(
            f"Kata sandi maksimal {MAX_PASSWORD_CHARS} karakter / "
            f"the password may have at most {MAX_PASSWORD_CHARS} characters"
        )


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """Return the storable scrypt hash text of ``password`` (a fresh random salt each time)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, maxmem=_SCRYPT_MAXMEM, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the ``stored`` hash text; False for a wrong or damaged one."""
    try:
        scheme, n_text, r_text, p_text, salt_b64, digest_b64 = stored.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt = base64.b64decode(salt_b64, validate=True)
        digest = base64.b64decode(digest_b64, validate=True)
    except ValueError:
        return False
    if scheme != "scrypt" or not (2 <= n <= _MAX_STORED_N) or n & (n - 1) or not (1 <= r <= 16) or p != 1:
        return False
    if len(salt) < 16 or len(digest) != 32:  # a cut-short hash must not match a prefix
        return False
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        candidate = hashlib.scrypt(
            password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p, maxmem=4 * _SCRYPT_MAXMEM, dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate, digest)


# A hash of a random password, checked when the user name is unknown, so that
# "no such user" takes as long as "wrong password" and cannot be told apart.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def check_sign_in(password: str, stored: str | None) -> bool:
    """Check a sign-in in constant work whether or not the user exists."""
    if stored is None:
        verify_password(password, _DUMMY_HASH)
        return False
    return verify_password(password, stored)


@dataclass(frozen=True)
class Session:
    """One browser's session: a random id, and the signed-in committee member if any."""

    sid: str
    user: str | None = None


class SessionSigner:
    """Signs sessions into cookie values and CSRF tokens with the recap's web secret."""

    def __init__(self, secret: bytes, *, max_age: int = SESSION_SECONDS) -> None:
        if len(secret) < 32:
            raise ValueError("the web secret must have at least 32 bytes")
        self._secret = secret
        self._serializer = URLSafeTimedSerializer(secret, salt="booth-recap-session")
        self.max_age = max_age

    def new(self, user: str | None = None) -> Session:
        """A fresh session (a new random id: a sign-in always gets one, against session fixation)."""
        return Session(sid=secrets.token_urlsafe(18), user=user)

    def dumps(self, session: Session) -> str:
        return self._serializer.dumps({"sid": session.sid, "user": session.user})

    def loads(self, cookie: str | None) -> Session | None:
        """The session in ``cookie``, or None when it is missing, forged or expired."""
        if not cookie or len(cookie) > 4096:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        sid, user = data.get("sid"), data.get("user")
        if not isinstance(sid, str) or not (user is None or isinstance(user, str)):
            return None
        return Session(sid=sid, user=user)

    def csrf_token(self, session: Session) -> str:
        mac = hmac.new(self._secret, b"csrf\0" + session.sid.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def csrf_ok(self, session: Session, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf_token(session))


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


@dataclass
class LoginLimiter:
    """Failed sign-ins per key (client address, user name) with a doubling wait.

    >>> t = [0.0]
    >>> lim = LoginLimiter(clock=lambda: t[0])
    >>> for _ in range(5): lim.failed(["10.0.0.7", "user:ani"])
    >>> lim.wait_seconds(["10.0.0.7"])
    0.0
    >>> lim.failed(["10.0.0.7", "user:ani"])
    >>> lim.wait_seconds(["user:ani"])
    30.0
    >>> t[0] = 31.0; lim.wait_seconds(["user:ani"])
    0.0
    >>> lim.succeeded(["10.0.0.7", "user:ani"]); lim.wait_seconds(["user:ani"])
    0.0
    """

    clock: Callable[[], float] = time.monotonic
    _table: dict[str, _Failures] = field(default_factory=dict)

    def wait_seconds(self, keys: list[str]) -> float:
        """How long the caller must still wait before the next try (0 when it may try now)."""
        now = self.clock()
        waits = [self._table[k].locked_until - now for k in keys if k in self._table]
        return max([0.0, *waits])

    def failed(self, keys: list[str]) -> None:
        now = self.clock()
        if len(self._table) > 10_000:  # keep memory bounded under a flood of addresses
            self._forget_old(now)
        for key in keys:
            entry = self._table.setdefault(key, _Failures())
            if now - entry.last > FAILURE_MEMORY_SECONDS:
                entry.count = 0
            entry.count += 1
            entry.last = now
            if entry.count > FREE_FAILURES:
                lock = min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (entry.count - FREE_FAILURES - 1))
                entry.locked_until = now + lock

    def succeeded(self, keys: list[str]) -> None:
        for key in keys:
            self._table.pop(key, None)

    def _forget_old(self, now: float) -> None:
        for key in [
            k for k, v in self._table.items() if now - v.last > FAILURE_MEMORY_SECONDS and v.locked_until < now
        ]:
            del self._table[key]
