"""Spoken prompts for voters who cannot read or see the screen.

The words are the same gettext messages as on screen (:data:`PROMPTS`),
spoken by ``espeak-ng`` (Debian package ``espeak-ng``; voice ``id`` for
Indonesian, ``en`` for English) into WAV clips ahead of time — never on the
voter's path.  The image build (or ``booth kiosk`` after loading a package)
runs::

    python -m booth.ui.voice --out /var/cache/booth/voice [--candidate 1 "SUPARNO" ...]

which writes ``OUT/<lang>/<key>.wav`` and a ``manifest.json`` of the text of
each clip, so only changed prompts are made again.  The kiosk plays them
with ``pygame.mixer`` when there is an audio output (headphones in the
booth: a spoken choice must not be heard outside it); without one, or
without clips, :class:`Voice` still records what it would have said, which
is what tests check.

>>> v = Voice(None)
>>> _ = v.say("ballot", "id"); v.history[-1].key
'ballot'
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from booth.ui.i18n import LANGUAGES, N_, gettext_in

if TYPE_CHECKING:
    import pygame

ESPEAK_VOICES = {"id": "id", "en": "en"}

# key -> the words (msgid); "{number}" and "{name}" are filled per candidate.
PROMPTS = {
    "waiting": N_("Waiting for a companion"),
    "ballot": N_(
        "Touch the photo of the candidate you choose. Or press the up and down buttons, then the select button."
    ),
    "printing": N_("Please wait, your slip is being printed"),
    "print_failed": N_("The slip did not print. Your vote is recorded. Please call a companion."),
    "slip_check": N_("Check your slip. Does it show your choice?"),
    "photo_look": N_("Look at the camera"),
    "photo_review": N_("This is your photo. Press select to keep it, or back to take it again."),
    "photo_failed": N_("The camera has a problem. Please call a companion."),
    "thanks": N_("Thank you. Your vote has been recorded"),
    "idle_prompt": N_("Are you still voting? Touch the screen to continue."),
    "call_companion": N_("Call a companion"),
    "large_text": N_("Large text"),
    "high_contrast": N_("High contrast"),
    "language": N_("Language"),
    "sound": N_("Sound"),
    "confirm_yes": N_("Yes, choose"),
    "confirm_no": N_("No, go back"),
    "paused": N_("Voting is paused. Please wait."),
    "closed": N_("The polling station is closed"),
    "count_1": N_("one"),
    "count_2": N_("two"),
    "count_3": N_("three"),
}
CANDIDATE_PROMPT = N_("Ballot number {number}, {name}")
CANDIDATE_PROMPT_NO_NAME = N_("Ballot number {number}")
CONFIRM_PROMPT = N_("You chose ballot number {number}. Correct? Press select for yes, or back for no.")
BLANK_PROMPT = N_("Blank vote: no candidate")


def clip_texts(
    lang: str, candidates: list[tuple[int, str]] | None = None, *, numbers: range = range(1, 10)
) -> dict[str, str]:
    """Every clip key and its words in ``lang`` (candidates' names if known)."""
    out = {key: str(gettext_in(lang, msgid)) for key, msgid in PROMPTS.items()}
    named = dict(candidates or [])
    for n in sorted(set(numbers) | set(named)):
        name = named.get(n)
        if name:
            out[f"candidate_{n}"] = str(gettext_in(lang, CANDIDATE_PROMPT).format(number=n, name=name.title()))
        else:
            out[f"candidate_{n}"] = str(gettext_in(lang, CANDIDATE_PROMPT_NO_NAME).format(number=n))
        out[f"confirm_{n}"] = str(gettext_in(lang, CONFIRM_PROMPT).format(number=n))
    out["candidate_blank"] = str(gettext_in(lang, BLANK_PROMPT))
    return out


def make_clips(
    out_dir: str | Path,
    *,
    candidates: list[tuple[int, str]] | None = None,
    languages=LANGUAGES,
    espeak: str = "espeak-ng",
    speed: int = 140,
) -> list[Path]:
    """Write the WAV clips of every prompt into ``out_dir/<lang>/``; return the files (re)made.

    Raises FileNotFoundError if ``espeak`` is not installed.
    """
    exe = shutil.which(espeak)
    if exe is None:
        raise FileNotFoundError(f"{espeak} not found; apt-get install espeak-ng")
    out_dir = Path(out_dir)
    made = []
    for lang in languages:
        folder = out_dir / lang
        folder.mkdir(parents=True, exist_ok=True)
        manifest_path = folder / "manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        for key, text in clip_texts(lang, candidates).items():
            wav = folder / f"{key}.wav"
            if manifest.get(key) == text and wav.is_file():
                continue
            subprocess.run(
                [exe, "-v", ESPEAK_VOICES[lang], "-s", str(speed), "-w", str(wav), text],
                check=True,
                capture_output=True,
                timeout=60,
            )
            manifest[key] = text
            made.append(wav)
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return made


@dataclass
class Spoken:
    key: str
    language: str
    path: Path | None  # the clip, if there is one
    played: bool  # handed to the audio output


class Voice:
    """Plays clips from ``clip_dir`` (None: silent, but still records what it would say)."""

    def __init__(self, clip_dir: str | Path | None) -> None:
        self.clip_dir = Path(clip_dir) if clip_dir else None
        self.history: list[Spoken] = []
        self._sounds: dict[Path, pygame.mixer.Sound] = {}
        self._channel: pygame.mixer.Channel | None = None
        self._mixer = False
        if self.clip_dir is not None:
            try:
                import pygame

                if not pygame.mixer.get_init():
                    pygame.mixer.init()
                self._mixer = True
                self._channel = pygame.mixer.Channel(0)
            except Exception:  # noqa: BLE001 - no audio device: the screen still works
                self._mixer = False

    @property
    def available(self) -> bool:
        return self._mixer

    def clip(self, key: str, lang: str) -> Path | None:
        if self.clip_dir is None:
            return None
        path = self.clip_dir / lang / f"{key}.wav"
        return path if path.is_file() else None

    def say(self, key: str, lang: str, *, interrupt: bool = True) -> Spoken:
        """Play clip ``key`` in ``lang`` now (cutting off the one playing unless ``interrupt`` is False)."""
        path = self.clip(key, lang)
        played = False
        if path is not None and self._mixer and self._channel is not None:
            import pygame

            sound = self._sounds.get(path)
            if sound is None:
                sound = self._sounds[path] = pygame.mixer.Sound(str(path))
            if interrupt or not self._channel.get_busy():
                self._channel.play(sound)
            else:
                self._channel.queue(sound)
            played = True
        spoken = Spoken(key, lang, path, played)
        self.history.append(spoken)
        del self.history[:-200]
        return spoken

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.stop()

    def prepare(self, candidates: list[tuple[int, str]]) -> threading.Thread | None:
        """Make the candidates' name clips in the background if missing or stale (after a package load)."""
        if self.clip_dir is None or shutil.which("espeak-ng") is None or not self._stale(candidates):
            return None
        thread = threading.Thread(
            target=make_clips, args=(self.clip_dir,), kwargs={"candidates": candidates}, daemon=True, name="voice-clips"
        )
        thread.start()
        return thread

    def _stale(self, candidates) -> bool:
        if self.clip_dir is None:
            return False  # silent: no clips to make
        for lang in LANGUAGES:
            try:
                manifest = json.loads((self.clip_dir / lang / "manifest.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return True
            texts = clip_texts(lang, candidates)
            for n, _ in candidates:
                key = f"candidate_{n}"
                if manifest.get(key) != texts[key] or self.clip(key, lang) is None:
                    return True
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booth.ui.voice", description="Make the kiosk's spoken prompts with espeak-ng"
    )
    parser.add_argument("--out", required=True, help="clip folder (the kiosk's voice_dir)")
    parser.add_argument(
        "--candidate",
        nargs=2,
        action="append",
        metavar=("NUMBER", "NAME"),
        default=[],
        help="a candidate's number and name (repeat); without: numbers only",
    )
    parser.add_argument("--lang", action="append", choices=LANGUAGES, help="only these languages")
    args = parser.parse_args(argv)
    try:
        made = make_clips(
            args.out, candidates=[(int(n), name) for n, name in args.candidate], languages=tuple(args.lang or LANGUAGES)
        )
    except FileNotFoundError as exc:
        print(f"booth voice: {exc}", file=sys.stderr)
        return 2
    print(f"{len(made)} clips made in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
