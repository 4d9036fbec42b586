"""docs/election-day.md says what the code does: the roles table and the API list."""

import re
from pathlib import Path

from booth.companions import PERMISSIONS, ROLES
from booth.polls import TRANSITIONS
from booth.service import BoothService

DOC = (Path(__file__).parent.parent / "docs" / "election-day.md").read_text()


def test_the_roles_table_is_the_permission_table():
    section = DOC.split("## Roles", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \|(.*)\|$", section, re.M)
    documented = {
        action: frozenset(r for r, cell in zip(ROLES, cells.split("|"), strict=False) if "✓" in cell)
        for action, cells in rows
        if action in PERMISSIONS
    }
    assert documented == PERMISSIONS


def test_every_public_method_of_the_client_api_is_documented():
    public = {name for name in dir(BoothService) if not name.startswith("_") and callable(getattr(BoothService, name))}
    public -= {"open", "provision", "close"}
    missing = sorted(name for name in public if f"`{name}`" not in DOC and f"`{name}(" not in DOC)
    assert not missing, f"undocumented API methods: {missing}"


def test_every_polls_transition_is_documented():
    for name, (_, _target, event) in TRANSITIONS.items():
        assert f"| `{name}` |" in DOC and f"`{event}`" in DOC
