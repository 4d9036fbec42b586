"""What a person typed, checked before anything is logged: free text, self-test tables."""

from __future__ import annotations

from booth.refusals import refuse


def is_text(value: str) -> bool:
    """Real Unicode text (a lone surrogate from a JSON socket is not).

    >>> is_text("Balai Pekon"), is_text("\\ud800")
    (True, False)
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(value, word_id: str, word_en: str, limit: int, *, required: bool = False) -> None:
    """A free-text field (place, note, reason, ...): text, at most ``limit`` characters, no control
    characters but newlines; with ``required``, not blank.  ``word_id``/``word_en`` name the field."""
    if value is None and not required:
        return
    if (
        not isinstance(value, str)
        or len(value) > limit
        or any(ord(ch) < 32 and ch not in "\n" for ch in value)
        or not is_text(value)
    ):
        raise refuse("bad_field", words={"field_id": word_id, "field_en": word_en, "limit": limit})
    if required and not value.strip():
        raise refuse("field_required", words={"field_id": word_id, "field_en": word_en})


def check_results(results) -> dict:
    """Self-test results: a small table of device name -> "ok" or what failed."""
    if not isinstance(results, dict) or not results or len(results) > 20:
        raise refuse("bad_self_test")
    for key, value in results.items():
        check_text(key, "nama perangkat", "device name", 40, required=True)
        check_text(value, "hasil uji", "test result", 200, required=True)
    return results
