"""`python -m core train --config` and `python -m core predict --model --image`."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from core import checkpoint, data, preprocess
from core.__main__ import main
from core.experiments.mnist_lab import MnistLab
from core.store import Store

CONFIG = {
    "n_train": 200,
    "n_test": 50,
    "epochs": 1,
    "batch_size": 50,
    "hidden": [12],
    "optimizer": {"method": "sgd", "lr": 0.1},
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "config.json"
    path.write_text(json.dumps(CONFIG))
    return path


def test_train_then_predict(trained, tmp_path, capsys):
    assert main(["train", "--config", str(trained), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    key = summary["model"]
    assert key == MnistLab.from_config(CONFIG).key() and 0 <= summary["test_acc"] <= 1

    digit = data.load("mnist", "test")[0][0].numpy().reshape(28, 28)
    image = tmp_path / "digit.png"
    Image.fromarray((digit * 255).astype(np.uint8)).resize((112, 112)).save(image)
    assert main(["predict", "--model", key[:8], "--image", str(image), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    probs = np.array(list(out["probabilities"].values()))
    assert out["model"] == key and probs.sum() == pytest.approx(1.0, abs=1e-5)

    model = checkpoint.unpack(Store().load(key).extras["model"])
    x = preprocess.preprocess(preprocess.read_upload(image.read_bytes())).x
    np.testing.assert_allclose(probs, checkpoint.probabilities(model, torch.from_numpy(x[None]))[0], rtol=1e-6)


def test_config_in_short_and_stored_form_give_the_same_spec():
    short = MnistLab.from_config(CONFIG)
    stored = MnistLab.from_config(json.loads(json.dumps(short.to_dict())))
    assert short == stored


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "--model", "abc", "--image", "x.png"], "at least 6"),
        (["predict", "--model", "0123456789", "--image", "x.png"], "no saved model"),
    ],
)
def test_bad_arguments_give_a_message(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_configs_give_a_message(tmp_path, capsys):
    for config in ({"epochs": 1, "colour": "red"}, {"epochs": 0}, [1, 2], {"optimizer": {"method": "nope"}}):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(config))
        assert main(["train", "--config", str(path)]) == 2
        assert capsys.readouterr().err.startswith("error:")
    path.write_text("{not json")
    assert main(["train", "--config", str(path)]) == 2
