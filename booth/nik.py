"""NIK: the 16-digit Indonesian national identity number, read and checked.

Layout (Permendagri on Dukcapil numbering; the same on every e-KTP)::

    PP KK CC  DD MM YY  SSSS
    |  |  |   |  |  |   `-- serial among people with the same region and birth date, 0001..
    |  |  |   |  |  `------ two-digit birth year
    |  |  |   |  `--------- birth month
    |  |  |   `------------ birth day; women add 40 (a woman born on the 5th has 45)
    |  |  `---------------- district (kecamatan) code
    |  `------------------- regency/city (kabupaten/kota) code
    `---------------------- province code (Lampung is 18; Pringsewu is 18 10)

>>> nik = parse_nik("1810054508900003", reference_date=date(2025, 11, 16))
>>> nik.sex, nik.birth_date.isoformat(), nik.region
('P', '1990-08-05', '18.10.05')

The region codes are those of the place where the number was *issued*, so a
voter who moved keeps the codes of their old district: they are checked for
plausibility only, never against the polling place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

#: Province codes in use run from 11 (Aceh) to 96 (Papua Barat Daya, created in
#: 2022 together with 93-95).  Nobody keeps an authoritative list we could ship
#: and update, and refusing a real voter is worse than accepting an unknown
#: code, so only the range is checked.
PROVINCE_MIN, PROVINCE_MAX = 11, 96

#: People older than this on the reference date are taken to be born a
#: century later (the two-digit year is ambiguous).
MAX_AGE_YEARS = 120

SEX_MALE, SEX_FEMALE = "L", "P"  # laki-laki / perempuan, as on the KTP

# What people type around the digits: spaces, dots, dashes (as printed on
# some forms: 1810.05.450890.0003), and a spreadsheet's leading apostrophe.
_SEPARATORS = re.compile(r"[\s.\-_/'’]+")


class InvalidNik(ValueError):
    """A NIK that cannot be a real one, with the reason for a person.

    ``reason`` is a short code for programs (``"length"``, ``"not_digits"``,
    ``"province"``, ``"regency"``, ``"district"``, ``"day"``, ``"month"``,
    ``"date"``, ``"future"``, ``"serial"``); ``message_id`` is the Indonesian
    text for the screen and ``message_en`` the English one (also ``str(exc)``).
    """

    def __init__(self, reason: str, message_en: str, message_id: str):
        super().__init__(message_en)
        self.reason = reason
        self.message_en = message_en
        self.message_id = message_id


@dataclass(frozen=True)
class Nik:
    """A NIK that passed every check, split into its parts."""

    value: str  # the 16 digits
    province: str  # "18"
    regency: str  # "10"
    district: str  # "05"
    birth_date: date
    sex: str  # "L" or "P"
    serial: int  # 1..9999

    @property
    def region(self) -> str:
        """The issuing region as Dukcapil writes it, e.g. ``"18.10.05"``."""
        return f"{self.province}.{self.regency}.{self.district}"

    def __str__(self) -> str:
        return self.value


def clean_nik(text: str) -> str:
    """Remove what people type between the digits: spaces, dots, dashes.

    >>> clean_nik(" 1810.05-450890 0003 ")
    '1810054508900003'
    """
    return _SEPARATORS.sub("", text)


def _birth_date(day: int, month: int, yy: int, reference_date: date) -> date:
    """The birth date for DDMMYY, choosing the century that gives an age of 0..120.

    The most recent century that fits wins: on 2025-11-16, ``10`` is 2010 (a
    15-year-old), not 1910 (a 115-year-old).  Callers that hold a full birth
    date, such as the DPT, compare only day, month and ``year % 100``.
    """
    valid_somewhere = False
    for century in range(reference_date.year // 100, reference_date.year // 100 - 3, -1):
        year = century * 100 + yy
        try:
            born = date(year, month, day)
        except ValueError:
            continue  # 29 February exists in some centuries only
        valid_somewhere = True
        if born > reference_date:
            continue
        age = reference_date.year - born.year - ((reference_date.month, reference_date.day) < (born.month, born.day))
        if age <= MAX_AGE_YEARS:
            return born
    if not valid_somewhere:
        raise InvalidNik(
            "date",
            f"the birth date {day:02d}-{month:02d}-{yy:02d} does not exist",
            f"tanggal lahir {day:02d}-{month:02d}-{yy:02d} tidak ada di kalender",
        )
    raise InvalidNik(
        "future",
        f"the birth date {day:02d}-{month:02d}-{yy:02d} gives no age between 0 and "
        f"{MAX_AGE_YEARS} on {reference_date.isoformat()}",
        f"tanggal lahir {day:02d}-{month:02d}-{yy:02d} tidak memberi umur 0-{MAX_AGE_YEARS} "
        f"tahun pada {reference_date.isoformat()}",
    )


def parse_nik(text: str, *, reference_date: date) -> Nik:
    """Read a NIK and check that it could be real; raise :class:`InvalidNik` if not.

    ``reference_date`` (usually the election date) decides the century of the
    birth year.  Spaces, dots and dashes typed between the digits are ignored.

    >>> parse_nik("1810051208650001", reference_date=date(2025, 11, 16)).birth_date
    datetime.date(1965, 8, 12)
    >>> try:
    ...     parse_nik("1810051208650000", reference_date=date(2025, 11, 16))
    ... except InvalidNik as exc:
    ...     print(exc.reason, "/", exc.message_id)
    serial / nomor urut (4 angka terakhir) tidak boleh 0000
    """
    if not isinstance(text, str):
        raise InvalidNik("not_digits", "the NIK must be text", "NIK harus berupa teks")
    digits = clean_nik(text)
    if not digits:
        raise InvalidNik("length", "the NIK is empty", "NIK kosong")
    # str.isdigit() accepts other scripts' digits ("١٢٣"); only 0-9 are NIK digits.
    if not all("0" <= ch <= "9" for ch in digits):
        raise InvalidNik(
            "not_digits",
            "the NIK may contain only the digits 0-9",
            "NIK hanya boleh berisi angka 0-9",
        )
    if len(digits) != 16:
        raise InvalidNik(
            "length",
            f"the NIK has {len(digits)} digits instead of 16",
            f"NIK berisi {len(digits)} angka, seharusnya 16",
        )
    province, regency, district = digits[0:2], digits[2:4], digits[4:6]
    dd, mm, yy, serial = int(digits[6:8]), int(digits[8:10]), int(digits[10:12]), int(digits[12:16])
    if not PROVINCE_MIN <= int(province) <= PROVINCE_MAX:
        raise InvalidNik(
            "province",
            f"the province code {province} (first 2 digits) does not exist",
            f"kode provinsi {province} (2 angka pertama) tidak ada",
        )
    if regency == "00":
        raise InvalidNik(
            "regency",
            "the regency code (digits 3-4) cannot be 00",
            "kode kabupaten/kota (angka ke-3 dan ke-4) tidak boleh 00",
        )
    if district == "00":
        raise InvalidNik(
            "district",
            "the district code (digits 5-6) cannot be 00",
            "kode kecamatan (angka ke-5 dan ke-6) tidak boleh 00",
        )
    if 1 <= dd <= 31:
        sex, day = SEX_MALE, dd
    elif 41 <= dd <= 71:
        sex, day = SEX_FEMALE, dd - 40
    else:
        raise InvalidNik(
            "day",
            f"the birth day {dd:02d} (digits 7-8) must be 01-31 for men or 41-71 for women",
            f"tanggal lahir {dd:02d} (angka ke-7 dan ke-8) harus 01-31 (laki-laki) atau 41-71 (perempuan)",
        )
    if not 1 <= mm <= 12:
        raise InvalidNik(
            "month",
            f"the birth month {mm:02d} (digits 9-10) must be 01-12",
            f"bulan lahir {mm:02d} (angka ke-9 dan ke-10) harus 01-12",
        )
    born = _birth_date(day, mm, yy, reference_date)
    if serial == 0:
        raise InvalidNik(
            "serial",
            "the serial number (last 4 digits) cannot be 0000",
            "nomor urut (4 angka terakhir) tidak boleh 0000",
        )
    return Nik(digits, province, regency, district, born, sex, serial)


def nik_mismatches(nik: Nik, *, sex: str | None = None, birth_date: date | None = None) -> list[tuple[str, str]]:
    """What a voter list row says that its NIK contradicts, as ``(message_en, message_id)``.

    The birth year is compared modulo 100, because the NIK only holds two digits.

    >>> n = parse_nik("1810054508900003", reference_date=date(2025, 1, 1))
    >>> nik_mismatches(n, sex="L", birth_date=date(1990, 8, 5))[0][0]
    "the NIK is a woman's (day 45 = 5 + 40) but the sex column says L"
    """
    problems: list[tuple[str, str]] = []
    if sex is not None and sex != nik.sex:
        if nik.sex == SEX_FEMALE:
            day = nik.birth_date.day
            problems.append(
                (
                    f"the NIK is a woman's (day {day + 40} = {day} + 40) but the sex column says {sex}",
                    f"NIK milik perempuan (tanggal {day + 40} = {day} + 40) tetapi kolom jenis kelamin {sex}",
                )
            )
        else:
            problems.append(
                (
                    f"the NIK is a man's (day {nik.birth_date.day:02d} is below 41) but the sex column says {sex}",
                    f"NIK milik laki-laki (tanggal {nik.birth_date.day:02d} di bawah 41) tetapi kolom "
                    f"jenis kelamin {sex}",
                )
            )
    if birth_date is not None:
        b = nik.birth_date
        if (birth_date.day, birth_date.month, birth_date.year % 100) != (b.day, b.month, b.year % 100):
            in_nik = f"{b.day:02d}-{b.month:02d}-{b.year % 100:02d}"
            in_col = birth_date.strftime("%d-%m-%Y")
            hint_en = hint_id = ""
            if (birth_date.month, birth_date.day) == (b.day, b.month):
                hint_en = " (day and month swapped?)"
                hint_id = " (tanggal dan bulan tertukar?)"
            problems.append(
                (
                    f"the NIK gives birth date {in_nik} but the birth date column says {in_col}{hint_en}",
                    f"NIK menunjukkan tanggal lahir {in_nik} tetapi kolom tanggal lahir {in_col}{hint_id}",
                )
            )
    return problems
