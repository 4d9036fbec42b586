"""The DPT (Daftar Pemilih Tetap): the voter list CSV, read the way spreadsheets write it.

The committee keeps the DPT in Excel, LibreOffice or Google Sheets and saves
it as CSV.  Depending on the program and the laptop's regional settings that
file is UTF-8 with or without a byte-order mark, separated by commas or (with
Indonesian regional settings) semicolons, with CRLF or LF line ends, quoted
fields and empty rows at the end.  All of these load.

Columns (header names are forgiving about case, spaces and punctuation, and
may be Indonesian or English; order does not matter)::

    no / no_dpt        DPT number, 1, 2, 3 ...        (required)
    nik                16-digit NIK                   (required)
    nama               full name                      (required)
    jenis_kelamin, L/P L or P (also Laki-laki/Perempuan, M/F)  (required)
    tanggal_lahir      DD-MM-YYYY, DD/MM/YYYY or YYYY-MM-DD    (required;
                       DD/MM/YY too when the NIK shows the century)
    alamat             address                        (optional)
    rt, rw             neighbourhood numbers          (optional)

Example::

    >>> voters = parse_dpt(
    ...     b"no;nik;nama;L/P;tanggal_lahir;alamat;rt;rw\\r\\n"
    ...     b"1;1810054508900003;SITI AMINAH;P;05-08-1990;Dusun I;001;002\\r\\n",
    ...     reference_date=date(2025, 11, 16))
    >>> voters[0].ref, voters[0].name, voters[0].sex
    ('DPT-0001', 'SITI AMINAH', 'P')

Every problem in the file is collected, with its row number as the
spreadsheet shows it (the header is row 1; a cell holding a line break is
still one row), before :class:`DptError` is raised; nothing is returned from
a file with problems.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from booth.nik import SEX_FEMALE, SEX_MALE, InvalidNik, clean_nik, nik_mismatches, parse_nik

#: Lists a voter can be on: the final list, and the additional list of people
#: who are allowed to vote on the day though missing from the DPT.
LIST_DPT, LIST_DPTB = "DPT", "DPTb"

MAX_NAME_LENGTH = 120


@dataclass(frozen=True)
class Voter:
    """One person on the voter list.

    ``ref`` is the stable reference the rest of booth uses for this voter
    (``"DPT-0042"`` for DPT number 42); it never changes when the list is
    re-sorted, unlike a row position.
    """

    ref: str
    dpt_number: int
    nik: str
    name: str
    sex: str  # "L" or "P"
    birth_date: date
    address: str
    rt: str
    rw: str
    list: str = LIST_DPT


@dataclass(frozen=True)
class DptProblem:
    """One thing wrong in the DPT file, where it is, in Indonesian and English.

    ``line`` is the row as the spreadsheet shows it (the header is row 1,
    every record one row, however many line breaks its cells hold; empty
    rows count, as they do on screen); ``column`` is the header name as
    written in the file, or ``None``.
    """

    line: int
    column: str | None
    message_en: str
    message_id: str

    @property
    def message(self) -> str:
        return self.message_en

    def __iter__(self):  # so that ``line, column, message = problem`` works
        return iter((self.line, self.column, self.message_en))

    def __str__(self) -> str:
        where = f"row {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message_en}"


class DptError(ValueError):
    """The DPT file has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[DptProblem]):
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid DPT"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


def voter_ref(dpt_number: int) -> str:
    """The stable reference of a DPT voter: ``voter_ref(42) == "DPT-0042"``."""
    return f"{LIST_DPT}-{dpt_number:04d}"


# --- header names -----------------------------------------------------------


def _header_key(name: str) -> str:
    """``" Jenis Kelamin "`` -> ``"jeniskelamin"``, ``"L/P"`` -> ``"lp"``."""
    return re.sub(r"[^0-9a-z]", "", name.strip().lstrip("\ufeff").lower())


