"""``booth station link`` (the link process) and ``booth station link-credentials`` (provisioning).

The link's configuration is a small TOML file (``/etc/booth/station-link.toml`` on the device)::

    role = "desk"                     # or "booth"
    label = "meja"                    # this device in the station
    listen = "10.42.0.1:7443"         # the desk: the station interface only (never 0.0.0.0)
    # desk = "10.42.0.1:7443"         # a booth: where its desk listens
    credentials = "/var/lib/booth-link/credentials"   # link.key + link.pem (default STATE/credentials)

    [peers.bilik-1]                   # one table per paired device (a booth: only the desk)
    certificate = "/etc/booth/station/bilik-1.pem"
    fingerprint = "9f2c...64 hex..."  # the device key's fingerprint both screens showed at pairing

A bad file is refused with what is wrong, before anything starts.
"""

from __future__ import annotations

import asyncio
import logging
import pwd
import signal
import sys
import tomllib
from pathlib import Path

from booth.ledger import keys
from booth.station import transport
from booth.station.link import BEAT, Link, LinkConfig
from booth.systemd_notify import Notifier

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """The link's configuration cannot be used (message for the journal and the terminal)."""


def _address(text: object, what: str) -> tuple[str, int]:
    if not isinstance(text, str) or ":" not in text:
        raise ConfigError(f"{what}: HOST:PORT expected, got {text!r}")
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if not port.isdigit() or not 0 <= int(port) < 65536 or not host:  # 0: any free port (tests)
        raise ConfigError(f"{what}: HOST:PORT expected, got {text!r}")
    if host in ("0.0.0.0", "::", "*"):
        raise ConfigError(f"{what}: bind to the station interface's address, not to every interface ({host})")
    return host, int(port)


