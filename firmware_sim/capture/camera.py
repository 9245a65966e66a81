"""A simulated document camera: a `FrameSource` that shows generated desk scenes, one page after another."""

from __future__ import annotations

import numpy as np

from firmware_sim.capture.scenes import Scene, scene


class SimulatedCamera:
    """Frames of scenes `first_seed`, `first_seed + 1`, ...; each scene is held for `frames_per_page` frames
    (the applicant lays a page, the camera sees it a while, the next page comes). `last_scene` tells the
    truth about the frame just given, for tests and benchmarks."""

    def __init__(
        self,
        first_seed: int = 0,
        *,
        pages: int | None = None,
        frames_per_page: int = 1,
        size: tuple[int, int] = (1080, 1920),
    ) -> None:
        self._seed = first_seed
        self._pages = pages
        self._frames_per_page = max(1, frames_per_page)
        self._size = size
        self._shown = 0
        self._closed = False
        self.last_scene: Scene | None = None

    @property
    def name(self) -> str:
        return f"simulated document camera (seed {self._seed})"

    def read(self) -> np.ndarray | None:
        if self._closed:
            return None
        page = self._shown // self._frames_per_page
        if self._pages is not None and page >= self._pages:
            return None
        if self._shown % self._frames_per_page == 0 or self.last_scene is None:
            self.last_scene = scene(self._seed + page, size=self._size)
        self._shown += 1
        return self.last_scene.image.copy()

    def close(self) -> None:
        self._closed = True
