"""``booth recap user add|remove|list --data DIR``: the committee's sign-in accounts.

R1's ``booth recap`` parser registers these with ``register(recap_subparsers)``.
The password is read from the terminal (twice) or, with ``--password-stdin``,
from one line of standard input (for scripts).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path


def register(subparsers) -> None:
    """Add the ``user`` subcommand to the ``booth recap`` subparsers."""
    user = subparsers.add_parser("user", help="akun panitia / committee accounts for the web pages")
    sub = user.add_subparsers(dest="user_command", required=True)
    add = sub.add_parser("add", help="tambah akun / add an account (or --replace its password)")
    add.add_argument("--data", required=True, help="the recap's data directory")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--replace", action="store_true", help="set a new password for an existing account")
    add.set_defaults(func=_cmd_add)
    rm = sub.add_parser("remove", help="hapus akun / remove an account")
    rm.add_argument("--data", required=True)
    rm.add_argument("name")
    rm.set_defaults(func=_cmd_remove)
    ls = sub.add_parser("list", help="daftar akun / list the accounts")
    ls.add_argument("--data", required=True)
    ls.set_defaults(func=_cmd_list)


def _book(args):
    from booth.recap.web.users import UserBook

    data = Path(args.data)
    if not data.is_dir():
        print(f"booth: folder data tidak ada / no data directory: {data}", file=sys.stderr)
        return None
    return UserBook(data)


def _cmd_add(args) -> int:
    from booth.recap.web.users import UserError

    book = _book(args)
    if book is None:
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Kata sandi / password: ")
        if getpass.getpass("Ulangi / again: ") != password:
            print("booth: kata sandi tidak sama / the passwords differ", file=sys.stderr)
            return 1
    try:
        user = book.add(args.name, password, replace=args.replace)
    except UserError as exc:
        print(f"booth: {exc}", file=sys.stderr)
        return 1
    print(f"Akun panitia disimpan / committee account saved: {user.name}")
    return 0


def _cmd_remove(args) -> int:
    from booth.recap.web.users import UserError

    book = _book(args)
    if book is None:
        return 2
    try:
        book.remove(args.name)
    except UserError as exc:
        print(f"booth: {exc}", file=sys.stderr)
        return 1
    print(f"Akun dihapus / account removed: {args.name}")
    return 0


def _cmd_list(args) -> int:
    book = _book(args)
    if book is None:
        return 2
    for user in book.list():
        print(f"{user.name}\t{user.added_at}")
    return 0
