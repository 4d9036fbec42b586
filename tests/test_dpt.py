"""The DPT as committees really save it from Excel, LibreOffice and Google Sheets, and the problems they make."""

import contextlib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booth.demo_election import demo_voters
from booth.dpt import DptError, Voter, format_dpt, parse_dpt, voter_ref

ELECTION_DAY = date(2025, 11, 16)

SITI = "1810054508900003"  # woman, 05-08-1990
BUDI = "1810051208650001"  # man, 12-08-1965
AGUS = "1810060101700012"  # man, 01-01-1970


def load(data: bytes) -> list[Voter]:
    return parse_dpt(data, reference_date=ELECTION_DAY)


def problems(data: bytes):
    with pytest.raises(DptError) as caught:
        load(data)
    for p in caught.value.problems:
        assert p.message_id and p.message_en  # every problem in both languages
    return caught.value.problems


def test_a_dpt_exported_from_excel_with_a_bom_and_semicolons_loads():
    data = (
        "\ufeffNo;NIK;Nama;L/P;Tanggal Lahir;Alamat;RT;RW\r\n"
        f"1;{SITI};SITI AMINAH;P;05/08/1990;Dusun I;001;002\r\n"
        f'2;{BUDI};"BUDI SANTOSO, S.Pd";L;12/08/1965;"Jl. Merdeka; Gg. 2";003;001\r\n'
        ";;;;;;;\r\n"
        ";;;;;;;\r\n"
    ).encode()
    voters = load(data)
    assert [v.name for v in voters] == ["SITI AMINAH", "BUDI SANTOSO, S.Pd"]
    assert voters[1].address == "Jl. Merdeka; Gg. 2"
    assert voters[0].birth_date == date(1990, 8, 5) and voters[0].sex == "P"
    assert (voters[0].rt, voters[0].rw) == ("001", "002")


def test_a_dpt_from_libreoffice_with_commas_lf_and_iso_dates_loads():
    data = (
        "no_dpt,nik,nama,jenis_kelamin,tanggal_lahir,alamat,rt,rw\n"
        f'1,{SITI},Siti Aminah,Perempuan,1990-08-05,"Dusun I, Sukamaju",1,2\n'
        f"2,{BUDI},Budi Santoso,Laki-laki,12-08-1965,,,\n\n\n"
    ).encode()
    voters = load(data)
    assert [v.sex for v in voters] == ["P", "L"]
    assert voters[0].address == "Dusun I, Sukamaju"


def test_english_headers_in_any_order_and_case_load():
    data = (f"Full Name,Sex,Date of Birth,NIK,No\nSiti Aminah,F,05-08-1990,{SITI},7\n").encode()
    [voter] = load(data)
    assert (voter.name, voter.sex, voter.dpt_number, voter.address) == ("Siti Aminah", "P", 7, "")


def test_each_voter_gets_a_stable_reference_from_the_dpt_number():
    data = f"no,nik,nama,l/p,tgl lahir\n42,{SITI},SITI,P,05-08-1990\n".encode()
    assert load(data)[0].ref == "DPT-0042" == voter_ref(42)


def test_voters_come_back_in_dpt_number_order():
    data = (f"no,nik,nama,l/p,tgl lahir\n2,{BUDI},BUDI,L,12-08-1965\n1,{SITI},SITI,P,05-08-1990\n").encode()
    assert [v.dpt_number for v in load(data)] == [1, 2]


def test_a_dpt_with_a_duplicate_nik_is_refused_naming_both_lines():
    data = (
        "no,nik,nama,jenis_kelamin,tanggal_lahir\n"
        f"1,{SITI},SITI AMINAH,P,05-08-1990\n"
        f"2,{BUDI},BUDI,L,12-08-1965\n"
        f"3,{SITI},SITI AMINAH,P,05-08-1990\n"
    ).encode()
    [p] = problems(data)
    assert p.line == 4 and p.column == "nik"
    assert "rows 2 and 4" in p.message_en and "baris 2 dan 4" in p.message_id


def test_a_dpt_with_a_duplicate_dpt_number_is_refused_naming_both_lines():
    data = (
        f"no,nik,nama,jenis_kelamin,tanggal_lahir\n1,{SITI},SITI AMINAH,P,05-08-1990\n1,{BUDI},BUDI,L,12-08-1965\n"
    ).encode()
    [p] = problems(data)
    assert "rows 2 and 3" in p.message_en