def load_config(path: Path, *, state: Path, role: str, control: Path) -> LinkConfig:
    """Read and check the TOML configuration (see the module docstring)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    known = {"role", "label", "listen", "desk", "credentials", "peers", "beat"}
    if set(raw) - known:
        raise ConfigError(f"{path}: unknown settings {sorted(set(raw) - known)}")
    if raw.get("role") != role:
        raise ConfigError(f"{path}: role is {raw.get('role')!r} but the link was started as {role!r}")
    label = raw.get("label")
    if not isinstance(label, str) or not transport.LABEL.fullmatch(label):
        raise ConfigError(f"{path}: label must be like 'meja' or 'bilik-2', got {label!r}")
    peers = raw.get("peers")
    if not isinstance(peers, dict) or not peers:
        raise ConfigError(f"{path}: no [peers.LABEL] paired")
    pins = []
    for peer, entry in sorted(peers.items()):
        if not isinstance(entry, dict) or set(entry) != {"certificate", "fingerprint"}:
            raise ConfigError(f"{path}: [peers.{peer}] needs certificate and fingerprint, nothing else")
        try:
            pins.append(transport.load_pin(peer, Path(entry["certificate"]), str(entry["fingerprint"])))
        except transport.PeerRefused as exc:
            raise ConfigError(f"{path}: {exc}") from None
    if role == "booth" and len(pins) != 1:
        raise ConfigError(f"{path}: a booth is paired with its desk only, not {len(pins)} devices")
    listen = desk = None
    if role == "desk":
        if "desk" in raw or "listen" not in raw:
            raise ConfigError(f'{path}: the desk needs listen = "ADDRESS:PORT" (and no desk =)')
        listen = _address(raw["listen"], "listen")
    else:
        if "listen" in raw or "desk" not in raw:
            raise ConfigError(f'{path}: a booth needs desk = "ADDRESS:PORT" (and listens nowhere)')
        desk = _address(raw["desk"], "desk")
    beat = raw.get("beat", BEAT)
    if not isinstance(beat, (int, float)) or not 0.05 <= beat <= 60:
        raise ConfigError(f"{path}: beat must be 0.05..60 seconds")
    credentials = Path(raw.get("credentials", state / "credentials"))
    for name in ("link.key", "link.pem"):
        if not (credentials / name).is_file():
            raise ConfigError(f"{credentials / name} missing: run booth station link-credentials first")
    return LinkConfig(
        role=role,
        label=label,
        credentials=credentials,
        pins=pins,
        state=state,
        control=control,
        listen=listen,
        desk=desk,
        beat=float(beat),
    )


def _status_line(link: Link) -> str:
    peers = link.status()["peers"]
    words = ", ".join(f"{label} {p['status']}" for label, p in peers.items())
    return f"Sambungan TPS {link.config.label}: {words} / station link {link.config.label}: {words}"


async def _run(link: Link, notifier: Notifier) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await link.start()
    if link.config.role == "desk":
        print(f"listening {link.config.listen[0] if link.config.listen else ''}:{link.listening_port()}", flush=True)
    tasks = [asyncio.create_task(link.reach_desk())] if link.config.role == "booth" else []
    notifier.ready(_status_line(link))
    print("ready", flush=True)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), link.config.beat)
        except TimeoutError:
            notifier.status(_status_line(link))
            notifier.watchdog()
    notifier.stopping("Sambungan TPS berhenti / station link stopping")
    for task in tasks:
        task.cancel()
    for server in link.servers:
        server.close()
    if link.listener is not None:
        link.listener.close()
    link.store.close()


def _cmd_link(args) -> int:
    from booth.logs import setup_logging

    setup_logging()
    try:
        config = load_config(Path(args.config), state=Path(args.state), role=args.role, control=Path(args.control))
    except ConfigError as exc:
        print(f"booth: {exc}", file=sys.stderr)
        return 2
    allowed = set(args.allow_uid or [])
    for user in args.allow_user or []:
        try:
            allowed.add(pwd.getpwnam(user).pw_uid)
        except KeyError:
            print(f"booth: no such user {user!r}", file=sys.stderr)
            return 2
    if allowed:
        config.allow_uids = allowed
    try:
        link = Link(config)
    except (transport.PeerRefused, OSError, ValueError) as exc:
        print(f"booth: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_run(link, Notifier.from_environment()))
    return 0


def _cmd_credentials(args) -> int:
    try:
        fingerprint = transport.write_credentials(Path(args.device_key), Path(args.out), args.label)
    except (keys.KeyFileError, OSError) as exc:
        print(f"booth: {exc}", file=sys.stderr)
        return 1
    print(f"Kunci sambungan ditulis / link key written: {Path(args.out) / 'link.key'}")
    print(f"  berikan ke perangkat lain / give to the other devices: {Path(args.out) / 'device.pem'}")
    print(f"  sidik jari perangkat / device fingerprint: {keys.short_fingerprint(fingerprint)}")
    print(fingerprint)
    return 0


def _cmd_relay(args) -> int:
    import logging

    from booth.api.client import BoothClient
    from booth.station.link import LinkClient
    from booth.station.relay import Relay, run

    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    relay = Relay(BoothClient(args.socket, timeout=60), LinkClient(args.control, timeout=40), args.role)
    print("ready", flush=True)
    run(relay, watch_every=args.watch_every, board=Path(args.board) if args.board else None)
    return 0


def register(sub) -> None:
    """Add ``station link`` and ``station link-credentials`` to the top-level subcommands."""
    station = sub.add_parser("station", help="TPS dengan meja dan bilik / a station of a desk and booths")
    ssub = station.add_subparsers(dest="station_command", metavar="ACTION", required=True)
    p = ssub.add_parser("link", help="run the station link (TLS 1.3 between the desk and its booths)")
    p.add_argument("--state", required=True, help="the link's own state directory (link.db)")
    p.add_argument("--role", required=True, choices=transport.ROLES)
    p.add_argument("--config", required=True, help="the link's TOML configuration")
    p.add_argument("--control", required=True, help="the Unix socket the application talks to the link on")
    p.add_argument("--allow-uid", type=int, action="append", help="a UID that may use the control socket")
    p.add_argument("--allow-user", action="append", help="a user that may use the control socket")
    p.set_defaults(func=_cmd_link)
    p = ssub.add_parser(
        "relay", help="carry this device's station messages between its ledger socket and its link (holds no key)"
    )
    p.add_argument("--socket", required=True, help="the ledger service's socket (/run/booth/api.sock)")
    p.add_argument("--control", required=True, help="the link's control socket (/run/booth-link/control.sock)")
    p.add_argument("--role", required=True, choices=("desk", "booth"))
    p.add_argument("--watch-every", type=float, default=60.0, metavar="SECONDS", help="ask the peers' checkpoints")
    p.add_argument(
        "--board",
        metavar="PATH",
        help="at the desk: write the booths' board (free / busy / offline) here every second, for the kiosk",
    )
    p.set_defaults(func=_cmd_relay)
    p = ssub.add_parser("link-credentials", help="make the link's key and certificate from the device key")
    p.add_argument("--device-key", required=True, help="the device key (STATE/device.key)")
    p.add_argument("--out", required=True, help="the folder for link.key, link.pem, device.pem")
    p.add_argument("--label", required=True, help="this device in the station: meja, bilik-1 ...")
    p.set_defaults(func=_cmd_credentials)
