"""The kiosk's typed view of the booth (``booth.api.protocol.BoothAPI``) is the socket's method table.

A kiosk screen is written against ``BoothAPI``; the ledger service serves
``booth.api.schema.METHODS``; the booth (``BoothService``) and the client
(``BoothClient``) both claim to provide the interface.  If one of the four
drifts — a method added to the service and not served, a parameter renamed
in the table, an optional one made required, a result served as JSON that
the kiosk expects as bytes — a kiosk running over the socket would fail on
the day where the in-process simulator did not.  These tests hold the four
together, method by method and parameter by parameter, both ways.
"""

from __future__ import annotations

import inspect
import types
import typing

import pytest

from booth.api.client import BoothClient
from booth.api.protocol import BoothAPI
from booth.api.schema import METHODS, NOT_SERVED, NOT_SERVED_PARAMS, Method, Param
from booth.service import BoothService

# What each kind of parameter in the table arrives as in Python, once the schema let it through.
PYTHON_TYPE = {"text": str, "int": int, "bytes": bytes, "labels": dict, "statements": dict}
# What each kind of result in the table is to the caller.
RESULT_TYPE = {"none": type(None), "bytes": bytes}


def _members(cls: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in vars(cls).items() if callable(fn) and not name.startswith("_")}


def _public_methods(cls: type) -> set[str]:
    return {name for name, fn in inspect.getmembers(cls, callable) if not name.startswith("_")}


def _shape(signature: inspect.Signature, skip: frozenset[str] = frozenset()) -> list[tuple[str, bool, bool]]:
    """Each parameter: (name, keyword-only, required) — what a caller of the method must know."""
    return [
        (p.name, p.kind == p.KEYWORD_ONLY, p.default is p.empty)
        for p in signature.parameters.values()
        if p.name != "self" and p.name not in skip
    ]


def _table_shape(method: Method) -> list[tuple[str, bool, bool]]:
    return [(p.name, p.keyword_only, p.required) for p in method.params]


def _arms(annotation: object) -> set[object]:
    """``str | None`` -> {str, NoneType}; ``list[dict]`` -> {list}; ``dict`` -> {dict}."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return set().union(*(_arms(a) for a in typing.get_args(annotation)))
    return {typing.get_origin(annotation) or annotation}


def _hints(name: str) -> dict[str, object]:
    return typing.get_type_hints(getattr(BoothAPI, name))


def test_every_served_method_is_in_the_protocol_and_every_member_is_served():
    members = _members(BoothAPI)
    assert sorted(set(METHODS) - set(members)) == [], "served but missing from BoothAPI"
    assert sorted(set(members) - set(METHODS)) == [], "in BoothAPI but not served"
    assert list(members) == list(METHODS), "BoothAPI lists the served methods in the table's order"


def test_every_public_method_of_the_booth_is_served_or_said_why_not():
    public = _public_methods(BoothService)
    assert sorted(public - set(METHODS) - set(NOT_SERVED)) == [], "neither served nor in NOT_SERVED"
    assert sorted(set(NOT_SERVED) - public) == [], "NOT_SERVED names a method the booth does not have"
    assert set(NOT_SERVED).isdisjoint(METHODS)
    for method, param in NOT_SERVED_PARAMS:
        assert param in inspect.signature(getattr(BoothService, method)).parameters, (method, param)
        assert param not in [p.name for p in METHODS[method].params], (method, param)


@pytest.mark.parametrize("name", [n for n, m in METHODS.items() if not m.special])
def test_each_served_method_takes_the_same_parameters_as_the_protocol(name):
    method = METHODS[name]
    signature = _members(BoothAPI)[name]
    assert _shape(signature) == _table_shape(method)
    hints = _hints(name)
    for p in method.params:
        arms = _arms(hints[p.name])
        assert PYTHON_TYPE[p.kind] in arms, (p.name, p.kind, hints[p.name])
        assert (type(None) in arms) == p.nullable, (p.name, "nullable in the table and Optional in BoothAPI")
        assert arms - {type(None)} == {PYTHON_TYPE[p.kind]}, (p.name, hints[p.name])


@pytest.mark.parametrize("name", list(METHODS))
def test_each_served_method_returns_what_the_protocol_says(name):
    method = METHODS[name]
    returned = _arms(_hints(name)["return"])
    if method.special:
        return  # the client adapts the result (export writes the bytes to a file and returns its path)
    if method.result in RESULT_TYPE:
        assert returned == {RESULT_TYPE[method.result]}, (method.result, returned)
    else:
        assert returned & {bytes, type(None)} == set(), f"{name} is served as JSON, not as {returned}"


@pytest.mark.parametrize("name", [n for n, m in METHODS.items() if m.special])
def test_the_methods_the_client_adapts_say_how(name):
    method: Method = METHODS[name]
    assert method.doc, f"{name} is special: its table entry says how the client adapts it"
    # the kiosk's side of it is the protocol's, and the client is the one that provides it
    assert _shape(inspect.signature(getattr(BoothClient, name))) == _shape(_members(BoothAPI)[name])
    assert all(isinstance(p, Param) for p in method.params)


def test_the_booth_and_the_client_both_provide_the_booth_api():
    assert issubclass(BoothService, BoothAPI) and issubclass(BoothClient, BoothAPI)
    for name, signature in _members(BoothAPI).items():
        booth = inspect.signature(getattr(BoothService, name))
        not_served = frozenset(param for (method, param) in NOT_SERVED_PARAMS if method == name)
        assert _shape(booth, not_served) == _shape(signature), f"BoothService.{name}"
        assert booth.return_annotation == signature.return_annotation, f"BoothService.{name} returns"
        for theirs, ours in zip(
            [p for p in booth.parameters.values() if p.name not in not_served],
            signature.parameters.values(),
            strict=True,
        ):
            assert theirs.annotation == ours.annotation, f"BoothService.{name}({ours.name})"
        assert _shape(inspect.signature(getattr(BoothClient, name))) == _shape(signature), f"BoothClient.{name}"


def test_a_control_protocol_that_drifted_is_caught():
    """The comparison can fail: a protocol with one parameter renamed and one made optional differs."""

    class Drifted(typing.Protocol):
        def sign_in(self, companion: str, pin: str = "") -> str: ...

    assert _shape(inspect.signature(Drifted.sign_in)) != _table_shape(METHODS["sign_in"])
