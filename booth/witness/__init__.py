"""The saksi (witness) app: where its built files are, and how to hand them out.

The app itself is JavaScript in ``witness/`` (sources, locked npm packages, esbuild), built by
``scripts/build-witness`` into ``booth/witness/app/``; those built files are committed, so a
machine without node can serve them (``booth recap serve`` mounts them at ``/saksi/``) or write
them out with :func:`build` (``booth witness build OUT``) as plain files and a zip a committee
shares.  :mod:`booth.witness.check` is the app's verdict in Python and
:mod:`booth.witness.cosign` checks the cosignatures witnesses make.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

#: The built app (committed): index.html, app.js, sw.js, zxing_reader.wasm, ...
APP = Path(__file__).resolve().parent / "app"
ZIP_NAME = "saksi-booth.zip"
#: Zip entries carry this time, so the zip of one build is always the same bytes.
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


class WitnessBuildError(RuntimeError):
    """The app cannot be written (not built, or OUT is unusable); ``.id``/``.en`` say why."""

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(f"{message_id} ({message_en})")
        self.id = message_id
        self.en = message_en


def app_files(app: Path = APP) -> list[Path]:
    """The built app's files, sorted by name (raises WitnessBuildError if it was never built)."""
    if not (app / "index.html").is_file() or not (app / "sw.js").is_file():
        raise WitnessBuildError(
            f"Aplikasi saksi belum dibangun di {app}: jalankan scripts/build-witness",
            f"The witness app is not built in {app}: run scripts/build-witness",
        )
    return sorted(p for p in app.iterdir() if p.is_file())


def build(out_dir: Path, app: Path = APP) -> Path:
    """Write the app to ``out_dir`` as plain files plus ``saksi-booth.zip``; return ``out_dir``.

    ``out_dir`` works from any static web server (serve it over HTTPS, or on localhost: phones
    open the camera and keep the app offline only in a secure context); the zip holds the same
    files for a committee to pass around.  Both are the same bytes for the same build.
    """
    files = app_files(app)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise WitnessBuildError(f"{out_dir} bukan folder", f"{out_dir} is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copyfile(path, out_dir / path.name)
    with zipfile.ZipFile(out_dir / ZIP_NAME, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(f"saksi/{path.name}", _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    return out_dir
