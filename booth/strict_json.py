"""Strict JSON: how booth reads JSON it did not write (socket frames, election packages, scenario files).

Strict means: UTF-8 text, no key twice in one object, no ``NaN`` or
``Infinity``, nesting no deeper than Python's decoder manages.  Anything else
raises :class:`JsonProblem`, which says what kind of problem it is and where,
so each reader words it for its own people::

    >>> loads(b'{"a": 1, "a": 2}')
    Traceback (most recent call last):
    booth.strict_json.JsonProblem: duplicate key 'a'
    >>> doc = loads('{"steps": [\\n  {"step": "open"}\\n]}', lines=True)
    >>> doc.line, doc["steps"][0].line
    (1, 2)

(The ledger's own formats are canonical JSON, read by ``booth.ledger.canonical``.)
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from collections import Counter
from typing import Any

#: The kinds of :class:`JsonProblem`.
KINDS = ("not_utf8", "syntax", "duplicate_key", "constant", "too_deep", "value")


class JsonProblem(ValueError):
    """Why a text is not strict JSON.

    ``kind`` is one of :data:`KINDS`; ``line``/``column`` (1-based) say where
    for a syntax error; ``key`` is the first key found twice in an object and
    ``keys`` every key that object repeats (sorted); ``constant`` is the
    ``NaN``/``Infinity`` found; ``cause`` is the decoder's own exception
    (``value``: JSON that Python cannot hold, such as a 5000-digit integer).
    """

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        cause: BaseException,
        line: int | None = None,
        column: int | None = None,
        msg: str = "",
        key: str | None = None,
        keys: tuple[str, ...] = (),
        constant: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind, self.cause = kind, cause
        self.line, self.column, self.msg = line, column, msg
        self.key, self.keys, self.constant = key, keys, constant


class LinedDict(dict):
    """A JSON object that remembers the line it starts on (``loads(..., lines=True)``)."""

    line: int | None = None


class _DuplicateKey(ValueError):
    def __init__(self, first: str, repeated: tuple[str, ...]) -> None:
        super().__init__(f"duplicate key {first!r}")
        self.first, self.repeated = first, repeated


class _Constant(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not JSON")
        self.name = name


def _object(make: type[dict]):
    def pairs(items: list[tuple[str, Any]]) -> dict:
        obj = make()
        first = None
        for key, value in items:
            if key in obj and first is None:
                first = key
            obj[key] = value
        if first is not None:
            counts = Counter(k for k, _ in items)  # linear: a hostile frame may repeat one key thousands of times
            raise _DuplicateKey(first, tuple(sorted(k for k, n in counts.items() if n > 1)))
        return obj

    return pairs


def _refuse_constant(name: str):
    raise _Constant(name)


def _decoder(lines: bool) -> json.JSONDecoder:
    decoder = json.JSONDecoder(object_pairs_hook=_object(LinedDict if lines else dict), parse_constant=_refuse_constant)
    if lines:

        def parse_object(s_and_end, *args):
            s, end = s_and_end
            obj, new_end = json.decoder.JSONObject(s_and_end, *args)
            obj.line = s.count("\n", 0, end) + 1
            return obj, new_end

        # the pure-Python scanner reads parse_object from the decoder; the C one would not
        decoder.parse_object = parse_object  # type: ignore[attr-defined]
        decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder


_PLAIN, _LINED = _decoder(False), _decoder(True)


def loads(data: bytes | str, *, lines: bool = False) -> Any:
    """Parse ``data`` (UTF-8 bytes or text) strictly; raise :class:`JsonProblem`.

    With ``lines``, every object is a :class:`LinedDict` that knows its line.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonProblem("not_utf8", "not UTF-8 text", cause=exc) from None
    try:
        return (_LINED if lines else _PLAIN).decode(data)
    except json.JSONDecodeError as exc:
        raise JsonProblem("syntax", str(exc), cause=exc, line=exc.lineno, column=exc.colno, msg=exc.msg) from None
    except _DuplicateKey as exc:
        raise JsonProblem("duplicate_key", str(exc), cause=exc, key=exc.first, keys=exc.repeated) from None
    except _Constant as exc:
        raise JsonProblem("constant", str(exc), cause=exc, constant=exc.name) from None
    except RecursionError as exc:
        raise JsonProblem("too_deep", str(exc), cause=exc) from None
    except ValueError as exc:  # JSON Python cannot hold: an integer of more than 4300 digits
        raise JsonProblem("value", str(exc), cause=exc) from None
