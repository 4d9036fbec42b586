"""The screen gallery: a PNG of every voter and companion screen, per resolution and language.

    python -m booth_dev.gallery docs/screens            # every resolution, both languages
    python -m booth_dev.gallery /tmp/g --sizes 720x1280 --languages id,en

For each resolution and language the kiosk is driven headless
(:class:`~booth.ui.driver.KioskDriver`) through

1. the companion's whole day, from a new device to a packed one
   (``full_day`` in ``tests/test_ui_support.py``: package, custody, PINs,
   self-test, zero report, check-in, refusal, DPTb, paper out, camera failure,
   pause, close, count, export, verify, pack);
2. every voter screen in order: waiting, ballot, confirmation, printing, check
   your slip, the photo (look, countdown, review), thank you, the idle prompt
   and "Panggil petugas";
3. the voter's settings: large text, high contrast, both, the other language;
4. a ballot with five candidates (the most the kiosk shows without scrolling).

Screens are written as ``OUT/<W>x<H>/<lang>/NN-<screen>.png`` (palette PNGs,
to keep the committed folder small) with ``OUT/README.md``, the gallery page:
one table per resolution, a row per screen, Indonesian first.

The walk reuses the kiosk tests' scenario builders (``tests/test_ui_support.py``),
so this is a tool for a source checkout, not for the appliance.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from booth.hardware.controls import Nav

RESOLUTIONS = ((720, 1280), (800, 480), (1024, 600), (1280, 800))
LANGUAGES = ("id", "en")
LANGUAGE_TITLES = {"id": "Bahasa Indonesia", "en": "English"}
FIVE = [  # the two candidates added to the demo's three for the five-candidate ballot
    (4, "DARMAJI SUSANTO", (123, 31, 162), (60, 60, 70), (180, 130, 95), "peci"),
    (5, "NURHAYATI HANDAYANI", (0, 121, 107), (250, 230, 200), (215, 170, 130), "hijab"),
]


@dataclass
class Shot:
    """One saved screen: its file and what it shows."""

    path: Path
    screen: str
    caption: str


@dataclass
class Gallery:
    """What :func:`make_gallery` wrote: shots per (resolution, language)."""

    out: Path
    shots: dict[tuple[str, str], list[Shot]] = field(default_factory=dict)


def _support():
    """The kiosk tests' day builders (``tests/test_ui_support.py`` next to the package)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    tests = Path(__file__).resolve().parents[2] / "tests"
    if not (tests / "test_ui_support.py").exists():
        raise SystemExit("booth_dev.gallery needs a source checkout (tests/test_ui_support.py)")
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    import test_ui_support  # type: ignore[import-not-found]  # the tests' folder, put on the path above

    return test_ui_support


class _Camera:
    """Saves the driver's frames as ``NN-<screen>.png``, skipping exact repeats of a screen."""

    def __init__(self, drv, folder: Path) -> None:
        self.drv = drv
        self.folder = folder
        self.shots: list[Shot] = []
        self._seen: set[tuple] = set()
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, caption: str | None = None) -> Path | None:
        frame = self.drv.app.frame
        key = (frame.screen, tuple(frame.texts()))
        if key in self._seen and caption is None:  # a walk's repeat; a named variant is always kept
            return None
        self._seen.add(key)
        name = caption or frame.screen
        path = self.folder / f"{len(self.shots) + 1:02d}-{name}.png"
        _save_small(self.drv.app.surface, path)
        self.shots.append(Shot(path, frame.screen, name))
        return path


def _save_small(surface, path: Path, *, fast: bool = False) -> None:
    """A palette PNG (256 colours, optimised): a third of the size, the screen still exact enough.

    ``fast`` (a scenario's hundreds of steps): a quicker palette and no optimising, about five
    times faster, the file about as small."""
    import pygame
    from PIL import Image

    w, h = surface.get_size()
    image = Image.frombytes("RGB", (w, h), pygame.image.tobytes(surface, "RGB"))
    if fast:
        image.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(path, compress_level=6)
    else:
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def fixed_keys():
    """The gallery's committee key pair and device key, the same on every run.

    A booth makes these at random; with them fixed, the election ID, the device's fingerprint and
    the checkpoints on the screens come out the same, so refreshing the gallery changes a PNG only
    when its screen changed.  Never keys for a real election: anyone can make them again from here.
    """
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from booth.election_package import CommitteeKeyPair

    def seed(word: str) -> bytes:
        return hashlib.sha256(f"booth screen gallery (not a real key): {word}".encode()).digest()

    committee = CommitteeKeyPair(
        Ed25519PrivateKey.from_private_bytes(seed("committee signing")),
        X25519PrivateKey.from_private_bytes(seed("committee sealing")),
    )
    return committee, Ed25519PrivateKey.from_private_bytes(seed("device"))


