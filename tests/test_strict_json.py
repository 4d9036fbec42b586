"""One strict JSON reader for what booth did not write: socket frames, election packages, scenario files.

Whatever the bytes, ``booth.strict_json.loads`` returns what ``json.loads``
would — or raises ``JsonProblem`` saying which kind of problem (never another
exception), so each reader can word it for its own people.
"""

from __future__ import annotations

import doctest
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booth import strict_json
from booth.strict_json import KINDS, JsonProblem, loads

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_what_json_writes_reads_back_the_same(value):
    text = json.dumps(value)
    assert loads(text) == value == loads(text.encode("utf-8"))


@settings(max_examples=500, deadline=None)
@given(
    st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | st.lists(
        st.sampled_from(["{", "}", "[", "]", '"a"', ":", ",", "1", "NaN", "-Infinity", "null", " "]), max_size=30
    ).map(lambda parts: "".join(parts).encode())
)
def test_anything_else_is_a_json_problem_of_a_known_kind(data):
    try:
        loads(data)
    except JsonProblem as exc:
        assert exc.kind in KINDS and str(exc)


@pytest.mark.parametrize(
    "data, kind, where",
    [
        (b'{"id": 1, "id": 2}', "duplicate_key", {"key": "id", "keys": ("id",)}),
        (b'{"b": 1, "a": 1, "b": 2, "a": 2}', "duplicate_key", {"key": "b", "keys": ("a", "b")}),
        (b'{"limit": NaN}', "constant", {"constant": "NaN"}),
        (b"[-Infinity]", "constant", {"constant": "-Infinity"}),
        (b'{"a": 1,\n "b": }', "syntax", {"line": 2, "column": 7}),
        (b"\xff{}", "not_utf8", {}),
        (b"[" * 100_000 + b"]" * 100_000, "too_deep", {}),
        (b"9" * 5000, "value", {}),
    ],
)
def test_each_problem_says_what_and_where(data, kind, where):
    with pytest.raises(JsonProblem) as problem:
        loads(data)
    assert problem.value.kind == kind
    for key, value in where.items():
        assert getattr(problem.value, key) == value


def test_objects_know_their_lines_when_asked():
    doc = loads('{\n "steps": [\n  {"step": "open"},\n\n  {"step": "close"}\n ]\n}', lines=True)
    assert (doc.line, doc["steps"][0].line, doc["steps"][1].line) == (1, 3, 5)
    assert not hasattr(loads('{"a": {}}')["a"], "line")


def test_the_examples_hold():
    assert doctest.testmod(strict_json).failed == 0


def test_the_readers_of_outside_json_all_use_it():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in ("booth/api/wire.py", "booth/election_package/checks.py", "hw-sim/booth_sim/day/scenario.py"):
        source = (root / path).read_text(encoding="utf-8")
        assert "strict_json" in source and "object_pairs_hook" not in source, path
