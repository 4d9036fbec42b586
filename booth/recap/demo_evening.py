"""The demo evening: the polling places of a few pekon of Kabupaten Pringsewu, made through the real booth.

``booth recap demo`` calls :func:`make_demo_evening`, which makes, for one
kabupaten (Pringsewu, Lampung), several pekon in two or three kecamatan, each
pekon its own contest (its TPS packages share the candidates), most with
several TPS.  Every TPS gets its own signed election package and a device that
runs the whole day through :class:`booth.service.BoothService` on a fake clock
(provision, custody, zero report, open, every voter checked in and voting,
close, count, results report printed, export), so every bundle and every QR is
what a real booth makes.  The printed results report is rendered with the
kiosk's own paper renderer and "photographed" (the strip lying on a table at
an angle, in perspective, a little blurred and noisy, saved as a phone's JPEG).

What it writes into ``out_dir``::

    bundles/<name>.zip       the bundles that reached the recap (USB sticks, uploads)
    photos/<name>.jpg        photos of printed results reports (the QR)
    terlambat/<name>.zip     bundles that arrive later (the QR-only places' bundles)
    packages/<name>/         the committee's signed election package of every TPS
    registry.json            every device registered before the day (booth-recap-registry-v1)
    evening.json             what was made and where each fault is (DemoEvening.to_json)
    committee-demo.pub       the DEMO committee key the packages are signed with

and a few faults, each recorded in the returned :class:`DemoEvening` so tests
can assert it: one polling place with a second device reporting different
signed results (a conflict), one tampered bundle (a vote changed on the
stick), one bundle from a device nobody registered, one bundle (and report) of
another election (a device still loaded with the rehearsal's package), some
polling places with only a photo of the report (provisional), a couple with
nothing at all, and one bundle copied twice (a duplicate upload).

Deterministic for a seed: the areas, names, DPTs, votes, tallies, faults and
file names are the same every time, and so are the election IDs (the DEMO
committee key is derived from the seed).  Device keys and ballot IDs are made
fresh by the booth, as on a real day, so bundle bytes differ between runs.
``DemoEvening.arrivals`` says when each file reaches the recap (photos soon
after the count, bundles through the afternoon, late bundles next morning).

The days run on two processes (spawned): a script calling this needs the usual
``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import io
import json
import math
import multiprocessing
import os
import random
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

KABUPATEN = "Pringsewu"
PROVINSI = "Lampung"
ELECTION_DATE = dt.date(2025, 11, 16)
REHEARSAL_DATE = dt.date(2025, 11, 9)

#: Kecamatan of Kabupaten Pringsewu and some of their pekon (villages).
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Pagelaran", ("Patoman", "Gumukmas", "Bumi Ratu", "Panutan", "Tanjung Dalom", "Sukaratu", "Lugusari", "Pamenang")),
    ("Gadingrejo", ("Wonodadi", "Tambahrejo", "Bulukarto", "Panjerejo", "Blitarejo", "Parerejo", "Wates", "Kediri")),
    (
        "Sukoharjo",
        (
            "Pandansari",
            "Keputran",
            "Sinar Baru",
            "Sukoharjo I",
            "Waringinsari Barat",
            "Siliwangi",
            "Panggungrejo",
            "Sukoyoso",
        ),
    ),
)

#: The PIN each demo companion makes at handover (demo devices only).
#: What the demo made and where each fault is, beside the files (DemoEvening.to_json).
EVENING_FILE = "evening.json"
PINS = {"PT-01": "730415", "PT-02": "730426", "PT-03": "730437"}
#: Portrait colours (background, clothing, skin, headwear) for up to four candidates.
_LOOKS = (
    ((46, 125, 50), (30, 30, 36), (198, 150, 110), "peci"),
    ((21, 101, 192), (240, 240, 236), (224, 180, 140), "hijab"),
    ((198, 40, 40), (245, 245, 245), (170, 120, 85), "peci+glasses"),
    ((239, 160, 0), (60, 60, 120), (190, 140, 100), "peci"),
)

Fault = str  # "conflict" | "tampered" | "other_election" | "qr_only" | "missing"


@dataclass(frozen=True)
class DemoResult:
    """One device's signed result for a polling place."""

    verifier_key: str
    statement: str  # the signed results statement (the report's QR, extra/results.txt)
    tally: dict[str, int]
    voted: int
    bundle: str | None  # path relative to out_dir of its bundle, or None (never exported)


@dataclass(frozen=True)
class DemoPlace:
    """One registered polling place of the evening and what the recap should make of it."""

    name: str  # file stem: "pagelaran-patoman-tps02"
    election_id: str
    kabupaten: str
    kecamatan: str
    pekon: str
    tps: int
    dpt: int
    allow_blank: bool
    candidates: tuple[tuple[int, str], ...]
    fault: Fault | None
    state: str  # the state the recap should show once everything is ingested
    results: tuple[DemoResult, ...]  # every signed result made for it (two for the conflict)
    photo: str | None  # path relative to out_dir, or None
    late_bundle: str | None  # terlambat/<name>.zip for a QR-only place
    verifier_keys: tuple[str, ...]  # the devices registered for it

    @property
    def counted(self) -> DemoResult | None:
        """The result the recap counts (verified or provisional), or None."""
        return self.results[0] if self.state in ("verified", "provisional") else None