def five_candidate_package(root: Path, keys=None):
    """The demo package with five candidates, each portrait drawn with its own number; signed."""
    import json

    from booth.demo_election import make_demo_package, portrait
    from booth.election_package import (
        ELECTION_FILE,
        PHOTO_DIR,
        load_package,
        sign_package,
    )

    pkg_dir, keys = make_demo_package(root, voters=30, keys=keys)
    election = json.loads((pkg_dir / ELECTION_FILE).read_text(encoding="utf-8"))
    for number, name, background, clothing, skin, headwear in FIVE:
        (pkg_dir / PHOTO_DIR / f"{number}.jpg").write_bytes(portrait(number, background, clothing, skin, headwear))
        election["candidates"].append({"number": number, "name": name, "photo": f"{number}.jpg"})
    (pkg_dir / ELECTION_FILE).write_text(json.dumps(election, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sign_package(pkg_dir, keys)
    return pkg_dir, load_package(pkg_dir)


def _voter_screens(s, day, shot) -> None:
    """Every voter screen, in the order a voter meets them, then the voter's settings."""
    d, T = day.drv, s.T
    d.step()
    shot()  # waiting
    day.release(0)
    d.step()
    assert d.screen == "ballot", d.screen
    shot()
    d.tap(next(c.name for c in day.pkg.candidates if c.number == 2))
    shot()  # confirm
    d.advance(1)
    d.tap(T("Yes, choose"))
    shot()  # printing
    d.step()
    shot()  # slip_check
    d.tap(T("The slip is correct"))
    shot("photo-look")
    d.advance(day.app.settings.photo_look_s + 0.5)
    shot("photo-countdown")
    for _i in range(day.app.settings.photo_countdown + 1):
        d.advance(1)
    d.step()
    shot("photo-review")
    d.tap(T("Keep photo"))
    shot()  # thanks

    # the next voter stands still: asked, then the companion is called
    day.clock.advance(60)
    day.release(1)
    d.step()
    d.advance(day.app.settings.idle_prompt_s + 1)
    shot("ballot-idle-prompt")
    d.advance(day.app.settings.idle_call_s - day.app.settings.idle_prompt_s)
    shot("ballot-call-companion")
    d.tap((day.app.size[0] // 2, day.app.size[1] // 2))  # the voter answers; nothing is chosen
    d.step()

    # the voter's own settings
    d.tap(T("Large text"))
    shot("ballot-large-text")
    d.tap(T("Contrast"))
    shot("ballot-large-text-high-contrast")
    d.tap(T("Large text"))
    shot("ballot-high-contrast")
    d.tap(next(c.name for c in day.pkg.candidates if c.number == 1))
    shot("confirm-high-contrast")
    d.tap(T("No, go back"))
    d.tap(T("Contrast"))
    d.step()
    other = {"id": "English", "en": "Bahasa Indonesia"}[day.app.settings.language]
    d.tap(other)
    shot("ballot-other-language")


def _five_candidates(s, day, shot) -> None:
    d = day.drv
    day.release(0)
    d.step()
    assert d.screen == "ballot" and len(day.pkg.candidates) == 5
    shot("ballot-5-candidates")
    d.tap(s.T("Large text"))
    shot("ballot-5-candidates-large-text")


def booth_keys(count: int = 3):
    """Fixed keys of the station walk's booths (their fingerprints and pairing codes are on screens)."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return [
        Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"booth screen gallery: booth {n}".encode()).digest())
        for n in range(1, count + 1)
    ]


def _station_screens(s, root: Path, size, lang: str, demo, device_key, camera_for) -> None:
    """The polling station: the desk's booths and its release, pairing, a booth waiting and refusing."""
    import datetime as dt
    import random

    from booth.errors import BoothError
    from booth.ui.station_screens import PairingScreen, show_refused_release

    sys.path.insert(0, str(Path(s.__file__).parent))
    from station_ui import paired_desk_and_booths  # type: ignore[import-not-found]  # tests/, beside test_ui_support

    desk, booths = paired_desk_and_booths(
        root,
        demo,
        size=size,
        language=lang,
        rng=random.Random(f"station-{lang}"),
        device_key=device_key,
        booth_keys=booth_keys(),
    )
    try:
        d, T = desk.drv, s.T
        shot = camera_for(d)
        d.shot = shot
        board = desk.app.booth_board
        opened = desk.clock.now()
        board.set(1, "busy", (opened + dt.timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        board.set(3, "offline", (opened + dt.timedelta(minutes=7)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        desk.clock.advance(600)
        v = desk.pkg.voters[0]
        s.sign_in(desk)
        s.check_in_and_release(desk, v.nik, v.name)
        shot("release_booth")
        d.tap(T("Release to booth {number}").format(number=2))
        shot("go_to_booth")
        # booth 2 drops off; after the timeout the desk offers to cancel its release
        board.set(2, "offline", desk.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
        desk.clock.advance(desk.svc.settings.release_timeout + 5)
        d.step()  # the companion's screens closed, untouched that long: signed in again
        s.sign_in(desk)
        w = desk.pkg.voters[1]
        s.check_in_and_release(desk, w.nik, w.name)
        shot("release_booth-timed-out")
        d.tap(T("Booth {number}").format(number=2))
        shot("release_booth-cancel")
        d.tap(T("Back"))
        d.tap(T("Back"))
        desk.app.push(PairingScreen(desk.app, booths[2].svc.ledger.key.verifier_key(), 3))
        d.step()
        shot("pairing-desk")
        desk.app.go_home()
        d.step()
        # a voter released to booth 1 votes there and comes back to the desk for the photo
        board.set(1, "free", desk.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
        x = desk.pkg.voters[2]
        s.check_in_and_release(desk, x.nik, x.name)
        d.tap(T("Booth {number}").format(number=1))
        d.tap(T("Release to booth {number}").format(number=1))
        rid = next(r for r in desk.svc.day.issued.values() if r.booth == 1).id
        one = booths[0]
        one.svc.cast(rid, "1")
        one.svc.slip_printed(rid)
        one.svc.slip_confirmed(rid)
        desk.svc.release_returned(one.svc.release_outcome(rid))
        d.tap(T("Next voter"))
        d.advance(desk.app.settings.status_interval + 0.5)
        shot("companion_home-desk")
        d.tap(T("Photo as the voter leaves"))
        shot("station_photo")

        def refuse_a_release(b) -> None:
            """The booth is handed bytes that are no release: it refuses them, with the reason on screen."""
            try:
                b.svc.accept_release(b"not a release")
            except BoothError as exc:
                show_refused_release(b.app, exc)
            b.drv.step()

        b = booths[2]
        bshot = camera_for(b.drv)
        b.drv.shot = bshot
        b.drv.step()
        bshot("waiting-booth")
        refuse_a_release(b)
        bshot("waiting-booth-refused")
        s.sign_in(b)
        b.app.push(PairingScreen(b.app, desk.svc.ledger.key.verifier_key(), 3))
        b.drv.step()
        bshot("pairing-booth")
        refuse_a_release(b)
        bshot("release_refused")
        _station_closing(s, desk, booths, rid)
    finally:
        for day in (desk, *booths):
            day.devices.close()
            day.svc.close()


def _station_closing(s, desk, booths, rid: str) -> None:
    """The evening at the desk: booths 1 and 3 closings have come over the link, booth 2's not yet."""
    import datetime as dt

    from service_day import closes_at  # type: ignore[import-not-found]  # tests/, beside test_ui_support

    d, T, shot = desk.drv, s.T, desk.drv.shot
    desk.svc.station_skip_photo(desk.token(), rid, "kamera rusak")
    for day in (*booths, desk):
        day.clock.set(closes_at() + dt.timedelta(minutes=1))

    def count_and_send(booth) -> None:
        token = booth.token()
        booth.svc.close_polls(token, None)
        booth.svc.count(token)
        for item in booth.svc.station_outbox(0):  # what the booth's relay carries to the desk
            if item["kind"] == "closing":
                desk.svc.closing_received(item["payload"])

    two = booths[1]  # its companion cancels the ballot left open (the outcome goes to the desk)
    held = two.svc.day.current.id
    two.svc.cancel_release(two.token(), held, "pemilih pergi tanpa memilih")
    desk.svc.release_returned(two.svc.release_outcome(held))
    for booth in (booths[0], booths[2]):  # booth 2 has not counted yet
        count_and_send(booth)
    desk.svc.close_polls(desk.token(), None)
    desk.app.go_home()
    d.advance(desk.app.settings.status_interval + 0.5)
    if d.screen != "companion_home":  # the evening's first look: signed in again
        s.sign_in(desk)
    d.tap(T("Station results"))
    shot("station_closing")
    d.tap(T("Print the station results report"))
    d.advance(1)
    shot("station_closing-refused")
    d.tap(T("Back"))
    count_and_send(two)
    d.advance(3)
    d.tap(T("Print the station results report"))
    d.advance(1)
    shot("station_closing-printed")
    _station_export(s, desk, booths)


def _station_export(s, desk, booths) -> None:
    """The station bundle onto the desk's stick: refused while booth 3's bundle is not on it, then written."""
    from pathlib import Path

    d, T, shot = desk.drv, s.T, desk.drv.shot
    stick = Path(desk.app.settings.export_dirs[0])

    def export_at(n: int, booth) -> None:
        token = booth.token()
        booth.svc.results_printed(token)
        booth.svc.export(token, str(stick / f"hasil-bilik-{n}.zip"))

    for n, booth in enumerate(booths[:2], start=1):
        export_at(n, booth)
    d.tap(T("Export the station bundle"))
    shot("station_export")
    d.tap(stick.name)
    d.advance(1)
    shot("station_export-refused")
    d.tap(T("Back"))
    export_at(3, booths[2])
    d.tap(stick.name)
    d.advance(1)
    shot("station_export-written")


def walk_screens(work: Path, size, lang: str, demo, five, device_key, camera_for) -> None:
    """Drive a kiosk of ``size`` in ``lang`` through the gallery's three walks (the whole day, the
    voter's screens, the five-candidate ballot), in fresh booths under ``work``.

    ``camera_for(driver)`` gives the ``shot(caption=None)`` each walk calls where a screen is worth
    a picture (the gallery's :class:`_Camera`; the text-size test measures every frame instead).
    """
    import random

    s = _support()
    res = f"{size[0]}x{size[1]}"
    for n, (walk, pkg, stage) in enumerate(
        ((s.full_day, demo, "new"), (_voter_screens, demo, "open"), (_five_candidates, five, "open"))
    ):
        root = work / f"{res}-{lang}-{n}"
        root.mkdir()
        # the same ballot IDs (and so checkpoints) each run, for each walk
        day = s.make_day(
            root,
            pkg,
            stage=stage,
            size=size,
            language=lang,
            rng=random.Random(f"{res}-{lang}-{n}"),
            device_key=device_key,
        )
        try:
            camera = camera_for(day.drv)
            day.drv.shot = camera
            if walk is s.full_day:
                if day.drv.shots_dir is None:
                    day.drv.shots_dir = root  # full_day shoots only when the driver has a folder
                walk(day)
            else:
                walk(s, day, camera)
        finally:
            day.devices.close()
            day.svc.close()
    root = work / f"{res}-{lang}-station"
    root.mkdir()
    _station_screens(s, root, size, lang, demo, device_key, camera_for)


@contextmanager
def gallery_booths():
    """The gallery's working folder with its two election packages (the demo's three candidates,
    and five), signed with :func:`fixed_keys`: yields ``(work, demo, five, device_key)``.

    One fixed folder (a package's folder name is on the screens), so one run at a time: a lock
    file makes a second run wait.
    """
    import fcntl

    from booth.demo_election import make_demo_package
    from booth.election_package import load_package

    _support()
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    lock = open(base / "booth-gallery.lock", "w")  # noqa: SIM115 -- held for the whole run
    fcntl.flock(lock, fcntl.LOCK_EX)
    work = base / "booth-gallery"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        committee, device_key = fixed_keys()
        pkg_dir, _keys = make_demo_package(work / "usb", voters=60, keys=committee)
        demo = (pkg_dir, load_package(pkg_dir))
        five = five_candidate_package(work / "usb5", keys=committee)
        yield work, demo, five, device_key
    finally:
        shutil.rmtree(work, ignore_errors=True)
        lock.close()


def make_gallery(out: str | Path, *, sizes=RESOLUTIONS, languages=LANGUAGES, stream=None) -> Gallery:
    """Drive the kiosk through every screen and write the PNGs and ``README.md`` into ``out``."""
    out = Path(out)
    gallery = Gallery(out)
    with gallery_booths() as (work, demo, five, device_key):
        for size in sizes:
            res = f"{size[0]}x{size[1]}"
            for lang in languages:
                folder = out / res / lang
                shutil.rmtree(folder, ignore_errors=True)
                shots: list[Shot] = []

                def camera_for(drv, folder=folder, shots=shots):
                    drv.shots_dir = folder
                    camera = _Camera(drv, folder)
                    camera.shots = shots  # one numbering for the three walks
                    return camera

                walk_screens(work, size, lang, demo, five, device_key, camera_for)
                gallery.shots[(res, lang)] = shots
                if stream:
                    stream.write(f"{res} {lang}: {len(shots)} screens\n")
        partial = set(map(tuple, sizes)) != set(RESOLUTIONS) or set(languages) != set(LANGUAGES)
        if partial and (out / "README.md").exists():
            # the page lists every resolution and language: a run of a few keeps it whole
            if stream:
                stream.write(f"{out / 'README.md'} kept as it is (a run of only some sizes or languages)\n")
        else:
            write_readme(gallery)
    return gallery


def write_readme(gallery: Gallery) -> Path:
    """The gallery page: per resolution, a row per screen with the Indonesian and English shots."""
    lines = [
        "# Layar kios / Kiosk screens",
        "",
        (
            "Dibuat otomatis / generated by `python -m booth_dev.gallery docs/screens` "
            "(jangan diedit / do not edit). Bahasa Indonesia di kiri, English di kanan."
        ),
        "",
    ]
    resolutions = sorted({res for res, _ in gallery.shots}, key=lambda r: [int(v) for v in r.split("x")])
    for res in resolutions:
        langs = [lang for lang in LANGUAGES if (res, lang) in gallery.shots]
        lines += [
            f"## {res}",
            "",
            "| # | Layar / screen | " + " | ".join(LANGUAGE_TITLES[x] for x in langs) + " |",
            "|---|---|" + "---|" * len(langs),
        ]
        rows = max(len(gallery.shots[(res, lang)]) for lang in langs)
        width = 180 if int(res.split("x")[0]) < int(res.split("x")[1]) else 280
        for i in range(rows):
            cells, caption = [], ""
            for lang in langs:
                shots = gallery.shots[(res, lang)]
                if i < len(shots):
                    rel = shots[i].path.relative_to(gallery.out).as_posix()
                    cells.append(f'<a href="{rel}"><img src="{rel}" width="{width}"></a>')
                    caption = caption or shots[i].caption
                else:
                    cells.append("")
            lines.append(f"| {i + 1} | {caption} | " + " | ".join(cells) + " |")
        lines.append("")
    path = gallery.out / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class _KioskVoter:
    """The voter's part of a scripted voter step, done on the kiosk (``SimDay.voter_hands``).

    The runner still plays the companions (check-in, release, reprint, skipping
    the photo) and the faults.  The voter touches their candidate's card and "Ya, Pilih"; the
    kiosk's own Station casts and prints; the voter checks the slip ("Struk sesuai", or "Struk tidak
    sesuai" for a voter the scenario has dispute it: :meth:`answer_slip`) and the photo screen takes
    the photo ("Simpan foto").  Every ``buttons_every``-th voter does all of it with
    the panel's buttons only: DOWN until the focus ring is on the target, then SELECT.
    """

    def __init__(self, drv, day, shot, *, buttons_every: int = 7) -> None:
        self.drv = drv
        self.day = day
        self.shot = shot  # shot(screen_name, **facts): save the glass as this step's <screen>
        self.buttons_every = buttons_every
        self.voters = 0  # voters who reached the ballot on the kiosk
        self.by = "touch"  # how the voter now in the booth works the kiosk: "touch" or "buttons"

    def _use(self, widget) -> None:
        """Touch ``widget``, or move the focus to it with DOWN and press SELECT (panel buttons)."""
        from booth_sim.day.runner import DayStopped

        d, app = self.drv, self.drv.app
        if self.by == "touch":
            d.tap(widget)
            return
        for _i in range(len(app.screen.targets()) + 1):
            if app.screen.focused() is widget:
                break
            d.press(Nav.DOWN)
        if app.screen.focused() is not widget:
            raise DayStopped(f"the buttons did not reach {getattr(widget, 'label', widget)!r} on {d.screen}")
        d.press(Nav.SELECT)

    def _attach(self) -> None:
        """After a crash the runner reopened the booth: the kiosk talks to the new service."""
        app, day = self.drv.app, self.day
        if day.svc is not app.api:
            app.api, app.station = day.svc, day.station
        app.after_action()
        self.drv.step()

    def cast(self, release: str, choice: str):
        from booth_sim.day.runner import DayStopped

        d, app = self.drv, self.drv.app
        self._attach()
        if d.screen != "ballot":
            raise DayStopped(f"the kiosk shows {d.screen!r}, not the ballot, after the release")
        self.voters += 1
        by = self.by = "buttons" if self.voters % self.buttons_every == 0 else "touch"
        self.shot("ballot", by=by, choice=choice)
        cards = app.screen.cards
        card = next(
            (c for c in cards if (c.blank_words is not None if choice == "blank" else str(c.number) == str(choice))),
            None,
        )
        if card is None:
            raise DayStopped(f"no card for choice {choice!r} on the ballot")
        self._use(card)
        if d.screen != "confirm":
            raise DayStopped(f"the kiosk shows {d.screen!r}, not the confirmation")
        self.shot("confirm", by=by, choice=choice)
        d.advance(app.settings.confirm_guard_s + 0.2)
        app.voter.last_print = None
        self._use(app.screen.yes)  # "Ya, Pilih"
        for _i in range(100):  # "a few seconds between ballots": the kiosk tries again when told
            job = app.voter.casting
            if job is None:
                break
            wait = (job["retry_at"] - app.now()) if job["retry_at"] is not None else 0.0
            d.advance(max(0.1, wait))
        d.step()
        outcome = app.voter.last_print
        if outcome is None:
            raise DayStopped(f"the kiosk did not cast (it shows {d.screen!r})")
        if d.screen == "print_failed":
            self.shot("print_failed", by=by, choice=choice)
        return outcome

    def answer_slip(self, release: str, matches: bool) -> None:
        """The voter reads the slip: "Struk sesuai" (the first target) or "Struk tidak sesuai" (the
        second); a dispute leaves the booth on its "disputed" screen, calling a companion."""
        from booth_sim.day.runner import DayStopped

        d, app = self.drv, self.drv.app
        self._attach()
        if d.screen != "slip_check":
            raise DayStopped(f"the kiosk shows {d.screen!r}, not the slip check")
        self.shot("slip_check", by=self.by)
        self._use(app.screen.targets()[0 if matches else 1])
        d.step()
        if not matches:
            if d.screen != "disputed":
                raise DayStopped(f"the kiosk shows {d.screen!r} after the dispute, not the call for a companion")
            self.shot("disputed", by=self.by)

    def take_photo(self, release: str):
        from booth.kiosk.station import Outcome
        from booth_sim.day.runner import DayStopped

        d, app = self.drv, self.drv.app
        self._attach()
        if d.screen == "slip_check":
            self.shot("slip_check", by=self.by)
            self._use(app.screen.targets()[0])  # "Struk sesuai": the slip is in the audit box
            d.step()
        if d.screen != "photo":
            raise DayStopped(f"the kiosk shows {d.screen!r}, not the photo")
        if app.screen.phase == "failed":
            self._use(app.screen.targets()[0])  # "Coba lagi"
        d.advance(app.settings.photo_look_s + 0.5)
        for _i in range(app.settings.photo_countdown + 1):
            d.advance(1)
        d.step()
        phase = app.screen.phase if d.screen == "photo" else None
        if phase == "review":
            self._use(app.screen.targets()[0])  # "Simpan foto"
            d.step()
            self.shot(d.screen, by=self.by)
            self.by = "touch"
            return Outcome(True)
        if phase == "failed":
            self.shot("photo-failed")
            return Outcome(False)
        raise DayStopped(f"the photo screen did not take the photo (it shows {d.screen!r}, {phase!r})")


def scenario_screens(scenario, out: str | Path, *, size=(720, 1280), stream=None, buttons_every: int = 7) -> int:
    """``booth sim --screens``: run ``scenario`` into ``out`` as ``booth sim`` does, with a kiosk on
    the scripted booth, saving what it shows after every step as ``out/screens/NNN-<step>-<screen>.png``.

    The companions, the clock and the faults are the runner's; each voter who votes does it on
    the kiosk (:class:`_KioskVoter`): ``NNN-voter-ballot``, ``-confirm``, ``-print_failed`` (if the
    slip failed), ``-slip_check``, ``-disputed`` (a voter who disputes the slip), ``-photo-failed``
    (if the camera failed) and ``-thanks``.  ``out/screens/index.json``
    lists every shot with the texts the kiosk drew on it.  Returns ``booth sim``'s exit code
    (2: output refused).

    >>> scenario_screens(load_scenario(Path("day.scenario.json")), "sim-out")   # doctest: +SKIP
    0
    """
    import json

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from booth.ui.app import KioskApp, KioskSettings
    from booth.ui.driver import KioskDriver
    from booth_sim.day.runner import OutputRefused, print_summary
    from booth_sim.day.window import ScenarioPlayer, share_power

    stream = stream or sys.stdout
    out = Path(out)
    try:
        player = ScenarioPlayer(scenario, out)
    except OutputRefused as exc:
        stream.write(f"booth sim: {exc}\n")
        return 2
    day = player.day
    app = KioskApp(day.svc, day.station, day.devices, size, clock=day.clock, settings=KioskSettings(poll_interval=0))
    share_power(day.devices, app, day)
    drv = KioskDriver(app)
    folder = out / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    digits = max(3, len(str(len(day.sc.steps))))
    index: list[dict] = []

    def save(number: int, kind: str, screen: str, **facts) -> None:
        name = f"{number:0{digits}d}-{kind}-{screen}.png"
        _save_small(app.surface, folder / name, fast=True)
        entry = {
            "file": name,
            "step": number,
            "kind": kind,
            "screen": screen,
            **facts,
            "texts": list(app.frame.texts()),
        }
        if index and index[-1]["file"] == name:  # the same screen of the same step, shown again
            index[-1] = entry
        else:
            index.append(entry)

    def shot_in_step(screen: str, **facts) -> None:
        save(player.next, day.sc.steps[player.next - 1].kind, screen, **facts)

    day.voter_hands = _KioskVoter(drv, day, shot_in_step, buttons_every=buttons_every)
    drv.step()
    save(0, "start", app.frame.screen)
    try:
        while not player.done:
            kind = day.sc.steps[player.next].kind
            player.step()
            if day.svc is not None and day.svc is not app.api:  # the scripted booth restarted
                app.api, app.station = day.svc, day.station
            app.after_action()
            drv.step(2)
            drv.seen.clear()  # a long day: keep no frames the shots do not need
            save(player.next, kind, app.frame.screen)
    finally:
        code = player.finish()
    (folder / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print_summary(player.summary or {}, out, stream)
    stream.write(f"Layar / screens: {len(list(folder.glob('*.png')))} PNG in {folder}/ (index.json)\n")
    return code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m booth_dev.gallery", description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder for <W>x<H>/<lang>/NN-screen.png and README.md (e.g. docs/screens)")
    parser.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in RESOLUTIONS))
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    args = parser.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    gallery = make_gallery(args.out, sizes=sizes, languages=args.languages.split(","), stream=sys.stdout)
    total = sum(len(v) for v in gallery.shots.values())
    print(f"{total} PNG + README.md in {gallery.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
