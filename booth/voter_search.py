"""Finding a voter in the DPT by NIK or by name, forgiving the way names are really written.

At the registration table the companion types what the voter says or what is
on the KTP or the invitation (formulir C6).  The DPT was typed by someone else,
often from old documents, so the same person may be "MUHAMMAD SOEKARNO" in the
list and "Moh. Sukarno" on the card.  The search forgives:

* case, spacing, punctuation, diacritics and word order;
* old spelling (Ejaan Soewandi / van Ophuijsen) and its variants:
  oe/u (Soekarno/Sukarno), dj/j (Djoko/Joko), tj/c (Tjahjo/Cahyo),
  j/y (Jusuf/Yusuf), ch/kh/h (Achmad/Akhmad/Ahmad), dh/d, th/t, q/k, v/f,
  doubled letters (Muhammad/Muhamad), iy/i (Supriyadi/Supriadi),
  a final h after a vowel (Aisyah/Aisya);
* "Moh.", "Muh.", "Mhd.", "Mochammad" ... all as Muhammad; "Abd." as Abdul;
  titles such as H., Hj., Drs. and degrees after a comma are ignored;
* a name written together or apart (Nurhayati / Nur Hayati);
* a typo or two (edit distance, with adjacent letters swapped counting once);
* a typed initial ("M Yusuf") or the beginning of a word ("sukar");
* a NIK with spaces, dots or dashes, a NIK with one digit wrong or two
  neighbouring digits swapped, part of a NIK (e.g. the last 6 digits), and
  the DPT number ("42" or "DPT-0042").

We wrote this small matcher ourselves: no maintained library knows Indonesian
old-spelling equivalences, and the general fuzzy matchers would rank
"Sukarni" above "Soekarno" for "Sukarno".

Speed: the index keeps, per normalised name word, the voters using it, and a
deletion index of those words (the "SymSpell" idea: two words within edit
distance 2 share a string obtained by deleting at most 2 letters from each),
so a query touches only the few voters that share a (near-)word with it.

>>> from datetime import date
>>> from booth.dpt import Voter
>>> v = Voter("DPT-0001", 1, "1810051208650001", "MUHAMMAD SOEKARNO", "L",
...           date(1965, 8, 12), "", "", "")
>>> index = VoterIndex([v])
>>> [(m.voter.name, m.why) for m in index.search("moh sukarno")]
[('MUHAMMAD SOEKARNO', 'same name, other spelling')]
"""

from __future__ import annotations

import bisect
import heapq
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from booth.dpt import Voter
from booth.nik import clean_nik

# --- normalising names ------------------------------------------------------

#: Spelling rules applied in order to every word, after folding to a-z.
#: Old spelling first (oe, dj, tj), then sounds written two ways, then j/y
#: last so that "dj" -> "j" -> "y" and modern "j" meet old "j" at "y".
_SPELLING = [
    ("oe", "u"),
    ("dj", "j"),
    ("tj", "c"),
    ("ch", "h"),
    ("kh", "h"),
    ("dh", "d"),
    ("th", "t"),
    ("ph", "f"),
    ("q", "k"),
    ("v", "f"),
    ("j", "y"),
]
_DOUBLED = re.compile(r"(.)\1+")
_IY = re.compile(r"(?<=i)y(?=[aeiou])|(?<=u)w(?=[aeiou])")  # Supriyadi/Supriadi, Juwariah/Juariah
_FINAL_H = re.compile(r"(?<=[aeiou])h$")  # Aisyah/Aisya, Fatimah/Fatima

#: Abbreviations and spellings of the same given name, mapped to one word.
_ALIASES_RAW = {
    "muhammad": [
        "m",
        "moh",
        "muh",
        "mhd",
        "mohd",
        "muhd",
        "md",
        "mch",
        "moch",
        "much",
        "mukh",
        "mochd",
        "mochamad",
        "mochammad",
        "muchamad",
        "muchammad",
        "mukhamad",
        "mukhammad",
        "mohamad",
        "mohammad",
        "mohamed",
        "mohammed",
        "muhamad",
        "muhammed",
        "muhamat",
        "mohamat",
    ],
    "abdul": ["abd", "abdl"],
    "siti": ["st"],
}
#: Titles and honorifics that are not part of the name.
_TITLES = {
    "h",
    "hj",
    "haji",
    "hajjah",
    "hajah",
    "drs",
    "dra",
    "ir",
    "dr",
    "bpk",
    "bapak",
    "ibu",
    "bu",
    "pak",
    "sdr",
    "sdri",
    "alm",
    "almh",
    "kh",
    "ust",
    "ustadz",
    "ustad",
    "ny",
    "tn",
}