@dataclass(frozen=True)
class DemoRefusal:
    """A file the recap must refuse, and why (a reason code of booth.recap.intake)."""

    file: str  # relative to out_dir
    reason: str
    election_id: str | None  # the polling place it shows on (None: no registered place)
    what: str  # plain words for people reading the test


@dataclass(frozen=True)
class DemoArrival:
    """When a file reaches the recap on the demo evening (UTC, ISO 8601 with Z)."""

    file: str  # relative to out_dir
    at: str


@dataclass(frozen=True)
class DemoEvening:
    """What :func:`make_demo_evening` made, and where each fault is."""

    out_dir: Path
    seed: int
    places: tuple[DemoPlace, ...]
    conflict: str  # election ID of the polling place with two devices' results
    tampered: str  # bundle file (relative) with a vote changed
    foreign: str  # bundle file of an unregistered device
    other_election: str  # bundle file of another election than its device is registered for
    qr_only: tuple[str, ...]  # election IDs counted from a photo alone
    missing: tuple[str, ...]  # election IDs with nothing received
    duplicate: tuple[str, str]  # two bundle files with the same bytes: (received first, received again)
    refusals: tuple[DemoRefusal, ...]
    registry: Path
    committee_key: str = field(default="")  # the DEMO committee's public signing key (base64)
    #: every file of bundles/, photos/ and terlambat/ in the order it reaches the recap, with its time:
    #: report photos soon after the count, bundles as they are driven to the kecamatan office, the
    #: QR-only places' bundles the next morning (ingest with the recap's clock at each to see the
    #: evening's progress by hour)
    arrivals: tuple[DemoArrival, ...] = ()

    def place(self, election_id: str) -> DemoPlace:
        return next(p for p in self.places if p.election_id == election_id)

    def to_json(self) -> dict:
        """What ``evening.json`` holds (paths relative to the evening's folder)."""
        value = dataclasses.asdict(self)
        value["out_dir"] = "."
        value["registry"] = self.registry.name
        return value

    @classmethod
    def load(cls, out_dir: str | Path) -> DemoEvening:
        """The evening described by ``out_dir/evening.json`` (written by :func:`make_demo_evening`)."""
        out = Path(out_dir)
        value = json.loads((out / EVENING_FILE).read_text(encoding="utf-8"))
        places = tuple(
            DemoPlace(
                **{
                    **p,
                    "candidates": tuple(tuple(c) for c in p["candidates"]),
                    "results": tuple(DemoResult(**r) for r in p["results"]),
                    "verifier_keys": tuple(p["verifier_keys"]),
                }
            )
            for p in value["places"]
        )
        return cls(
            **{
                **value,
                "out_dir": out,
                "places": places,
                "registry": out / value["registry"],
                "qr_only": tuple(value["qr_only"]),
                "missing": tuple(value["missing"]),
                "duplicate": tuple(value["duplicate"]),
                "refusals": tuple(DemoRefusal(**r) for r in value["refusals"]),
                "arrivals": tuple(DemoArrival(**a) for a in value.get("arrivals", ())),
            }
        )

    def by_state(self, state: str) -> list[DemoPlace]:
        return [p for p in self.places if p.state == state]

    def files(self) -> list[Path]:
        """Every file ``booth recap demo`` ingests (bundles, then photos), in that order."""
        return sorted((self.out_dir / "bundles").glob("*.zip")) + sorted((self.out_dir / "photos").glob("*.jpg"))

    def counted_places(self) -> list[DemoPlace]:
        return [p for p in self.places if p.counted is not None]

    def expected_pekon_tally(self, kecamatan: str, pekon: str) -> dict[str, int]:
        """The contest's tally from the counted places (the conflict excluded)."""
        total: dict[str, int] = {}
        for p in self.counted_places():
            if (p.kecamatan, p.pekon) == (kecamatan, pekon):
                assert p.counted is not None
                for k, v in p.counted.tally.items():
                    total[k] = total.get(k, 0) + v
        return total

    def expected_valid(self) -> int:
        """Valid votes of the kabupaten: every counted place's tally, the conflict not summed."""
        return sum(sum(p.counted.tally.values()) for p in self.counted_places() if p.counted)

    def expected_voted(self) -> int:
        return sum(p.counted.voted for p in self.counted_places() if p.counted)


# ------------------------------------------------------------------ layout
@dataclass
class _Plan:
    name: str
    kecamatan: str
    pekon: str
    tps: int
    dpt: int
    seed: int
    fault: Fault | None = None
    package: Path | None = None
    election_id: str = ""
    closes_at: dt.datetime | None = None


def _slug(*parts: str) -> str:
    return "-".join(p.lower().replace(" ", "-") for p in parts)


