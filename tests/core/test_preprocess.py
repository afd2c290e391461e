"""Preprocessing of drawn and uploaded digits: a digit drawn like MNIST comes out as MNIST's own
28 x 28 image, centred by mass; bad uploads are refused with a reason."""

import io

import numpy as np
import pytest
from PIL import Image

from core import data
from core.preprocess import (
    MAX_BYTES,
    ImageRejected,
    center_of_mass,
    from_array,
    preprocess,
    read_upload,
)


def encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def drawn_like_a_student(index: int, fmt: str = "PNG") -> tuple[bytes, np.ndarray]:
    """An MNIST test digit as a student would photograph it: dark ink on white paper, large,
    off-centre on a canvas that is not square."""
    original = data.load("mnist", "test")[0][index].numpy().reshape(28, 28)
    big = Image.fromarray((255 - original * 255).astype(np.uint8)).resize((200, 200), Image.Resampling.BICUBIC)
    paper = Image.new("L", (320, 260), 255)
    paper.paste(big, (100, 30))
    return encode(paper.convert("RGB"), fmt), original


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_digit_drawn_like_mnist_becomes_mnist(fmt):
    similarities = []
    for i in range(8):
        raw, original = drawn_like_a_student(i, fmt)
        s = preprocess(read_upload(raw))
        assert s.inverted
        assert s.image.shape == (28, 28) and s.x.shape == (784,) and s.x.dtype == np.float32
        assert 0.0 <= s.image.min() and s.image.max() <= 1.0
        assert max(s.boxed.shape) == 20  # the longer side fills the 20 x 20 box
        cy, cx = center_of_mass(s.image)
        assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
        sim = (s.image * original).sum() / np.linalg.norm(s.image) / np.linalg.norm(original)
        similarities.append(sim)
    assert np.mean(similarities) > 0.9


def test_aspect_ratio_is_kept():
    bar = np.zeros((100, 100), dtype=np.uint8)
    bar[10:90, 45:55] = 255  # a tall "1": 80 x 10
    s = preprocess(from_array(bar))
    assert not s.inverted
    assert s.boxed.shape[0] == 20 and 2 <= s.boxed.shape[1] <= 3


def test_transparent_canvas_reads_either_ink_colour():
    for ink in (0, 255):
        rgba = np.zeros((120, 120, 4), dtype=np.uint8)
        rgba[30:90, 50:70, :3] = ink
        rgba[30:90, 50:70, 3] = 255
        s = preprocess(from_array(rgba))
        assert s.image.sum() > 10 and s.image[14, 14] > 0.5


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"not an image at all", "bad_type"),
        (encode(Image.new("RGB", (40, 40)), "GIF"), "bad_type"),
        (encode(Image.new("L", (4, 4))), "bad_size"),
        (b"\x89PNG" + b"\0" * (MAX_BYTES + 1), "too_large"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(raw, reason):
    with pytest.raises(ImageRejected) as err:
        read_upload(raw)
    assert err.value.reason == reason and str(err.value)


@pytest.mark.parametrize("colour", [0, 255, 128])
def test_an_empty_image_is_refused(colour):
    img = read_upload(encode(Image.new("L", (64, 64), colour)))
    with pytest.raises(ImageRejected) as err:
        preprocess(img)
    assert err.value.reason == "empty"
