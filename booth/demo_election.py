"""A complete, signed, fictional election package for demos, training and tests.

Pekon Sukamaju, Kecamatan Pagelaran, Kabupaten Pringsewu, Lampung: the
place name is used as an example, and every person in the package is
invented (names drawn from common name lists, portraits drawn with simple
shapes).  The committee key that signs it is generated fresh and written next
to the package marked DEMO.

>>> package_dir, keys = make_demo_package("/tmp/demo", seed=7)   # doctest: +SKIP
>>> load_package(package_dir, keys.public).short_id              # doctest: +SKIP
'Q2H7-...'

Everything is deterministic for a given seed except the keys (and so the
election ID, which covers committee.json).  The ``random.Random(seed)`` used
here makes fictional data only; nothing secret comes from it.
"""

from __future__ import annotations

import io
import json
import random
from datetime import date, timedelta
from pathlib import Path

from booth.dpt import Voter, format_dpt, voter_ref
from booth.election_package import (
    DPT_FILE,
    ELECTION_FILE,
    PHOTO_DIR,
    README_FILE,
    CommitteeKeyPair,
    election_template,
    save_key_pair,
    sign_package,
)

DEMO_PACKAGE_DIR = "pekon-sukamaju-demo"
DEMO_KEYS_DIR = "demo-committee-keys"
DEMO_DATE = date(2025, 11, 16)

# Common names in Javanese-majority villages of Pringsewu; a few in old spelling,
# as older people's documents still have them.
_MALE_FIRST = [
    "AGUS",
    "BUDI",
    "SLAMET",
    "SUTRISNO",
    "SUPARMAN",
    "JOKO",
    "BAMBANG",
    "WAHYU",
    "EKO",
    "DWI",
    "HERU",
    "HADI",
    "SUGENG",
    "TRI",
    "DARMAJI",
    "PAIJO",
    "SUKIRMAN",
    "MUHAMMAD",
    "AHMAD",
    "RUDI",
    "ANDI",
    "ARIF",
    "YUSUF",
    "IWAN",
    "DEDI",
    "RAHMAT",
    "RIYANTO",
    "SUPRIYADI",
    "SURYADI",
    "WAGIMAN",
    "MULYONO",
    "PURNOMO",
    "HENDRA",
    "FAJAR",
    "RIZKY",
    "DIMAS",
    "SAMSUL",
    "ROHMAN",
    "ABDUL",
    "IMAM",
    "NUR",
    "SUBAGIO",
    "KATIMIN",
    "SARDI",
    "TUKIJO",
    "WARSITO",
    "YANTO",
    "EDI",
]
_FEMALE_FIRST = [
    "SITI",
    "SRI",
    "SUMARNI",
    "SUMINAH",
    "WARTINI",
    "PAINEM",
    "TUMINI",
    "LESTARI",
    "RAHAYU",
    "WULANDARI",
    "DEWI",
    "ENDANG",
    "YULIANI",
    "NUR",
    "AMINAH",
    "FATIMAH",
    "AISYAH",
    "RINA",
    "RATNA",
    "SUSANTI",
    "PUJI",
    "EKA",
    "NURHAYATI",
    "SUYATI",
    "MARSINI",
    "SULASTRI",
    "KARTINI",
    "WAHYUNI",
    "INDAH",
    "PUTRI",
    "DIAN",
    "AYU",
    "ANISA",
    "SUPARMI",
    "SARTINAH",
    "MURNI",
    "KHOIRUNNISA",
    "UMI",
    "TITIK",
    "WATINI",
    "PONIYEM",
    "SUNARSIH",
]
_MALE_SECOND = [
    "SANTOSO",
    "WIBOWO",
    "SUSANTO",
    "PURWANTO",
    "HIDAYAT",
    "SAPUTRA",
    "PRATAMA",
    "KURNIAWAN",
    "SETIAWAN",
    "PRASETYO",
    "NUGROHO",
    "FAUZI",
    "HARYANTO",
    "SUGIARTO",
    "RIYADI",
    "SUPRIANTO",
    "MAULANA",
    "FIRMANSYAH",
    "RAMADHAN",
    "SUBEKTI",
    "WIJAYA",
    "HAKIM",
    "SYAHPUTRA",
    "",
]
_FEMALE_SECOND = [
    "LESTARI",
    "WATI",
    "NINGSIH",
    "HANDAYANI",
    "SAPUTRI",
    "RAHMAWATI",
    "PUSPITA",
    "ANGGRAINI",
    "SUSILOWATI",
    "KURNIASIH",
    "FITRIANI",
    "MULYANI",
    "NURJANAH",
    "ROHMAH",
    "YULIANTI",
    "PERTIWI",
    "",
    "",
]
_OLD_SPELLING = {
    "JOKO": "DJOKO",
    "YUSUF": "JUSUF",
    "SUPARMAN": "SOEPARMAN",
    "SUTRISNO": "SOETRISNO",
    "SUMARNI": "SOEMARNI",
    "SUBAGIO": "SOEBAGIO",
    "CAHYO": "TJAHJO",
    "AHMAD": "ACHMAD",
    "SUYATI": "SOEJATI",
}
_DUSUN = ["Dusun Sukamaju I", "Dusun Sukamaju II", "Dusun Sidodadi", "Dusun Karang Anyar"]
# Kecamatan of Kabupaten Pringsewu (18.10.xx); most voters registered in Pagelaran (05).
_DISTRICTS = ["01", "02", "03", "04", "05", "06", "07", "08", "09"]

