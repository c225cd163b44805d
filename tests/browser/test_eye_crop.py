"""js/eye_crop.js in headless Chromium: eye patches aligned to the eye corners.

A real photo the site ships (Chelsea the cat: two eyes with texture around them) is
drawn onto a canvas under several rotations, scales and translations, the "eye corner
landmarks" are moved the same way, and the crops must agree; a crop of another place
must not. The crop is also compared with a reference made in numpy/scipy straight
from the photo, and the page's constants with Python's.
"""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from gazeheat import constants as C

PAGE = "eye-crop-test.html"
# The site's own Content-Security-Policy: the module must work under it.
HTML = """<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self'
 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:
 mediastream:; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'">
</head><body></body></html>"""
PHOTO = "media/samples/chelsea.png"
# Eye corners in the photo (px): corner A is each eye's image-left corner.
CORNERS = {33: (133.0, 108.0), 133: (210.0, 128.0), 362: (292.0, 143.0), 263: (346.0, 128.0)}
CANVAS = (800, 600)
# Poses of the photo on the canvas: rotation (deg, counter-clockwise on screen), scale,
# where the photo's centre goes.
POSES = [(0.0, 1.0, (400.0, 300.0)), (-20.0, 1.5, (420.0, 310.0)), (35.0, 0.8, (360.0, 320.0))]

CROP_UNDER_POSES = """async ({photo, corners, canvas, poses, shift, noOffscreen}) => {
    if (noOffscreen) globalThis.OffscreenCanvas = undefined;
    const {EyeCropper} = await import('/js/eye_crop.js');
    const img = new Image();
    img.src = '/' + photo;
    await img.decode();
    const cropper = new EyeCropper();
    const out = [];
    for (const [angle, scale, [cx, cy]] of poses) {
        const c = document.createElement('canvas');
        c.width = canvas[0]; c.height = canvas[1];
        const ctx = c.getContext('2d');
        const a = -angle * Math.PI / 180;  // y points down: counter-clockwise on screen
        const m = [scale * Math.cos(a), scale * Math.sin(a), -scale * Math.sin(a), scale * Math.cos(a)];
        const tx = cx - (m[0] * img.width / 2 + m[2] * img.height / 2);
        const ty = cy - (m[1] * img.width / 2 + m[3] * img.height / 2);
        ctx.setTransform(m[0], m[1], m[2], m[3], tx, ty);
        ctx.drawImage(img, 0, 0);
        const lm = new Float32Array(478 * 3).fill(0.5);
        for (const [i, [x, y]] of Object.entries(corners)) {
            const px = x + shift[0], py = y + shift[1];
            lm[3 * i] = (m[0] * px + m[2] * py + tx) / canvas[0];
            lm[3 * i + 1] = (m[1] * px + m[3] * py + ty) / canvas[1];
        }
        const patches = cropper.crop(c, canvas[0], canvas[1], lm);
        out.push(patches && Array.from(patches));
    }
    return {out, offscreen: typeof OffscreenCanvas === 'function'
        && cropper.canvas instanceof OffscreenCanvas};
}"""


@pytest.fixture
def page(browsers, base_url):
    """A blank page on the site's origin (served by a route, under the site's CSP)."""
    context = browsers(None).new_context()
    context.route(base_url + PAGE, lambda route: route.fulfill(
        status=200, content_type="text/html", body=HTML))
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url + PAGE)
    yield page
    context.close()
    assert errors == []


def crops(page, poses=POSES, shift=(0.0, 0.0), no_offscreen=False):
    result = page.evaluate(CROP_UNDER_POSES, {
        "photo": PHOTO, "corners": {str(k): v for k, v in CORNERS.items()}, "canvas": CANVAS,
        "poses": [[a, s, list(c)] for a, s, c in poses], "shift": list(shift),
        "noOffscreen": no_offscreen})
    return result["out"], result["offscreen"]


def mean_abs_diff(a, b):
    return sum(abs(x - y) for x, y in zip(a, b)) / len(a)


def test_constants_agree_with_python(page):
    js = page.evaluate("async () => (await import('/js/constants.js')).EYE_PATCH")
    assert js["widthPx"] == C.EYE_PATCH_WIDTH_PX
    assert js["heightPx"] == C.EYE_PATCH_HEIGHT_PX
    assert tuple(js["cornerAPx"]) == C.EYE_PATCH_CORNER_A_PX
    assert tuple(js["cornerBPx"]) == C.EYE_PATCH_CORNER_B_PX
    assert js["oversample"] == C.EYE_PATCH_OVERSAMPLE
    assert tuple(js["rightCorners"]) == C.EYE_PATCH_RIGHT_CORNERS
    assert tuple(js["leftCorners"]) == C.EYE_PATCH_LEFT_CORNERS
    assert js["minStdGrey"] == C.EYE_PATCH_MIN_STD_GREY
    assert js["minEyeWidthPx"] == C.MIN_EYE_WIDTH_PX
    n = page.evaluate("async () => (await import('/js/eye_crop.js')).EYE_PATCH_VALUES")
    assert n == C.EYE_PATCH_VALUES


