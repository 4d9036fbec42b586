"""Scenario files: a scripted election day for ``booth sim``, read and checked before anything runs.

A scenario is a JSON file (format ``booth-scenario-v1``, documented with a
complete example in ``docs/scenarios.md``): the election (the built-in demo or
a signed package), the clock, the companions' PINs, the day's steps in order
(custody, self-test, zero report, opening, voters, faults, closing, counting,
results, export, packing) and what the day should come to (``expect``).

>>> scenario = load_scenario("docs/example.scenario.json")        # doctest: +SKIP
>>> scenario.steps[0].kind, scenario.steps[0].where                # doctest: +SKIP
('custody', 'steps[0] (line 12)')

Everything is checked before the day runs, so a bad file is refused with
every problem listed (``ScenarioError``) and nothing is written:

* the JSON itself (syntax errors with line and column, duplicate keys, NaN);
* every field's type and range, by its path (``steps[12].choice``) and line;
* voters, candidates and companions against the election's own lists;
* the order of the day (a zero report before opening, voters only while the
  polls are open, custody stages in order, count after close, ...), the
  clock (no ``time`` step going backwards, no closing before the scheduled
  time without ``early_close``), and that every fault has something to happen
  to (``paper_out`` needs a later print, ``crash`` after a cast needs a later
  voter who casts).

The clock is checked with the same durations the runner uses (see
:data:`REPEAT_VISIT_SECONDS` and friends), so the simulated times of the day
are known from the file alone.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from booth import companions as comp
from booth import polls, strict_json
from booth.service.voter_session import MAX_SPOILS

FORMAT = "booth-scenario-v1"
MAX_PROBLEMS = 20
MAX_FILE_BYTES = 5_000_000

# --- how long things take on the simulated clock (the runner uses these too) ---------------
DEFAULT_SECONDS_PER_VOTER = 60  # from one voter's arrival to the next one's
MIN_SECONDS_PER_VOTER = 10  # the core's minimum interval between casts
WALK_AWAY_SECONDS = 60  # the companion notices the empty booth and cancels
REPEAT_VISIT_SECONDS = 60  # a voter who voted comes back a little later
RELEASE_TIMEOUT_SECONDS = 300  # Settings.release_timeout: an unused release expires after this
MAX_PHOTO_TRIES = 3  # the camera is tried this often, then the companion skips the photo
DISPUTE_SECONDS = 90  # a disputed slip: the companion comes, spoils it, the voter votes again
DEFAULT_PAPER_OUT_MM = 40  # less than one slip (about 136 mm with the feed): runs out mid-slip

CUSTODY_STAGES = polls.MANUAL_CUSTODY  # the stages a companion records (the rest come with the polls)
CRASH_POINTS = ("now", "after_release", "after_cast", "after_slip")

# What each expectation compares, and how its value is checked.
EXPECTATIONS = {
    "tally": 'votes per candidate number (and "blank"), e.g. {"1": 10, "2": 7, "3": 3}',
    "refusals": "voters refused because they had already voted",
    "reconciliation_balanced": "every reconciliation rule of the results report holds",
    "ballots": "ballots cast",
    "voted": "voters marked as voted",
    "checked_in": "voters checked in",
    "dptb": "voters added to the DPTb",
    "cancelled": "releases cancelled (walked away, idle, restart)",
    "reprints": "slips reprinted",
    "spoiled": "ballots spoiled after the voter disputed the slip (counted apart, never in the tally)",
    "slip_failures": "slip prints that failed",
    "photos": "photos stored",
    "photos_skipped": "photos skipped after camera failures",
    "search_misses": "voters the search query did not find (found by NIK instead)",
    "faults": 'faults handled, by kind, e.g. {"paper_out": 1}',
    "polls": 'the polls state at the end (e.g. "packed")',
    "verify": "booth verify passes on the state directory and the results bundle",
}
INT_EXPECTATIONS = (
    "refusals",
    "ballots",
    "voted",
    "checked_in",
    "dptb",
    "cancelled",
    "reprints",
    "spoiled",
    "slip_failures",
    "photos",
    "photos_skipped",
    "search_misses",
)
FAULT_KINDS = (
    "wrong_pin",
    "lockout_wait",
    "committee_reset",
    "paper_out",
    "paper_jam",
    "camera_failure",
    "power_cut",
    "crash",
    "early_close",
    "walks_away",
    "idle",
    "repeat_visit",
    "dispute",
)
POLLS_STATES = tuple(state for state in polls.STATE_WORDS if state != polls.UNCONFIGURED)


# --------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (file:line, field path) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class ScenarioError(Exception):
    """The scenario is refused; ``problems`` lists what is wrong (at most 20)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems[:MAX_PROBLEMS]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}" if problems else "invalid scenario")

    def report(self) -> str:
        """Every problem, one per line, for a person."""
        return "\n".join(str(p) for p in self.problems)


# --------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class ElectionSpec:
    """Which election the day runs: the built-in demo (made fresh) or a signed package."""

    demo: bool
    voters: int = 300
    seed: int = 2025
    allow_blank: bool = False
    package: Path | None = None
    committee_keys: Path | None = None


@dataclass(frozen=True)
class Step:
    """One step of the day: its kind and its checked arguments (defaults filled in)."""

    index: int
    kind: str
    args: dict
    line: int | None = None

    @property
    def where(self) -> str:
        return f"steps[{self.index}]" + (f" (line {self.line})" if self.line else "")


