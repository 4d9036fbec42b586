"""NIK checks as a companion or committee member meets them: what the 16 digits say, and why one is refused."""

import contextlib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booth.nik import InvalidNik, clean_nik, nik_mismatches, parse_nik

ELECTION_DAY = date(2025, 11, 16)


def nik(text: str):
    return parse_nik(text, reference_date=ELECTION_DAY)


def reason(text: str) -> str:
    with pytest.raises(InvalidNik) as caught:
        nik(text)
    assert caught.value.message_id and caught.value.message_en  # both languages, always
    return caught.value.reason


def test_a_mans_nik_gives_region_birth_date_and_sex():
    n = nik("1810051208650001")
    assert (n.province, n.regency, n.district) == ("18", "10", "05")
    assert n.region == "18.10.05"
    assert n.birth_date == date(1965, 8, 12)
    assert n.sex == "L"
    assert n.serial == 1


def test_a_womans_nik_has_40_added_to_the_birth_day():
    n = nik("1810054508900003")  # day 45 = 5 + 40
    assert n.sex == "P"
    assert n.birth_date == date(1990, 8, 5)


def test_a_woman_born_on_the_31st_has_day_71():
    assert nik("1810057112800002").birth_date == date(1980, 12, 31)


def test_the_century_makes_the_voter_between_0_and_120_years_old():
    assert nik("1810051208100001").birth_date.year == 2010  # 15, not 115
    assert nik("1810051208300001").birth_date.year == 1930  # 2030 has not happened yet
    # the same digits read on another day: the reference date is passed in
    assert parse_nik("1810051208300001", reference_date=date(2031, 1, 1)).birth_date.year == 2030


def test_spaces_dots_and_dashes_typed_between_the_digits_are_ignored():
    assert nik("1810 05 120865 0001").value == "1810051208650001"
    assert nik("18.10.05.120865.0001").value == "1810051208650001"
    assert clean_nik(" 1810-05-120865-0001 ") == "1810051208650001"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "length"),
        ("181005120865001", "length"),  # 15 digits
        ("18100512086500011", "length"),  # 17 digits
        ("18100512O8650001", "not_digits"),  # letter O instead of zero
        ("181005١٢٠٨٦٥0001", "not_digits"),  # Arabic-Indic digits look like digits to Python
        ("0910051208650001", "province"),
        ("9910051208650001", "province"),
        ("1800051208650001", "regency"),
        ("1810001208650001", "district"),
        ("1810053508650001", "day"),  # 35 is neither a man's nor a woman's day
        ("1810050008650001", "day"),
        ("1810057508650001", "day"),  # 75 - 40 = 35
        ("1810051213650001", "month"),
        ("1810053102650001", "date"),  # 31 February
        ("1810052902010001", "date"),  # 29 February 2001 (and 1901) never existed
        ("1810051208650000", "serial"),
    ],
)
def test_an_impossible_nik_is_refused_with_its_specific_reason(text, expected):
    assert reason(text) == expected


def test_29_february_2000_is_a_real_birthday():
    assert nik("1810052902000001").birth_date == date(2000, 2, 29)


def test_the_refusal_says_what_is_wrong_in_indonesian_and_english():
    with pytest.raises(InvalidNik) as caught:
        nik("1810051208650000")
    assert "0000" in caught.value.message_id and "0000" in caught.value.message_en
    assert str(caught.value) == caught.value.message_en


def test_a_dpt_row_whose_sex_contradicts_the_nik_is_reported():
    woman = nik("1810054508900003")
    [(en, id_)] = nik_mismatches(woman, sex="L", birth_date=date(1990, 8, 5))
    assert "woman" in en and "perempuan" in id_.lower()


def test_a_dpt_row_whose_birth_date_contradicts_the_nik_is_reported():
    n = nik("1810051208650001")
    [(en, id_)] = nik_mismatches(n, sex="L", birth_date=date(1965, 8, 13))
    assert "12-08-65" in en and "13-08-1965" in en and "tanggal lahir" in id_


def test_day_and_month_swapped_by_a_us_spreadsheet_get_a_hint():
    n = nik("1810050508650001")  # 5 August 1965
    [(en, id_)] = nik_mismatches(n, birth_date=date(1965, 5, 8))  # 8 May
    assert "swapped" in en and "tertukar" in id_


def test_the_century_does_not_matter_when_comparing_with_the_dpt():
    n = nik("1810051208100001")  # read as 2010
    assert nik_mismatches(n, sex="L", birth_date=date(1910, 8, 12)) == []


@given(st.text(max_size=40))
def test_any_text_is_either_a_valid_nik_or_refused_with_invalid_nik(text):
    try:
        n = nik(text)
    except InvalidNik as exc:
        assert exc.reason and exc.message_id and exc.message_en
    else:
        assert len(n.value) == 16 and n.sex in ("L", "P") and n.birth_date <= ELECTION_DAY


@given(st.text(alphabet="0123456789 .-", min_size=14, max_size=20))
def test_any_digit_string_is_either_a_valid_nik_or_refused_with_invalid_nik(text):
    with contextlib.suppress(InvalidNik):
        nik(text)


@settings(max_examples=200)
@given(
    born=st.dates(min_value=date(1906, 1, 1), max_value=ELECTION_DAY),
    woman=st.booleans(),
    serial=st.integers(1, 9999),
    district=st.integers(1, 99),
)
def test_a_nik_made_from_a_birth_date_and_sex_reads_back_the_same(born, woman, serial, district):
    day = born.day + (40 if woman else 0)
    text = f"1810{district:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
    n = nik(text)
    assert n.sex == ("P" if woman else "L")
    assert (n.birth_date.day, n.birth_date.month) == (born.day, born.month)
    assert n.birth_date.year % 100 == born.year % 100
    assert nik_mismatches(n, sex=n.sex, birth_date=born) == []