def fold(text: str) -> str:
    """Lower case a-z and digits only, words separated by one space.

    >>> fold("  Ma'ruf  AMIN-Sjah, S.Pd ")
    'maruf amin sjah'
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    # Degrees follow a comma: "BUDI SANTOSO, S.Pd.I" -> "BUDI SANTOSO".
    head, comma, tail = text.partition(",")
    if comma and all(len(w) <= 4 for w in re.findall(r"[a-z]+", tail)):
        text = head
    text = re.sub(r"['`\u2018\u2019\u02bc]", "", text)
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _spell(word: str) -> str:
    for old, new in _SPELLING:
        if old in word:
            word = word.replace(old, new)
    word = _DOUBLED.sub(r"\1", word)
    word = _IY.sub("", word)
    if len(word) > 3:
        word = _FINAL_H.sub("", word)
    return word


_ALIASES = {}
for _canonical, _variants in _ALIASES_RAW.items():
    for _word in [_canonical, *_variants]:
        _ALIASES[_word] = _spell(_canonical)
        _ALIASES[_spell(_word)] = _spell(_canonical)
# a single "m" is an initial like any other, except that it may stand for Muhammad
del _ALIASES["m"]


def spelling_key(word: str) -> str:
    """The form of one folded word under which all its spellings meet.

    >>> [spelling_key(w) for w in ["soekarno", "djoko", "tjahjo", "achmad", "mohammad", "moh"]]
    ['sukarno', 'yoko', 'cahyo', 'ahmad', 'muhamad', 'muhamad']
    """
    alias = _ALIASES.get(word)
    if alias:
        return alias
    key = _spell(word)
    return _ALIASES.get(key, key)


def name_words(name: str) -> list[tuple[str, str]]:
    """The ``(folded, key)`` words of a name, titles left out (unless nothing else is left).

    >>> name_words("H. Moch. Djoko")
    [('moch', 'muhamad'), ('djoko', 'yoko')]
    """
    words = [w for w in fold(name).split() if not w.isdigit()]
    kept = [w for w in words if w not in _TITLES] or words
    return [(w, spelling_key(w)) for w in kept]


# --- edit distance ----------------------------------------------------------


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance: insert, delete, replace, swap neighbours.

    Returns ``limit + 1`` as soon as the distance is known to exceed ``limit``.

    >>> edit_distance("sukarno", "sukrano"), edit_distance("budi", "bude")
    (1, 1)
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d = min(d, prev2[j - 2] + 1)
            cur[j] = d
            best = min(best, d)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _allowed_typos(length: int) -> int:
    """Typos forgiven in a word of ``length`` letters: 1 up to 5 letters, then 2."""
    return 0 if length <= 1 else 1 if length <= 5 else 2


def _deletions(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


# --- results ----------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One search result: the voter, a score from 0 to 1 (1 = certain), and why it matched."""

    voter: Voter
    score: float
    why: str  # English
    why_id: str = ""  # Indonesian, shown first on screen


# token match kinds, from best to worst, with their similarity
_EXACT, _VARIANT, _TYPO, _PREFIX, _INITIAL = "exact", "variant", "typo", "prefix", "initial"
_WHY = {
    _EXACT: ("same name", "nama sama"),
    _VARIANT: ("same name, other spelling", "nama sama, ejaan berbeda"),
    _TYPO: ("similar name (typo?)", "nama mirip (salah ketik?)"),
    _PREFIX: ("name begins like the search", "awal nama cocok"),
    _INITIAL: ("initials match", "inisial cocok"),
    "part": ("part of the name matches", "sebagian nama cocok"),
    "part_variant": ("part of the name matches, other spelling", "sebagian nama cocok, ejaan berbeda"),
    "joined": ("same name, written together or apart", "nama sama, ditulis sambung/terpisah"),
}
_RANK = [_EXACT, _VARIANT, _PREFIX, _TYPO, _INITIAL]

