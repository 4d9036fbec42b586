"""Finding the voter at the registration table, however the name was typed in the DPT or at the booth."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booth.demo_election import demo_voters
from booth.dpt import Voter, voter_ref
from booth.voter_search import VoterIndex, edit_distance, fold, spelling_key

NAMES = [
    "MUHAMMAD SOEKARNO",  # 1
    "SUKARNI",  # 2
    "SUKARNO",  # 3
    "DJOKO TJAHJONO",  # 4
    "SITI AMINAH",  # 5
    "H. ACHMAD FAUZI",  # 6
    "NURHAYATI",  # 7
    "BUDI SANTOSO, S.Pd",  # 8
    "JUSUF CHOLIL",  # 9
    "SUPRIYADI",  # 10
    "AISYAH",  # 11
    "MA'RUF AMIN",  # 12
    "RIZKY HIDAYAT",  # 13
    "SITI NUR ROHMAH",  # 14
    "SRI WAHYUNI",  # 15
]


def make_voter(number: int, name: str) -> Voter:
    nik = f"1810051208650{number:03d}"  # neighbours in the list differ in one digit
    return Voter(voter_ref(number), number, nik, name, "L", date(1965, 8, 12), "Dusun I", "001", "001")


VOTERS = [make_voter(i, name) for i, name in enumerate(NAMES, 1)]
INDEX = VoterIndex(VOTERS)


def names(query: str, limit: int = 10) -> list[str]:
    return [m.voter.name for m in INDEX.search(query, limit)]


def test_searching_moh_sukarno_finds_muhammad_soekarno_first():
    [best, *_] = INDEX.search("moh sukarno")
    assert best.voter.name == "MUHAMMAD SOEKARNO"
    assert best.score >= 0.9
    assert best.why == "same name, other spelling" and best.why_id == "nama sama, ejaan berbeda"


@pytest.mark.parametrize(
    "typed, in_dpt",
    [
        ("joko cahyono", "DJOKO TJAHJONO"),  # dj/j, tj/c, j/y
        ("Yusuf Kholil", "JUSUF CHOLIL"),  # j/y, ch/kh
        ("ahmad fauzi", "H. ACHMAD FAUZI"),  # ch/h, title H. ignored
        ("supriadi", "SUPRIYADI"),  # iy/i
        ("aisya", "AISYAH"),  # final h
        ("Maruf Amin", "MA'RUF AMIN"),  # apostrophe
        ("budi santoso", "BUDI SANTOSO, S.Pd"),  # degree after the comma ignored
        ("Sití Amináh", "SITI AMINAH"),  # diacritics
        ("  siti   AMINAH ", "SITI AMINAH"),  # spacing and case
    ],
)
def test_old_spellings_titles_and_punctuation_are_forgiven(typed, in_dpt):
    assert names(typed)[0] == in_dpt


def test_the_word_order_does_not_matter():
    assert names("aminah siti")[0] == "SITI AMINAH"
    assert INDEX.search("aminah siti")[0].score == 1.0


def test_a_name_written_together_or_apart_is_found():
    assert names("nur hayati")[0] == "NURHAYATI"


@pytest.mark.parametrize(
    "typed, in_dpt",
    [
        ("sukrano", "SUKARNO"),  # swapped letters
        ("rizky hidaat", "RIZKY HIDAYAT"),  # a letter left out
        ("sri wahyuno", "SRI WAHYUNI"),  # a wrong letter
    ],
)
def test_small_typos_are_forgiven(typed, in_dpt):
    assert names(typed)[0] == in_dpt


def test_an_initial_and_the_beginning_of_a_word_find_the_voter():
    assert names("m sukarno")[0] == "MUHAMMAD SOEKARNO"
    assert "SUKARNO" in names("sukar")[:3]


def test_the_exact_spelling_ranks_above_a_spelling_variant_above_a_typo():
    results = INDEX.search("sukarno")
    ranked = [m.voter.name for m in results]
    assert ranked[:3] == ["SUKARNO", "MUHAMMAD SOEKARNO", "SUKARNI"]
    scores = [m.score for m in results]
    assert scores == sorted(scores, reverse=True)


def test_unrelated_names_are_not_offered():
    assert "SITI AMINAH" not in names("budi santoso")
    assert names("xylophone") == []
    assert names("") == [] and names("   ") == [] and names("s") == []


def test_a_nik_typed_with_spaces_or_dots_is_found_exactly():
    target = VOTERS[4]
    for typed in (target.nik, "1810 0512 0865 0005", "1810.05.120865.0005"):
        [best, *rest] = INDEX.search(typed)
        assert best.voter is target and best.score == 1.0 and best.why == "same NIK"
        assert rest == []  # the neighbours in the list are not offered as well


def test_a_nik_with_one_digit_wrong_is_offered_as_a_candidate():
    voters = demo_voters(50, seed=3)
    index = VoterIndex(voters)
    target = voters[17]
    wrong = target.nik[:10] + str((int(target.nik[10]) + 1) % 10) + target.nik[11:]
    best = index.search(wrong)[0]
    assert best.voter == target and best.score < 1.0 and "one digit" in best.why


def test_the_last_six_digits_of_a_nik_find_the_voter():
    voters = demo_voters(2000, seed=11)
    index = VoterIndex(voters)
    target = voters[1234]
    results = index.search(target.nik[-6:])
    assert target in [m.voter for m in results]
    assert all(m.voter.nik.endswith(target.nik[-6:]) for m in results if m.why == "end of the NIK")


def test_the_dpt_number_finds_the_voter():
    assert INDEX.search("7")[0].voter.name == "NURHAYATI"
    assert INDEX.search("DPT-0007")[0].voter.name == "NURHAYATI"


def test_a_voter_added_to_the_dptb_is_found_too():
    index = VoterIndex(VOTERS)
    newcomer = Voter("DPTb-0001", 9001, "1810065101950004", "WARTINI", "P", date(1995, 1, 11), "", "", "", list="DPTb")
    index.add(newcomer)
    assert index.search("wartini")[0].voter is newcomer
    assert index.by_nik("1810 0651 0195 0004") is newcomer
    assert index.by_ref("DPTb-0001") is newcomer


def test_the_same_query_always_gives_the_same_list_ties_in_dpt_order():
    voters = demo_voters(3000, seed=2)
    index = VoterIndex(voters)
    first = index.search("siti", limit=10)
    assert first == index.search("siti", limit=10)
    tied = [m for m in first if m.score == first[0].score]
    assert [m.voter.dpt_number for m in tied] == sorted(m.voter.dpt_number for m in tied)


def test_ten_thousand_voters_every_voter_is_found_by_name_and_by_nik():
    voters = demo_voters(10_000, seed=1)
    index = VoterIndex(voters)
    for voter in voters[::997]:
        assert index.search(voter.nik)[0].voter == voter
        same_name = [m.voter for m in index.search(voter.name, limit=100) if m.score == 1.0]
        assert voter in same_name


def test_helpers_fold_and_spelling_key_do_what_the_docs_say():
    assert fold("  Ma'ruf  AMIN-Sjah, S.Pd ") == "maruf amin sjah"
    assert spelling_key("soekarno") == spelling_key("sukarno")
    assert spelling_key("mochammad") == spelling_key("muhamad") == spelling_key("moh")
    assert edit_distance("sukarno", "sukrano") == 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_query_gives_a_ranked_list_and_never_crashes(query):
    results = INDEX.search(query, limit=5)
    assert len(results) <= 5
    assert all(0.0 <= m.score <= 1.0 and m.why and m.why_id for m in results)
    assert [m.score for m in results] == sorted((m.score for m in results), reverse=True)
