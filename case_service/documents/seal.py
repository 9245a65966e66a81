"""The unified approval seal (行政审批专用章), drawn as vector graphics: red ring, star, text on the arc.

Proportions follow the usual 42 mm round official seal: a ring about 1.2 mm thick, the issuing
authority's name along the upper arc (characters upright towards the rim), a five-pointed star in the
middle, the seal's purpose in a straight line below the star and an optional code along the lower arc.

The seal is opaque and drawn *under* the text it overlaps: no PDF transparency, because print paths
that go through PostScript (CUPS's pdftops) flatten transparent pages into outlines and lose the text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from case_service.documents.typeset import cjk_font

SEAL_RED = (0.84, 0.07, 0.09)
APPROVAL_SEAL_LABEL = "行政审批专用章"


@dataclass(frozen=True)
class SealSpec:
    authority: str
    label: str = APPROVAL_SEAL_LABEL
    code: str = ""
    diameter: float = 42 * mm


def star_points(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    """The ten corners of a five-pointed star with one point straight up."""
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for index in range(10):
        radius = outer if index % 2 == 0 else inner
        angle = math.radians(90 + index * 36)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def draw_seal(canvas: Canvas, cx: float, cy: float, spec: SealSpec) -> None:
    radius = spec.diameter / 2
    ring = radius * 0.057
    font = cjk_font()
    canvas.saveState()
    canvas.setStrokeColorRGB(*SEAL_RED)
    canvas.setFillColorRGB(*SEAL_RED)
    canvas.setLineWidth(ring)
    canvas.circle(cx, cy, radius - ring / 2, stroke=1, fill=0)

    path = canvas.beginPath()
    corners = star_points(cx, cy, radius * 0.30)
    path.moveTo(*corners[0])
    for corner in corners[1:]:
        path.lineTo(*corner)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)

    # Long names get smaller characters so they stay within about 240 degrees of the ring.
    name_size = min(radius * 0.27, radius * 0.72 * math.radians(220) / max(len(spec.authority), 1))
    _text_on_arc(canvas, (cx, cy), spec.authority, radius - ring - name_size * 1.1, name_size, upper=True)
    if spec.code:
        code_size = radius * 0.10
        _text_on_arc(canvas, (cx, cy), spec.code, radius - ring - code_size * 0.6, code_size, upper=False)

    label_size = min(radius * 0.19, (radius * 1.3) / max(len(spec.label), 1))
    canvas.setFont(font, label_size)
    canvas.drawCentredString(cx, cy - radius * 0.52, spec.label)
    canvas.restoreState()


def _text_on_arc(
    canvas: Canvas, centre: tuple[float, float], text: str, radius: float, size: float, *, upper: bool
) -> None:
    """Upper arc: characters read left to right with their tops towards the rim (a seal's name).

    Lower arc: characters read left to right with their tops towards the centre (a seal's code).
    """
    if not text:
        return
    count = len(text)
    span = min(220.0, 24.0 * count) if upper else min(84.0, 7.0 * count)
    step = span / (count - 1) if count > 1 else 0.0
    canvas.setFont(cjk_font(), size)
    for index, character in enumerate(text):
        if upper:
            angle = 90 + span / 2 - index * step
            rotation = angle - 90
            baseline = radius
        else:
            angle = 270 - span / 2 + index * step
            rotation = angle + 90
            baseline = -radius
        canvas.saveState()
        canvas.translate(*centre)
        canvas.rotate(rotation)
        canvas.drawCentredString(0, baseline, character)
        canvas.restoreState()