def _layout(rng: random.Random, places: int, voters: int | None) -> list[_Plan]:
    """Pekon with their TPS counts (most several), across two or three kecamatan."""
    kecamatan_count = 3 if places >= 12 else 2
    queues = [list(pekons) for _, pekons in AREAS[:kecamatan_count]]
    for q in queues:
        rng.shuffle(q)
    plans: list[_Plan] = []
    turn = 0
    while len(plans) < places:
        k = turn % kecamatan_count
        turn += 1
        if not queues[k]:
            if not any(queues):
                raise ValueError(f"the demo knows too few pekon for {places} polling places")
            continue
        pekon = queues[k].pop(0)
        count = min(rng.choice((1, 2, 2, 3, 3, 3, 4)), places - len(plans))
        for tps in range(1, count + 1):
            dpt = voters if voters is not None else rng.randint(30, 70)
            plans.append(
                _Plan(_slug(AREAS[k][0], pekon, f"tps{tps:02d}"), AREAS[k][0], pekon, tps, dpt, rng.randrange(1, 2**31))
            )
    return plans


def _assign_faults(rng: random.Random, plans: list[_Plan]) -> None:
    n = len(plans)
    if n < 6:
        raise ValueError("the demo evening needs at least 6 polling places (one of each fault and a verified one)")
    few = 2 if n >= 20 else 1
    faults = ["conflict", "tampered", "other_election"] + ["qr_only"] * few + ["missing"] * few
    for index, fault in zip(rng.sample(range(n), len(faults)), faults, strict=False):
        plans[index].fault = fault


# ----------------------------------------------------------------- packages
def _committee_keys(seed: int):
    """The DEMO committee's keys, derived from the seed so that election IDs repeat (demo only)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from booth.election_package import CommitteeKeyPair

    def derive(label: str) -> bytes:
        return hashlib.sha256(f"booth demo evening {seed} {label} (DEMO KEY, NOT SECRET)".encode()).digest()

    return CommitteeKeyPair(
        Ed25519PrivateKey.from_private_bytes(derive("sign")), X25519PrivateKey.from_private_bytes(derive("seal"))
    )


@dataclass
class _Contest:
    """A pekon: its candidates (shared by its TPS), their portraits and how the village leans."""

    candidates: list[dict]
    portraits: dict[str, bytes]
    weights: list[float]
    allow_blank: bool


def _contest(rng: random.Random, kecamatan: str, pekon: str) -> _Contest:
    from booth.demo_election import demo_voters, portrait

    count = rng.choice((2, 3, 3, 4))
    # candidates are villagers too: names from the same lists as the DPT, adults only
    people = [
        v
        for v in demo_voters(40, seed=rng.randrange(2**31), election_date=ELECTION_DATE)
        if (ELECTION_DATE - v.birth_date).days > 30 * 365
    ]
    names: list[str] = []
    for v in people:
        if v.name not in names and len(v.name.split()) >= 2:
            names.append(v.name)
    candidates, portraits = [], {}
    for number in range(1, count + 1):
        photo = f"{number}.jpg"
        background, clothing, skin, headwear = _LOOKS[number - 1]
        portraits[photo] = portrait(number, background, clothing, skin, headwear, size=(240, 300))
        candidates.append({"number": number, "name": names[number - 1], "photo": photo})
    weights = [rng.uniform(0.5, 3.0) for _ in range(count)]
    return _Contest(candidates, portraits, weights, allow_blank=rng.random() < 0.35)


def _write_package(folder: Path, plan: _Plan, contest: _Contest, keys, *, rehearsal: bool = False) -> Path:
    """Write and sign one TPS's election package (the committee's laptop, before the day)."""
    from booth.demo_election import demo_voters
    from booth.dpt import format_dpt
    from booth.election_package import (
        DPT_FILE,
        ELECTION_FILE,
        PHOTO_DIR,
        README_FILE,
        election_template,
        sign_package,
    )

    day = REHEARSAL_DATE if rehearsal else ELECTION_DATE
    (folder / PHOTO_DIR).mkdir(parents=True, exist_ok=True)
    for photo, data in contest.portraits.items():
        (folder / PHOTO_DIR / photo).write_bytes(data)
    rng = random.Random(plan.seed)
    voters = demo_voters(plan.dpt, seed=plan.seed, election_date=ELECTION_DATE)
    staff = demo_voters(3, seed=plan.seed + 1, election_date=ELECTION_DATE)
    companions = [
        {"id": "PT-01", "name": staff[0].name, "role": "ketua"},
        {"id": "PT-02", "name": staff[1].name, "role": "teknisi"},
        {"id": "PT-03", "name": staff[2].name, "role": "teknisi"},
    ]
    title = (
        f"Simulasi Pemilihan Kepala Pekon {plan.pekon} {day.year} (LATIHAN)"
        if rehearsal
        else f"Pemilihan Kepala Pekon {plan.pekon} {day.year} (DEMO)"
    )
    election = election_template(
        title=title,
        pekon=plan.pekon,
        kecamatan=plan.kecamatan,
        kabupaten=KABUPATEN,
        provinsi=PROVINSI,
        tps=plan.tps,
        date=day.isoformat(),
        opens="07:00",
        closes=rng.choice(("13:00", "13:00", "14:00")),
        allow_blank=contest.allow_blank,
        candidates=contest.candidates,
        companions=companions,
    )
    (folder / ELECTION_FILE).write_text(json.dumps(election, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / DPT_FILE).write_bytes(format_dpt(voters))
    (folder / README_FILE).write_text(
        "PAKET PEMILIHAN DEMO - DATA FIKTIF / DEMO ELECTION PACKAGE - FICTIONAL DATA\n", encoding="utf-8"
    )
    sign_package(folder, keys)
    return folder


# ---------------------------------------------------------------- the day
def _voter_photo() -> bytes:
    """The small JPEG each voter's slip photo is (the vault keeps it encrypted)."""
    out = io.BytesIO()
    Image.new("L", (64, 48), 128).save(out, "JPEG", quality=70)
    return out.getvalue()