_COLUMN_NAMES = {
    "dpt_number": ["no", "nodpt", "nomor", "nomordpt", "nourut", "nourutdpt", "dptnumber", "dptno", "number", "nr"],
    "nik": ["nik", "nonik", "nomornik", "nomorinduk", "nomorindukkependudukan", "nationalid", "idnumber"],
    "name": ["nama", "namalengkap", "namapemilih", "name", "fullname"],
    "sex": ["jeniskelamin", "kelamin", "jk", "lp", "sex", "gender"],
    "birth_date": ["tanggallahir", "tgllahir", "tgllhr", "tanggallhr", "birthdate", "dateofbirth", "dob"],
    "address": ["alamat", "address", "dusun"],
    "rt": ["rt"],
    "rw": ["rw"],
}
_REQUIRED = ["dpt_number", "nik", "name", "sex", "birth_date"]
# Columns real DPT exports carry that booth does not need: accepted and ignored.
# Anything else is refused, so that a misspelt "tanggal lahr" is not silently lost.
_IGNORED = {
    "tempatlahir",
    "tmplahir",
    "tmptlahir",
    "placeofbirth",
    "usia",
    "umur",
    "age",
    "statusperkawinan",
    "statuskawin",
    "kawin",
    "disabilitas",
    "difabel",
    "keterangan",
    "ket",
    "note",
    "notes",
    "tps",
    "kelurahan",
    "desa",
    "pekon",
    "kecamatan",
    "kk",
    "nokk",
}
_LOOKUP = {alias: field for field, aliases in _COLUMN_NAMES.items() for alias in aliases}

_FIELD_LABEL = {  # for messages: (English, Indonesian)
    "dpt_number": ("DPT number (no)", "nomor DPT (no)"),
    "nik": ("NIK", "NIK"),
    "name": ("name (nama)", "nama"),
    "sex": ("sex (jenis_kelamin or L/P)", "jenis kelamin (jenis_kelamin atau L/P)"),
    "birth_date": ("birth date (tanggal_lahir)", "tanggal lahir (tanggal_lahir)"),
}

_SEX_VALUES = {
    "l": SEX_MALE,
    "lk": SEX_MALE,
    "laki": SEX_MALE,
    "lakilaki": SEX_MALE,
    "pria": SEX_MALE,
    "m": SEX_MALE,
    "male": SEX_MALE,
    "p": SEX_FEMALE,
    "pr": SEX_FEMALE,
    "pe": SEX_FEMALE,
    "perempuan": SEX_FEMALE,
    "wanita": SEX_FEMALE,
    "w": SEX_FEMALE,
    "f": SEX_FEMALE,
    "female": SEX_FEMALE,
}

_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_DMYY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SCIENTIFIC = re.compile(r"^\d+([.,]\d+)?[eE]\+?\d+$")


class AmbiguousCentury(ValueError):
    """A two-digit year (``17/11/54``) whose century nothing on the row decides."""


