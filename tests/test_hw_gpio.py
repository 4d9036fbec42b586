"""Buttons, status LEDs and buzzer: booth's real gpiozero drivers on mock pins."""

import sys
import time
from pathlib import Path

# booth_sim lives in hw-sim/; make this checkout's copy win over any other install.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hw-sim"))

import pytest
from gpiozero.pins.mock import MockFactory

from booth.hardware.config import PinMap
from booth.hardware.controls import Nav
from booth.hardware.gpio import BEEPS, GpioButtons, GpioBuzzer, GpioLights
from booth_sim.gpio import SimPanel

PINS = PinMap()


def wait_for(condition, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture
def factory():
    factory = MockFactory()
    yield factory
    factory.reset()


@pytest.mark.parametrize("nav", list(Nav))
def test_a_press_on_a_buttons_pin_reaches_the_kiosk_as_that_button(factory, nav):
    buttons = GpioButtons(PINS.buttons(), pin_factory=factory)
    heard = []
    buttons.on_press(heard.append)

    pin = factory.pin(PINS.buttons()[nav])
    pin.drive_low()  # the button pulls its line to ground
    pin.drive_high()

    assert heard == [nav]
    buttons.close()


def test_select_is_on_its_documented_pin_and_holding_it_is_one_press(factory):
    buttons = GpioButtons(PINS.buttons(), pin_factory=factory)
    heard = []
    buttons.on_press(heard.append)

    factory.pin(13).drive_low()  # BCM 13 = physical pin 33, the SELECT button
    assert buttons.is_pressed(Nav.SELECT)
    time.sleep(0.05)
    factory.pin(13).drive_high()

    assert heard == [Nav.SELECT]
    assert not buttons.is_pressed(Nav.SELECT)
    buttons.close()


def test_every_registered_callback_hears_every_press():
    panel = SimPanel()
    buttons = panel.buttons()
    kiosk, log = [], []
    buttons.on_press(kiosk.append)
    buttons.on_press(log.append)

    for nav in (Nav.DOWN, Nav.DOWN, Nav.SELECT, Nav.BACK):
        panel.press(nav)

    assert kiosk == log == [Nav.DOWN, Nav.DOWN, Nav.SELECT, Nav.BACK]
    buttons.close()


def test_the_attention_led_blinks_while_ready_is_off(factory):
    lights = GpioLights(PINS.led_ready, PINS.led_busy, PINS.led_attention, blink=(0.05, 0.05), pin_factory=factory)
    lights.show(ready=True)
    ready_pin, attention_pin = factory.pin(PINS.led_ready), factory.pin(PINS.led_attention)
    assert ready_pin.state and not attention_pin.state

    ready_pin.clear_states()
    attention_pin.clear_states()
    lights.show(attention=True)
    assert wait_for(lambda: len(attention_pin.states) >= 6)  # on, off, on, off, on ...

    seen = [s.state for s in attention_pin.states]
    assert True in seen and seen.count(False) >= 3  # went on and off again, repeatedly
    assert not ready_pin.state and all(not s.state for s in ready_pin.states[1:])
    assert lights.showing == {"ready": False, "busy": False, "attention": True}

    lights.show(ready=True)  # the companion dealt with it
    time.sleep(0.15)
    assert ready_pin.state and not attention_pin.state
    changes = len(attention_pin.states)
    time.sleep(0.15)
    assert len(attention_pin.states) == changes  # stopped blinking
    lights.close()


def test_the_simulator_window_sees_which_leds_are_on_and_blinking():
    panel = SimPanel()
    lights = panel.lights(blink=(0.05, 0.05))
    lights.show(busy=True, attention=True)
    assert wait_for(lambda: panel.led_changes("attention") >= 3)
    assert panel.leds() == {"ready": "off", "busy": "on", "attention": "blinking"}
    lights.show(ready=True)
    assert panel.leds() == {"ready": "on", "busy": "off", "attention": "off"}
    lights.close()


def test_the_confirm_beep_sounds_once():
    panel = SimPanel()
    buzzer = panel.buzzer()
    buzzer.beep("confirm")
    assert wait_for(lambda: panel.beeps() == 1)
    time.sleep(0.3)  # longer than the beep: nothing more follows
    assert panel.beeps() == 1 and not panel.buzzing
    buzzer.close()


def test_the_error_beep_sounds_three_times_and_attention_is_one_long_beep(factory):
    buzzer = GpioBuzzer(PINS.buzzer, pin_factory=factory)
    pin = factory.pin(PINS.buzzer)

    buzzer.beep("error")
    assert wait_for(lambda: sum(s.state for s in pin.states) == 3 and not pin.state)
    time.sleep(0.2)
    assert sum(1 for s in pin.states if s.state) == 3

    pin.clear_states()
    buzzer.beep("attention")
    assert wait_for(lambda: len(pin.states) == 3)  # on, then off once
    on_for = pin.states[2].timestamp  # time from switching on to switching off
    assert on_for >= 0.6 > BEEPS["confirm"][0]
    buzzer.close()


def test_an_unknown_beep_is_a_bug_not_a_silence(factory):
    buzzer = GpioBuzzer(PINS.buzzer, pin_factory=factory)
    with pytest.raises(ValueError, match="unknown beep 'succes'"):
        buzzer.beep("succes")
    buzzer.close()
