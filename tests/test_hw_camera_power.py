"""The camera (simulated, and the real picamera2 driver on a stand-in module) and the UPS."""

import io
import sys
import types
from pathlib import Path

# booth_sim lives in hw-sim/; make this checkout's copy win over any other install.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hw-sim"))

import pytest
from gpiozero.pins.mock import MockFactory
from PIL import Image

from booth.hardware.camera import CameraError
from booth.hardware.config import PinMap
from booth.hardware.power import Power
from booth.hardware.ups import GpioPowerMonitor, MainsOnly
from booth_sim.camera import SimCamera
from booth_sim.power import SimPower


def as_image(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    return image


# --- camera ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(480, 640), (320, 240)])
def test_the_camera_gives_a_valid_jpeg_at_the_configured_size(size):
    photo = as_image(SimCamera(*size).capture_jpeg())
    assert photo.format == "JPEG" and photo.size == size and photo.mode == "RGB"


def test_each_capture_is_a_different_person_and_the_same_seed_gives_the_same_people():
    camera = SimCamera(seed=3)
    first, second = camera.capture_jpeg(), camera.capture_jpeg()
    assert first != second
    again = SimCamera(seed=3)
    assert again.capture_jpeg() == first


def test_fail_next_raises_camera_error_once_then_the_camera_works_again():
    camera = SimCamera()
    camera.fail_next()
    with pytest.raises(CameraError) as raised:
        camera.capture_jpeg()
    assert "Kamera bermasalah" in raised.value.message_id
    assert as_image(camera.capture_jpeg()).size == (480, 640)
    assert camera.captures == 1


def test_a_camera_that_always_fails_fails_preview_too_until_fixed():
    camera = SimCamera()
    camera.fail_always(True)
    for action in (camera.capture_jpeg, camera.preview):
        with pytest.raises(CameraError):
            action()
    camera.fail_always(False)
    preview = camera.preview()
    assert preview.mode == "RGB" and preview.size == (240, 320)


class FakePicamera2:
    """Stands in for picamera2.Picamera2: landscape RGB frames of the configured size."""

    instances = []
    fail_capture = False

    def __init__(self):
        self.size = None
        self.started = self.closed = False
        FakePicamera2.instances.append(self)

    def create_still_configuration(self, main):
        return {"main": main}

    def configure(self, config):
        self.size = config["main"]["size"]

    def start(self):
        self.started = True

    def capture_image(self, name="main"):
        if self.fail_capture:
            raise RuntimeError("Camera frontend has timed out!")
        w, h = self.size
        frame = Image.new("RGB", (w, h), (200, 200, 200))
        frame.paste((200, 30, 30), (w // 2 - 10, 0, w // 2 + 10, h))  # a red stripe in the middle
        return frame

    def stop(self):
        self.started = False

    def close(self):
        self.closed = True


@pytest.fixture
def fake_picamera2(monkeypatch):
    FakePicamera2.instances.clear()
    FakePicamera2.fail_capture = False
    monkeypatch.setitem(sys.modules, "picamera2", types.SimpleNamespace(Picamera2=FakePicamera2))
    return FakePicamera2


def test_the_real_camera_driver_crops_a_portrait_jpeg_from_the_landscape_sensor(fake_picamera2):
    from booth.hardware.picamera import Picamera2Camera

    camera = Picamera2Camera(480, 640)
    sensor = fake_picamera2.instances[0]
    assert sensor.started and sensor.size[0] > sensor.size[1]  # asked for a landscape frame

    photo = as_image(camera.capture_jpeg())
    assert photo.format == "JPEG" and photo.size == (480, 640)
    r, g, b = photo.getpixel((240, 320))
    assert r > 150 and g < 100  # the middle of the frame is kept, not squeezed away
    assert camera.preview().size == (240, 320)
    camera.close()
    assert sensor.closed


def test_the_real_camera_driver_turns_every_failure_into_camera_error(fake_picamera2, monkeypatch):
    from booth.hardware.picamera import Picamera2Camera

    camera = Picamera2Camera(480, 640)
    fake_picamera2.fail_capture = True
    with pytest.raises(CameraError, match="timed out"):
        camera.capture_jpeg()

    class NoCamera:
        def __init__(self):
            raise IndexError("list index out of range")  # what Picamera2() says with no camera

    monkeypatch.setitem(sys.modules, "picamera2", types.SimpleNamespace(Picamera2=NoCamera))
    with pytest.raises(CameraError, match="did not start"):
        Picamera2Camera(480, 640)

    monkeypatch.setitem(sys.modules, "picamera2", None)  # not installed
    with pytest.raises(CameraError, match="python3-picamera2"):
        Picamera2Camera(480, 640)


# --- power ------------------------------------------------------------------------------------


def test_a_power_cut_tells_the_booth_it_runs_on_battery():
    power = SimPower()
    heard = []
    power.on_change(heard.append)
    assert power.state() is Power.MAINS

    power.cut()
    assert heard == [Power.BATTERY] and power.state() is Power.BATTERY

    power.restore()
    assert heard == [Power.BATTERY, Power.MAINS]
    power.close()


def test_a_low_battery_is_reported_so_the_booth_shuts_down_cleanly():
    power = SimPower()
    heard = []
    power.on_change(heard.append)
    power.cut()
    power.low_battery()
    assert heard == [Power.BATTERY, Power.LOW_BATTERY]
    assert power.state() is Power.LOW_BATTERY
    power.close()


def test_the_real_ups_driver_reads_an_active_low_power_good_line():
    factory, pins = MockFactory(), PinMap()
    good, low = factory.pin(pins.ups_power_good), factory.pin(pins.ups_low_battery)
    good.drive_low()  # this HAT holds the line low while mains is present
    low.drive_high()
    ups = GpioPowerMonitor(
        pins.ups_power_good,
        pins.ups_low_battery,
        power_good_active_high=False,
        low_battery_active_high=False,
        bounce_s=None,
        pin_factory=factory,
    )
    heard = []
    ups.on_change(heard.append)
    assert ups.state() is Power.MAINS

    good.drive_high()  # mains lost
    low.drive_low()  # battery low
    assert heard == [Power.BATTERY, Power.LOW_BATTERY]
    ups.close()


def test_without_a_ups_the_booth_is_always_on_mains():
    power = MainsOnly()
    power.on_change(lambda state: pytest.fail("no UPS, no callbacks"))
    assert power.state() is Power.MAINS
