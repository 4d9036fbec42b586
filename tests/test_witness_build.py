"""How a saksi gets the app: `booth witness build OUT` (plain files and a zip), the recap's /saksi/,
and a build that gives the same bytes every time (so the committed app matches its sources)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from booth.witness import APP, ZIP_NAME, WitnessBuildError, build
from test_witness_vectors import WITNESS, node_ready

ROOT = Path(__file__).resolve().parent.parent


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_booth_witness_build_writes_the_app_and_a_zip_a_committee_can_share(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "booth", "witness", "build", str(tmp_path / "saksi")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Aplikasi saksi ditulis" in run.stdout and ZIP_NAME in run.stdout
    out = tmp_path / "saksi"
    for name in ("index.html", "app.js", "sw.js", "manifest.webmanifest", "zxing_reader.wasm", "icon-192.png"):
        assert (out / name).read_bytes() == (APP / name).read_bytes()
    manifest = json.loads((out / "manifest.webmanifest").read_text("utf-8"))
    assert manifest["display"] == "standalone" and manifest["lang"] == "id"
    with zipfile.ZipFile(out / ZIP_NAME) as zf:
        assert sorted(zf.namelist()) == sorted(f"saksi/{p.name}" for p in APP.iterdir() if p.is_file())
        assert zf.read("saksi/index.html") == (APP / "index.html").read_bytes()
    # Built again: the same bytes, zip included (a committee can compare the hash they were given).
    again = build(tmp_path / "again")
    assert digest(again) == digest(out)


def test_no_cdn_at_run_time_the_decoder_is_in_the_app():
    script = (APP / "app.js").read_text("utf-8")
    assert "zxing_reader.wasm" in script
    html = (APP / "index.html").read_text("utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert (APP / "zxing_reader.wasm").read_bytes()[:4] == b"\0asm"
    # The precache list names every file the page needs (the offline promise).
    sw = (APP / "sw.js").read_text("utf-8")
    for p in APP.iterdir():
        if p.name not in ("sw.js", "VERSION"):
            assert f'"{p.name}"' in sw, p.name


def test_an_app_that_was_never_built_is_refused_with_words(tmp_path):
    with pytest.raises(WitnessBuildError) as refused:
        build(tmp_path / "out", app=tmp_path / "nothing")
    assert "scripts/build-witness" in refused.value.id and "not built" in refused.value.en
    (tmp_path / "file").write_text("x")
    with pytest.raises(WitnessBuildError, match="bukan folder"):
        build(tmp_path / "file")


def test_the_recap_serves_the_built_app_at_saksi(tmp_path):
    from booth.recap.web import create_app

    with TestClient(create_app(None, data_dir=tmp_path)) as c:
        page = c.get("/saksi/")
        assert page.status_code == 200 and "Saksi booth" in page.text
        wasm = c.get("/saksi/zxing_reader.wasm")
        assert wasm.status_code == 200 and wasm.headers["content-type"] == "application/wasm"
        assert c.get("/saksi/sw.js").status_code == 200
        # compressed on the wire: a phone's first visit stays under 500 KB
        gz = c.get("/saksi/zxing_reader.wasm", headers={"accept-encoding": "gzip"})
        assert gz.headers.get("content-encoding") == "gzip" and len(gz.content) == len(wasm.content)
        assert int(gz.num_bytes_downloaded) < len(wasm.content) * 0.6
        # The app brings its own policy (camera, WebAssembly, the recap URL a saksi types).
        assert "content-security-policy" not in {k.lower() for k in page.headers}
        assert "wasm-unsafe-eval" in page.text


def test_building_from_the_sources_gives_the_committed_bytes(tmp_path):
    """esbuild over the locked packages, twice: the committed booth/witness/app/ each time."""
    node_ready()
    for attempt in ("one", "two"):
        out = tmp_path / attempt
        run = subprocess.run(
            ["node", "build.mjs", str(out)], cwd=WITNESS, capture_output=True, text=True, timeout=120, check=False
        )
        assert run.returncode == 0, run.stderr
        assert digest(out) == digest(APP), f"build {attempt} differs from booth/witness/app: run scripts/build-witness"
    assert shutil.which("node")