@dataclass(frozen=True)
class ElectionFacts:
    """What the checks need to know about the election: its lists and its hours."""

    election_id: str | None
    candidates: tuple[int, ...]
    allow_blank: bool
    voters: dict  # ref -> (nik, name)
    niks: frozenset
    companions: dict  # id -> role, in the package's order
    opens_at: dt.datetime
    closes_at: dt.datetime
    date: dt.date

    def choices(self) -> list[str]:
        return [str(n) for n in self.candidates] + (["blank"] if self.allow_blank else [])


@dataclass(frozen=True)
class Scenario:
    """A checked scenario, ready for the runner."""

    source: str
    title: str
    election: ElectionSpec
    start: dt.datetime
    seconds_per_voter: int
    pins: dict
    desk: str
    technician: str
    paper_roll_mm: int
    steps: tuple[Step, ...]
    expect: dict
    facts: ElectionFacts
    raw: dict = field(repr=False, default_factory=dict)

    def choices_tally(self) -> dict[str, int]:
        """The tally the voters' choices add up to, from the scenario alone."""
        tally = {c: 0 for c in self.facts.choices()}
        for step in self.steps:
            if step.kind == "voter" and step.args.get("choice") is not None:
                tally[step.args["choice"]] += 1
        return tally

    def voters_who_vote(self) -> int:
        return sum(1 for s in self.steps if s.kind == "voter" and s.args.get("choice") is not None)


# --------------------------------------------------------------------------- JSON with lines
def _parse_json(text: str, source: str) -> Any:
    """Parse JSON strictly (``booth.strict_json``: no duplicate keys, no NaN/Infinity), keeping each object's line."""
    try:
        return strict_json.loads(text, lines=True)
    except strict_json.JsonProblem as exc:
        if exc.kind == "syntax":
            problem = Problem(f"{source}:{exc.line}:{exc.column}", f"not valid JSON: {exc.msg}")
        elif exc.kind == "duplicate_key":
            problem = Problem(source, f"the key {exc.key!r} appears twice in one object")
        elif exc.kind == "constant":
            problem = Problem(source, f"not valid JSON: {exc.constant} is not allowed in a scenario (write a number)")
        else:
            problem = Problem(source, f"not valid JSON: {exc.cause}")
        raise ScenarioError([problem]) from None


