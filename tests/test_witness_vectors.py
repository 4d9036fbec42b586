"""The saksi app's JavaScript verifier passes every vector of docs/results-statement.md.

One format, two implementations: the Python tests (tests/test_qr_vectors.py) and these read the
same ```vector blocks.  Both Ed25519 paths of the app are run: the browser's WebCrypto (Node's
here) and @noble/ed25519 (what a phone without WebCrypto Ed25519 uses).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WITNESS = ROOT / "witness"
DOC = ROOT / "docs" / "results-statement.md"


def node_ready() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not (WITNESS / "node_modules" / "@noble" / "ed25519").is_dir():
        pytest.skip("witness/node_modules missing: run scripts/build-witness")


@pytest.mark.parametrize("backend", ["webcrypto", "noble"])
def test_the_javascript_verifier_passes_every_vector_of_the_format_document(backend):
    node_ready()
    args = ["node", "test/vectors.mjs", str(DOC)] + (["--noble"] if backend == "noble" else [])
    run = subprocess.run(args, cwd=WITNESS, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    names = re.findall(r"^```vector ([\w.-]+)$", DOC.read_text("utf-8"), re.MULTILINE)
    assert len(names) >= 11
    for name in names:
        assert re.search(rf"^ok +{re.escape(name)}: ", run.stdout, re.MULTILINE), f"{name} not checked:\n{run.stdout}"
    assert f"{len(names)} vectors, 0 failures" in run.stdout


def test_a_vector_changed_in_the_document_makes_the_javascript_verifier_fail(tmp_path):
    node_ready()
    text = DOC.read_text("utf-8").replace('expect: "fail"\nreason: "origin"', 'expect: "ok"', 1)
    (tmp_path / "doc.md").write_text(text, "utf-8")
    run = subprocess.run(
        ["node", "test/vectors.mjs", str(tmp_path / "doc.md")],
        cwd=WITNESS,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert "FAIL opening-forged-name: refused (origin" in run.stdout
