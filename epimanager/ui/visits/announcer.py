"""A chime and a Chinese voice for each call, through the operating system, never blocking.

PySide6-Addons (QtTextToSpeech, QtMultimedia) is not installed, so the announcer runs the OS's own
programs through :class:`QProcess`:

* the chime: a short two-tone WAV written once with the stdlib :mod:`wave` module, played by
  ``paplay`` (PulseAudio/PipeWire) or ``aplay`` (ALSA); without either, :meth:`QApplication.beep`;
* the voice: ``espeak-ng -v cmn`` (Mandarin) or ``spd-say -l zh`` (speech-dispatcher); without
  either the screen stays silent.

Announcements queue: each one plays the chime, then speaks, then the next starts.  A program that
hangs is killed after :data:`TIMEOUT_MS`.
"""

from __future__ import annotations

import math
import shutil
import struct
import tempfile
import wave
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QTimer, Signal
from PySide6.QtWidgets import QApplication

#: a program (chime or voice) still running after this long is stopped
TIMEOUT_MS = 15000
RATE = 16000


def write_chime(path: Path) -> Path:
    """A soft two-tone chime (E6 then C6, 0.25 s each, fading out) as 16-bit mono WAV."""
    frames = bytearray()
    for freq in (1318.5, 1046.5):
        n = int(RATE * 0.25)
        for i in range(n):
            fade = 1.0 - i / n
            frames += struct.pack("<h", int(12000 * fade * math.sin(2 * math.pi * freq * i / RATE)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return path


def player() -> list[str] | None:
    """The command that plays a WAV file (without the file), or None."""
    for name in ("paplay", "aplay"):
        found = shutil.which(name)
        if found:
            return [found] if name == "paplay" else [found, "-q"]
    return None


def voice() -> list[str] | None:
    """The command that speaks Chinese text (without the text), or None when the system has no voice."""
    found = shutil.which("espeak-ng")
    if found:
        return [found, "-v", "cmn"]
    found = shutil.which("spd-say")
    if found:
        return [found, "-w", "-l", "zh"]
    return None


class Announcer(QObject):
    """``announce(text)`` queues a chime + the spoken text; ``idle`` fires when the queue is empty."""

    idle = Signal()

    def __init__(self, parent: QObject | None = None, *, speech: bool = True) -> None:
        super().__init__(parent)
        self.speech = speech
        self._queue: deque[list[str] | None] = deque()  # a command, or None for a beep
        self._process: QProcess | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="epimanager-chime-")
        self._chime = write_chime(Path(self._dir.name) / "chime.wav")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TIMEOUT_MS)
        self._timer.timeout.connect(self._overdue)

    @property
    def busy(self) -> bool:
        return self._process is not None or bool(self._queue)

    def announce(self, text: str) -> None:
        play = player()
        self._queue.append([*play, str(self._chime)] if play else None)
        speak = voice() if self.speech else None
        if speak and text:
            self._queue.append([*speak, text])
        if self._process is None:
            self._next()

    def _next(self) -> None:
        while self._queue:
            command = self._queue.popleft()
            if command is None:
                QApplication.beep()
                continue
            process = QProcess(self)
            process.setProcessChannelMode(QProcess.ProcessChannelMode.ForwardedErrorChannel)
            process.setStandardOutputFile(QProcess.nullDevice())
            process.finished.connect(self._done)
            process.errorOccurred.connect(self._failed)
            self._process = process
            self._timer.start()
            process.start(command[0], command[1:])
            return
        self.idle.emit()

    def _done(self) -> None:
        self._timer.stop()
        if self._process is not None:
            self._process.deleteLater()
        self._process = None
        self._next()

    def _failed(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:  # no finished() follows
            self._done()

    def _overdue(self) -> None:
        if self._process is not None:
            self._process.kill()  # finished() follows and starts the next one

    def stop(self) -> None:
        """Drop what waits and stop what plays (the screen closes)."""
        self._queue.clear()
        self._timer.stop()
        if self._process is not None:
            process, self._process = self._process, None
            process.finished.disconnect(self._done)
            process.kill()
            process.waitForFinished(1000)
            process.deleteLater()
        self._dir.cleanup()