def parse_birth_date(text: str, *, nik_birth_date: date | None = None) -> date:
    """Read DD-MM-YYYY, DD/MM/YYYY (also DD.MM.YYYY) or YYYY-MM-DD; raise ValueError.

    A two-digit year (DD/MM/YY, as a spreadsheet with short dates saves it)
    is read only when ``nik_birth_date`` (the birth date in the voter's NIK)
    has the same two digits, which then give the century; otherwise it raises
    :class:`AmbiguousCentury`:

    >>> parse_birth_date("05/08/1990"), parse_birth_date("1990-08-05")
    (datetime.date(1990, 8, 5), datetime.date(1990, 8, 5))
    >>> parse_birth_date("17/11/54", nik_birth_date=date(1954, 11, 17))
    datetime.date(1954, 11, 17)
    >>> try:
    ...     parse_birth_date("17/11/54")
    ... except AmbiguousCentury:
    ...     print("the century is not decided")
    the century is not decided
    """
    text = text.strip()
    m = _DMY.match(text)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    m = _DMYY.match(text)
    if m:
        yy = int(m[3])
        if nik_birth_date is None or nik_birth_date.year % 100 != yy:
            raise AmbiguousCentury(text)
        return date(nik_birth_date.year - nik_birth_date.year % 100 + yy, int(m[2]), int(m[1]))
    m = _YMD.match(text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(text)


def _sniff_delimiter(header_line: str) -> str:
    """The separator the header uses: the most frequent of ``;`` ``,`` and tab outside quotes."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: outside.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _decode(data: bytes) -> tuple[str | None, DptProblem | None]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, DptProblem(
            _row_of_offset(data[: exc.start].decode("utf-8")),
            None,
            'the file is not UTF-8 text; save it again as "CSV UTF-8"',
            'berkas bukan teks UTF-8; simpan ulang sebagai "CSV UTF-8"',
        )


def _row_of_offset(before: str) -> int:
    """The spreadsheet row holding the character that follows ``before`` (the text up to it).

    Rows are CSV records, not lines: a quoted cell may hold line breaks.  The
    separator does not matter for counting records, only quotes and line ends.
    """
    reader = csv.reader(io.StringIO(before + "x", newline=""), strict=False)
    try:
        return max(1, sum(1 for _ in reader))
    except csv.Error:
        return before.count("\n") + 1


def _records(text: str, delimiter: str):
    """``(row_number, fields)`` for every record (row 1 the first), or raise :class:`_CsvSyntax` with its row.

    The row number is what the spreadsheet shows: one per record, so a cell
    holding a line break (an address on two lines) does not shift the rows after it.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    row_number = 0
    while True:
        row_number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _CsvSyntax(row_number, str(exc)) from None
        yield row_number, row


class _CsvSyntax(Exception):
    def __init__(self, line: int, detail: str):
        self.line, self.detail = line, detail


def parse_dpt(data: bytes, *, reference_date: date) -> list[Voter]:
    """Read a DPT CSV file; return its voters in DPT-number order, or raise :class:`DptError`.

    ``reference_date`` (the election date) decides the century of two-digit
    birth years in NIKs.  Checks, all collected with their row numbers: the
    header has the required columns once each and nothing unknown; every row
    has a DPT number (unique), a valid NIK (unique) whose birth date and sex
    agree with the columns, a name, a sex and a birth date.
    """
    rows = _rows(data)
    header_lineno, header = rows[0]
    problems: list[DptProblem] = []
    columns, names = _read_header(header_lineno, header, problems)
    if problems:
        raise DptError(problems)
    if len(rows) == 1:
        raise DptError(
            [
                DptProblem(
                    header_lineno,
                    None,
                    "the DPT has a header but no voters",
                    "DPT hanya berisi judul kolom, tanpa pemilih",
                )
            ]
        )
    voters: list[Voter] = []
    seen_number: dict[int, int] = {}
    seen_nik: dict[str, int] = {}
    for number, row in rows[1:]:
        line = _Line(number, row, columns, names, problems)
        if not _fits_the_header(line, len(header)):
            continue
        # one checker per column, in this order: the NIK is checked against the sex and birth date
        dpt_number = _check_dpt_number(line, seen_number)
        name = _check_name(line)
        sex = _check_sex(line)
        birth = _check_birth_date(line, reference_date)
        nik = _check_nik(line, reference_date, sex, birth, seen_nik)
        if line.ok and not problems and sex is not None and birth is not None:
            voters.append(
                Voter(
                    ref=voter_ref(dpt_number),
                    dpt_number=dpt_number,
                    nik=nik,
                    name=name,
                    sex=sex,
                    birth_date=birth,
                    address=" ".join(line.get("address").split()),
                    rt=line.get("rt"),
                    rw=line.get("rw"),
                )
            )
    if problems:
        raise DptError(problems)
    voters.sort(key=lambda v: v.dpt_number)
    return voters


def _rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The file's non-empty records with their row numbers, or DptError (not UTF-8, not CSV, empty)."""
    text, bad = _decode(data)
    if bad:
        raise DptError([bad])
    assert text is not None  # _decode gives the text or the problem
    text = text.lstrip("\ufeff")  # a file saved twice by a BOM-writing editor has two
    if not text.strip():
        raise DptError([DptProblem(1, None, "the DPT file is empty", "berkas DPT kosong")])
    header_line = next(line for line in text.splitlines() if line.strip())
    try:
        rows = list(_records(text, _sniff_delimiter(header_line)))
    except _CsvSyntax as exc:
        raise DptError(
            [
                DptProblem(
                    exc.line,
                    None,
                    f"the CSV cannot be read here ({exc.detail})",
                    f"CSV tidak dapat dibaca di sini ({exc.detail})",
                )
            ]
        ) from None
    rows = [(line, row) for line, row in rows if any(f.strip() for f in row)]
    if not rows:
        raise DptError([DptProblem(1, None, "the DPT file is empty", "berkas DPT kosong")])
    return rows


def _read_header(line: int, header: list[str], problems: list[DptProblem]) -> tuple[dict[str, int], dict[str, str]]:
    """Which column holds which field, and the field's name as the file writes it."""
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    for index, raw in enumerate(header):
        key = _header_key(raw)
        if not key:
            continue  # an unnamed, usually empty, column from a stray delimiter
        field = _LOOKUP.get(key)
        if field is None:
            if key not in _IGNORED:
                problems.append(
                    DptProblem(
                        line,
                        raw.strip(),
                        f'unknown column "{raw.strip()}" (expected: no, nik, nama, '
                        f"jenis_kelamin, tanggal_lahir, alamat, rt, rw)",
                        f'kolom "{raw.strip()}" tidak dikenal (seharusnya: no, nik, nama, '
                        f"jenis_kelamin, tanggal_lahir, alamat, rt, rw)",
                    )
                )
            continue
        if field in columns:
            problems.append(
                DptProblem(
                    line,
                    raw.strip(),
                    f'column "{raw.strip()}" appears twice (also "{names[field]}")',
                    f'kolom "{raw.strip()}" muncul dua kali (juga "{names[field]}")',
                )
            )
            continue
        columns[field] = index
        names[field] = raw.strip().lstrip("\ufeff")
    for field in _REQUIRED:
        if field not in columns:
            en, id_ = _FIELD_LABEL[field]
            problems.append(DptProblem(line, None, f"the column for {en} is missing", f"kolom {id_} tidak ada"))
    return columns, names


class _Line:
    """One voter's row: its fields by column name, and the problems found in it (``ok`` until one is)."""

    def __init__(
        self, number: int, row: list[str], columns: dict[str, int], names: dict[str, str], problems: list[DptProblem]
    ) -> None:
        self.number, self.row = number, row
        self._columns, self._names, self._problems = columns, names, problems
        self.ok = True

    def get(self, field: str) -> str:
        index = self._columns.get(field)
        return self.row[index].strip() if index is not None and index < len(self.row) else ""

    def bad(self, field: str | None, en: str, id_: str) -> None:
        column = None if field is None else self._names.get(field, field)
        self._problems.append(DptProblem(self.number, column, en, id_))
        self.ok = False


def _fits_the_header(line: _Line, width: int) -> bool:
    if len(line.row) > width and any(f.strip() for f in line.row[width:]):
        line.bad(
            None,
            f"the row has {len(line.row)} fields but the header has {width} (a separator inside an unquoted value?)",
            f"baris berisi {len(line.row)} isian tetapi judul kolom {width} "
            f"(ada pemisah di dalam isian tanpa tanda kutip?)",
        )
        return False
    return True


def _check_dpt_number(line: _Line, seen: dict[int, int]) -> int:
    """The DPT number: a whole number from 1, used once in the file (0 when it is not)."""
    raw = line.get("dpt_number")
    if not raw:
        line.bad("dpt_number", "the DPT number is empty", "nomor DPT kosong")
        return 0
    if not re.fullmatch(r"[0-9]{1,6}", raw) or int(raw) == 0:
        line.bad(
            "dpt_number",
            f'the DPT number "{raw}" is not a whole number from 1',
            f'nomor DPT "{raw}" bukan bilangan bulat mulai 1',
        )
        return 0
    number = int(raw)
    if number in seen:
        line.bad(
            "dpt_number",
            f"DPT number {number} is used twice: rows {seen[number]} and {line.number}",
            f"nomor DPT {number} dipakai dua kali: baris {seen[number]} dan {line.number}",
        )
    else:
        seen[number] = line.number
    return number


def _check_name(line: _Line) -> str:
    """The name, its spaces folded: not empty, at most :data:`MAX_NAME_LENGTH` characters."""
    name = " ".join(line.get("name").split())
    if not name:
        line.bad("name", "the name is empty", "nama kosong")
    elif len(name) > MAX_NAME_LENGTH:
        line.bad(
            "name", f"the name is longer than {MAX_NAME_LENGTH} characters", f"nama lebih dari {MAX_NAME_LENGTH} huruf"
        )
    return name


def _check_sex(line: _Line) -> str | None:
    """L or P, from any of the spellings of :data:`_SEX_VALUES`; None when it is neither."""
    raw = line.get("sex")
    sex = _SEX_VALUES.get(re.sub(r"[^a-z]", "", raw.lower()))
    if sex is None:
        line.bad(
            "sex",
            f'the sex "{raw}" is not L or P' if raw else "the sex is empty",
            f'jenis kelamin "{raw}" bukan L atau P' if raw else "jenis kelamin kosong",
        )
    return sex


def _check_birth_date(line: _Line, reference_date: date) -> date | None:
    """The birth date (see :func:`parse_birth_date`), not after the election; None when it is not one."""
    raw = line.get("birth_date")
    if not raw:
        line.bad("birth_date", "the birth date is empty", "tanggal lahir kosong")
        return None
    try:
        birth = parse_birth_date(raw, nik_birth_date=_nik_birth_date(line.get("nik"), reference_date))
    except AmbiguousCentury:
        line.bad(
            "birth_date",
            f'the birth date "{raw}" has a two-digit year and the NIK does not show its century; '
            f"write the year in four digits (e.g. 17-11-1954)",
            f'tanggal lahir "{raw}" bertahun dua angka dan NIK tidak menunjukkan abadnya; '
            f"tulis tahun dengan empat angka (misalnya 17-11-1954)",
        )
        return None
    except ValueError:
        line.bad(
            "birth_date",
            f'the birth date "{raw}" is not a date like 05-08-1990 or 1990-08-05',
            f'tanggal lahir "{raw}" bukan tanggal seperti 05-08-1990 atau 1990-08-05',
        )
        return None
    if birth > reference_date:
        line.bad(
            "birth_date",
            f"the birth date {raw} is after the election date",
            f"tanggal lahir {raw} sesudah tanggal pemilihan",
        )
    return birth


def _nik_birth_date(raw: str, reference_date: date) -> date | None:
    """The birth date a valid NIK carries (for the century of a two-digit year), or None."""
    try:
        return parse_nik(raw, reference_date=reference_date).birth_date
    except InvalidNik:
        return None


def _check_nik(line: _Line, reference_date: date, sex: str | None, birth: date | None, seen: dict[str, int]) -> str:
    """The NIK, cleaned: valid, agreeing with the sex and birth date columns, used once in the file."""
    raw = line.get("nik")
    nik_text = clean_nik(raw)
    if not raw:
        line.bad("nik", "the NIK is empty", "NIK kosong")
        return nik_text
    if _SCIENTIFIC.match(raw):
        line.bad(
            "nik",
            f'the NIK "{raw}" was turned into a number by the spreadsheet; '
            f"format the NIK column as Text and type it again",
            f'NIK "{raw}" diubah menjadi angka oleh spreadsheet; format kolom NIK sebagai Teks lalu ketik ulang',
        )
        return nik_text
    try:
        nik = parse_nik(raw, reference_date=reference_date)
    except InvalidNik as exc:
        line.bad("nik", f"NIK {raw}: {exc.message_en}", f"NIK {raw}: {exc.message_id}")
    else:
        for en, id_ in nik_mismatches(nik, sex=sex, birth_date=birth):
            line.bad("nik", f"NIK {nik_text}: {en}", f"NIK {nik_text}: {id_}")
    if nik_text in seen:
        line.bad(
            "nik",
            f"NIK {nik_text} appears twice: rows {seen[nik_text]} and {line.number}",
            f"NIK {nik_text} muncul dua kali: baris {seen[nik_text]} dan {line.number}",
        )
    else:
        seen[nik_text] = line.number
    return nik_text


def dpt_header() -> str:
    """The header line booth writes in templates (comma-separated, Indonesian names)."""
    return "no,nik,nama,jenis_kelamin,tanggal_lahir,alamat,rt,rw"


def format_dpt(voters: list[Voter]) -> bytes:
    """Write voters as a DPT CSV that :func:`parse_dpt` reads back (UTF-8, CRLF, dates DD-MM-YYYY)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(dpt_header().split(","))
    for v in voters:
        writer.writerow([v.dpt_number, v.nik, v.name, v.sex, v.birth_date.strftime("%d-%m-%Y"), v.address, v.rt, v.rw])
    return out.getvalue().encode("utf-8")
