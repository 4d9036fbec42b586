"""``booth witness build OUT``: the saksi app as plain files and a zip."""

from __future__ import annotations

import sys
from pathlib import Path


def _cmd_build(args) -> int:
    from booth.witness import ZIP_NAME, WitnessBuildError, app_files, build

    try:
        out = build(Path(args.out))
    except (WitnessBuildError, OSError) as exc:
        print(f"booth: {exc}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in app_files())
    print(f"Aplikasi saksi ditulis / witness app written: {out} ({len(app_files())} berkas / files, {size} bytes)")
    print(f"  zip untuk dibagikan / zip to share: {out / ZIP_NAME}")
    print(
        "  sajikan lewat HTTPS agar kamera dan mode offline berfungsi / "
        "serve it over HTTPS for the camera and offline use"
    )
    return 0


def register(sub) -> None:
    """Add ``witness build`` to the top-level subcommands."""
    witness = sub.add_parser("witness", help="aplikasi saksi / the witness app (scan and check the QR reports)")
    wsub = witness.add_subparsers(dest="witness_command", metavar="ACTION", required=True)
    p = wsub.add_parser("build", help="write the witness app to OUT as plain files plus a zip to share")
    p.add_argument("out", help="folder to write")
    p.set_defaults(func=_cmd_build)