@dataclass
class _Day:
    verifier_key: str
    statement: str
    tally: dict[str, int]
    voted: int
    report: Image.Image | None


def _settings():
    from booth.service import Settings

    # demo devices only: a cheap PIN hash (the PINs are printed in this file anyway)
    return Settings(pin_scrypt_n=2**10)


def _provision(state_dir: Path, package_dir: Path):
    from booth.election_package import load_package
    from booth.ledger.clock import FakeClock
    from booth.service import BoothService

    opens = load_package(package_dir).election.opens_at.astimezone(dt.UTC)
    clock = FakeClock(opens - dt.timedelta(days=2))
    svc = BoothService.provision(state_dir, clock=clock, settings=_settings())
    svc.load_election(str(package_dir))
    for companion in svc.package.companions:
        svc.set_first_pin(companion.id, PINS[companion.id])
    return svc, clock


def _run_day(
    state_dir: Path, package_dir: Path, choices: Sequence[str], bundle_path: Path | None, *, render: bool
) -> _Day:
    """One device's whole day through BoothService; ``choices``: one per voter who comes, in DPT order."""
    from booth.kiosk.printouts import results_report_image

    svc, clock = _provision(state_dir, package_dir)
    try:
        election = svc.package.election
        opens = election.opens_at.astimezone(dt.UTC)
        closes = election.closes_at.astimezone(dt.UTC)
        teknisi = "PT-02"
        svc.record_custody("received", companion_id=teknisi, place=f"Kantor Kecamatan {election.kecamatan}")
        svc.record_custody("distributed", companion_id=teknisi, place=f"Jalan ke Pekon {election.pekon}")
        token = svc.sign_in("PT-01", PINS["PT-01"])
        svc.record_custody("handed_over", token=token, place=f"Balai Pekon {election.pekon}", note="diterima lengkap")
        svc.record_custody(
            "installed",
            token=token,
            place=f"Balai Pekon {election.pekon}",
            self_test={"printer": "ok", "camera": "ok", "buttons": "ok"},
        )
        clock.set(opens - dt.timedelta(minutes=30))
        token = svc.sign_in("PT-01", PINS["PT-01"])
        svc.zero_report(token)
        svc.zero_report_printed(token)
        clock.set(opens + dt.timedelta(seconds=1))
        token = svc.sign_in("PT-01", PINS["PT-01"])
        svc.open_polls(token)
        # voters come mostly in the morning, a few minutes apart; the ketua stays signed in between them
        photo = _voter_photo()
        rng = random.Random(len(choices) * 7919 + election.tps)
        token = svc.sign_in("PT-01", PINS["PT-01"])
        for voter, choice in zip(svc.package.voters, choices, strict=False):
            clock.advance(min(max(rng.expovariate(1 / 150), svc.settings.min_cast_interval + 1), 280))
            svc.check_in(token, voter.ref)
            release = svc.release_ballot(token, voter.ref)["release"]
            svc.cast(release, choice)
            svc.slip_printed(release)
            svc.slip_confirmed(release)  # "Struk sesuai"
            svc.store_photo(release, photo)
        clock.set(closes)
        token = svc.sign_in("PT-01", PINS["PT-01"])
        svc.close_polls(token)
        svc.count(token)
        clock.advance(240)  # the count read out, the report printed
        results = svc.results()
        report = results_report_image(results) if render else None
        svc.results_printed(token)
        if bundle_path is not None:
            clock.advance(120)
            svc.export(token, str(bundle_path))
        return _Day(
            svc.ledger.key.verifier_key(),
            results["statement"],
            dict(results["tally"]),
            int(results["counts"]["voted"]),
            report,
        )
    finally:
        svc.close()
        # the bundle holds the day; the device's state goes (a few MB each: /dev/shm may be small)
        shutil.rmtree(state_dir, ignore_errors=True)


