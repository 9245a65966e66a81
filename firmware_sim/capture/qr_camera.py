"""A simulated QR camera: an empty counter until someone holds up a phone (or a paper slip) with a code.

`show(text)` puts a phone with that QR code in view (a dark bezel, a lit screen, a little turned);
`take_away()` empties the view. Frames come at the camera's size with sensor noise, so the decoder does
real work on them. Thread-safe: a test or the demo calls `show` while a `ScanLoop` reads frames.

The noisy frames of a view are made once (`NOISY_FRAMES` of them, each with its own noise) and handed out
in turn: drawing fresh noise over a full-HD frame cost ~50 ms of CPU a frame, half a core at the scan
loop's 10 frames a second, in the process that reads the camera (issue 17: the kiosk idling at 84 %).
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from firmware_sim.capture.codes import qr_picture

NOISY_FRAMES = 3


class SimulatedQrCamera:
    def __init__(self, *, size: tuple[int, int] = (720, 1280), seed: int = 0) -> None:
        self._size = size
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._shown: np.ndarray | None = None
        self._frames: list[np.ndarray] = []  # the view now, with noise: made once per view
        self._turn = 0
        self._closed = False
        height, width = size
        counter = np.full((height, width, 3), (95, 110, 125), np.uint8)
        cv2.rectangle(counter, (0, int(height * 0.8)), (width, height), (60, 70, 80), -1)
        self._empty = counter

    @property
    def name(self) -> str:
        return "simulated QR camera"

    def show(self, text: str, *, angle: float = 8.0) -> None:
        """A phone showing `text` as a QR code, held in the middle of the view."""
        height, width = self._size
        code = qr_picture(text, box=max(3, height // 120), border=3)
        bezel = 24
        phone = np.full((code.shape[0] + 6 * bezel, code.shape[1] + 2 * bezel, 3), 25, np.uint8)
        phone[3 * bezel : 3 * bezel + code.shape[0], bezel : bezel + code.shape[1]] = cv2.cvtColor(
            code, cv2.COLOR_GRAY2BGR
        )
        frame = self._empty.copy()
        turn = cv2.getRotationMatrix2D((phone.shape[1] / 2, phone.shape[0] / 2), angle, 1.0)
        turn[:, 2] += [width / 2 - phone.shape[1] / 2, height / 2 - phone.shape[0] / 2]
        mask = cv2.warpAffine(np.full(phone.shape[:2], 255, np.uint8), turn, (width, height))
        placed = cv2.warpAffine(phone, turn, (width, height))
        frame[mask > 127] = placed[mask > 127]
        with self._lock:
            self._shown, self._frames = frame, []

    def take_away(self) -> None:
        with self._lock:
            self._shown, self._frames = None, []

    def _noisy(self, base: np.ndarray) -> np.ndarray:
        noise = self._rng.normal(0, 2.5, base.shape[:2])
        return np.asarray(np.clip(base + noise[:, :, None], 0, 255), np.uint8)

    def read(self) -> np.ndarray | None:
        with self._lock:
            if self._closed:
                return None
            if not self._frames:
                base = self._empty if self._shown is None else self._shown
                self._frames = [self._noisy(base) for _ in range(NOISY_FRAMES)]
            self._turn = (self._turn + 1) % len(self._frames)
            return self._frames[self._turn].copy()

    def close(self) -> None:
        with self._lock:
            self._closed = True
