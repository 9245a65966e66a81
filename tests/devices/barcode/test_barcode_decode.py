"""devices.barcode.decode on generated codes: text, format, points, rotations, colour layouts, bad input."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from devices.barcode import Decoded, InvalidImageError, decode
from devices.barcode.pipeline import _View
from firmware_sim.capture.codes import qr_picture as qr_image

ID_PAYLOAD = "身份码:110105194912310021;电话:13812345678"


def on_desk(code: np.ndarray, at: tuple[int, int], size: tuple[int, int] = (480, 640)) -> np.ndarray:
    scene = np.full(size, 170, np.uint8)
    y, x = at
    scene[y : y + code.shape[0], x : x + code.shape[1]] = code
    return scene


@pytest.mark.parametrize(
    "text", ["https://zwfw.example.gov.cn/ticket?id=A012", "取件码 438291 请到 3 号柜", ID_PAYLOAD]
)
def test_reads_exact_text_of_a_qr_code(text: str) -> None:
    found = decode(qr_image(text))
    assert [item.text for item in found] == [text]
    assert found[0].format == "QRCode"


def test_points_are_the_corners_of_the_code_in_the_image() -> None:
    code = qr_image("https://example.gov.cn/x", box=5, border=0)
    scene = on_desk(np.pad(code, 20, constant_values=255), at=(100, 200))
    (found,) = decode(scene)
    xs = [x for x, _ in found.points]
    ys = [y for _, y in found.points]
    assert len(found.points) == 4
    # The code's modules start 20 px inside the white margin placed at (x=200, y=100).
    assert min(xs) == pytest.approx(220, abs=3)
    assert min(ys) == pytest.approx(120, abs=3)
    assert max(xs) == pytest.approx(220 + code.shape[1], abs=6)
    assert max(ys) == pytest.approx(120 + code.shape[0], abs=6)


@pytest.mark.parametrize(
    "rotation", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE]
)
def test_reads_rotated_codes(rotation: int) -> None:
    text = "证照编号 No.2026-000123"
    assert [item.text for item in decode(cv2.rotate(qr_image(text), rotation))] == [text]


def test_accepts_bgr_bgra_single_channel_and_float_images() -> None:
    gray = qr_image("layout")
    for image in (
        cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR),
        cv2.cvtColor(gray, cv2.COLOR_GRAY2BGRA),
        gray[:, :, None],
        gray.astype(np.float32),
        np.asfortranarray(gray),
    ):
        assert [item.text for item in decode(image)] == ["layout"]


@pytest.mark.parametrize(
    ("barcode_format", "text"),
    [(zxingcpp.BarcodeFormat.Code128, "HALL-01-A012"), (zxingcpp.BarcodeFormat.DataMatrix, "材料 M-7")],
)
def test_reads_other_symbologies(barcode_format: zxingcpp.BarcodeFormat, text: str) -> None:
    picture = np.asarray(zxingcpp.create_barcode(text, barcode_format).to_image(scale=4))
    framed = np.pad(picture, 40, constant_values=255)
    found = decode(framed)
    assert [(item.text, item.format) for item in found] == [(text, barcode_format.name)]


def test_reads_a_light_on_dark_code_as_a_phone_in_dark_mode_shows_it() -> None:
    inverted = 255 - qr_image("电子证照 e-license 330106-2026-0042")
    assert [item.text for item in decode(inverted)] == ["电子证照 e-license 330106-2026-0042"]


def test_formats_restrict_what_is_read() -> None:
    qr = qr_image("QR-1")
    bars = np.pad(
        np.asarray(zxingcpp.create_barcode("C128-1", zxingcpp.BarcodeFormat.Code128).to_image(scale=3)),
        30,
        constant_values=255,
    )
    scene = np.full((max(qr.shape[0], bars.shape[0]), qr.shape[1] + bars.shape[1]), 255, np.uint8)
    scene[: qr.shape[0], : qr.shape[1]] = qr
    scene[: bars.shape[0], qr.shape[1] :] = bars
    assert sorted(item.text for item in decode(scene)) == ["C128-1", "QR-1"]
    assert [item.text for item in decode(scene, formats=["QRCode"])] == ["QR-1"]
    assert [item.text for item in decode(scene, formats=("Code128",))] == ["C128-1"]
    # No QR among the formats: the QR-only engines of the cascade are skipped as well.
    assert decode(qr, formats=["DataMatrix"]) == []
    with pytest.raises(ValueError, match="unknown barcode format"):
        decode(scene, formats=["Qr"])


def test_reads_several_codes_in_one_frame() -> None:
    scene = np.full((500, 900), 255, np.uint8)
    first, second = qr_image("first", box=5), qr_image("second", box=5)
    scene[40 : 40 + first.shape[0], 40 : 40 + first.shape[1]] = first
    scene[200 : 200 + second.shape[0], 500 : 500 + second.shape[1]] = second
    assert sorted(item.text for item in decode(scene)) == ["first", "second"]


def test_a_large_picture_is_read_at_half_size_first() -> None:
    code = qr_image("https://example.gov.cn/half", box=6, border=4)
    scene = on_desk(code, at=(60, 90))
    (found,) = decode(scene)
    assert found.engine == "zxing/half"
    # Its corners in the caller's pixels, as the full-size read puts them.
    (full,) = decode(scene, thorough=False)
    assert full.engine == "zxing"
    for (x, y), (full_x, full_y) in zip(found.points, full.points, strict=True):
        assert (x, y) == pytest.approx((full_x, full_y), abs=3)


def test_a_code_too_fine_for_half_size_is_read_at_full_size() -> None:
    # One pixel a module: half size leaves half a pixel.
    code = qr_image("https://example.gov.cn/fine", box=1, border=4)
    scene = on_desk(code, at=(200, 300))
    assert [(item.text, item.engine) for item in decode(scene)] == [("https://example.gov.cn/fine", "zxing")]


def test_a_low_contrast_small_code_needs_the_cascade_and_is_found() -> None:
    code = qr_image("https://example.gov.cn/pickup/77", box=2, border=2)
    faded = (120 + code.astype(np.float32) * 0.12).astype(np.uint8)
    blurred = cv2.GaussianBlur(faded, (0, 0), 1.2)
    assert decode(blurred, thorough=False) == []
    (found,) = decode(blurred)
    assert found.text == "https://example.gov.cn/pickup/77"
    assert found.engine != "zxing"  # found by a harder view, not the fast path
    # The points still lie on the code in the caller's coordinates, not the enlarged view's.
    assert all(0 <= x <= blurred.shape[1] and 0 <= y <= blurred.shape[0] for x, y in found.points)


def test_a_spent_budget_stops_the_cascade_but_never_the_fast_path() -> None:
    code = qr_image("https://example.gov.cn/pickup/77", box=2, border=2)
    hard = cv2.GaussianBlur((120 + code.astype(np.float32) * 0.12).astype(np.uint8), (0, 0), 1.2)
    assert decode(hard, budget_seconds=0.0) == []
    assert [item.text for item in decode(hard, budget_seconds=10.0)] == ["https://example.gov.cn/pickup/77"]
    assert [item.text for item in decode(qr_image("easy"), budget_seconds=0.0)] == ["easy"]


def test_a_view_maps_points_back_to_the_original_image() -> None:
    view = _View("enlarged-padded", np.zeros((4, 4), np.uint8), scale=2.0, pad=10.0)
    found = Decoded(text="x", format="QRCode", points=((40.0, 60.0),), engine="zxing")
    mapped = view.to_original(found)
    assert mapped.points == ((10.0, 20.0),)
    assert mapped.engine == "zxing/enlarged-padded"


def test_an_image_without_a_code_gives_nothing() -> None:
    rng = np.random.default_rng(3)
    assert decode(np.full((240, 320), 200, np.uint8)) == []
    assert decode(cv2.GaussianBlur((rng.random((240, 320)) * 255).astype(np.uint8), (0, 0), 2)) == []


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [[0, 255], [255, 0]],
        np.zeros(100, np.uint8),
        np.zeros((64, 64, 5), np.uint8),
        np.zeros((8, 8), np.uint8),
        np.full((64, 64), np.nan, np.float32),
        np.zeros((64, 64), np.complex64),
        np.zeros((64, 64), dtype=object),
    ],
)
def test_garbage_is_refused_with_a_clear_error(bad: object) -> None:
    with pytest.raises(InvalidImageError):
        decode(bad)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.float64]),
        shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=48),
    )
)
def test_any_array_is_decoded_or_refused_never_crashes(image: np.ndarray) -> None:
    try:
        result = decode(image)
    except InvalidImageError:
        return
    assert isinstance(result, list)


def test_repr_masks_personal_numbers() -> None:
    (found,) = decode(qr_image(ID_PAYLOAD))
    shown = repr(found)
    assert "110105194912310021" not in shown
    assert "13812345678" not in shown


def test_zbar_reads_of_one_to_three_characters_do_not_end_the_cascade() -> None:
    # zbar's 1-D decoders have no minimum length; the cascade drops their shortest reads (they come out
    # of 2-D textures), and keeps longer ones and every QR code.
    from devices.barcode.pipeline import _Engines

    def code128(text: str) -> np.ndarray:
        picture = np.asarray(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128).to_image(scale=3))
        return np.pad(picture, 30, constant_values=255)

    engines = _Engines(None)
    assert engines.zbar(code128(">")) == []
    assert [item.text for item in engines.zbar(code128("AB7"))] == []
    assert [item.text for item in engines.zbar(code128("AB72"))] == ["AB72"]