_CANDIDATES = [
    # number, name, background, clothing, skin, headwear
    (1, "SUPARNO", (46, 125, 50), (30, 30, 36), (198, 150, 110), "peci"),
    (2, "SITI RAHMAWATI", (21, 101, 192), (240, 240, 236), (224, 180, 140), "hijab"),
    (3, "AHMAD FAUZI", (198, 40, 40), (245, 245, 245), (170, 120, 85), "peci+glasses"),
]
_COMPANIONS = [
    {"id": "PT-01", "name": "SUGIYANTO", "role": "ketua"},
    {"id": "PT-02", "name": "RIZKY PRATAMA", "role": "teknisi"},
    {"id": "PT-03", "name": "DEWI ANGGRAINI", "role": "teknisi"},
]

_README = """\
PAKET PEMILIHAN DEMO - DATA FIKTIF / DEMO ELECTION PACKAGE - FICTIONAL DATA

Paket ini hanya untuk demo dan pelatihan. Semua nama, NIK dan foto dibuat-buat.
Kunci panitia yang menandatanganinya adalah kunci DEMO: jangan dipakai untuk pemilihan sungguhan.

This package is for demonstrations and training only. Every name, NIK and photo is invented.
It is signed with a DEMO committee key: never use it for a real election.
"""

_KEYS_README = """\
KUNCI PANITIA DEMO - BUKAN UNTUK PEMILIHAN SUNGGUHAN
DEMO COMMITTEE KEYS - NOT FOR A REAL ELECTION

Kunci ini dibuat otomatis untuk paket demo dan disimpan tanpa pengamanan.
These keys were generated for the demo package and are stored unprotected.
"""


