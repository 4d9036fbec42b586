"""The companions' training video, built by one command from the simulator's demo day.

    python -m booth_dev.video [OUT_DIR] [--voters N] [--short]     # default: training-video/

1. **The day.**  The simulator's demo day (``booth.demo.demo_day``) runs with a kiosk on the
   booth (``booth_dev.gallery.scenario_screens``, as ``booth sim --screens``): the voter's screens
   after every step, and every printed item as ``prints/NNN-kind.png``.
2. **Scenes.**  :data:`SCENES` is the story in the order a companion meets it: each scene names
   the screen or printed item it shows and what the narrator says (Indonesian) with its English
   subtitle.  A scene whose picture the day did not make is left out (and the command says so).
3. **Sound.**  Each Indonesian line is spoken by ``espeak-ng -v id``; a scene lasts as long as
   its words plus a short pause.
4. **Video.**  ``ffmpeg`` joins the 1280x720 frames (the picture, the scene's title, the
   Indonesian caption burned in) with the narration into ``booth-pelatihan.mp4`` (H.264, AAC),
   with two soft subtitle tracks (Indonesian, English); the same captions are written as
   ``.srt`` and ``.vtt`` beside it.

The video is not kept in git (a few MB): build it when the screens change.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "training-video"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FRAME = (1280, 720)
VIDEO = "booth-pelatihan.mp4"
PAUSE_S = 0.7
MIN_SCENE_S = 3.0


class VideoError(Exception):
    pass


@dataclass(frozen=True)
class Scene:
    """One picture and what is said over it. ``source`` is ``screen:<name>``, ``print:<kind>`` or
    ``card`` (a title card)."""

    source: str
    title_id: str
    say_id: str
    say_en: str


SCENES: tuple[Scene, ...] = (
    Scene(
        "card",
        "Pelatihan pendamping booth",
        "Selamat datang. Video ini menunjukkan satu hari pemungutan suara dengan booth, dari pagi sampai "
        "perangkat dikemas.",
        "Welcome. This video shows one election day with the booth, from the morning until the device is packed.",
    ),
    Scene(
        "screen:not_open",
        "Sebelum TPS dibuka",
        "Sebelum jam buka, layar pemilih menunggu. Petugas memasang perangkat dan menjalankan uji perangkat keras.",
        "Before opening time the voter's screen waits. The companions install the device and run the hardware "
        "self-test.",
    ),
    Scene(
        "print:self_test",
        "Halaman uji",
        "Halaman uji tercetak. Semua bagian harus OK sebelum dicatat dipasang dan diuji.",
        "The self-test page prints. Every part must say OK before it is recorded as installed and tested.",
    ),
    Scene(
        "print:zero_report",
        "Laporan nol",
        "Ketua mencetak laporan nol. Semua calon nol suara. Saksi mencocokkan nomor urut dengan nama, lalu "
        "menandatangani.",
        "The chair prints the zero report. Every candidate has zero votes. The witnesses compare ballot numbers "
        "with names, then sign.",
    ),
    Scene(
        "screen:waiting",
        "TPS dibuka",
        "Pemungutan suara dibuka. Layar pemilih menunggu petugas membuka surat suara untuk pemilih berikutnya.",
        "Voting is open. The voter's screen waits for a companion to release the ballot for the next voter.",
    ),
    Scene(
        "screen:ballot",
        "Surat suara",
        "Setelah petugas memverifikasi pemilih, surat suara muncul. Pemilih menyentuh foto calon pilihannya.",
        "After a companion verifies the voter, the ballot appears. The voter touches the photo of their choice.",
    ),
    Scene(
        "screen:confirm",
        "Konfirmasi",
        "Booth bertanya sekali lagi. Pemilih menekan Ya, Pilih.",
        "The booth asks once more. The voter presses Yes, choose.",
    ),
    Scene(
        "print:slip",
        "Struk audit",
        "Struk tercetak dengan ID surat suara di atas pilihan. Pemilih memeriksa struk. Jika sesuai, struk dilipat "
        "dan dimasukkan ke Kotak Audit.",
        "The slip prints with its ballot ID above the choice. The voter checks it. If it is correct, it is folded "
        "and put in the audit box.",
    ),
    Scene(
        "screen:slip_check",
        "Periksa struk",
        "Layar meminta pemilih memeriksa struk: nomor urut di struk harus sama dengan pilihannya. Pemilih "
        "menekan Struk sesuai, atau Struk tidak sesuai.",
        "The screen asks the voter to check the slip: the ballot number on it must be the one they chose. The "
        "voter presses The slip is correct, or The slip is NOT correct.",
    ),
    Scene(
        "screen:disputed",
        "Struk disanggah",
        "Jika struk tidak sesuai, pemilih menekan Struk tidak sesuai. Booth memanggil petugas. Struk itu tidak "
        "dimasukkan ke Kotak Audit, tetapi diserahkan kepada petugas. Pemilih tidak perlu menyebut pilihannya.",
        "If the slip is wrong, the voter presses The slip is NOT correct. The booth calls a companion. That slip "
        "does not go in the audit box: the voter hands it to the companion. The voter never has to say what they "
        "chose.",
    ),
    Scene(
        "print:slip_void",
        "Pembatalan",
        "Petugas masuk dengan PIN dan membatalkan surat suara itu. Struk BATAL tercetak dengan ID surat suara yang "
        "sama. Kedua kertas masuk Kotak Audit, lalu pemilih memilih lagi.",
        "A companion signs in with the PIN and spoils that ballot. A VOID slip prints with the same ballot ID. "
        "Both papers go in the audit box, and the voter votes again.",
    ),
    Scene(
        "screen:thanks",
        "Terima kasih",
        "Setelah foto pengganti tinta, layar mengucapkan terima kasih. Foto tidak pernah dikaitkan dengan pilihan.",
        "After the photo that replaces the ink, the screen says thank you. The photo is never linked to the choice.",
    ),
    Scene(
        "screen:print_failed",
        "Kertas habis",
        "Kertas habis di tengah struk. Suara sudah tercatat. Petugas memasang gulungan baru dan mencetak ulang.",
        "The paper ran out in the middle of a slip. The vote is already recorded. A companion loads a new roll "
        "and reprints.",
    ),
    Scene(
        "print:slip-torn",
        "Potongan struk",
        "Potongan struk yang robek masuk Kotak Audit, tidak pernah ke tempat sampah.",
        "A torn piece of a slip goes in the audit box, never in the bin.",
    ),
    Scene(
        "print:slip-reprint",
        "Cetak ulang",
        "Struk cetak ulang bertanda CETAK ULANG dan menyatakan potongan sebelumnya batal.",
        "A reprinted slip is marked CETAK ULANG, reprint, and says the earlier piece is void.",
    ),
    Scene(
        "screen:photo-failed",
        "Kamera gagal",
        "Jika kamera gagal, pemilih boleh mencoba lagi. Jika tetap gagal, petugas melewati foto dengan alasan.",
        "If the camera fails, the voter may try again. If it still fails, a companion skips the photo with a reason.",
    ),
    Scene(
        "screen:closed",
        "TPS ditutup",
        "Pada jam tutup, ketua menutup pemungutan suara. Sebelum Kotak Audit dibuka, kocok, tuang, dan aduk struknya.",
        "At closing time the chair closes the polls. Before the audit box is opened, shake it, pour out the "
        "slips and stir them.",
    ),
    Scene(
        "print:results_report",
        "Berita acara hasil",
        "Ketua menghitung suara dan mencetak berita acara hasil. Setiap saksi mendapat salinan dan memindai QR hasil.",
        "The chair counts the votes and prints the results report. Every witness gets a copy and scans the results QR.",
    ),
    Scene(
        "print:custody_slip",
        "Mengemas perangkat",
        "Terakhir, hasil diekspor ke flashdisk, perangkat dikemas, dan slip serah terima ditandatangani.",
        "Last, the results are exported to a USB stick, the device is packed and the custody slip is signed.",
    ),
)
SHORT_SCENES = 4  # --short: the first scenes that have a picture (a quick check of the whole chain)


# ------------------------------------------------------------------ 1. the day
def run_demo_day(work: Path, voters: int, stream) -> Path:
    """The demo day with a kiosk on the booth into ``work/day``; returns that folder."""
    from booth.demo import demo_day
    from booth_dev.gallery import scenario_screens

    out = work / "day"
    code = scenario_screens(demo_day(voters, 2025), out, stream=io.StringIO())
    if code == 2 or not (out / "screens" / "index.json").is_file():
        raise VideoError(f"the simulator's demo day did not run (exit code {code})")
    return out


def pictures(day: Path) -> dict[str, Path]:
    """``screen:<name>`` and ``print:<kind>`` -> the first such PNG of the day."""
    found: dict[str, Path] = {}
    for entry in json.loads((day / "screens" / "index.json").read_text(encoding="utf-8")):
        found.setdefault(f"screen:{entry['screen']}", day / "screens" / entry["file"])
    for png in sorted((day / "prints").glob("*.png")):
        kind = png.stem.split("-", 1)[1]
        found.setdefault(f"print:{kind.replace('slip-void', 'slip_void')}", png)
    return found


# ------------------------------------------------------------------ 2-3. frames and sound
def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(lines[-1] + " " + word, font=font) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def frame(scene: Scene, picture: Path | None, number: int, total: int):
    """The 1280x720 frame: the picture on the left, the title and the burned Indonesian caption."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", FRAME, (243, 240, 232))
    draw = ImageDraw.Draw(im)
    caption_h = 150
    left_w = 560
    if picture is not None:
        with Image.open(picture) as opened:
            rgb = opened.convert("RGB")
        room = (left_w - 40, FRAME[1] - caption_h - 40)
        scale = min(room[0] / rgb.width, room[1] / rgb.height)
        pic = rgb.resize((max(1, int(rgb.width * scale)), max(1, int(rgb.height * scale))), Image.Resampling.LANCZOS)
        x, y = 20 + (room[0] - pic.width) // 2, 20 + (room[1] - pic.height) // 2
        draw.rectangle((x - 2, y - 2, x + pic.width + 1, y + pic.height + 1), outline=(150, 150, 150))
        im.paste(pic, (x, y))
        text_x = left_w + 20
    else:
        text_x = 80
    draw.text((text_x, 60), scene.title_id, font=_font(52, bold=True), fill=(14, 72, 96))
    draw.text((text_x, 140), f"{number}/{total}", font=_font(28), fill=(90, 90, 90))
    en = _font(26)
    y = 200
    for line in _wrap(draw, scene.say_en, en, FRAME[0] - text_x - 60):
        draw.text((text_x, y), line, font=en, fill=(70, 70, 70))
        y += 34
    # the Indonesian caption, burned in: readable on any player, also without subtitle support
    draw.rectangle((0, FRAME[1] - caption_h, FRAME[0], FRAME[1]), fill=(20, 20, 20))
    cap = _font(30, bold=True)
    lines = _wrap(draw, scene.say_id, cap, FRAME[0] - 80)
    while len(lines) > 4:  # never smaller: a long line is cut into fewer, fuller lines of the frame
        cap = _font(cap.size - 2, bold=True)
        lines = _wrap(draw, scene.say_id, cap, FRAME[0] - 80)
    y = FRAME[1] - caption_h + (caption_h - len(lines) * (cap.size + 6)) // 2
    for line in lines:
        draw.text((40, y), line, font=cap, fill=(255, 255, 255))
        y += cap.size + 6
    return im


