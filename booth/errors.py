"""Expected failures of the election day, each with words for the person in front of the booth.

Every refusal the core makes is a :class:`BoothError` subclass carrying a
stable ``code`` (for the kiosk and the socket API), an Indonesian message
(shown first) and an English one.  Unexpected failures are ordinary
exceptions and fail loudly.
"""

from __future__ import annotations


class BoothError(Exception):
    code = "error"

    MAX_MESSAGE = 400  # words for a screen, never a dump of the input

    def __init__(self, message_id: str, message_en: str, **details) -> None:
        message_id, message_en = _short(message_id, self.MAX_MESSAGE), _short(message_en, self.MAX_MESSAGE)
        super().__init__(message_en)
        self.message_id = message_id
        self.message_en = message_en
        self.details = details

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "message_id": self.message_id,
            "message_en": self.message_en,
            "details": self.details,
        }


def _short(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class NotAllowed(BoothError):
    """The action is not possible in the booth's present state."""

    code = "not_allowed"


class NotSignedIn(BoothError):
    code = "not_signed_in"


class WrongPin(BoothError):
    code = "wrong_pin"


class LockedOut(BoothError):
    """Too many wrong PINs: wait (``details['wait_seconds']``) or ask the committee."""

    code = "locked_out"


class PermissionDenied(BoothError):
    code = "permission_denied"


class BadInput(BoothError):
    """Input that is malformed; nothing was changed."""

    code = "bad_input"


class UnknownVoter(BoothError):
    code = "unknown_voter"


class AlreadyVoted(BoothError):
    """The voter has voted; ``details`` say whether an earlier photo can be shown."""

    code = "already_voted"


class TooSoon(BoothError):
    """Casts closer together than the minimum interval (ballot-stuffing guard)."""

    code = "too_soon"


class PackageRefused(BoothError):
    code = "package_refused"
