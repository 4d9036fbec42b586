"""Every word on the kiosk's screens: gettext catalogs, Indonesian first.

Screens never draw a bare ``str``.  Words come from :func:`_` (looked up in
``locale/<lang>/LC_MESSAGES/booth.po``), and values that are not words —
a candidate's name, a NIK, a count — are wrapped in :func:`data`.  The core's
own bilingual messages (``BoothError.message_id`` / ``message_en``) go through
:func:`core_words`, which picks the language on screen.  The painter records
which of the three every drawn text was, so a test can fail when a literal
slips through (see ``tests/test_ui_i18n.py``)::

    >>> set_language("id")
    >>> _("Yes, choose")
    'Ya, Pilih'
    >>> _("You chose ballot number {number}. Correct?").format(number=2)
    'Anda memilih Nomor Urut 2. Benar?'

The catalogs are plain ``.po`` files.  They are compiled to ``.mo`` by
:func:`compile_catalogs` at build time (``python -m booth.ui.i18n compile``);
at run time the ``.po`` is compiled in memory (a few milliseconds), so a
checkout works without a build step and a stale ``.mo`` is never read.
``python -m booth.ui.i18n update`` adds new msgids to both catalogs and
``check`` lists what is not translated yet.  ``msgid`` is English; the Indonesian catalog
holds the field wording exactly as staff use it.
"""

from __future__ import annotations

import ast
import gettext
import io
import struct
import sys
from contextlib import contextmanager
from pathlib import Path

DOMAIN = "booth"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}  # each in its own language: never translated


class Msg(str):
    """A translated text; remembers its msgid (``.format`` keeps it a Msg)."""

    msgid: str = ""

    def format(self, *args, **kwargs) -> Msg:  # noqa: A003 - str API
        out = Msg(str.format(self, *args, **kwargs))
        out.msgid = self.msgid
        return out


class Data(str):
    """A value shown as it is: a name, a number, a NIK, an ID (not a word to translate)."""


class CoreWords(str):
    """Words the core already gave in both languages (errors, polls state), in the screen's language."""


# --------------------------------------------------------------- catalogs
def parse_po(text: str) -> dict[str, str]:
    """The ``msgid -> msgstr`` pairs of a .po file (header included under ``""``; fuzzy skipped)."""
    entries: dict[str, str] = {}
    msgid: str | None = None
    msgstr: str | None = None
    section = None
    fuzzy = next_fuzzy = False

    def flush():
        if msgid is not None and msgstr is not None and not fuzzy:
            entries[msgid] = msgstr

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            next_fuzzy = True
        elif not line or line.startswith("#"):
            continue
        elif line.startswith("msgid "):
            flush()
            msgid, msgstr, section = _po_string(line[6:], lineno), None, "id"
            fuzzy, next_fuzzy = next_fuzzy, False
        elif line.startswith("msgstr "):
            msgstr, section = _po_string(line[7:], lineno), "str"
        elif line.startswith('"') and section == "id" and msgid is not None:
            msgid += _po_string(line, lineno)
        elif line.startswith('"') and section == "str" and msgstr is not None:
            msgstr += _po_string(line, lineno)
        else:
            raise ValueError(f"line {lineno}: cannot read {line[:40]!r}")
    flush()
    return entries


def _po_string(token: str, lineno: int) -> str:
    token = token.strip()
    if not (len(token) >= 2 and token[0] == token[-1] == '"'):
        raise ValueError(f"line {lineno}: expected a quoted string")
    return ast.literal_eval(token)  # .po escapes are C escapes, a subset of Python's


def compile_po(text: str) -> bytes:
    """The GNU .mo bytes for a .po file's text (what msgfmt writes, without hash table)."""
    entries = parse_po(text)
    ids = sorted(entries)
    keys = [k.encode("utf-8") for k in ids]
    values = [entries[k].encode("utf-8") for k in ids]
    n = len(ids)
    header_size = 7 * 4
    id_table = header_size
    str_table = id_table + n * 8
    data_start = str_table + n * 8
    offsets, data = [], b""
    for k in keys:
        offsets.append((len(k), data_start + len(data)))
        data += k + b"\0"
    str_offsets = []
    for v in values:
        str_offsets.append((len(v), data_start + len(data)))
        data += v + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, n, id_table, str_table, 0, 0)
    out += b"".join(struct.pack("<2I", *o) for o in offsets)
    out += b"".join(struct.pack("<2I", *o) for o in str_offsets)
    return out + data


def po_path(lang: str, root: Path = LOCALE_DIR) -> Path:
    return root / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalogs(root: Path = LOCALE_DIR) -> list[Path]:
    """Write ``booth.mo`` next to every ``booth.po`` (the build step); return the files written."""
    written = []
    for lang in LANGUAGES:
        po = po_path(lang, root)
        mo = po.with_suffix(".mo")
        mo.write_bytes(compile_po(po.read_text(encoding="utf-8")))
        written.append(mo)
    return written


def catalog(lang: str) -> dict[str, str]:
    """The translations of ``lang`` as a dict (for checks; the screens use :func:`_`)."""
    return {k: v for k, v in parse_po(po_path(lang).read_text(encoding="utf-8")).items() if k}