@pytest.mark.parametrize("no_offscreen", [False, True])
def test_rotated_scaled_moved_faces_give_the_same_crop(page, no_offscreen):
    (first, *others), offscreen = crops(page, no_offscreen=no_offscreen)
    assert offscreen is not no_offscreen
    n = C.EYE_PATCH_WIDTH_PX * C.EYE_PATCH_HEIGHT_PX
    assert len(first) == 2 * n
    for eye in (first[:n], first[n:]):  # normalised per eye
        mean = sum(eye) / n
        assert abs(mean) < 1e-4
        assert math.sqrt(sum((v - mean) ** 2 for v in eye) / n) == pytest.approx(1.0, abs=1e-3)
    # Two unrelated unit-variance patches differ by ~1.1 on average.
    for other in others:
        assert mean_abs_diff(first[:n], other[:n]) < 0.25
        assert mean_abs_diff(first[n:], other[n:]) < 0.25
    # The same poses, but the "corners" a little lower: the crops follow the landmarks.
    moved, _ = crops(page, shift=(0.0, 25.0), no_offscreen=no_offscreen)
    for other in moved:
        assert mean_abs_diff(first[:n], other[:n]) > 0.5
        assert mean_abs_diff(first[n:], other[n:]) > 0.5
    for a, b in itertools.pairwise(moved):
        assert mean_abs_diff(a, b) < 0.25


def test_crop_matches_a_reference_from_the_photo(page, np, ndimage, PIL_Image, base_url):
    """The corners land where the constants say: compare the upright crop with the
    same warp done in numpy (bilinear samples at the oversampled pixel centres,
    block means, Rec. 601 grey, per-eye standardisation)."""
    (got,), _ = crops(page, poses=POSES[:1])
    photo = Path(__file__).resolve().parents[2] / "dist" / PHOTO
    rgb = np.asarray(PIL_Image.open(photo).convert("RGB"), dtype=float)
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    w, h, k = C.EYE_PATCH_WIDTH_PX, C.EYE_PATCH_HEIGHT_PX, C.EYE_PATCH_OVERSAMPLE
    pa, pb = np.array(C.EYE_PATCH_CORNER_A_PX), np.array(C.EYE_PATCH_CORNER_B_PX)
    want = []
    for ia, ib in (C.EYE_PATCH_RIGHT_CORNERS, C.EYE_PATCH_LEFT_CORNERS):
        a, b = np.array(CORNERS[ia]), np.array(CORNERS[ib])
        # Patch -> photo similarity as a complex ratio (photo vector / patch vector).
        q = complex(*(b - a)) / complex(*(pb - pa))
        v, u = np.mgrid[0:h * k, 0:w * k]
        z = (u + 0.5) / k - pa[0] + 1j * ((v + 0.5) / k - pa[1])
        p = complex(*a) + q * z
        # Photo px (pixel-edge coordinates) -> array indices of pixel centres.
        sampled = ndimage.map_coordinates(grey, [p.imag - 0.5, p.real - 0.5], order=1)
        blocks = sampled.reshape(h, k, w, k).mean(axis=(1, 3))
        want.append((blocks - blocks.mean()) / max(blocks.std(), C.EYE_PATCH_MIN_STD_GREY))
    want = np.concatenate([e.ravel() for e in want])
    assert np.mean(np.abs(np.array(got) - want)) < 0.1  # 1 px off: ~0.65


def test_no_crop_for_tiny_eyes_or_bad_input(page):
    result = page.evaluate("""async () => {
        const {EyeCropper} = await import('/js/eye_crop.js');
        const c = document.createElement('canvas');
        c.width = 640; c.height = 480;
        const cropper = new EyeCropper();
        const lm = new Float32Array(478 * 3).fill(0.5);  // every corner on one point
        return [cropper.crop(c, 640, 480, lm), cropper.crop(c, 0, 480, lm),
                cropper.crop(c, 640, 480, new Float32Array(10)), cropper.crop(c, 640, 480, null)];
    }""")
    assert result == [None, None, None, None]