def portrait(number: int, background, clothing, skin, headwear: str, size=(480, 600)) -> bytes:
    """A simple drawn head-and-shoulders portrait with the ballot number, as JPEG bytes.

    Not a photo of anyone: an oval face, a peci or a hijab, and shoulders.
    """
    from PIL import Image, ImageDraw, ImageFont

    w, h = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    cx = w // 2
    # shoulders and neck
    draw.ellipse([cx - 200, int(h * 0.66), cx + 200, int(h * 1.25)], fill=clothing)
    if headwear == "hijab":
        draw.ellipse([cx - 125, int(h * 0.16), cx + 125, int(h * 0.70)], fill=(250, 250, 250))
        draw.polygon(
            [
                (cx - 140, int(h * 0.50)),
                (cx + 140, int(h * 0.50)),
                (cx + 190, int(h * 0.85)),
                (cx - 190, int(h * 0.85)),
            ],
            fill=(250, 250, 250),
        )
        draw.ellipse([cx - 78, int(h * 0.25), cx + 78, int(h * 0.58)], fill=skin)
    else:
        draw.rectangle([cx - 32, int(h * 0.55), cx + 32, int(h * 0.70)], fill=skin)
        draw.ellipse([cx - 90, int(h * 0.20), cx + 90, int(h * 0.60)], fill=skin)
        draw.ellipse([cx - 102, int(h * 0.34), cx - 78, int(h * 0.44)], fill=skin)  # ears
        draw.ellipse([cx + 78, int(h * 0.34), cx + 102, int(h * 0.44)], fill=skin)
        draw.rectangle([cx - 92, int(h * 0.14), cx + 92, int(h * 0.27)], fill=(20, 20, 20))
        draw.ellipse([cx - 92, int(h * 0.10), cx + 92, int(h * 0.18)], fill=(20, 20, 20))
    # eyes, brows and smile
    eye_y = int(h * 0.38)
    for dx in (-36, 36):
        draw.ellipse([cx + dx - 8, eye_y - 6, cx + dx + 8, eye_y + 6], fill=(40, 30, 25))
        draw.line([cx + dx - 16, eye_y - 18, cx + dx + 16, eye_y - 18], fill=(40, 30, 25), width=4)
    if headwear.endswith("+glasses"):
        for dx in (-36, 36):
            draw.ellipse([cx + dx - 24, eye_y - 18, cx + dx + 24, eye_y + 18], outline=(20, 20, 20), width=5)
        draw.line([cx - 12, eye_y, cx + 12, eye_y], fill=(20, 20, 20), width=5)
    draw.arc([cx - 36, int(h * 0.43), cx + 36, int(h * 0.51)], 20, 160, fill=(120, 50, 40), width=5)
    # the ballot number in a white disc, top left
    draw.ellipse([18, 18, 138, 138], fill=(255, 255, 255), outline=(0, 0, 0), width=4)
    try:
        font = ImageFont.load_default(size=96)
    except TypeError:  # Pillow < 10.1 has no scalable default font
        font = ImageFont.load_default()
    draw.text((78, 80), str(number), fill=(0, 0, 0), font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _birth_date(rng: random.Random, election_date: date) -> date:
    oldest = election_date.replace(year=election_date.year - 88)
    youngest = election_date.replace(year=election_date.year - 17)
    # more working-age adults than very old people, as in a village population
    span = (youngest - oldest).days
    offset = int(span * (1 - rng.random() ** 1.6))
    return oldest + timedelta(days=offset)


def demo_voters(
    count: int = 300, *, seed: int = 2025, election_date: date = DEMO_DATE, start_number: int = 1
) -> list[Voter]:
    """``count`` fictional voters with valid, consistent NIKs (province 18, regency 10).

    Also used by tests and benchmarks to make large DPTs (e.g. 10,000 voters).
    """
    rng = random.Random(seed)
    voters: list[Voter] = []
    used_niks: set[str] = set()
    for n in range(start_number, start_number + count):
        sex = rng.choice("LP")
        born = _birth_date(rng, election_date)
        if sex == "L":
            first, second = rng.choice(_MALE_FIRST), rng.choice(_MALE_SECOND)
        else:
            first, second = rng.choice(_FEMALE_FIRST), rng.choice(_FEMALE_SECOND)
        if rng.random() < 0.12:  # "Siti ..." and "Muhammad ..." are very common first parts
            prefix = "SITI" if sex == "P" else "MUHAMMAD"
            if first != prefix:
                first = f"{prefix} {first}"
        name = f"{first} {second}".strip()
        if born.year < 1965 and rng.random() < 0.6:
            name = " ".join(_OLD_SPELLING.get(word, word) for word in name.split())
        district = "05" if rng.random() < 0.75 else rng.choice(_DISTRICTS)
        day = born.day + (40 if sex == "P" else 0)
        while True:
            nik = f"1810{district}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 2500):04d}"
            if nik not in used_niks:
                used_niks.add(nik)
                break
        voters.append(
            Voter(
                ref=voter_ref(n),
                dpt_number=n,
                nik=nik,
                name=name,
                sex=sex,
                birth_date=born,
                address=rng.choice(_DUSUN),
                rt=f"{rng.randint(1, 4):03d}",
                rw=f"{rng.randint(1, 2):03d}",
            )
        )
    return voters


def write_demo_files(
    package_dir: str | Path, *, seed: int = 2025, voters: int = 300, election_date: date = DEMO_DATE
) -> Path:
    """Write the unsigned demo package files (election.json, dpt.csv, photos, README.txt)."""
    root = Path(package_dir)
    (root / PHOTO_DIR).mkdir(parents=True, exist_ok=True)
    candidates = []
    for number, name, background, clothing, skin, headwear in _CANDIDATES:
        photo = f"{number}.jpg"
        (root / PHOTO_DIR / photo).write_bytes(portrait(number, background, clothing, skin, headwear))
        candidates.append({"number": number, "name": name, "photo": photo})
    election = election_template(
        title=f"Pemilihan Kepala Pekon Sukamaju {election_date.year} (DEMO)",
        pekon="Sukamaju",
        kecamatan="Pagelaran",
        kabupaten="Pringsewu",
        provinsi="Lampung",
        tps=1,
        date=election_date.isoformat(),
        opens="07:00",
        closes="13:00",
        candidates=candidates,
        companions=_COMPANIONS,
    )
    (root / ELECTION_FILE).write_text(json.dumps(election, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (root / DPT_FILE).write_bytes(format_dpt(demo_voters(voters, seed=seed, election_date=election_date)))
    (root / README_FILE).write_text(_README, encoding="utf-8")
    return root


def make_demo_package(
    out_dir: str | Path,
    seed: int = 2025,
    *,
    voters: int = 300,
    election_date: date = DEMO_DATE,
    keys: CommitteeKeyPair | None = None,
) -> tuple[Path, CommitteeKeyPair]:
    """Make and sign the demo package in ``out_dir``; return (package folder, DEMO committee keys).

    Writes ``out_dir/pekon-sukamaju-demo/`` (the package) and
    ``out_dir/demo-committee-keys/`` (the DEMO key pair, private keys 0600).
    Raises FileExistsError if either already exists.
    """
    out = Path(out_dir)
    package_dir, keys_dir = out / DEMO_PACKAGE_DIR, out / DEMO_KEYS_DIR
    for existing in (package_dir, keys_dir):
        if existing.exists():
            raise FileExistsError(str(existing))
    keys = keys or CommitteeKeyPair.generate()  # fixed keys: a repeatable election ID (the screen gallery)
    save_key_pair(keys, keys_dir, demo=True)
    (keys_dir / "DEMO-KEYS-README.txt").write_text(_KEYS_README, encoding="utf-8")
    write_demo_files(package_dir, seed=seed, voters=voters, election_date=election_date)
    sign_package(package_dir, keys)
    return package_dir, keys