MIN_SCORE = 0.3
_NIK_WIDTH = 17  # 16 digits and a separator in the NIK blob


class VoterIndex:
    """All voters, indexed once for searching by NIK, DPT number or name.

    Build it once when the election package is loaded (10,000 voters take
    about half a second on a laptop); :meth:`add` keeps it current as voters
    are added to the DPTb.  See the module docstring for an example.
    """

    def __init__(self, voters: Iterable[Voter] = ()):
        self._voters: list[Voter] = []
        self._words: list[list[tuple[str, str]]] = []  # per voter
        self._by_key: dict[str, list[int]] = {}  # spelling key -> voters using it
        self._spellings: dict[str, set[str]] = {}  # spelling key -> how the DPT writes it
        self._by_joined: dict[str, list[int]] = {}  # all keys written together -> voters
        self._deletes: dict[str, set[str]] = {}  # deletion variant -> keys
        self._sorted_keys: list[str] = []
        self._sorted_dirty = False
        self._by_nik: dict[str, int] = {}
        self._by_ref: dict[str, int] = {}
        self._by_number: dict[int, list[int]] = {}
        self._nik_halves: dict[tuple[int, str], list[int]] = {}
        self._nik_parts: list[str] = []
        self._nik_blob = ""
        for voter in voters:
            self.add(voter)

    # -- building

    def add(self, voter: Voter) -> None:
        """Add one voter (e.g. someone just added to the DPTb) to the index."""
        i = len(self._voters)
        self._voters.append(voter)
        words = name_words(voter.name)
        self._words.append(words)
        for folded, key in words:
            self._spellings.setdefault(key, set()).add(folded)
            postings = self._by_key.get(key)
            if postings is None:
                self._by_key[key] = postings = []
                self._sorted_dirty = True
                if len(key) >= 2:
                    # short words only need depth 1: they are never 2 typos from anything
                    for variant in _deletions(key, 1 if len(key) <= 3 else 2):
                        self._deletes.setdefault(variant, set()).add(key)
            if not postings or postings[-1] != i:
                postings.append(i)
        self._by_joined.setdefault(_spell("".join(w for w, _ in words)), []).append(i)
        self._by_nik[voter.nik] = i
        self._by_ref[voter.ref] = i
        self._by_number.setdefault(voter.dpt_number, []).append(i)
        self._nik_halves.setdefault((0, voter.nik[:8]), []).append(i)
        self._nik_halves.setdefault((1, voter.nik[8:]), []).append(i)
        self._nik_parts.append(voter.nik.ljust(16, "#")[:16] + "\n")
        self._nik_blob = ""

    def __len__(self) -> int:
        return len(self._voters)

    def by_nik(self, nik: str) -> Voter | None:
        """The voter with exactly this NIK (spaces, dots and dashes ignored), or None."""
        i = self._by_nik.get(clean_nik(nik))
        return None if i is None else self._voters[i]

    def by_ref(self, ref: str) -> Voter | None:
        """The voter with this reference (``"DPT-0042"``), or None."""
        i = self._by_ref.get(ref)
        return None if i is None else self._voters[i]

    # -- searching

    def search(self, query: str, limit: int = 10) -> list[Match]:
        """Voters matching ``query`` (a NIK, part of one, a DPT number, or a name), best first.

        Results scoring below ``MIN_SCORE`` are left out; ties are broken by DPT
        order, so the same query always gives the same list.
        """
        if limit <= 0 or not isinstance(query, str):
            return []
        query = query.strip()
        compact = re.sub(r"[\s.\-_/]", "", query)
        if not compact:
            return []
        scored: dict[int, tuple[float, str, str]] = {}
        ref = re.fullmatch(r"(?i)dpt\W*0*(\d{1,6})", compact)
        if ref or compact.isdigit() and compact.isascii():
            self._search_number(ref[1] if ref else compact, scored)
        else:
            self._search_name(query, scored, limit)
        best = heapq.nsmallest(
            limit, scored.items(), key=lambda item: (-item[1][0], self._voters[item[0]].dpt_number, item[0])
        )
        return [Match(self._voters[i], round(score, 3), why, why_id) for i, (score, why, why_id) in best]

    def _offer(self, scored, i: int, score: float, why: tuple[str, str]) -> None:
        if score >= MIN_SCORE and (i not in scored or scored[i][0] < score):
            scored[i] = (score, why[0], why[1])

    def _search_number(self, digits: str, scored) -> None:
        n = len(digits)
        if n <= 6:
            for i in self._by_number.get(int(digits), ()):
                self._offer(scored, i, 0.97, ("DPT number", "nomor DPT"))
        if n == 16:
            same = self._by_nik.get(digits)
            if same is not None:
                # Near misses would only add the voter's twin or neighbour in the list.
                self._offer(scored, same, 1.0, ("same NIK", "NIK sama"))
                return
            # one digit wrong, or two neighbours swapped: one half is still exact
            for half, part in ((0, digits[:8]), (1, digits[8:])):
                for j in self._nik_halves.get((half, part), ()):
                    other = self._voters[j].nik
                    if other != digits and edit_distance(other, digits, 1) == 1 and len(other) == 16:
                        self._offer(scored, j, 0.8, ("NIK with one digit different", "NIK beda satu angka"))
        elif 4 <= n < 16:
            if not self._nik_blob:
                self._nik_blob = "".join(self._nik_parts)
            blob = self._nik_blob
            pos = blob.find(digits)
            found = 0
            while pos != -1 and found < 2000:
                i, offset = divmod(pos, _NIK_WIDTH)
                found += 1
                if offset + n == 16:
                    score, why = 0.5 + 0.4 * n / 16, ("end of the NIK", "akhir NIK cocok")
                elif offset == 0:
                    score, why = 0.4 + 0.3 * n / 16, ("start of the NIK", "awal NIK cocok")
                else:
                    score, why = 0.4 + 0.3 * n / 16, ("part of the NIK", "sebagian NIK cocok")
                self._offer(scored, i, score, why)
                pos = blob.find(digits, pos + 1)

    def _key_matches(self, folded: str, key: str) -> dict[str, tuple[float, str]]:
        """Index words a query word may stand for: key -> (similarity, kind)."""
        out: dict[str, tuple[float, str]] = {}
        if key in self._by_key:
            # refined per voter in _score; 0.95 here already if nobody spells it this way
            out[key] = (1.0, _EXACT) if folded in self._spellings[key] else (0.95, _VARIANT)
        if len(key) == 1:
            return out  # initials are scored against candidates, never used to find them
        if len(key) >= 3:
            if self._sorted_dirty:
                self._sorted_keys = sorted(self._by_key)
                self._sorted_dirty = False
            start = bisect.bisect_left(self._sorted_keys, key)
            for other in self._sorted_keys[start : start + 200]:
                if not other.startswith(key):
                    break
                if other != key:
                    out[other] = (0.6 + 0.3 * len(key) / len(other), _PREFIX)
        # the typed length counts: "hidaat" is one typo from "hidayat" though its key is "hidat"
        allowed = _allowed_typos(max(len(key), len(folded)))
        if allowed:
            candidates: set[str] = set()
            for variant in _deletions(key, allowed):
                candidates |= self._deletes.get(variant, set())
            for other in candidates:
                if other == key:
                    continue
                d = edit_distance(key, other, allowed)
                if d <= allowed and d <= _allowed_typos(len(other)) + 1:
                    sim = 1.0 - 0.9 * d / max(len(key), len(other)) - 0.05 * d
                    if sim > out.get(other, (0.0, ""))[0]:
                        out[other] = (sim, _TYPO)
        return out

    def _search_name(self, query: str, scored, limit: int) -> None:
        words = name_words(query)
        digit_groups = [g for g in re.findall(r"\d+", query) if len(g) >= 4]
        if not words:
            for g in digit_groups:
                self._search_number(g, scored)
            return
        if len(words) == 1 and len(words[0][1]) == 1:
            return  # a lone initial finds nothing useful
        nq = len(words)
        per_word = [self._key_matches(f, k) for f, k in words]

        # Upper bound of every candidate's score: the best similarity of each query
        # word among the voter's words, ignoring that a word can be used only once.
        # Common words ("siti", "muhammad") bring thousands of candidates; only
        # those whose bound can still enter the top `limit` are scored in full.
        reach: dict[int, float] = {}
        hits: dict[int, int] = {}  # how many query words found a word in this voter's name
        for matches in per_word:
            best: dict[int, float] = {}
            for key, (sim, _) in matches.items():
                for i in self._by_key[key]:
                    if sim > best.get(i, 0.0):
                        best[i] = sim
            for i, sim in best.items():
                reach[i] = reach.get(i, 0.0) + sim
                hits[i] = hits.get(i, 0) + 1
        joined = _spell("".join(w for w, _ in words))
        joined_hits = set(self._by_joined.get(joined, ()))
        for i in joined_hits:
            reach[i], hits[i] = float(nq), nq
        n_initials = sum(1 for _, k in words if len(k) == 1)
        initials = 0.6 * n_initials
        boost = 0.1 if digit_groups else 0.0

        def bound(i: int) -> float:
            nv = max(1, len(self._words[i]))
            used = min(hits[i] + n_initials, nv)  # the voter's words that can be paired
            b = min(1.0, (reach[i] + initials) / nq) * (0.8 + 0.2 * used / nv)
            if i in joined_hits:
                b = max(b, 0.93)
            return round(min(1.0, b + boost), 9)

        order = sorted(((bound(i), i) for i in reach), key=lambda bi: (-bi[0], self._voters[bi[1]].dpt_number, bi[1]))
        kept: list[tuple[float, int, int]] = []  # (score, -dpt, -i): kept[0] is the worst kept
        for b, i in order:
            dpt = self._voters[i].dpt_number
            if b < MIN_SCORE or (len(kept) >= limit and (b, -dpt, -i) < kept[0]):
                break  # neither this candidate nor any later one can enter the top `limit`
            score, why = self._score(words, per_word, self._words[i])
            if i in joined_hits and score < 0.93:
                score, why = 0.93, _WHY["joined"]
            if digit_groups:
                nik = self._voters[i].nik
                if all(g in nik for g in digit_groups):
                    score = min(1.0, score + 0.1)
                    why = (why[0] + " and NIK digits", why[1] + " dan angka NIK cocok")
                else:
                    score *= 0.7
            score = round(score, 9)
            if score < MIN_SCORE:
                continue
            self._offer(scored, i, score, why)
            entry = (score, -dpt, -i)
            if len(kept) < limit:
                heapq.heappush(kept, entry)
            elif entry > kept[0]:
                heapq.heapreplace(kept, entry)

    @staticmethod
    def _score(words, per_word, voter_words) -> tuple[float, tuple[str, str]]:
        """Pair query words with the voter's words (best pairs first, each word used once)."""
        pairs = []
        for qi, (qfold, qkey) in enumerate(words):
            matches = per_word[qi]
            for vi, (vfold, vkey) in enumerate(voter_words):
                if len(qkey) == 1:
                    if vkey.startswith(qkey) or vfold.startswith(qfold):
                        pairs.append((0.6, qi, vi, _INITIAL))
                    continue
                hit = matches.get(vkey)
                if hit is None:
                    continue
                sim, kind = hit
                if kind == _EXACT and qfold != vfold:
                    sim, kind = 0.95, _VARIANT
                pairs.append((sim, qi, vi, kind))
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        used_q: set[int] = set()
        used_v: set[int] = set()
        total = 0.0
        kinds = set()
        for sim, qi, vi, kind in pairs:
            if qi in used_q or vi in used_v:
                continue
            used_q.add(qi)
            used_v.add(vi)
            total += sim
            kinds.add(kind)
        if not used_q:
            return 0.0, _WHY["part"]
        coverage = total / len(words)
        completeness = len(used_v) / max(1, len(voter_words))
        score = coverage * (0.8 + 0.2 * completeness)
        worst = max(kinds, key=_RANK.index)
        why = _WHY[worst]
        if worst == _EXACT and (len(used_q) < len(words) or completeness < 1):
            why = _WHY["part"]
        elif worst == _VARIANT and (len(used_q) < len(words) or completeness < 1):
            why = _WHY["part_variant"]
        return score, why
