"""Sleeping between frames: until the touch screen has something, a button is pressed, or a deadline.

SDL's own ``SDL_WaitEventTimeout`` polls every millisecond on the video drivers
that have no native wait (KMSDRM on the Pi, the dummy driver of the tests):
about 2.5 % of a core spent looking at nothing.  :class:`InputWaiter` instead
sleeps in ``select()`` on the input devices SDL reads (``/dev/input/event*``,
the kiosk's service may read them) and on a pipe that other threads write to
(:meth:`InputWaiter.wake`: the GPIO buttons, the power monitor).  The kernel
wakes it when a finger touches the glass; the kiosk then lets SDL read the touch
(``pygame.event.get()``) and draws it.  Our copy of the device's events is only
read away: SDL reads its own.

Where no input device can be opened (the dummy driver of tests and benchmarks,
a desktop window whose input comes from the window system) it looks for events
every ``poll_s`` instead, still waking at once for :meth:`wake`.

>>> w = InputWaiter(devices=[])
>>> w.wake(); w.wait(5.0)
True
>>> w.wait(0.01)
False
>>> w.close()
"""

from __future__ import annotations

import contextlib
import glob
import os
import select

#: SDL video drivers that read touches from /dev/input themselves (no window system between)
DEVICE_DRIVERS = frozenset({"kmsdrm", "kmsdrm_legacy", "fbcon", "directfb", "vivante", "rpi"})


class InputWaiter:
    """``wait(timeout)`` sleeps until input, :meth:`wake` or the timeout (see the module docstring).

    ``devices``: file descriptors to watch (tests pass a pipe standing for the touch
    screen); None opens ``/dev/input/event*`` (those that cannot be opened are skipped).
    """

    def __init__(self, devices: list[int] | None = None) -> None:
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)
        self._owned: list[int] = []
        if devices is None:
            for path in sorted(glob.glob("/dev/input/event*")):
                try:
                    self._owned.append(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC))
                except OSError:
                    continue  # not ours to read: SDL will not read it either
            devices = self._owned
        else:
            for fd in devices:
                os.set_blocking(fd, False)
        self.devices = list(devices)

    @property
    def sleeps_on_devices(self) -> bool:
        """Whether input devices wake it (else the kiosk must look for events every so often)."""
        return bool(self.devices)

    def wake(self) -> None:
        """End the current (or next) wait at once; safe from any thread."""
        with contextlib.suppress(OSError):  # BlockingIOError: the pipe is full, a wake is waiting
            os.write(self._w, b"\0")

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds; True if an input device or :meth:`wake` ended it."""
        try:
            ready, _w, _x = select.select([self._r, *self.devices], [], [], max(0.0, timeout))
        except InterruptedError:
            return True  # a signal (SIGTERM: the service stops): let the loop look at its flag
        for fd in ready:
            if not self._drain(fd) and fd in self.devices:
                self.devices.remove(fd)  # unplugged: do not wake on it forever
        return bool(ready)

    @staticmethod
    def _drain(fd: int) -> bool:
        """Read away what is waiting; False if ``fd`` is gone (end of file, device removed)."""
        try:
            while True:
                if not os.read(fd, 4096):
                    return False
        except BlockingIOError:
            return True
        except OSError:
            return False

    def close(self) -> None:
        for fd in (self._r, self._w, *self._owned):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._owned = []
        self.devices = []
