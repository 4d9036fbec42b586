"""The ```vector <name>``` blocks of docs/ledger-format*.md, for the tests that check them."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def doc_vectors() -> dict[str, str]:
    """Every ```vector <name> fenced block in docs/ledger-format*.md, by name."""
    blocks: dict[str, str] = {}
    for path in sorted(DOCS.glob("ledger-format*.md")):
        for name, body in re.findall(r"^```vector ([\w.-]+)\n(.*?)^```$", path.read_text("utf-8"), re.M | re.S):
            blocks[name] = body
    return blocks


def fields(body: str) -> dict[str, str]:
    """A block of ``key: value`` lines as a dict."""
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in body.splitlines() if line.strip())}