# --------------------------------------------------------------------------- field checks
class _Checker:
    """Collects problems, each with the file, the line and the field path."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: str, line: int | None, what: str) -> None:
        where = f"{self.source}:{line}" if line else self.source
        self.problems.append(Problem(f"{where}: {path}" if path else where, what))


class _Fields:
    """The fields of one JSON object at ``path``; every read checks type and range."""

    def __init__(self, check: _Checker, obj: Any, path: str, line: int | None = None) -> None:
        self.check = check
        self.path = path
        self.ok = isinstance(obj, dict)
        self.obj = obj if self.ok else {}
        self.line = getattr(obj, "line", None) or line
        if not self.ok:
            check.add(path, line, f"must be an object {{...}}, not {_kind(obj)}")

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def problem(self, key: str | None, what: str) -> None:
        self.check.add(self.sub(key) if key else self.path, self.line, what)

    def only(self, allowed) -> None:
        for key in self.obj:
            if key not in allowed:
                self.problem(key, f"unknown field (allowed here: {', '.join(sorted(allowed))})")

    def has(self, key: str) -> bool:
        return key in self.obj

    def text(self, key: str, *, required: bool = False, default: str = "", limit: int = 200) -> str | None:
        if key not in self.obj:
            if required:
                self.problem(key, "is missing")
                return None
            return default
        value = self.obj[key]
        if not isinstance(value, str):
            self.problem(key, f"must be text, not {_kind(value)}")
            return None
        if len(value) > limit or any(ord(ch) < 32 and ch != "\n" for ch in value):
            self.problem(key, f"must be at most {limit} characters without control characters")
            return None
        if required and not value.strip():
            self.problem(key, "must not be empty")
            return None
        return value

    def integer(
        self, key: str, low: int, high: int, *, default: int | None = None, required: bool = False
    ) -> int | None:
        if key not in self.obj:
            if required:
                self.problem(key, "is missing")
            return default
        value = self.obj[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"must be a whole number from {low} to {high}, not {_kind(value)}")
            return None
        if not low <= value <= high:
            self.problem(key, f"must be a whole number from {low} to {high}, not {value}")
            return None
        return value

    def number(self, key: str, low: float, high: float, *, default: float | None = None) -> float | None:
        if key not in self.obj:
            return default
        value = self.obj[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.problem(key, f"must be a number from {low} to {high}, not {_kind(value)}")
            return None
        if not low <= value <= high:
            self.problem(key, f"must be a number from {low} to {high}, not {value}")
            return None
        return value

    def boolean(self, key: str, default: bool = False) -> bool | None:
        if key not in self.obj:
            return default
        value = self.obj[key]
        if not isinstance(value, bool):
            self.problem(key, f"must be true or false, not {_kind(value)}")
            return None
        return value

    def one_of(self, key: str, options, *, default=None, required: bool = False):
        if key not in self.obj:
            if required:
                self.problem(key, f"is missing (one of: {', '.join(options)})")
            return default
        value = self.obj[key]
        if not isinstance(value, str) or value not in options:
            self.problem(key, f"must be one of {', '.join(options)}, not {_show(value)}")
            return None
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {_show(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, strict_json.LinedDict) else "{...}"
    return text if len(text) <= 40 else text[:37] + "..."


def parse_time(text: Any) -> dt.datetime | None:
    """An ISO 8601 date and time with its UTC offset, e.g. ``2025-11-16T07:00:00+07:00``."""
    if not isinstance(text, str) or not re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)", text
    ):
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


# --------------------------------------------------------------------------- the election
def make_demo_election(out: Path, *, voters: int = 300, seed: int = 2025, allow_blank: bool = False):
    """The demo election package (signed) and its DEMO committee keys, in ``out``.

    ``allow_blank`` re-signs the package with blank votes allowed (the demo
    package itself does not allow them).
    """
    from booth.demo_election import make_demo_package
    from booth.election_package import sign_package

    package_dir, keys = make_demo_package(out, seed=seed, voters=voters)
    if allow_blank:
        election_file = package_dir / "election.json"
        election = json.loads(election_file.read_text(encoding="utf-8"))
        election["allow_blank"] = True
        election_file.write_text(json.dumps(election, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        for name in ("manifest.json", "manifest.sig"):
            (package_dir / name).unlink(missing_ok=True)
        sign_package(package_dir, keys)
    return package_dir, keys


@functools.lru_cache(maxsize=8)
def demo_facts(voters: int, seed: int, allow_blank: bool) -> ElectionFacts:
    """The facts of the demo election (made once in a temporary folder, never in the output)."""
    with tempfile.TemporaryDirectory(prefix="booth-sim-check-") as tmp:
        package_dir, _ = make_demo_election(Path(tmp), voters=voters, seed=seed, allow_blank=allow_blank)
        return _facts_of(_load(package_dir))


def _load(package_dir: Path):
    from booth.election_package import load_package

    return load_package(package_dir)


def _facts_of(pkg) -> ElectionFacts:
    return ElectionFacts(
        election_id=pkg.election_id,
        candidates=tuple(c.number for c in pkg.candidates),
        allow_blank=pkg.election.allow_blank,
        voters={v.ref: (v.nik, v.name) for v in pkg.voters},
        niks=frozenset(v.nik for v in pkg.voters),
        companions={c.id: c.role for c in pkg.companions},
        opens_at=pkg.election.opens_at,
        closes_at=pkg.election.closes_at,
        date=pkg.election.date,
    )


def _election(
    check: _Checker, value: Any, base: Path | None, line: int | None
) -> tuple[ElectionSpec | None, ElectionFacts | None]:
    f = _Fields(check, value, "election", line)
    if not f.ok:
        return None, None
    if f.has("demo") == f.has("package"):
        f.problem(None, 'must have either "demo": {"voters": N, "seed": S} or "package": "folder"')
        return None, None
    if f.has("demo"):
        f.only(("demo",))
        d = _Fields(check, f.obj["demo"], "election.demo", f.line)
        if not d.ok:
            return None, None
        d.only(("voters", "seed", "allow_blank"))
        voters = d.integer("voters", 1, 10_000, default=300)
        seed = d.integer("seed", 0, 2**31 - 1, default=2025)
        blank = d.boolean("allow_blank", False)
        if voters is None or seed is None or blank is None:
            return None, None
        spec = ElectionSpec(demo=True, voters=voters, seed=seed, allow_blank=blank)
        return spec, demo_facts(voters, seed, blank)
    f.only(("package", "committee_keys"))
    package = f.text("package", required=True, limit=1000)
    keys = f.text("committee_keys", limit=1000) or None
    if not package:
        return None, None
    root = base or Path(".")
    package_path = (root / package).resolve()
    keys_path = (root / keys).resolve() if keys else None
    from booth.election_package import PackageError, load_key_pair

    try:
        pkg = _load(package_path)
    except PackageError as exc:
        f.problem("package", f"the election package does not load: {exc}")
        return None, None
    if keys_path is not None:
        try:
            pair = load_key_pair(keys_path)
        except (OSError, ValueError) as exc:
            f.problem("committee_keys", f"cannot read the committee keys: {exc}")
            return None, None
        if pair.public.sign_key != pkg.committee.sign_key:
            f.problem("committee_keys", "these keys did not sign the package")
            return None, None
    return ElectionSpec(demo=False, package=package_path, committee_keys=keys_path), _facts_of(pkg)


# --------------------------------------------------------------------------- steps
STEP_FIELDS = {
    "custody": ("stage", "place", "note", "by"),
    "self_test": ("by",),
    "zero_report": ("by",),
    "open": ("by",),
    "voter": (
        "ref",
        "dptb",
        "find",
        "choice",
        "disputed",
        "walks_away",
        "idle",
        "photo_fails",
        "repeat_visit",
        "by",
    ),
    "advance": ("minutes", "seconds"),
    "time": ("at",),
    "pause": ("reason", "by"),
    "resume": ("by",),
    "wrong_pin": ("companion", "times"),
    "committee_reset": ("companion",),
    "paper_out": ("after_mm",),
    "paper_jam": (),
    "camera_failure": ("times",),
    "power_cut": ("minutes", "battery_runs_out", "by"),
    "crash": ("at",),
    "close": ("by",),
    "early_close": ("reason", "by"),
    "count": ("by",),
    "results": ("copies", "by"),
    "export": ("by",),
    "pack": ("by",),
}
# the core's action each step needs a signed-in companion for (booth.companions.PERMISSIONS)
STEP_ACTION = {
    "custody": "custody",
    "self_test": "self_test",
    "zero_report": "zero_report",
    "open": "open_polls",
    "voter": "check_in",
    "pause": "pause",
    "resume": "resume",
    "power_cut": "pause",
    "close": "close_polls",
    "early_close": "close_polls",
    "count": "count",
    "results": "results_report",
    "export": "export",
    "pack": "pack",
}
DPTB_FIELDS = ("nik", "name", "sex", "birth_date", "address", "rt", "rw", "reason")


def _parse_step(check: _Checker, index: int, value: Any, facts: ElectionFacts) -> Step | None:
    path = f"steps[{index}]"
    f = _Fields(check, value, path)
    if not f.ok:
        return None
    kind = f.obj.get("step")
    if kind not in STEP_FIELDS:
        f.problem(
            "step",
            f"unknown step kind {_show(kind)} (known: {', '.join(STEP_FIELDS)})"
            if "step" in f.obj
            else f"is missing (one of: {', '.join(STEP_FIELDS)})",
        )
        return None
    f.path = f"{path} ({kind})"
    f.only(("step",) + STEP_FIELDS[kind])
    before = len(check.problems)
    args: dict[str, Any] = {}
    if "by" in STEP_FIELDS[kind]:
        args["by"] = f.one_of("by", tuple(facts.companions)) if f.has("by") else None
    if kind == "custody":
        args["stage"] = f.one_of("stage", CUSTODY_STAGES, required=True)
        args["place"] = f.text("place", limit=120)
        args["note"] = f.text("note", limit=500)
    elif kind == "voter":
        _voter_args(f, args, facts)
    elif kind == "advance":
        if f.has("minutes") == f.has("seconds"):
            f.problem(None, 'give either "minutes" or "seconds"')
        minutes = f.number("minutes", 0.001, 24 * 60)
        seconds = f.number("seconds", 0.001, 24 * 3600)
        args["seconds"] = seconds if seconds is not None else (minutes * 60 if minutes is not None else None)
    elif kind == "time":
        if not f.has("at"):
            f.problem("at", 'is missing (e.g. "2025-11-16T07:00:00+07:00")')
        args["at"] = parse_time(f.obj.get("at"))
        if f.has("at") and args["at"] is None:
            f.problem(
                "at",
                f"must be a date and time with its UTC offset, e.g. 2025-11-16T07:00:00+07:00, "
                f"not {_show(f.obj['at'])}",
            )
    elif kind == "pause":
        args["reason"] = f.text("reason", default="istirahat / break")
    elif kind in ("wrong_pin", "committee_reset"):
        args["companion"] = f.one_of("companion", tuple(facts.companions), required=True)
        if kind == "wrong_pin":
            args["times"] = f.integer("times", 1, comp.LOCK_AFTER_MISSES + 5, default=1)
    elif kind == "paper_out":
        args["after_mm"] = f.number("after_mm", 0, 100_000, default=DEFAULT_PAPER_OUT_MM)
    elif kind == "camera_failure":
        args["times"] = f.integer("times", 1, 20, default=1)
    elif kind == "power_cut":
        args["minutes"] = f.number("minutes", 0, 24 * 60, default=10)
        args["battery_runs_out"] = f.boolean("battery_runs_out", False)
    elif kind == "crash":
        args["at"] = f.one_of("at", CRASH_POINTS, default="after_cast")
    elif kind == "early_close":
        args["reason"] = f.text("reason", required=True, limit=300)
    elif kind == "results":
        args["copies"] = f.integer("copies", 1, 10, default=1)
    if len(check.problems) > before:
        return None
    return Step(index, kind, args, f.line)


def _voter_args(f: _Fields, args: dict, facts: ElectionFacts) -> None:
    if f.has("ref") == f.has("dptb"):
        f.problem(None, 'give either "ref" (a DPT voter, e.g. "DPT-0042") or "dptb" (a voter to add)')
    if f.has("ref"):
        ref = f.obj["ref"]
        if not isinstance(ref, str):
            f.problem("ref", f'must be a voter reference like "DPT-0042", not {_kind(ref)}')
        elif ref not in facts.voters:
            f.problem("ref", f"no voter {_show(ref)} in the DPT (DPT-0001 to DPT-{len(facts.voters):04d})")
        else:
            args["ref"] = ref
    if f.has("dptb"):
        args["dptb"] = _dptb(f, facts)
    find = f.obj.get("find", "nik")
    if isinstance(find, str) and find in ("nik", "name"):
        args["find"] = find
    elif (
        isinstance(find, dict)
        and set(find) == {"query"}
        and isinstance(find["query"], str)
        and find["query"].strip()
        and len(find["query"]) <= 100
    ):
        args["find"] = {"query": find["query"]}
    else:
        f.problem("find", f'must be "nik", "name" or {{"query": "text up to 100 characters"}}, not {_show(find)}')
    if f.has("dptb") and f.has("find"):
        f.problem("find", 'a DPTb voter is looked up by NIK, not found, then added: leave "find" out')
    args["walks_away"] = f.boolean("walks_away", False)
    args["idle"] = f.boolean("idle", False)
    args["repeat_visit"] = f.boolean("repeat_visit", False)
    args["photo_fails"] = f.integer("photo_fails", 0, 20, default=0)
    choice = f.obj.get("choice")
    leaves = args["walks_away"] or args["idle"]
    if args["walks_away"] and args["idle"]:
        f.problem(None, "a voter either walks away or leaves the ballot idle, not both")
    if leaves:
        if "choice" in f.obj:
            f.problem("choice", "a voter who walks away or goes idle makes no choice (list them again later to vote)")
        for key in ("repeat_visit", "photo_fails", "disputed"):
            if f.obj.get(key):
                f.problem(key, "only for a voter who votes")
        args["choice"] = None
    elif "choice" not in f.obj:
        f.problem("choice", f"is missing (one of: {', '.join(facts.choices())})")
    else:
        text = str(choice) if isinstance(choice, int) and not isinstance(choice, bool) else choice
        if not isinstance(text, str) or text not in facts.choices():
            extra = "" if facts.allow_blank or choice != "blank" else " (this election does not allow blank votes)"
            f.problem("choice", f"must be one of {', '.join(facts.choices())}, not {_show(choice)}{extra}")
        else:
            args["choice"] = text
    args["disputed"] = _disputed(f, facts)


def _disputed(f: _Fields, facts: ElectionFacts) -> list[str]:
    """``"disputed"``: what the voter's earlier slips showed (a mis-touch, a faulty screen), each
    disputed ("Struk tidak sesuai") and spoiled by the technician before the voter votes ``choice``."""
    value = f.obj.get("disputed", [])
    if not isinstance(value, list) or len(value) > MAX_SPOILS:
        f.problem(
            "disputed",
            f"must be a list of at most {MAX_SPOILS} choices (the slips the voter disputed), not {_show(value)}"
            + (f"; after {MAX_SPOILS} spoils a dispute is escalated, not spoiled" if isinstance(value, list) else ""),
        )
        return []
    out = []
    for i, item in enumerate(value):
        text = str(item) if isinstance(item, int) and not isinstance(item, bool) else item
        if not isinstance(text, str) or text not in facts.choices():
            f.problem(f"disputed[{i}]", f"must be one of {', '.join(facts.choices())}, not {_show(item)}")
        else:
            out.append(text)
    return out


def _dptb(f: _Fields, facts: ElectionFacts) -> dict | None:
    from booth.nik import InvalidNik, clean_nik, nik_mismatches, parse_nik

    d = _Fields(f.check, f.obj["dptb"], f.sub("dptb"), f.line)
    if not d.ok:
        return None
    d.only(DPTB_FIELDS)
    out = {
        "nik": d.text("nik", required=True, limit=40),
        "name": d.text("name", required=True, limit=100),
        "sex": d.one_of("sex", ("L", "P"), required=True),
        "birth_date": d.text("birth_date", required=True, limit=10),
        "address": d.text("address"),
        "rt": d.text("rt", limit=10),
        "rw": d.text("rw", limit=10),
        "reason": d.text("reason", required=True),
    }
    if None in out.values():
        return None
    try:
        born = dt.date.fromisoformat(out["birth_date"])
    except ValueError:
        d.problem("birth_date", f"must be a date YYYY-MM-DD, not {_show(out['birth_date'])}")
        return None
    try:
        nik = parse_nik(clean_nik(out["nik"]), reference_date=facts.date)
    except InvalidNik as exc:
        d.problem("nik", f"not a valid NIK: {exc.message_en}")
        return None
    mismatch = nik_mismatches(nik, sex=out["sex"], birth_date=born)
    if mismatch:
        d.problem("nik", "does not match the voter: " + "; ".join(m[0] for m in mismatch))
        return None
    if nik.value in facts.niks:
        d.problem("nik", f'is already in the DPT ({_ref_of(facts, nik.value)}): use "ref" instead')
        return None
    out["nik"] = nik.value
    return out


def _ref_of(facts: ElectionFacts, nik: str) -> str:
    return next((ref for ref, (n, _) in facts.voters.items() if n == nik), "?")


# --------------------------------------------------------------------------- the order of the day
def who_acts(action: str, by: str | None, *, facts: ElectionFacts, pins: dict) -> str | None:
    """The companion who does ``action``: ``by``, else the first in the package whose role may."""
    if by is not None:
        return by
    for cid, role in facts.companions.items():
        if cid in pins and role in comp.PERMISSIONS[action]:
            return cid
    return None


class _DayCheck:
    """Walks the steps as the day would go and reports steps that cannot happen where they are.

    The rules are the core's: the polls move by ``polls.TRANSITIONS``, the other
    acts happen in the states of ``polls.ACTS``, custody stages come in the
    order of ``polls.CUSTODY_ORDER``, and who may do what is
    ``companions.PERMISSIONS`` with the lockout rule of ``companions.lockout``.
    """

    def __init__(self, check: _Checker, scenario: dict) -> None:
        self.check = check
        self.s = scenario
        self.facts: ElectionFacts = scenario["facts"]
        self.pins = scenario["pins"]
        self.polls = polls.CONFIGURED  # the package is loaded before the day starts
        self.custody: list[str] = []
        self.self_test = self.zero = False
        self.results = self.exports = 0
        self.now: dt.datetime = scenario["start"]
        self.voted: dict[str, int] = {}  # voter key -> step index
        self.dptb_niks: dict[str, int] = {}
        self.misses: dict[str, tuple[int, dt.datetime]] = {}
        self.locked: set[str] = set()
        self.armed: list[tuple[str, Step]] = []  # faults waiting for a print, capture or session

    def bad(self, step: Step, what: str) -> None:
        self.check.problems.append(
            Problem(
                f"{self.check.source}:{step.line}: steps[{step.index}] ({step.kind})"
                if step.line
                else f"{self.check.source}: steps[{step.index}] ({step.kind})",
                what,
            )
        )

    def companion(self, step: Step, action: str, by: str | None) -> str | None:
        cid = who_acts(action, by, facts=self.facts, pins=self.pins)
        if cid is None:
            self.bad(
                step,
                f"no companion with a PIN may {action.replace('_', ' ')} "
                f"(roles allowed: {', '.join(sorted(comp.PERMISSIONS[action]))})",
            )
            return None
        role = self.facts.companions[cid]
        if role not in comp.PERMISSIONS[action]:
            self.bad(
                step,
                f"{cid} ({role}) may not {action.replace('_', ' ')} "
                f"(roles allowed: {', '.join(sorted(comp.PERMISSIONS[action]))})",
            )
            return None
        if cid not in self.pins:
            self.bad(step, f'{cid} has no PIN in "pins"')
            return None
        if "handed_over" not in self.custody:
            self.bad(step, 'companions make their PINs at the handover: record custody "handed_over" first')
            return None
        if cid in self.locked:
            self.bad(
                step, f"{cid} is locked out after {comp.LOCK_AFTER_MISSES} wrong PINs: add a committee_reset first"
            )
            return None
        misses, last = self.misses.pop(cid, (0, None))
        rule = comp.lockout(misses, None if last is None else (self.now - last).total_seconds())
        if not rule.allowed:
            self.now += dt.timedelta(seconds=rule.wait_seconds)  # the runner waits too
        return cid

    def need(self, step: Step, act: str, what: str) -> bool:
        """Whether ``act`` (a transition of ``polls.TRANSITIONS`` or an act of ``polls.ACTS``) may
        happen in the polls state here; if not, the problem says ``what`` and the state."""
        allowed = polls.TRANSITIONS[act][0] if act in polls.TRANSITIONS else polls.ACTS[act]
        if self.polls not in allowed:
            self.bad(step, f"{what} (the polls are {self.polls} here)")
            return False
        return True

    def not_packed(self, step: Step, what: str) -> bool:
        if self.polls == polls.PACKED:
            self.bad(step, what)
            return False
        return True

    def moves(self, transition: str) -> None:
        """The polls after ``transition``, as ``polls.TRANSITIONS`` says."""
        self.polls = polls.TRANSITIONS[transition][1]

    def arm(self, what: str, step: Step) -> None:
        self.armed.append((what, step))

    def fire(self, *whats: str) -> None:
        self.armed = [(w, s) for w, s in self.armed if w not in whats]

    def run(self, steps: list[Step]) -> None:
        for step in steps:
            getattr(self, "_" + step.kind)(step, step.args)
        for what, step in self.armed:
            self.bad(
                step,
                {
                    "print": "nothing is printed after this fault, so it never happens",
                    "capture": "no photo is taken after this fault, so it never happens",
                    "session": "no voter casts a ballot after this crash point, so it never happens",
                }[what],
            )

    # one method per step kind ------------------------------------------------------------
    def _custody(self, step, a):
        expected = polls.next_custody_stage(self.custody)
        if expected not in CUSTODY_STAGES:  # the rest come with the polls transitions
            expected = None
        if a["stage"] != expected:
            self.bad(step, f"custody stage {a['stage']} is out of order; next is {expected or 'none (all recorded)'}")
            return
        if a["stage"] == "installed" and not self.self_test:
            self.bad(step, "run a self_test before recording the installation")
            return
        self.custody.append(a["stage"])
        if a["stage"] == "handed_over" and not self.pins:
            self.bad(step, 'at the handover the companions make their PINs, but "pins" is empty')
        elif a["stage"] not in ("received", "distributed"):  # before the handover nobody has a PIN
            self.companion(step, "custody", a["by"])

    def _self_test(self, step, a):
        if self.not_packed(step, "the device is packed (the polls are packed here)"):
            self.companion(step, "self_test", a["by"])
            self.self_test = True
            self.fire("print", "capture")

    def _zero_report(self, step, a):
        if not self.need(step, "zero_report", "the zero report is printed before opening"):
            return
        if "installed" not in self.custody:
            self.bad(step, 'record custody "installed" (after a self_test) before the zero report')
            return
        self.companion(step, "zero_report", a["by"])
        self.zero = True
        self.fire("print")

    def _open(self, step, a):
        if not self.need(step, "open_polls", "the polls open once"):
            return
        if not self.zero:
            self.bad(step, "print the zero_report before opening")
            return
        self.companion(step, "open_polls", a["by"])
        self.moves("open_polls")

    def _voter(self, step, a):
        if not self.need(step, "release_ballot", "voters vote only while the polls are open"):
            return
        self.now += dt.timedelta(seconds=self.s["seconds_per_voter"])
        cid = self.companion(step, "check_in", a["by"] or self.s["desk"])
        if cid is None:
            return
        role = self.facts.companions[cid]
        for action, needed in (
            ("add_dptb", a.get("dptb") is not None),
            ("release", True),
            ("cancel_release", a["walks_away"]),
            ("skip_photo", a["photo_fails"] >= MAX_PHOTO_TRIES),
        ):
            if needed and role not in comp.PERMISSIONS[action]:
                self.bad(step, f'{cid} ({role}) may not {action.replace("_", " ")}; give "by" another companion')
        if a.get("dptb"):
            nik = a["dptb"]["nik"]
            if nik in self.dptb_niks:
                self.bad(step, f"this NIK was already added to the DPTb at steps[{self.dptb_niks[nik]}]")
            self.dptb_niks[nik] = step.index
        key = a.get("ref") or (a.get("dptb") or {}).get("nik")
        if key in self.voted:
            self.bad(
                step,
                f"{key} already voted at steps[{self.voted[key]}]; "
                'for a voter who comes back, use "repeat_visit": true there',
            )
            return
        if a["walks_away"]:
            self.now += dt.timedelta(seconds=WALK_AWAY_SECONDS)
            return
        if a["idle"]:
            self.now += dt.timedelta(seconds=RELEASE_TIMEOUT_SECONDS + 1)
            return
        self.voted[key] = step.index
        if a.get("disputed"):
            self.companion(step, "spoil", self.s["technician"])  # the technician spoils each disputed slip
            self.now += dt.timedelta(seconds=DISPUTE_SECONDS * len(a["disputed"]))
        if any(what == "print" for what, _ in self.armed):
            self.companion(step, "reprint", self.s["technician"])  # the technician fixes it and reprints
        self.fire("print", "capture", "session")
        if a["repeat_visit"]:
            self.now += dt.timedelta(seconds=REPEAT_VISIT_SECONDS)

    def _advance(self, step, a):
        self.now += dt.timedelta(seconds=a["seconds"])

    def _time(self, step, a):
        if a["at"] < self.now:
            self.bad(
                step,
                f"{_local(a['at'], self.facts)} is earlier than the simulated clock at this "
                f"point ({_local(self.now, self.facts)}); time only moves forward",
            )
            return
        self.now = a["at"]

    def _pause(self, step, a):
        if self.need(step, "pause", "only open polls can pause"):
            self.companion(step, "pause", a["by"])
            self.moves("pause")

    def _resume(self, step, a):
        if self.need(step, "resume", "only paused polls can resume"):
            self.companion(step, "resume", a["by"])
            self.moves("resume")

    def _wrong_pin(self, step, a):
        cid = a["companion"]
        if not self.not_packed(step, "the device is packed; nobody signs in any more"):
            return
        if cid not in self.pins or "handed_over" not in self.custody:
            self.bad(step, f'{cid} has no PIN yet (PINs are made at custody "handed_over", from "pins")')
            return
        misses, last = self.misses.get(cid, (0, None))
        for _ in range(a["times"]):
            if cid in self.locked:
                break
            rule = comp.lockout(misses, None if last is None else (self.now - last).total_seconds())
            if not rule.allowed:
                self.now += dt.timedelta(seconds=rule.wait_seconds)
            misses, last = misses + 1, self.now
            if misses >= comp.LOCK_AFTER_MISSES:
                self.locked.add(cid)
        self.misses[cid] = (misses, last)

    def _committee_reset(self, step, a):
        if not self.not_packed(step, "the device is packed"):
            return
        if not self.s["election"].demo and self.s["election"].committee_keys is None:
            self.bad(step, "a committee reset needs the committee's keys: add election.committee_keys")
            return
        self.locked.discard(a["companion"])
        self.misses.pop(a["companion"], None)

    def _paper_out(self, step, a):
        self.arm("print", step)

    def _paper_jam(self, step, a):
        self.arm("print", step)

    def _camera_failure(self, step, a):
        self.arm("capture", step)

    def _power_cut(self, step, a):
        if not self.not_packed(step, "the device is packed (the polls are packed here)"):
            return
        if self.polls == polls.OPEN:  # the UPS pauses open polls
            self.companion(step, "pause", a["by"])
        self.now += dt.timedelta(minutes=a["minutes"])

    def _crash(self, step, a):
        if a["at"] != "now":
            if self.polls not in polls.ACTS["cast"]:
                self.bad(
                    step,
                    f"a crash {a['at'].replace('_', ' ')} happens in a voter's session: only while the polls are open",
                )
                return
            self.arm("session", step)

    def _close(self, step, a):
        if not self.need(step, "close_polls", "only open or paused polls close"):
            return
        if self.now < self.facts.closes_at:
            self.bad(
                step,
                f"closes at {_local(self.now, self.facts)}, before the scheduled "
                f"{_local(self.facts.closes_at, self.facts)}: use early_close with a reason, "
                "or a time step first",
            )
            return
        self.companion(step, "close_polls", a["by"])
        self.moves("close_polls")

    def _early_close(self, step, a):
        if not self.need(step, "close_polls", "only open or paused polls close"):
            return
        if self.now >= self.facts.closes_at:
            self.bad(
                step,
                f"at {_local(self.now, self.facts)} it is already closing time "
                f"({_local(self.facts.closes_at, self.facts)}): use close",
            )
            return
        self.companion(step, "close_polls", a["by"])
        self.moves("close_polls")

    def _count(self, step, a):
        if self.need(step, "count", "count after closing"):
            self.companion(step, "count", a["by"])
            self.moves("count")

    def _results(self, step, a):
        if self.need(step, "results_printed", "results are printed after counting"):
            self.companion(step, "results_report", a["by"])
            self.results += a["copies"]
            self.fire("print")

    def _export(self, step, a):
        if not self.need(step, "export", "export after counting"):
            return
        if not self.results:
            self.bad(step, "print the results report before exporting")
            return
        self.companion(step, "export", a["by"])
        self.exports += 1

    def _pack(self, step, a):
        if not self.need(step, "pack", "pack after counting"):
            return
        if not self.exports:
            self.bad(step, "export the results before packing")
            return
        self.companion(step, "pack", a["by"])
        self.moves("pack")
        self.fire("print")


def _local(when: dt.datetime, facts: ElectionFacts) -> str:
    return when.astimezone(facts.opens_at.tzinfo).strftime("%Y-%m-%d %H:%M:%S")


# --------------------------------------------------------------------------- expectations
def _expectations(check: _Checker, value: Any, facts: ElectionFacts, line: int | None) -> dict:
    f = _Fields(check, value, "expect", line)
    if not f.ok:
        return {}
    f.only(tuple(EXPECTATIONS))
    out: dict[str, Any] = {}
    for key in INT_EXPECTATIONS:
        if f.has(key):
            out[key] = f.integer(key, 0, 1_000_000)
    for key in ("reconciliation_balanced", "verify"):
        if f.has(key):
            out[key] = f.boolean(key)
    if f.has("polls"):
        out["polls"] = f.one_of("polls", POLLS_STATES)
    if f.has("tally"):
        t = _Fields(check, f.obj["tally"], "expect.tally", f.line)
        if t.ok:
            t.only(tuple(facts.choices()))
            out["tally"] = {c: t.integer(c, 0, 1_000_000, default=0) for c in facts.choices()}
    if f.has("faults"):
        t = _Fields(check, f.obj["faults"], "expect.faults", f.line)
        if t.ok:
            t.only(FAULT_KINDS)
            out["faults"] = {k: t.integer(k, 0, 1_000_000) for k in t.obj if k in FAULT_KINDS}
    return out


# --------------------------------------------------------------------------- loading
def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; raise :class:`ScenarioError` listing every problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(str(path), f"cannot read the scenario: {exc.strerror or exc}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([Problem(str(path), f"larger than {MAX_FILE_BYTES // 1_000_000} MB")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError([Problem(f"{path}:{line}", "not UTF-8 text")]) from None
    return parse_scenario(_parse_json(text, str(path)), source=str(path), base=path.parent)


def parse_scenario(value: Any, *, source: str = "<scenario>", base: Path | None = None) -> Scenario:
    """Check a scenario already read from JSON (a dict); raise :class:`ScenarioError`."""
    check = _Checker(source)
    top = _Fields(check, value, "")
    if not top.ok:
        raise ScenarioError(check.problems)
    top.only(("format", "title", "election", "clock", "pins", "desk", "technician", "paper_roll_mm", "steps", "expect"))
    if top.obj.get("format") != FORMAT:
        top.problem("format", f'must be "{FORMAT}", not {_show(top.obj.get("format"))}')
    title = top.text("title", limit=200) or ""
    if "election" not in top.obj:
        top.problem("election", 'is missing (e.g. {"demo": {"voters": 300, "seed": 2025}})')
        raise ScenarioError(check.problems)
    spec, facts = _election(check, top.obj["election"], base, top.line)
    if facts is None:
        raise ScenarioError(check.problems)

    clock = _Fields(check, top.obj.get("clock"), "clock", top.line)
    start = None
    if clock.ok:
        clock.only(("start", "seconds_per_voter"))
        start = parse_time(clock.obj.get("start"))
        if start is None:
            clock.problem(
                "start",
                "must be a date and time with its UTC offset, e.g. 2025-11-14T08:00:00+07:00, "
                f"not {_show(clock.obj.get('start'))}",
            )
        per_voter = clock.integer("seconds_per_voter", MIN_SECONDS_PER_VOTER, 3600, default=DEFAULT_SECONDS_PER_VOTER)
    else:
        per_voter = None

    pins: dict[str, str] = {}
    p = _Fields(check, top.obj.get("pins"), "pins", top.line)
    if p.ok:
        for cid, pin in p.obj.items():
            if cid not in facts.companions:
                p.problem(cid, f"no companion {cid!r} in the election (companions: {', '.join(facts.companions)})")
            elif not isinstance(pin, str) or comp.check_pin_format(pin):
                p.problem(cid, "must be a PIN of 6 to 12 digits, not all the same or in a row, written as text")
            else:
                pins[cid] = pin

    duty = {}
    for key, action in (("desk", "check_in"), ("technician", "reprint")):
        if key in top.obj:
            cid = top.one_of(key, tuple(facts.companions))
            if cid is not None and facts.companions[cid] not in comp.PERMISSIONS[action]:
                top.problem(key, f"{cid} ({facts.companions[cid]}) may not {action.replace('_', ' ')}")
            duty[key] = cid
        else:
            duty[key] = who_acts(action, None, facts=facts, pins=pins)
    roll = top.integer("paper_roll_mm", 200, 200_000, default=30_000)

    steps: list[Step] = []
    raw_steps = top.obj.get("steps")
    if not isinstance(raw_steps, list):
        top.problem("steps", f"must be a list of steps [...], not {_kind(raw_steps)}")
    else:
        if not raw_steps:
            top.problem("steps", "must list at least one step")
        for index, item in enumerate(raw_steps):
            step = _parse_step(check, index, item, facts)
            if step is not None:
                steps.append(step)
    expect = _expectations(check, top.obj.get("expect", {}), facts, top.line)
    if check.problems:
        raise ScenarioError(check.problems)

    checked = {
        "facts": facts,
        "pins": pins,
        "start": start,
        "seconds_per_voter": per_voter,
        "election": spec,
        "desk": duty["desk"],
        "technician": duty["technician"],
    }
    _DayCheck(check, checked).run(steps)
    if check.problems:
        raise ScenarioError(check.problems)
    # no problems: every part was read
    assert spec is not None and start is not None and per_voter is not None and roll is not None
    return Scenario(
        source=source,
        title=title,
        election=spec,
        start=start,
        seconds_per_voter=per_voter,
        pins=pins,
        desk=duty["desk"],
        technician=duty["technician"],
        paper_roll_mm=roll,
        steps=tuple(steps),
        expect=expect,
        facts=facts,
        raw=value,
    )


def dumps(scenario: dict) -> str:
    """A scenario as JSON text people can read and edit: one step per line."""
    head = {k: v for k, v in scenario.items() if k != "steps"}
    lines = ["{"]
    for key, value in head.items():
        if key == "expect":
            continue
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    steps = scenario.get("steps", [])
    lines.append('  "steps": [')
    for i, step in enumerate(steps):
        lines.append("    " + json.dumps(step, ensure_ascii=False) + ("," if i < len(steps) - 1 else ""))
    lines.append("  ]" + ("," if "expect" in head else ""))
    if "expect" in head:
        lines.append(f'  "expect": {json.dumps(head["expect"], ensure_ascii=False)}')
    lines.append("}")
    return "\n".join(lines) + "\n"