def test_every_problem_is_listed_with_its_line_and_nothing_is_returned():
    data = (
        (
            "no,nik,nama,jenis_kelamin,tanggal_lahir\n"
            f"1,{SITI},SITI AMINAH,L,05-08-1990\n"  # sex contradicts the NIK
            f"2,{BUDI},,L,12-08-1965\n"  # no name
            f"3,{AGUS},AGUS,L,02-01-1970\n"  # birth date contradicts the NIK
            "4,1810051208650000,JOKO,L,12-08-1965\n"  # serial 0000
            f"5,{BUDI[:-1]}2,EKO,X,12-08-1965\n"  # sex not L/P
            f"abc,1810051208650003,DWI,L,31-02-1965\n"  # bad number and impossible date
        ).encode()
    )
    found = problems(data)
    by_line = {}
    for p in found:
        by_line.setdefault(p.line, []).append(p)
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7]
    assert "woman" in by_line[2][0].message_en
    assert by_line[3][0].column == "nama"
    assert "birth date" in by_line[4][0].message_en
    assert "0000" in by_line[5][0].message_en
    assert len(by_line[7]) >= 2


def test_problems_unpack_as_line_column_message():
    data = f"no,nik,nama,jenis_kelamin,tanggal_lahir\n1,{SITI},,P,05-08-1990\n".encode()
    [(line, column, message)] = problems(data)
    assert (line, column) == (2, "nama") and "name" in message


def test_a_nik_turned_into_a_number_by_excel_gets_a_specific_message():
    data = b"no,nik,nama,jenis_kelamin,tanggal_lahir\n1,1.81005E+15,SITI,P,05-08-1990\n"
    [p] = problems(data)
    assert "Text" in p.message_en and "Teks" in p.message_id


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        (b"\r\n\r\n;;;\r\n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"no,nik,nama,jenis_kelamin,tanggal_lahir\r\n", "no voters"),
        (b"no,nama,jenis_kelamin,tanggal_lahir\n1,SITI,P,05-08-1990\n", "NIK"),
        (b"no,nik,nama,jenis kelamin,tanggal lahr\n", "birth date"),
        (b"no,nik,nama,jenis_kelamin,tanggal_lahir,nama\n", "twice"),
        (b"no,nik,nama\xff,jenis_kelamin,tanggal_lahir\n", "UTF-8"),
    ],
)
def test_an_unusable_file_is_refused_with_a_clear_message(data, words):
    found = problems(data)
    assert any(words in p.message_en for p in found), [str(p) for p in found]


def test_an_unknown_column_is_refused_but_known_extra_columns_are_ignored():
    ok = f"no,nik,nama,tempat_lahir,jenis_kelamin,tanggal_lahir,usia\n1,{SITI},SITI,Pringsewu,P,05-08-1990,35\n"
    assert load(ok.encode())[0].name == "SITI"
    bad = f"no,nik,nama,jenis_kelamin,tanggal_lahir,agama\n1,{SITI},SITI,P,05-08-1990,Islam\n"
    [p] = problems(bad.encode())
    assert p.line == 1 and "agama" in p.message_en


def test_a_cell_holding_a_line_break_does_not_shift_the_rows_after_it():
    """The address on two lines is one cell of spreadsheet row 2; BUDI's empty name is on row 3, as Excel shows."""
    data = (
        "no,nik,nama,jenis_kelamin,tanggal_lahir,alamat\n"
        f'1,{SITI},SITI,P,05-08-1990,"Dusun I\nRT 1"\n'
        f"2,{BUDI},,L,12-08-1965,\n"
    ).encode()
    [p] = problems(data)
    assert p.line == 3 and str(p).startswith("row 3, column nama")


def test_a_row_with_an_unquoted_separator_in_a_value_is_refused():
    data = f"no;nik;nama;jenis_kelamin;tanggal_lahir\n1;{SITI};SITI; AMINAH;P;05-08-1990\n".encode()
    [p] = problems(data)
    assert "fields" in p.message_en


def test_a_demo_dpt_written_by_booth_reads_back_identically():
    voters = demo_voters(200, seed=5)
    assert load(format_dpt(voters)) == voters