def speak(text: str, wav: Path) -> float:
    """Indonesian speech into ``wav`` (espeak-ng); returns its length in seconds."""
    if shutil.which("espeak-ng") is None:
        raise VideoError("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-v", "id", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    with wave.open(str(wav)) as w:
        return w.getnframes() / w.getframerate()


def join_speech(wavs: list[Path], lengths: list[float], out: Path) -> None:
    """One WAV: each scene's speech followed by silence up to the scene's length."""
    with wave.open(str(wavs[0])) as first:
        params = first.getparams()
    with wave.open(str(out), "wb") as dst:
        dst.setparams(params)
        for wav, length in zip(wavs, lengths, strict=True):
            with wave.open(str(wav)) as src:
                frames = src.readframes(src.getnframes())
            want = int(round(length * params.framerate)) * params.sampwidth * params.nchannels
            dst.writeframes(frames[:want] + b"\0" * max(0, want - len(frames)))


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def write_subtitles(cues: list[tuple[float, float, str]], srt: Path, vtt: Path) -> None:
    srt.write_text(
        "".join(
            f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{text}\n\n" for i, (a, b, text) in enumerate(cues, start=1)
        ),
        encoding="utf-8",
    )
    vtt.write_text(
        "WEBVTT\n\n" + "".join(f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{text}\n\n" for a, b, text in cues),
        encoding="utf-8",
    )


# ------------------------------------------------------------------ 4. the video
def build(out_dir: Path, *, voters: int = 30, short: bool = False, stream=sys.stdout) -> Path:
    """Run the demo day and make ``out_dir/booth-pelatihan.mp4`` with its .srt/.vtt; return the video."""
    if shutil.which("ffmpeg") is None:
        raise VideoError("ffmpeg is not installed (apt-get install ffmpeg)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="booth-video-") as tmp:
        work = Path(tmp)
        found = pictures(run_demo_day(work, voters, stream))
        scenes = [s for s in SCENES if s.source == "card" or s.source in found]
        left_out = [s.source for s in SCENES if s not in scenes]
        if left_out:
            stream.write(f"booth video: the day made no picture for {', '.join(left_out)}: left out\n")
        if short:
            scenes = scenes[:SHORT_SCENES]
        wavs, lengths, listing = [], [], []
        cues_id, cues_en = [], []
        t = 0.0
        for n, scene in enumerate(scenes, start=1):
            wav = work / f"say-{n:02d}.wav"
            length = max(MIN_SCENE_S, speak(scene.say_id, wav) + PAUSE_S)
            png = work / f"frame-{n:02d}.png"
            frame(scene, found.get(scene.source), n, len(scenes)).save(png)
            wavs.append(wav)
            lengths.append(length)
            listing.append(f"file '{png}'\nduration {length:.3f}\n")
            cues_id.append((t, t + length, scene.say_id))
            cues_en.append((t, t + length, scene.say_en))
            t += length
        listing.append(f"file '{work / f'frame-{len(scenes):02d}.png'}'\n")  # the concat demuxer's last frame
        (work / "frames.txt").write_text("".join(listing), encoding="utf-8")
        join_speech(wavs, lengths, work / "speech.wav")
        stem = Path(VIDEO).stem
        for lang, cues in (("id", cues_id), ("en", cues_en)):
            write_subtitles(cues, out_dir / f"{stem}.{lang}.srt", out_dir / f"{stem}.{lang}.vtt")
        video = out_dir / VIDEO
        cmd = [
            "ffmpeg", "-y", "-hide_banner", "-loglevel", "error",
            "-f", "concat", "-safe", "0", "-i", str(work / "frames.txt"),
            "-i", str(work / "speech.wav"),
            "-i", str(out_dir / f"{stem}.id.srt"),
            "-i", str(out_dir / f"{stem}.en.srt"),
            "-map", "0:v", "-map", "1:a", "-map", "2:s", "-map", "3:s",
            "-c:v", "libx264", "-tune", "stillimage", "-preset", "veryfast", "-crf", "30",
            "-r", "5", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k",
            "-c:s", "mov_text",
            "-metadata:s:a:0", "language=ind",
            "-metadata:s:s:0", "language=ind", "-metadata:s:s:0", "title=Bahasa Indonesia",
            "-metadata:s:s:1", "language=eng", "-metadata:s:s:1", "title=English",
            "-metadata", "title=Pelatihan pendamping booth / booth companion training",
            "-t", f"{t:.3f}",
            "-movflags", "+faststart",
            str(video),
        ]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise VideoError(f"ffmpeg failed: {done.stderr.strip()[-500:]}")
    size_mb = video.stat().st_size / 1e6
    stream.write(f"booth video: {video} ({len(scenes)} scenes, {t:.0f} s, {size_mb:.1f} MB) + .srt/.vtt (id, en)\n")
    return video


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booth_dev.video",
        description="Build the companions' training video from the simulator's demo day (espeak-ng, ffmpeg).",
    )
    parser.add_argument("out_dir", nargs="?", default=str(DEFAULT_OUT), help="folder for the video and subtitles")
    parser.add_argument("--voters", type=int, default=30, help="voters on the demo day's DPT (30 to 2000)")
    parser.add_argument("--short", action="store_true", help=f"only the first {SHORT_SCENES} scenes (a quick check)")
    args = parser.parse_args(argv)
    try:
        build(Path(args.out_dir), voters=args.voters, short=args.short)
    except VideoError as exc:
        print(f"booth video: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
