"""``booth service ...``: the appliance's long-running services.

``booth service ledger`` runs the booth's core and ledger and serves them to
the kiosk on a Unix socket (``booth.api``); systemd starts it as
``booth-ledger.service`` (see systemd/ and docs/appliance.md)::

    booth service ledger --state /var/lib/booth --socket /run/booth/api.sock \\
        --allow-user booth-kiosk --init

``--fake-clock 2025-11-16T00:00:00+00:00`` starts the booth on a clock that
only moves when a client calls ``fake_clock_advance`` / ``fake_clock_set``:
for tests and the simulator, never on a device.
"""

from __future__ import annotations


def _cmd_ledger(args) -> int:
    from booth.api.start import run_ledger

    return run_ledger(
        args.state,
        args.socket,
        allow_uids=args.allow_uid,
        allow_users=args.allow_user,
        init=args.init,
        fake_clock=args.fake_clock,
        frame_timeout=args.frame_timeout,
        max_clients=args.max_clients,
    )


def register(sub) -> None:
    """Add ``booth service`` to the top-level subcommands (``sub`` from ``add_subparsers``)."""
    service = sub.add_parser("service", help="the appliance's services (run by systemd)")
    ssub = service.add_subparsers(dest="service_command", metavar="SERVICE")
    ssub.required = True
    p = ssub.add_parser(
        "ledger",
        help="serve the booth (core + ledger) to the kiosk on a Unix socket",
        description="Serve the booth to the kiosk on a Unix socket. Under systemd the "
        "socket comes from booth-ledger.socket and --socket is not used.",
    )
    p.add_argument("--state", required=True, help="state directory (database, device key, photo vault)")
    p.add_argument("--socket", help="socket path to bind when not socket-activated, e.g. /run/booth/api.sock")
    p.add_argument(
        "--allow-user",
        action="append",
        metavar="NAME",
        help="user whose processes may connect (the kiosk's: booth-kiosk); repeatable "
        "(default, with no --allow-user or --allow-uid: the user running the service)",
    )
    p.add_argument(
        "--allow-uid", action="append", type=int, metavar="UID", help="UID whose processes may connect; repeatable"
    )
    p.add_argument(
        "--init", action="store_true", help="first start: provision a new device (key, empty ledger) if STATE is empty"
    )
    p.add_argument(
        "--fake-clock", metavar="UTC", help="TESTS ONLY: start the booth's clock at UTC and let clients move it"
    )
    p.add_argument(
        "--frame-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="a request must arrive whole within this once begun (default 10)",
    )
    p.add_argument("--max-clients", type=int, default=8, help="connections served at once (default 8)")
    p.set_defaults(func=_cmd_ledger)
