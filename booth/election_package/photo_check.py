"""The child that checks a package's photos for the ledger service (``isolate_photo_checks``).

Reads the photos as length-prefixed frames on stdin, writes ``{name: [[en, id], ...]}`` (each
photo's problems, in the words of ``checks._check_photo``) on stdout, and exits: Pillow's memory
goes with it.
"""

from __future__ import annotations

import sys

from booth.election_package.checks import check_photos_answer


def main() -> int:
    sys.stdout.buffer.write(check_photos_answer(sys.stdin.buffer.read()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