_translations: dict[str, gettext.NullTranslations] = {}


def translations(lang: str) -> gettext.NullTranslations:
    """The GNUTranslations of ``lang``, compiled from the .po (the source of truth: a .mo left over
    from before an edit can never win); the .mo is read only where no .po was installed."""
    if lang not in _translations:
        po = po_path(lang)
        blob = compile_po(po.read_text(encoding="utf-8")) if po.is_file() else po.with_suffix(".mo").read_bytes()
        _translations[lang] = gettext.GNUTranslations(io.BytesIO(blob))
    return _translations[lang]


# ---------------------------------------------------------- the language
_current = DEFAULT_LANGUAGE
_recorders: list[list[str]] = []


def set_language(lang: str) -> None:
    """Switch every following :func:`_` to ``lang`` ("id" or "en")."""
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    _current = lang


def language() -> str:
    return _current


def _(msgid: str) -> Msg:
    """``msgid`` (English) in the screen's language."""
    for rec in _recorders:
        rec.append(msgid)
    out = Msg(translations(_current).gettext(msgid))
    out.msgid = msgid
    return out


def gettext_in(lang: str, msgid: str) -> Msg:
    """``msgid`` in ``lang`` without switching the screen (spoken prompts, clip generation)."""
    out = Msg(translations(lang).gettext(msgid))
    out.msgid = msgid
    return out


def N_(msgid: str) -> str:
    """Mark a msgid in a table for extraction; translate it later with :func:`_`."""
    return msgid


def data(value) -> Data:
    """A value shown verbatim (name, number, NIK, ID, path)."""
    return Data("" if value is None else str(value))


def core_words(pair) -> CoreWords:
    """(Indonesian, English) from the core, in the screen's language."""
    if isinstance(pair, str):
        return CoreWords(pair)
    id_text, en_text = pair[0], pair[1]
    return CoreWords(en_text if _current == "en" and en_text else id_text)


def error_words(exc) -> CoreWords:
    """The words of a BoothError / PrinterError / CameraError, in the screen's language."""
    return core_words((getattr(exc, "message_id", str(exc)), getattr(exc, "message_en", str(exc))))


@contextmanager
def recording_lookups():
    """Collect every msgid looked up inside the block (tests)."""
    rec: list[str] = []
    _recorders.append(rec)
    try:
        yield rec
    finally:
        _recorders.remove(rec)


# ------------------------------------------------------------ extraction
def source_msgids(folder: Path = Path(__file__).parent) -> dict[str, list[str]]:
    """Every literal passed to ``_()``/``N_()`` in the UI's sources: msgid -> ["file:line", ...]."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_", "gettext_in")
                and node.args
            ):
                arg = node.args[-1] if node.func.id == "gettext_in" else node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, []).append(f"{path.name}:{node.lineno}")
    return found


def po_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_po(lang: str, entries: dict[str, str], where: dict[str, list[str]], root: Path = LOCALE_DIR) -> Path:
    """Write the catalog of ``lang``: header, then every entry with where it is used."""
    lines = [
        "# booth kiosk screens — " + LANGUAGE_NAMES[lang],
        'msgid ""',
        'msgstr ""',
        po_quote("Content-Type: text/plain; charset=UTF-8\n"),
        po_quote(f"Language: {lang}\n"),
        "",
    ]

    def order(m):
        file, _sep, line = where.get(m, ["~:0"])[0].partition(":")
        return (file, int(line or 0), m)

    for msgid in sorted(entries, key=order):
        if not msgid:
            continue
        lines += [
            "#: " + " ".join(where.get(msgid, ["unused"])[:3]),
            "msgid " + po_quote(msgid),
            "msgstr " + po_quote(entries[msgid]),
            "",
        ]
    path = po_path(lang, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    _translations.pop(lang, None)
    return path


def update_catalogs() -> dict[str, int]:
    """Add every msgid used in the sources to both catalogs (English filled in, Indonesian empty:
    ``check`` fails until a translator fills it); drop msgids no longer used."""
    used = source_msgids()
    added = {}
    for lang in LANGUAGES:
        cat = catalog(lang) if po_path(lang).is_file() else {}
        entries = {m: cat.get(m, m if lang == "en" else "") for m in used}
        added[lang] = sum(1 for m in used if m not in cat)
        write_po(lang, entries, used)
    return added


def main(argv: list[str] | None = None) -> int:
    """``python -m booth.ui.i18n compile|check|update``."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compile"]:
        for path in compile_catalogs():
            print(path)
        return 0
    if argv[:1] == ["check"]:
        used = source_msgids()
        bad = 0
        for lang in LANGUAGES:
            cat = catalog(lang)
            for msgid, where in sorted(used.items()):
                if msgid not in cat or (lang != "en" and not cat[msgid]):
                    print(f"{lang}: missing {msgid!r} ({where[0]})")
                    bad += 1
        return 1 if bad else 0
    if argv[:1] == ["update"]:
        for lang, n in update_catalogs().items():
            print(f"{lang}: {n} new")
        return 0
    print("usage: python -m booth.ui.i18n compile|check|update", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