def _choices(rng: random.Random, contest: _Contest, dpt: int) -> list[str]:
    """Who comes (a turnout of 65-92%) and what each chooses (the village's leaning, varied per TPS)."""
    turnout = rng.uniform(0.65, 0.92)
    comes = max(1, round(dpt * turnout))
    weights = [w * rng.uniform(0.7, 1.3) for w in contest.weights]
    options = [str(c["number"]) for c in contest.candidates]
    if contest.allow_blank:
        options.append("blank")
        weights.append(sum(weights) * 0.04)
    return rng.choices(options, weights=weights, k=comes)


# ----------------------------------------------------------------- faults
def tamper_bundle(data: bytes) -> bytes:
    """The bundle with one ballot's choice changed (as someone with the USB stick might), nothing re-signed."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "ballots.jsonl":
                # each line: the device's signature, a space, the canonical ballot record
                lines = body.decode().split("\n")
                signature, record_text = lines[0].split(" ", 1)
                record = json.loads(record_text)
                record["selection"] = "2" if record["selection"] != "2" else "1"
                lines[0] = (
                    signature + " " + json.dumps(record, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
                )
                body = "\n".join(lines).encode()
            dst.writestr(info, body)
    return out.getvalue()


# ------------------------------------------------------------------ photos
def _perspective_coefficients(dest: Sequence[tuple[float, float]], src: Sequence[tuple[float, float]]) -> list[float]:
    """PIL's PERSPECTIVE coefficients mapping output points ``dest`` to input points ``src`` (4 each)."""
    rows: list[list[float]] = []
    rhs: list[float] = []
    for (x, y), (u, v) in zip(dest, src, strict=False):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rhs.append(u)
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.append(v)
    # Gaussian elimination with partial pivoting (8 unknowns)
    n = 8
    m = [row + [b] for row, b in zip(rows, rhs, strict=False)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[r][col]:
                f = m[r][col] / m[col][col]
                m[r] = [a - f * b for a, b in zip(m[r], m[col], strict=False)]
    return [m[i][n] / m[i][i] for i in range(n)]


def report_crop(report: Image.Image, *, above: int = 330, below: int = 150) -> Image.Image:
    """The part of a printed results report a phone photo frames: the QR with some text around it."""
    top, bottom = report.info.get("regions", {}).get("qr", (max(report.height - 900, 0), report.height - 500))
    return report.crop((0, max(0, top - above), report.width, min(report.height, bottom + below)))


_NOISE: dict[tuple[int, int], Image.Image] = {}
_TABLE = 96  # the table's grey before toning (the toning's midpoint: wood brown)


def _noise_field(size: tuple[int, int]) -> Image.Image:
    """Sensor noise (grey around 128, sigma 16), made once per picture size."""
    if size not in _NOISE:
        _NOISE[size] = Image.effect_noise(size, 16)
    return _NOISE[size]


def photograph(
    page: Image.Image,
    *,
    angle: float = 0.0,
    tilt: float = 0.0,
    blur: float = 0.6,
    noise: float = 6.0,
    light: float = 1.0,
    quality: int = 85,
    seed: int = 0,
    size: tuple[int, int] = (1200, 1600),
    scale: float | None = None,
) -> bytes:
    """A phone photo (JPEG bytes) of a printed ``page`` lying on a table.

    ``angle``: the paper turned in the picture (degrees); ``tilt``: the phone held at a slant, 0..0.4
    (the far edge of the paper looks narrower: perspective); ``blur``: Gaussian radius in pixels;
    ``noise``: sensor noise (grey levels); ``light``: 1 for a lit room, lower for a dim one;
    ``quality``: the JPEG quality.
    """
    rng = random.Random(seed)
    width, height = size
    # thermal paper is off-white, its ink a dark grey; the picture is made in grey and toned at the end
    paper = page.convert("L").point(lambda v: 38 + (240 - 38) * v // 255)
    if scale is None:
        scale = min(width * 0.78 / paper.width, height * 0.8 / paper.height)
    w, h = paper.width * scale, paper.height * scale
    cx, cy = width / 2 + rng.uniform(-0.04, 0.04) * width, height / 2 + rng.uniform(-0.03, 0.03) * height
    # the paper's corners: tilt pulls the far (top) edge in and shortens the strip, then the turn
    squeeze = tilt * w / 2
    shorten = 1 - tilt * 0.35
    corners = [
        (-w / 2 + squeeze, -h / 2 * shorten),
        (w / 2 - squeeze, -h / 2 * shorten),
        (w / 2, h / 2),
        (-w / 2, h / 2),
    ]
    a = math.radians(angle)
    dest = [(cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a)) for x, y in corners]
    src = [(0, 0), (paper.width, 0), (paper.width, paper.height), (0, paper.height)]
    coeffs = _perspective_coefficients(dest, src)
    warped = paper.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", paper.size, 255).transform(
        size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
    )
    # a wooden table and a soft shadow under the paper, drawn at a quarter size (they are blurred anyway)
    small = (max(1, width // 4), max(1, height // 4))
    table = Image.new("L", small, _TABLE)
    grain = ImageDraw.Draw(table)
    for _ in range(60):
        y = rng.uniform(0, small[1])
        grain.line(
            [(0, y), (small[0], y + rng.uniform(-10, 10))], fill=_TABLE + rng.randint(-16, 12), width=rng.randint(1, 2)
        )
    table = table.resize(size, Image.Resampling.BILINEAR)
    shadow = mask.resize(small, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(3.5))
    shadow = shadow.resize(size, Image.Resampling.BILINEAR).point(lambda v: v * 0.45)
    table.paste(24, (9, 12, width, height), shadow.crop((0, 0, width - 9, height - 12)))
    photo = Image.composite(warped, table, mask)
    # the room's light: brighter where the lamp is, darker at the corners
    # (a window of a gradient twice the picture's size, at a quarter resolution: no edge shows)
    glow = Image.radial_gradient("L").resize((small[0] * 2, small[1] * 2)).point(lambda v: 255 - v * 0.8)
    left, top = rng.randint(small[0] // 4, small[0] * 3 // 4), rng.randint(small[1] // 4, small[1] * 3 // 4)
    lamp = glow.crop((left, top, left + small[0], top + small[1])).resize(size, Image.Resampling.BILINEAR)
    photo = ImageChops.multiply(photo, lamp)
    if light != 1.0:
        photo = photo.point(lambda v: min(255, int(v * light)))
    if blur > 0:
        photo = photo.filter(ImageFilter.GaussianBlur(blur))
    if noise > 0:
        grainy = Image.blend(Image.new("L", size, 128), _noise_field(size), min(noise / 16, 1.0))
        photo = ImageChops.add(photo, grainy, scale=1.0, offset=-128)
    # toned at the end: the table wood brown, the paper a warm white under the lamp
    wood = ImageOps.colorize(photo, black=(10, 8, 6), white=(250, 247, 238), mid=(118, 84, 52), midpoint=_TABLE)
    warm = Image.merge("RGB", (photo, photo.point(lambda v: v * 0.98), photo.point(lambda v: v * 0.92)))
    photo = Image.composite(warm, wood, mask.filter(ImageFilter.BoxBlur(2)))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _shoot(report: Image.Image, rng: random.Random) -> bytes:
    """A companion photographs the report; a photo the recap cannot read is retaken more carefully."""
    from booth.recap.photos import PhotoError, statements_in_image

    crop = report_crop(report)
    care = 1.0
    data = b""
    for attempt in range(4):
        data = photograph(
            crop,
            angle=rng.uniform(-25, 25) * care,
            tilt=rng.uniform(0.0, 0.28) * care,
            blur=rng.uniform(0.3, 1.4) * care,
            noise=rng.uniform(3, 9),
            light=rng.uniform(0.75, 1.05) if attempt == 0 else 1.0,
            quality=rng.choice((70, 80, 85, 92)),
            seed=rng.randrange(2**31),
        )
        try:
            if statements_in_image(data):
                return data
        except PhotoError:
            pass
        care *= 0.5
    return data


# ----------------------------------------------------------------- evening
def _make_place(job: tuple[_Plan, _Contest, Path, Path, int]) -> tuple[DemoPlace, list[dict], list[DemoRefusal]]:
    """One polling place's day (or two, or none), its files, its registrations and the refusals it plants.

    Runs in a worker process: everything it needs comes in ``job``, its randomness from the plan's seed.
    """
    from booth.election_package import load_package
    from booth.recap.registry import registration_from_package

    plan, contest, out, devices, seed = job
    keys = _committee_keys(seed)
    registry: list[dict] = []
    refusals: list[DemoRefusal] = []
    assert plan.package is not None
    day_rng = random.Random(plan.seed)
    package = load_package(plan.package)
    results: list[DemoResult] = []
    photo = late = None
    state = "verified"
    if plan.fault == "missing":
        # the device was provisioned and registered, but its results never came (a flat battery)
        svc, _ = _provision(devices / plan.name, plan.package)
        vkey = svc.ledger.key.verifier_key()
        svc.close()
        shutil.rmtree(devices / plan.name, ignore_errors=True)
        registry.append(registration_from_package(package, vkey))
        return _place(plan, package, "missing", (), None, None, (vkey,)), registry, refusals
    if plan.fault == "other_election":
        # the device kept the rehearsal's package: registered for the real one, reporting the other
        rehearsal = _write_package(devices / (plan.name + "-latihan"), plan, contest, keys, rehearsal=True)
        bundle = f"bundles/{plan.name}.zip"
        day = _run_day(devices / plan.name, rehearsal, _choices(day_rng, contest, plan.dpt), out / bundle, render=True)
        registry.append(registration_from_package(package, day.verifier_key))
        assert day.report is not None
        photo = f"photos/{plan.name}.jpg"
        (out / photo).write_bytes(_shoot(day.report, day_rng))
        refusals.append(
            DemoRefusal(bundle, "other_election", plan.election_id, "a device loaded with the rehearsal's package")
        )
        refusals.append(DemoRefusal(photo, "other_election", plan.election_id, "the report printed by that device"))
        results.append(DemoResult(day.verifier_key, day.statement, day.tally, day.voted, bundle))
        return _place(plan, package, "refused", tuple(results), photo, None, (day.verifier_key,)), registry, refusals
    bundle_rel = f"terlambat/{plan.name}.zip" if plan.fault == "qr_only" else f"bundles/{plan.name}.zip"
    day = _run_day(
        devices / plan.name,
        plan.package,
        _choices(day_rng, contest, plan.dpt),
        out / bundle_rel,
        render=plan.fault != "tampered",
    )
    registry.append(registration_from_package(package, day.verifier_key))
    results.append(DemoResult(day.verifier_key, day.statement, day.tally, day.voted, bundle_rel))
    vkeys = [day.verifier_key]
    if plan.fault == "tampered":
        (out / bundle_rel).write_bytes(tamper_bundle((out / bundle_rel).read_bytes()))
        state = "refused"
        refusals.append(
            DemoRefusal(
                bundle_rel, "invalid", plan.election_id, "a ballot's choice changed in the bundle on the USB stick"
            )
        )
    else:
        assert day.report is not None
        photo = f"photos/{plan.name}.jpg"
        (out / photo).write_bytes(_shoot(day.report, day_rng))
    if plan.fault == "qr_only":
        late = bundle_rel
        state = "provisional"
    if plan.fault == "conflict":
        # a second device set up for the same TPS reports other signed results
        second = f"bundles/{plan.name}-perangkat-2.zip"
        day2 = _run_day(
            devices / (plan.name + "-2"), plan.package, _choices(day_rng, contest, plan.dpt), out / second, render=False
        )
        registry.append(registration_from_package(package, day2.verifier_key))
        results.append(DemoResult(day2.verifier_key, day2.statement, day2.tally, day2.voted, second))
        vkeys.append(day2.verifier_key)
        state = "conflict"
    return _place(plan, package, state, tuple(results), photo, late, tuple(vkeys)), registry, refusals


def _run_jobs(jobs: list, workers: int | None) -> list[tuple[DemoPlace, list[dict], list[DemoRefusal]]]:
    """Every place's day, on ``workers`` processes (default: two, or one on a one-core machine)."""
    count = min(workers if workers is not None else min(2, os.cpu_count() or 1), len(jobs))
    if count <= 1:
        return [_make_place(job) for job in jobs]
    # spawn: a fresh interpreter each (the caller may hold open databases and threads)
    with ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_make_place, jobs))


def make_demo_evening(
    out_dir: str | Path, *, places: int = 40, voters: int | None = None, seed: int = 2026, workers: int | None = None
) -> DemoEvening:
    """Make the demo evening in ``out_dir`` (see the module docstring) and say what is where.

    ``places``: registered polling places (at least 6); ``voters``: the DPT of every TPS (default: 30
    to 70 each, 65-92% of whom vote, so 40 places are made in well under a minute); ``workers``: processes
    running the days (default 2; 1 runs them here).
    """
    from booth.election_package import load_package
    from booth.recap.registry import REGISTRY_FORMAT

    out = Path(out_dir)
    for sub in ("bundles", "photos", "terlambat"):
        if (out / sub).is_dir() and any((out / sub).iterdir()):
            # another evening's files would be ingested with this one's
            raise FileExistsError(f"{out / sub} already holds files of another demo evening")
    for sub in ("bundles", "photos", "terlambat", "packages"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"booth demo evening {seed}")
    plans = _layout(rng, places, voters)
    _assign_faults(rng, plans)
    keys = _committee_keys(seed)
    contests: dict[tuple[str, str], _Contest] = {}
    for plan in plans:
        if (plan.kecamatan, plan.pekon) not in contests:
            contests[(plan.kecamatan, plan.pekon)] = _contest(rng, plan.kecamatan, plan.pekon)
        folder = out / "packages" / plan.name
        if folder.exists():
            shutil.rmtree(folder)
        plan.package = _write_package(folder, plan, contests[(plan.kecamatan, plan.pekon)], keys)
        loaded = load_package(plan.package)
        plan.election_id, plan.closes_at = loaded.election_id, loaded.election.closes_at
    (out / "committee-demo.pub").write_text(json.dumps(keys.public.to_json()) + "\n", encoding="utf-8")

    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="booth-demo-devices-", dir=shm if shm.is_dir() else None) as work:
        devices = Path(work)
        jobs = [(plan, contests[(plan.kecamatan, plan.pekon)], out, devices, seed) for plan in plans]
        made: list[DemoPlace] = []
        registry: list[dict] = []
        refusals: list[DemoRefusal] = []
        for place, regs, planted in _run_jobs(jobs, workers):
            made.append(place)
            registry += regs
            refusals += planted
        conflict = next(p.election_id for p in made if p.fault == "conflict")
        tampered = next(f"bundles/{p.name}.zip" for p in made if p.fault == "tampered")
        other = next(f"bundles/{p.name}.zip" for p in made if p.fault == "other_election")
        verified_names = [(p.name, f"bundles/{p.name}.zip") for p in made if p.state == "verified"]

        # a device nobody registered, claiming a verified place's TPS; and one bundle copied twice
        target_name, _ = verified_names[rng.randrange(len(verified_names))]
        target = next(p for p in plans if p.name == target_name)
        assert target.package is not None
        foreign = f"bundles/{target.name}-perangkat-lain.zip"
        _run_day(
            devices / (target.name + "-lain"),
            target.package,
            _choices(random.Random(target.seed + 7), contests[(target.kecamatan, target.pekon)], target.dpt),
            out / foreign,
            render=False,
        )
        refusals.append(DemoRefusal(foreign, "unknown_device", None, "a bundle from a device nobody registered"))
        dup_name, dup_bundle = verified_names[rng.randrange(len(verified_names))]
        copy = f"bundles/{dup_name}-salinan.zip"
        shutil.copyfile(out / dup_bundle, out / copy)

    registry.sort(key=lambda d: (d["kabupaten"], d["kecamatan"], d["pekon"], d["tps"], d["verifier_key"]))
    registry_path = out / "registry.json"
    registry_path.write_text(
        json.dumps({"format": REGISTRY_FORMAT, "devices": registry}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    made.sort(key=lambda p: (p.kabupaten, p.kecamatan, p.pekon, p.tps))
    first, again = sorted((copy, dup_bundle))
    arrivals = _arrivals(random.Random(f"booth demo evening {seed} arrivals"), plans, made, foreign, (first, again))
    evening = DemoEvening(
        out_dir=out,
        seed=seed,
        places=tuple(made),
        conflict=conflict,
        tampered=tampered,
        foreign=foreign,
        other_election=other,
        qr_only=tuple(p.election_id for p in made if p.fault == "qr_only"),
        missing=tuple(p.election_id for p in made if p.fault == "missing"),
        duplicate=(first, again),
        refusals=tuple(refusals),
        registry=registry_path,
        committee_key=base64.b64encode(keys.public.sign_key).decode(),
        arrivals=arrivals,
    )
    (out / EVENING_FILE).write_text(
        json.dumps(evening.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return evening


def _arrivals(
    rng: random.Random, plans: list[_Plan], made: list[DemoPlace], foreign: str, duplicate: tuple[str, str]
) -> tuple[DemoArrival, ...]:
    """When each file comes in: a photo of the report within the hour or two after the count, the bundle
    as the USB stick is driven to the kecamatan (mostly the same afternoon), late bundles next morning."""
    closes = {p.name: p.closes_at for p in plans}
    times: dict[str, dt.datetime] = {}

    def driven(after: dt.datetime) -> dt.datetime:
        return after + dt.timedelta(minutes=45 + min(rng.expovariate(1 / 150), 600))

    for place in made:
        closed = closes[place.name]
        assert closed is not None
        if place.photo:
            times[place.photo] = closed + dt.timedelta(minutes=rng.uniform(25, 100))
        for result in place.results:
            if result.bundle is None:
                continue
            if result.bundle.startswith("terlambat/"):
                # the device's battery was flat: charged overnight, exported next morning
                morning = dt.datetime.combine(closed.date() + dt.timedelta(days=1), dt.time(8), closed.tzinfo)
                times[result.bundle] = morning + dt.timedelta(minutes=rng.uniform(0, 150))
            else:
                times[result.bundle] = driven(closed)
    anyone = min(times.values())
    times[foreign] = driven(anyone)
    first, again = duplicate
    times.setdefault(first, driven(anyone))
    times.setdefault(again, driven(anyone))
    if times[again] <= times[first]:
        times[again] = times[first] + dt.timedelta(minutes=rng.uniform(10, 90))  # sent once more, to be sure
    order = sorted(times.items(), key=lambda item: (item[1], item[0]))
    return tuple(DemoArrival(file, when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")) for file, when in order)


def _place(
    plan: _Plan,
    package,
    state: str,
    results: tuple[DemoResult, ...],
    photo: str | None,
    late: str | None,
    vkeys: Iterable[str],
) -> DemoPlace:
    return DemoPlace(
        name=plan.name,
        election_id=plan.election_id,
        kabupaten=KABUPATEN,
        kecamatan=plan.kecamatan,
        pekon=plan.pekon,
        tps=plan.tps,
        dpt=len(package.voters),
        allow_blank=bool(package.election.allow_blank),
        candidates=tuple((int(c.number), c.name) for c in package.candidates),
        fault=plan.fault,
        state=state,
        results=results,
        photo=photo,
        late_bundle=late,
        verifier_keys=tuple(vkeys),
    )


__all__ = [
    "AREAS",
    "KABUPATEN",
    "DemoArrival",
    "DemoEvening",
    "DemoPlace",
    "DemoRefusal",
    "DemoResult",
    "make_demo_evening",
    "photograph",
    "report_crop",
    "tamper_bundle",
]
