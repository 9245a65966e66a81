"""QR decoding: the project's cascade against each stock decoder, on ZXing's blackbox photos and harder ones.

Scoring as ZXing's own tests do: every image of ../shared/data/qr-blackbox at 0, 90, 180 and 270 degrees,
a hit only when a decoded text equals the expected text exactly. The data set's .txt files store LF line
ends where the codes carry CRLF, so line ends are normalised (CRLF -> LF) on both sides, for every decoder
alike. The harder set is made from the same images by firmware_sim.capture.qr_photos: each image under each
degradation (curved, small, low contrast, blur), at the rotation (image index + degradation index) mod 4,
seeded by position, so the set is the same on every run. A held-out set (other seeds and rotations)
checks that the cascade is not fitted to those photographs.

One label is wrong: qrcode-2/13.png's code holds "...aerial photography..." (the text of qrcode-2/12.png)
where its .txt says "...aerial photograph...", so no decoder scores its 4 rotations nor its photographs
(384 of 388 is the ceiling on each set); the data set is left as it is.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bench.core import Figure
from devices.barcode import decode
from devices.barcode.engines import STOCK_ENGINES
from devices.barcode.loop import KIOSK_FORMATS
from devices.barcode.model import Decoded
from firmware_sim.capture.qr_photos import DEGRADATIONS, photograph
from firmware_sim.capture.scenes import scene

BLACKBOX = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "qr-blackbox"
BlackboxImage = tuple[str, np.ndarray, str]
# Its expected text differs from what the code holds (see docs/barcode.md); the data are left as they are.
MISLABELLED = "qrcode-2/13.png"
_ROTATIONS = (None, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE)


@dataclass(frozen=True)
class Sample:
    name: str
    gray: np.ndarray
    expected: str


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n")


def load_blackbox(root: Path = BLACKBOX) -> list[BlackboxImage]:
    """(name, grey image, expected text) for every scored image; empty when the data set is absent."""
    images = []
    for expected_file in sorted(root.glob("qrcode-*/*.txt")):
        if expected_file.name.endswith(".metadata.txt"):
            continue
        picture = expected_file.with_suffix(".png")
        gray = cv2.imread(str(picture), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            continue
        name = f"{picture.parent.name}/{picture.name}"
        images.append((name, gray, expected_file.read_text(encoding="utf-8")))
    return images


def rotations(images: list[BlackboxImage]) -> list[Sample]:
    samples = []
    for name, gray, expected in images:
        for quarter, rotation in enumerate(_ROTATIONS):
            rotated = gray if rotation is None else cv2.rotate(gray, rotation)
            samples.append(Sample(f"{name}@{quarter * 90}", np.ascontiguousarray(rotated), expected))
    return samples


def hard_photographs(images: list[BlackboxImage]) -> list[Sample]:
    samples = []
    for index, (name, gray, expected) in enumerate(images):
        for step, degradation in enumerate(DEGRADATIONS):
            quarter = (index + step) % 4
            rotation = _ROTATIONS[quarter]
            rotated = gray if rotation is None else cv2.rotate(gray, rotation)
            photo = photograph(np.ascontiguousarray(rotated), degradation, seed=index * 16 + step)
            samples.append(Sample(f"{name}:{degradation}@{quarter * 90}", photo, expected))
    return samples


def held_out_photographs(images: list[BlackboxImage]) -> list[Sample]:
    """The harder set again with other seeds and rotations: a check that the cascade's views, shaped while
    looking at `hard_photographs`, are not fitted to those particular photographs."""
    samples = []
    for index, (name, gray, expected) in enumerate(images):
        for step, degradation in enumerate(DEGRADATIONS):
            quarter = (index + step + 2) % 4
            rotation = _ROTATIONS[quarter]
            rotated = gray if rotation is None else cv2.rotate(gray, rotation)
            seed = index * 16 + step + 7919
            photo = photograph(np.ascontiguousarray(rotated), degradation, seed=seed)
            samples.append(Sample(f"{name}:{degradation}@{quarter * 90}", photo, expected))
    return samples


@dataclass(frozen=True)
class Score:
    hits: int
    tries: int
    median_ms: float
    median_cpu_ms: float
    missed: tuple[str, ...]

    @property
    def rate(self) -> float:
        return self.hits / self.tries if self.tries else float("nan")


def score(decoder: Callable[[np.ndarray], list[Decoded]], samples: list[Sample]) -> Score:
    hits = 0
    times, cpu_times = [], []
    missed = []
    for sample in samples:
        started, started_cpu = time.perf_counter(), time.process_time()
        found = decoder(sample.gray)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - started_cpu)
        if normalise(sample.expected) in {normalise(item.text) for item in found}:
            hits += 1
        else:
            missed.append(sample.name)
    wall_ms, cpu_ms = statistics.median(times) * 1000, statistics.median(cpu_times) * 1000
    return Score(hits, len(samples), wall_ms, cpu_ms, tuple(missed))


def _frame_costs() -> list[Figure]:
    """What the camera loop pays per 1080p frame without a code: the fast path, and the whole cascade.

    In CPU milliseconds (process time): the machine is shared, and wall times of single calls swing with
    the other jobs more than these figures differ."""
    frames = [cv2.cvtColor(scene(seed).image, cv2.COLOR_BGR2GRAY) for seed in range(50_000, 50_006)]

    def median_ms(function: Callable[[np.ndarray], object]) -> float:
        samples = []
        for frame in frames:
            started = time.process_time()
            function(frame)
            samples.append(time.process_time() - started)
        return statistics.median(samples) * 1000

    alone = median_ms(STOCK_ENGINES["zxing-cpp"])
    fast = median_ms(lambda frame: decode(frame, thorough=False))
    thorough = median_ms(decode)
    kiosk_fast = median_ms(lambda frame: decode(frame, thorough=False, formats=KIOSK_FORMATS))
    kiosk_thorough = median_ms(lambda frame: decode(frame, formats=KIOSK_FORMATS))
    budgeted = median_ms(lambda frame: decode(frame, formats=KIOSK_FORMATS, budget_seconds=0.2))
    name = "1080p desk frame without a code, CPU"
    return [
        Figure(f"{name}: fast path, all formats", fast, "ms", "zxing-cpp alone", alone, better="lower"),
        Figure(f"{name}: cascade, all formats", thorough, "ms", "zxing-cpp alone", alone, better="lower"),
        Figure(
            f"{name}: fast path, QR + Code128", kiosk_fast, "ms", "zxing-cpp alone", alone, better="lower"
        ),
        Figure(
            f"{name}: cascade, QR + Code128", kiosk_thorough, "ms", "zxing-cpp alone", alone, better="lower"
        ),
        Figure(
            f"{name}: cascade, QR + Code128, 0.2 s budget (the loop's)",
            budgeted,
            "ms",
            "zxing-cpp alone",
            alone,
            better="lower",
        ),
    ]


def run() -> list[Figure]:
    images = load_blackbox()
    if not images:
        raise RuntimeError(f"the QR data set is absent: {BLACKBOX}")
    sets = {
        "blackbox": rotations(images),
        "harder photos": hard_photographs(images),
        "held-out photos": held_out_photographs(images),
    }
    decoders: dict[str, Callable[[np.ndarray], list[Decoded]]] = {"project": decode, **STOCK_ENGINES}
    load_before = os.getloadavg()[0]
    scores = {
        (set_name, name): score(decoder, samples)
        for set_name, samples in sets.items()
        for name, decoder in decoders.items()
    }

    # Other engineers' jobs share this machine: the load says how far wall times are from an idle machine.
    print(
        f"load average before the run: {load_before:.1f}, after the scoring: {os.getloadavg()[0]:.1f}"
        f" on {os.cpu_count()} CPUs"
    )
    print("| decoder | " + " | ".join(f"{s} rate | {s} median ms (CPU ms)" for s in sets) + " |")
    print("|---|" + "---|---|" * len(sets))
    for name in decoders:
        cells = []
        for set_name in sets:
            result = scores[(set_name, name)]
            cells.append(
                f"{result.hits}/{result.tries} = {result.rate:.3f} | {result.median_ms:.2f} "
                f"({result.median_cpu_ms:.2f} CPU)"
            )
        print(f"| {name} | " + " | ".join(cells) + " |")
    for set_name in ("harder photos", "held-out photos"):
        print(f"\n{set_name} by degradation (hits of 97 each):")
        print("| decoder | " + " | ".join(DEGRADATIONS) + " |")
        print("|---|" + "---|" * len(DEGRADATIONS))
        for name in decoders:
            missed = scores[(set_name, name)].missed
            tries = {
                kind: sum(1 for sample in sets[set_name] if f":{kind}@" in sample.name)
                for kind in DEGRADATIONS
            }
            hits = [tries[kind] - sum(1 for miss in missed if f":{kind}@" in miss) for kind in DEGRADATIONS]
            print(f"| {name} | " + " | ".join(str(hit) for hit in hits) + " |")
    print(f"\nproject missed on blackbox: {', '.join(scores[('blackbox', 'project')].missed)}")
    print(
        f"(known: {MISLABELLED} holds the text of qrcode-2/12.png, '...aerial photography...', where its .txt"
    )
    print("says '...aerial photograph...'; no decoder can score its 4 rotations or its photographs)")
    for set_name in ("harder photos", "held-out photos"):
        print(f"project missed on {set_name}: {', '.join(scores[(set_name, 'project')].missed)}")

    figures = []
    goals = {"blackbox": ">= 0.97", "harder photos": ">= 0.93", "held-out photos": ">= 0.93"}
    for set_name in sets:
        project = scores[(set_name, "project")]
        for stock in STOCK_ENGINES:
            figures.append(
                Figure(
                    f"{set_name}: decode rate",
                    project.rate,
                    "",
                    stock,
                    scores[(set_name, stock)].rate,
                    goals[set_name],
                )
            )
    for set_name in sets:
        project = scores[(set_name, "project")]
        for stock in STOCK_ENGINES:
            figures.append(
                Figure(
                    f"{set_name}: median time per image",
                    project.median_ms,
                    "ms",
                    stock,
                    scores[(set_name, stock)].median_ms,
                    "<= 3 ms",
                    better="lower",
                )
            )
        figures.append(
            Figure(
                f"{set_name}: median CPU time per image",
                project.median_cpu_ms,
                "ms",
                "zxing-cpp",
                scores[(set_name, "zxing-cpp")].median_cpu_ms,
                "<= 3 ms",
                better="lower",
            )
        )
    return figures + _frame_costs()
