"""Turn a drawn or photographed digit into an MNIST-style 28 x 28 image.

MNIST digits were made this way: the ink was scaled, keeping its aspect ratio, to fit a
20 x 20 box (with anti-aliasing, hence grey edges), and the result was placed in a 28 x 28
field so that its centre of mass sits at the centre. A network trained on MNIST only knows
digits prepared like that: white ink on black, this size, this position. Each stage is kept so
a page can show it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4096
MIN_SIDE = 8
FORMATS = ("PNG", "JPEG")
FIELD = 28
BOX = 20
INK = 0.2  # after contrast stretching, brighter than this counts as ink when cropping
MIN_CONTRAST = 0.1  # ink must differ from the background by this much, else the image is empty


class ImageRejected(ValueError):
    """An upload that cannot be used. `reason` is one of 'too_large', 'bad_type', 'bad_size',
    'empty', so a page can show a translated message; the text says the same in English."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Stages:
    """Every step of the preprocessing, as float arrays in [0, 1] (1 = ink)."""

    gray: np.ndarray  # the input as grey levels, original size
    inverted: bool  # whether dark ink on a light background was flipped
    cropped: np.ndarray  # the ink's bounding box, background removed
    boxed: np.ndarray  # scaled so the longer side is 20 pixels
    image: np.ndarray  # 28 x 28, centred by mass: what the network sees

    @property
    def x(self) -> np.ndarray:
        """The network input: 784 floats."""
        return self.image.reshape(-1).astype(np.float32)


def read_upload(raw: bytes) -> Image.Image:
    """Open an uploaded PNG or JPEG after checking its size, type and dimensions."""
    if len(raw) > MAX_BYTES:
        raise ImageRejected("too_large", f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        img = Image.open(io.BytesIO(raw))
    except (UnidentifiedImageError, OSError) as err:
        raise ImageRejected("bad_type", "the file is not a PNG or JPEG image") from err
    if img.format not in FORMATS:
        raise ImageRejected("bad_type", f"the file is a {img.format} image, not PNG or JPEG")
    w, h = img.size
    if max(w, h) > MAX_SIDE or min(w, h) < MIN_SIDE:
        raise ImageRejected("bad_size", f"the image is {w} x {h}; sides must be {MIN_SIDE} to {MAX_SIDE} pixels")
    try:
        img.load()
    except OSError as err:
        raise ImageRejected("bad_type", "the image data is damaged") from err
    return img


def grayscale(img: Image.Image) -> np.ndarray:
    """Grey levels in [0, 1]. Transparent pixels become a background that contrasts with the
    ink, so a drawing on a transparent canvas reads correctly whatever the ink colour."""
    rgba = np.asarray(img.convert("RGBA"), dtype=np.float64) / 255.0
    gray = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    alpha = rgba[..., 3]
    if alpha.min() >= 1.0:
        return gray
    ink = alpha > 0.5
    ink_level = float(gray[ink].mean()) if ink.any() else 0.0
    background = 1.0 if ink_level < 0.5 else 0.0
    return alpha * gray + (1.0 - alpha) * background


def from_array(pixels: np.ndarray) -> Image.Image:
    """A PIL image from a canvas' RGBA (or grey) uint8 array."""
    return Image.fromarray(np.asarray(pixels, dtype=np.uint8))


def preprocess(img: Image.Image) -> Stages:
    """Grey, invert if the background is light, crop to the ink, fit a 20 x 20 box keeping the
    aspect ratio, and centre by mass in 28 x 28."""
    gray = grayscale(img)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    inverted = bool(np.median(border) > 0.5)
    ink = 1.0 - gray if inverted else gray
    background = float(np.median(1.0 - border if inverted else border))
    top = float(ink.max())
    if top - background < MIN_CONTRAST:
        raise ImageRejected("empty", "the image shows no digit: it is one flat colour")
    ink = np.clip((ink - background) / (top - background), 0.0, 1.0)
    rows, cols = np.nonzero(ink > INK)
    cropped = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    boxed = fit_box(cropped, BOX)
    return Stages(gray, inverted, cropped, boxed, center_by_mass(boxed, FIELD))


def fit_box(ink: np.ndarray, box: int) -> np.ndarray:
    """Scale so the longer side is `box` pixels, keeping the aspect ratio (anti-aliased)."""
    h, w = ink.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    img = Image.fromarray((ink * 255).astype(np.uint8))
    return np.asarray(img.resize(size, Image.Resampling.LANCZOS), dtype=np.float64) / 255.0


def center_of_mass(a: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted mean position."""
    total = a.sum()
    rows, cols = np.indices(a.shape)
    return float((rows * a).sum() / total), float((cols * a).sum() / total)


def center_by_mass(ink: np.ndarray, field: int) -> np.ndarray:
    """Place `ink` in a field x field image so that its centre of mass lands on the centre."""
    out = np.zeros((field, field))
    cy, cx = center_of_mass(ink)
    centre = field / 2  # MNIST's digits have their mass at (14, 14), not at the middle pixel 13.5
    top, left = round(centre - cy), round(centre - cx)
    h, w = ink.shape
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + h, field), min(left + w, field)
    out[r0:r1, c0:c1] = ink[r0 - top : r1 - top, c0 - left : c1 - left]
    return out
