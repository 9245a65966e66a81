"""Document capture: corner accuracy and frame -> clean page time on generated 1080p desk scenes.

Scenes come from firmware_sim.capture.scenes, seeds 20000-20059 (the detector was developed on other seeds);
HALL_BENCH_CAPTURE_SEED=N runs seeds N ... N+59 instead (held-out scenes, so that speed work is not tuned to
one fixed set). HALL_BENCH_CV_THREADS=N sets OpenCV's thread count for the run (default: OpenCV's own).
The anchor is the classic detector found in most tutorials (Canny, largest contour simplified to four
points), measured on the same scenes in the same run.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from bench.core import Figure, percentile
from devices.capture import capture_page, write_pdf
from devices.capture.detect import detect_page
from devices.capture.geometry import polygon_iou
from firmware_sim.capture.scenes import scene

FIRST_SEED = int(os.environ.get("HALL_BENCH_CAPTURE_SEED", "20000"))
SCENES = 60


def classic_corners(frame: np.ndarray) -> np.ndarray | None:
    gray = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    edges = cv2.Canny(gray, 75, 200)
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        approx = cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, True), True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
    return None


def run() -> list[Figure]:
    threads = os.environ.get("HALL_BENCH_CV_THREADS")
    if threads:
        cv2.setNumThreads(int(threads))
    print(
        f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
        f"seeds {FIRST_SEED}-{FIRST_SEED + SCENES - 1}; OpenCV threads {cv2.getNumThreads()}"
    )
    ious, classic_ious, times, classic_times = [], [], [], []
    cpu_times: list[float] = []
    classic_cpu_times: list[float] = []
    blank_right = 0
    upright = upright_by_geometry = written = 0
    pages: list[np.ndarray] = []
    for seed in range(FIRST_SEED, FIRST_SEED + SCENES):
        truth = scene(seed)
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            page = capture_page(truth.image)
        except Exception as err:
            print(f"scene {seed}: {type(err).__name__}: {err}")
            ious.append(0.0)
            continue
        finally:
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - started_cpu)
        ious.append(polygon_iou(page.corners, truth.corners))
        if not truth.blank:
            # The right way up when the page's own top-left corner is where the found one is.
            near = 0.02 * float(np.hypot(*truth.image.shape[:2]))
            written += 1
            upright += float(np.linalg.norm(page.corners[0] - truth.corners[0])) < near
            geometric = detect_page(truth.image).corners
            upright_by_geometry += float(np.linalg.norm(geometric[0] - truth.corners[0])) < near
        blank_right += page.blank == truth.blank
        if len(pages) < 5:
            pages.append(page.image)
        started, started_cpu = time.perf_counter(), time.process_time()
        found = classic_corners(truth.image)
        classic_times.append(time.perf_counter() - started)
        classic_cpu_times.append(time.process_time() - started_cpu)
        classic_ious.append(0.0 if found is None else polygon_iou(found, truth.corners))
    print(f"load average after the run: {os.getloadavg()[0]:.1f}")
    share = float(np.mean(np.array(ious) >= 0.95))
    classic_share = float(np.mean(np.array(classic_ious) >= 0.95))
    print(
        f"corner IoU: median {statistics.median(ious):.4f}, minimum {min(ious):.4f}, "
        f"{sum(i >= 0.95 for i in ious)}/{len(ious)} scenes >= 0.95; "
        f"blank pages told right {blank_right}/{SCENES}"
    )
    budget = 250_000
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "scan.pdf"
        started = time.perf_counter()
        encoded = write_pdf(pages, target, dpi=200, budget=budget)
        pdf_seconds = time.perf_counter() - started
        largest = max(len(page.jpeg) for page in encoded)
        print(
            f"PDF of {len(pages)} pages: {target.stat().st_size} bytes in {pdf_seconds * 1000:.0f} ms, "
            f"largest page {largest} bytes (budget {budget})"
        )
    return [
        Figure(
            "scenes with corner IoU >= 0.95",
            share,
            "",
            "classic largest-contour detector",
            classic_share,
            ">= 0.95",
        ),
        Figure(
            "capture -> clean A4 page, median (1080p, 200 dpi)",
            statistics.median(times) * 1000,
            "ms",
            "classic detector alone, median",
            statistics.median(classic_times) * 1000,
            "<= 300 ms",
            better="lower",
        ),
        Figure(
            "capture -> clean A4 page, p95",
            percentile(times, 0.95) * 1000,
            "ms",
            "classic detector alone, p95",
            percentile(classic_times, 0.95) * 1000,
            "<= 300 ms",
            better="lower",
        ),
        Figure(
            "capture -> clean A4 page, median CPU time (all threads)",
            statistics.median(cpu_times) * 1000,
            "ms",
            "classic detector alone, median CPU",
            statistics.median(classic_cpu_times) * 1000,
            better="lower",
        ),
        Figure("blank pages told right", blank_right / SCENES, "", "all scenes", 1.0),
        Figure(
            "written pages the right way up",
            upright / written,
            "",
            "the higher short side taken as the top",
            upright_by_geometry / written,
        ),
        Figure(
            "largest PDF page",
            float(largest),
            "bytes",
            "page budget",
            float(budget),
            "<= budget",
            better="lower",
        ),
    ]
