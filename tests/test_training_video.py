"""The companions' training video: one command from the simulator's demo day, checked with ffprobe.

``booth_dev.video.build(short=True)`` runs the whole chain (the demo day with a kiosk, espeak-ng's
Indonesian narration, the frames, ffmpeg) for the first scenes only; ffprobe then reads what a
player would: the length, one H.264 picture at 1280x720, the Indonesian sound, two subtitle tracks
(Indonesian, English). About 25-30 s (the demo day is most of it): marked slow.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import pytest

from booth_dev import video

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in ("ffmpeg", "ffprobe", "espeak-ng")),
        reason="ffmpeg and espeak-ng are needed (scripts/setup --test installs them)",
    ),
]


@pytest.fixture(scope="module")
def short_video(tmp_path_factory):
    out = tmp_path_factory.mktemp("video")
    said = io.StringIO()
    path = video.build(out, short=True, stream=said)
    return out, path, said.getvalue()


def probe(path) -> dict:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        text=True,
    )
    return json.loads(done.stdout)


def cues(srt) -> list[tuple[str, str, str]]:
    return re.findall(r"(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.+?)\n\n", srt.read_text(encoding="utf-8"))


def seconds(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_the_short_video_plays_with_narration_and_two_subtitle_tracks(short_video):
    out, path, said = short_video
    assert path.name == "booth-pelatihan.mp4" and path.stat().st_size < 5_000_000
    info = probe(path)
    streams = info["streams"]
    kinds = [s["codec_type"] for s in streams]
    assert kinds.count("video") == 1 and kinds.count("audio") == 1 and kinds.count("subtitle") == 2
    picture = next(s for s in streams if s["codec_type"] == "video")
    assert (picture["codec_name"], picture["width"], picture["height"]) == ("h264", 1280, 720)
    sound = next(s for s in streams if s["codec_type"] == "audio")
    assert sound["codec_name"] == "aac" and sound["tags"]["language"] == "ind"
    langs = sorted(s["tags"]["language"] for s in streams if s["codec_type"] == "subtitle")
    assert langs == ["eng", "ind"]
    # the length is the scenes' narration: every scene at least MIN_SCENE_S, the captions end with it
    duration = float(info["format"]["duration"])
    id_cues, en_cues = cues(out / "booth-pelatihan.id.srt"), cues(out / "booth-pelatihan.en.srt")
    assert len(id_cues) == len(en_cues) == video.SHORT_SCENES
    assert duration >= video.SHORT_SCENES * video.MIN_SCENE_S
    assert abs(seconds(id_cues[-1][1]) - duration) < 0.5
    assert [c[2] for c in id_cues] == [s.say_id for s in video.SCENES[: video.SHORT_SCENES]]
    assert [c[2] for c in en_cues] == [s.say_en for s in video.SCENES[: video.SHORT_SCENES]]
    assert (out / "booth-pelatihan.en.vtt").read_text(encoding="utf-8").startswith("WEBVTT\n\n00:00:00.000 --> ")
    assert "4 scenes" in said


def test_the_narration_is_heard_not_silence(short_video, tmp_path):
    """The sound track carries speech: its loudest moment is well above silence."""
    _out, path, _said = short_video
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-i", str(path), "-map", "0:a", "-af", "volumedetect", "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    peak = float(re.search(r"max_volume: (-?[\d.]+) dB", done.stderr).group(1))
    mean = float(re.search(r"mean_volume: (-?[\d.]+) dB", done.stderr).group(1))
    assert peak > -20 and mean > -50, (peak, mean)


def test_a_frame_shows_the_days_zero_report_and_its_caption(short_video, tmp_path):
    """The fourth scene is the zero report the demo day printed, with the Indonesian caption burned in."""
    out, path, _said = short_video
    start = seconds(cues(out / "booth-pelatihan.id.srt")[3][0])
    still = tmp_path / "still.png"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-ss", f"{start + 1:.2f}", "-i", str(path), "-frames:v", "1", str(still)],
        check=True,
    )
    from PIL import Image

    with Image.open(still) as im:
        assert im.size == (1280, 720)
        band = im.convert("L").crop((0, 600, 1280, 720))
        # the caption band: dark, with white letters
        assert band.getextrema()[0] < 40 and band.getextrema()[1] > 200
        if shutil.which("tesseract"):
            text = subprocess.run(
                ["tesseract", str(still), "-", "--psm", "3"], capture_output=True, text=True, check=True
            ).stdout
            assert "Laporan nol" in text or "LAPORAN NOL" in text.upper(), text[:300]


def test_the_demo_day_makes_every_scenes_picture_the_slip_check_and_the_dispute_too(short_video):
    """No scene is left out: the kiosk voter checks the slip and one disputes it ("Struk tidak
    sesuai"), so the slip-check, dispute and spoil scenes have their pictures."""
    _out, _path, said = short_video
    sources = [s.source for s in video.SCENES]
    for scene in ("screen:slip_check", "screen:disputed", "print:slip_void"):
        assert scene in sources
    assert sources.index("screen:slip_check") < sources.index("screen:disputed") < sources.index("print:slip_void")
    assert "left out" not in said, said
