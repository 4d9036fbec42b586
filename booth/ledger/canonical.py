"""Canonical JSON: the one byte encoding of every hashed or signed record.

Rules (written down in docs/ledger-format.md, section "Canonical JSON"):

* UTF-8, no byte-order mark, no insignificant white space;
* object keys sorted by their UTF-16 code units (the same as code points for
  the Basic Multilingual Plane, which is all booth writes), no duplicate keys;
* only ``null``, ``true``, ``false``, integers in [-(2**53-1), 2**53-1],
  strings, arrays and objects: no floats, so no float formatting to agree on;
* strings escaped as Python's ``json`` does with ``ensure_ascii=False``
  (``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t``, ``\\b``, ``\\f``, other
  control characters as ``\\u00XX``; everything else literal).

>>> canonical({"b": 1, "a": [True, None, "é"]})
b'{"a":[true,null,"\\xc3\\xa9"],"b":1}'
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

MAX_SAFE_INT = 2**53 - 1


class NotCanonical(ValueError):
    """A value cannot be, or a byte string is not, canonical JSON."""


def _check(value: Any, path: str = "$") -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise NotCanonical(f"{path}: string is not valid Unicode text") from None
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise NotCanonical(f"{path}: integer {value} outside the safe range")
        return
    if isinstance(value, float):
        raise NotCanonical(f"{path}: floats are not allowed in canonical JSON")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"{path}: object key {key!r} is not a string")
            _check(item, f"{path}.{key}")
        return
    raise NotCanonical(f"{path}: {type(value).__name__} is not a JSON value")


def canonical(value: Any) -> bytes:
    """Encode ``value`` as canonical JSON bytes (see module docstring)."""
    _check(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise NotCanonical("duplicate key in object")
    return dict(pairs)


def _refuse_float(text: str) -> NoReturn:
    raise NotCanonical("float in JSON")


def _refuse_constant(text: str) -> NoReturn:
    raise NotCanonical(f"{text} in JSON")


def _safe_int(text: str) -> int:
    value = int(text)
    if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
        raise NotCanonical(f"integer {text} outside the safe range")
    return value


# One decoder and one encoder for the whole process: the verifier parses
# hundreds of thousands of records, and building them per call dominated.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_float=_refuse_float, parse_constant=_refuse_constant, parse_int=_safe_int
)
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
# Without the duplicate-key hook (a Python call per object, the parse's largest cost after
# the C scanner): a duplicated key cannot survive the byte comparison below, because the
# decoded object holds one pair fewer than the text, so its re-encoding is shorter.  The
# hooked decoder runs only on text already refused, to say why.
_FAST_DECODER = json.JSONDecoder(parse_float=_refuse_float, parse_constant=_refuse_constant, parse_int=_safe_int)


# The same decoder's scanner and the same encoder's C core, called without the per-call
# set-up of JSONDecoder.decode and JSONEncoder.encode (building a C encoder per record was
# a third of the parse): the verifier's common case, text that is canonical.  Anything the
# short way does not accept takes the full way below, which says what is wrong.  No
# circular-reference check is needed: a parsed value cannot contain itself.
try:
    from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]
    from json.encoder import encode_basestring as _encode_basestring
except ImportError:  # a Python without the _json accelerator
    _c_make_encoder = None
_C_ENCODE = (
    _c_make_encoder(None, _ENCODER.default, _encode_basestring, None, ":", ",", True, False, False)
    if _c_make_encoder is not None
    else None
)
_SCAN = _FAST_DECODER.scan_once  # type: ignore[attr-defined]


def parse_canonical(data: bytes) -> Any:
    """Parse ``data`` and insist that it is exactly the canonical encoding.

    Raises :class:`NotCanonical` for anything else (bad UTF-8, floats,
    duplicate keys, extra white space, unsorted keys).  The hooks of the
    decoder refuse floats, NaN and unsafe integers as they are read, so the
    re-encoding below needs no second walk over the value.
    """
    if _C_ENCODE is not None and type(data) is bytes:
        try:
            text = data.decode("utf-8")
            value, end = _SCAN(text, 0)
            # compared as text: ``text`` is the strict UTF-8 decoding of ``data``, so it is equal
            # to the re-encoding exactly when its UTF-8 bytes are (one encode fewer per record)
            if end == len(text) and "".join(_C_ENCODE(value, 0)) == text:
                return value
        except Exception:  # noqa: BLE001 - whatever it is, the full parse below names it
            pass
    try:
        value = _FAST_DECODER.decode(data.decode("utf-8"))
        again = _ENCODER.encode(value).encode("utf-8")
    except NotCanonical:
        raise
    except (UnicodeError, ValueError, RecursionError, AttributeError) as exc:
        raise NotCanonical(f"not valid JSON: {exc}") from None
    if again != data:
        _DECODER.decode(data.decode("utf-8"))  # raises NotCanonical for a duplicate key
        raise NotCanonical("JSON is valid but not in canonical form")
    return value
