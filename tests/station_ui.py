"""A desk and a booth, each its own kiosk and state, paired: the station's screens driven by tests,
the screen gallery and the text-size test (``tests/test_ui_station.py``)."""

from __future__ import annotations

from booth.kiosk.booth_board import SimulatedBoard
from test_ui_support import make_day


def paired_desk_and_booths(
    root, pkg, *, size=(800, 480), language="id", booths=3, rng=None, device_key=None, booth_keys=None
):
    """(desk day, [booth days]): every device open, booth N paired with the desk as number N; the
    desk's board says every booth is free since opening, and a release the desk issues is carried
    to its booth's ``accept_release`` (what the link and the relay do on the appliance)."""
    desk = make_day(
        root / "desk", pkg, stage="open", size=size, language=language, role="desk", rng=rng, device_key=device_key
    )
    days = []
    for n in range(1, booths + 1):
        key = booth_keys[n - 1] if booth_keys else None
        b = make_day(root / f"booth-{n}", pkg, stage="open", size=size, language=language, role="booth", device_key=key)
        b.clock.set(desk.clock.now())
        dk, bk = desk.svc.ledger.key.verifier_key(), b.svc.ledger.key.verifier_key()
        desk.svc.pair_booth(desk.token(), n, bk, b.svc.pairing_code(dk)["code"])
        b.svc.pair_desk(b.token(), dk, n, desk.svc.pairing_code(bk)["code"])
        days.append(b)
    opened = desk.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    board = SimulatedBoard({n: "free" for n in range(1, booths + 1)}, since=opened)
    desk.app.booth_board = board
    carried: list[tuple[int, bytes]] = []

    def carry(number: int, token: bytes) -> None:
        carried.append((number, token))
        days[number - 1].clock.set(desk.clock.now())
        days[number - 1].svc.accept_release(token)

    desk.app.on_release = carry
    desk.carried = carried  # type: ignore[attr-defined]
    return desk, days