_FRAGMENTS = st.sampled_from(
    [
        "no",
        "nik",
        "nama",
        "jenis_kelamin",
        "L/P",
        "tanggal_lahir",
        "alamat",
        "rt",
        "rw",
        ",",
        ";",
        "\t",
        "\n",
        "\r\n",
        "\r",
        '"',
        '""',
        " ",
        "\ufeff",
        "\x00",
        SITI,
        BUDI,
        "1",
        "2",
        "0",
        "L",
        "P",
        "05-08-1990",
        "1990-08-05",
        "31/02/1990",
        "SITI",
        "É",
        "1.8E+15",
        "-",
        "DPT-0001",
    ]
)


@settings(max_examples=300)
@given(st.lists(_FRAGMENTS, max_size=60))
def test_random_csv_text_never_raises_anything_but_dpt_error(parts):
    data = "".join(parts).encode("utf-8")
    try:
        voters = load(data)
    except DptError as exc:
        assert exc.problems and all(p.line >= 1 for p in exc.problems)
    else:
        assert voters and all(len(v.nik) == 16 for v in voters)


@settings(max_examples=200)
@given(st.binary(max_size=400))
def test_random_bytes_never_raise_anything_but_dpt_error(data):
    with contextlib.suppress(DptError):
        load(data)


# --- rows as the spreadsheet numbers them, two-digit years -------------------

_ADDRESS = st.sampled_from(["Dusun I", "Dusun I\nRT 1", "Jl. Merdeka\r\nGg. 2", "a,b; c", '"Kp" Baru', ""])


@settings(max_examples=100)
@given(
    addresses=st.lists(_ADDRESS, min_size=1, max_size=12), blanks=st.lists(st.booleans(), max_size=12), data=st.data()
)
def test_a_problem_names_the_spreadsheet_row_whatever_the_cells_hold(addresses, blanks, data):
    """Cells with line breaks and empty rows before it: the row number is still the one Excel shows."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["no", "nik", "nama", "jenis_kelamin", "tanggal_lahir", "alamat"])
    voters = demo_voters(len(addresses), seed=3)
    bad_index = data.draw(st.integers(0, len(addresses) - 1))
    row, bad_row = 1, 0
    for i, (v, address) in enumerate(zip(voters, addresses, strict=True)):
        if i < len(blanks) and blanks[i]:
            writer.writerow([])  # an empty spreadsheet row
            row += 1
        row += 1
        name = "" if i == bad_index else v.name
        bad_row = row if i == bad_index else bad_row
        writer.writerow([v.dpt_number, v.nik, name, v.sex, v.birth_date.strftime("%d-%m-%Y"), address])
    [p] = problems(out.getvalue().encode())
    assert p.line == bad_row and p.column == "nama"


@settings(max_examples=200)
# The NIK gives the most recent century that fits, so a voter (17 or older) born in the last 100 years
@given(born=st.dates(min_value=date(1925, 11, 17), max_value=date(2008, 11, 16)), sex=st.sampled_from("LP"))
def test_a_two_digit_year_takes_its_century_from_the_nik(born, sex):
    day = born.day + (40 if sex == "P" else 0)
    nik = f"181005{day:02d}{born.month:02d}{born.year % 100:02d}0001"
    short = born.strftime("%d/%m/%y")
    data = f"no,nik,nama,jenis_kelamin,tanggal_lahir\n1,{nik},SITI,{sex},{short}\n".encode()
    [voter] = load(data)
    assert voter.birth_date == born


def test_a_two_digit_year_the_nik_does_not_decide_is_refused_in_words():
    data = f"no,nik,nama,jenis_kelamin,tanggal_lahir\n1,{BUDI},BUDI,L,12/08/66\n".encode()
    [p] = problems(data)
    assert p.line == 2 and "two-digit year" in p.message_en and "empat angka" in p.message_id


def test_17_11_54_is_read_as_1954_when_the_nik_says_so():
    nik = "1810051711540002"
    [voter] = load(f"no,nik,nama,jenis_kelamin,tanggal_lahir\n1,{nik},SOEKARDI,L,17/11/54\n".encode())
    assert voter.birth_date == date(1954, 11, 17)


def test_text_that_is_not_utf8_names_the_row_after_multiline_cells():
    data = (
        f'no,nik,nama,jenis_kelamin,tanggal_lahir,alamat\n1,{SITI},SITI,P,05-08-1990,"Dusun I\nRT 1\nRW 2"\n'
    ).encode() + b"2,x,\xff\n"
    [p] = problems(data)
    assert p.line == 3
