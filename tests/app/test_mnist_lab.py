"""AppTest of the MNIST lab: defaults, presets, a tiny training run to the end, extreme knobs, Korean."""

import json

from streamlit.testing.v1 import AppTest

from core.experiments.mnist_lab import MnistLab
from core.optimizers import OptimizerSpec
from core.spec import Result
from core.store import Store
from tests.app.apptest import open_page, train_and_wait
from ui import i18n, runner


def tiny(at: AppTest, **values) -> None:
    settings = {"n_train": 300, "epochs": 2, "batch_size": 50, **values}
    for key, value in settings.items():
        at.number_input(key=f"mnist_lab.{key}").set_value(value)
    at.text_input(key="mnist_lab.hidden").set_value("16")
    at.run()
    assert not at.exception


def test_defaults_render():
    at = open_page("mnist_lab")
    assert at.button(key="mnist_lab.train")
    assert not at.warning


def test_train_evaluate_and_reload():
    at = open_page("mnist_lab")
    tiny(at)
    at.button(key="mnist_lab.train").click()
    at.run()
    spec = MnistLab(hidden=(16,), n_train=300, epochs=2, batch_size=50)
    job = runner.wait(spec)
    assert job is not None and job.done and job.error is None, job and job.error
    at.run()
    assert not at.exception
    assert any("Test accuracy" in m.label for m in at.metric)
    assert at.selectbox(key="mnist_lab.eval_model.en").value == spec.key()
    assert not at.exception


def test_extreme_knobs_give_messages_not_tracebacks():
    at = open_page("mnist_lab")
    at.text_input(key="mnist_lab.hidden").set_value("12, abc")
    at.run()
    assert not at.exception and at.warning
    at.text_input(key="mnist_lab.hidden").set_value("")
    at.number_input(key="mnist_lab.patience").set_value(3)
    at.slider(key="mnist_lab.val_fraction").set_value(0.0)
    at.run()
    assert not at.exception and "validation" in at.warning[0].value
    at.slider(key="mnist_lab.val_fraction").set_value(0.5)
    at.number_input(key="mnist_lab.epochs").set_value(500)
    at.number_input(key="mnist_lab.batch_size").set_value(4096)
    at.slider(key="mnist_lab.dropout").set_value(0.9)
    at.checkbox(key="mnist_lab.batchnorm").check()
    at.selectbox(key="mnist_lab.schedule.en").set_value("cosine")
    at.run()
    assert not at.exception and not at.warning


def test_a_diverging_run_is_shown_as_diverged():
    at = open_page("mnist_lab")
    tiny(at)
    at.selectbox(key="mnist_lab.optimizer.en").set_value("sgd")
    at.selectbox(key="mnist_lab.activation.en").set_value("linear")
    at.selectbox(key="mnist_lab.init.en").set_value("normal")
    at.run()
    at.number_input(key="mnist_lab.optimizer.sgd.lr").set_value(10.0)
    at.run()
    at.button(key="mnist_lab.train").click()
    at.run()
    spec = MnistLab(
        hidden=(16,),
        n_train=300,
        epochs=2,
        batch_size=50,
        activation="linear",
        init="normal",
        optimizer=OptimizerSpec.of("sgd", lr=10.0),
    )
    job = runner.wait(spec)
    assert job is not None and job.error is None
    at.run()
    assert not at.exception
    assert any("diverged" in e.value for e in at.error)


def test_a_stored_run_with_a_damaged_network_is_not_shown_but_computed_again():
    """The store file itself was damaged (not an import): the page refuses the entry with a note
    and offers to train, instead of failing on the network."""
    spec = MnistLab()  # what the page sets up first
    Store().put(spec, Result(extras={"model": "weights.bin", "test_acc": 0.9}), 1.0)
    try:
        at = open_page("mnist_lab")
        assert not at.exception
        assert any("damaged" in w.value for w in at.warning)
        assert at.button(key="mnist_lab.train")
    finally:
        Store().delete([spec.key()])


def test_a_preset_sets_every_widget_from_its_spec():
    at = open_page("mnist_lab")
    at.button(key="mnist_lab.preset.lecture").click()
    at.run()
    lecture = MnistLab.presets()["lecture"]
    assert at.selectbox(key="mnist_lab.activation.en").value == lecture.activation
    assert at.selectbox(key="mnist_lab.init.en").value == lecture.init
    assert at.selectbox(key="mnist_lab.optimizer.en").value == lecture.optimizer.method
    assert at.number_input(key="mnist_lab.optimizer.momentum.lr").value == lecture.optimizer.hp["lr"]
    assert at.number_input(key="mnist_lab.batch_size").value == lecture.batch_size
    assert at.text_input(key="mnist_lab.hidden").value == "128"
    assert any(f"{lecture.net().n_params():,}" in e.label for e in at.expander)


def test_a_korean_reader_sees_korean_names_and_no_ids(monkeypatch):
    # AppTest formats options outside the script's session, where the language falls back to
    # the browser's: make that Korean too, so that options match what the page drew.
    monkeypatch.setattr(i18n, "browser_lang", lambda: "ko")
    at = open_page("mnist_lab", "ko")
    tiny(at)
    at.selectbox(key="mnist_lab.activation.ko").set_value("sigmoid")
    at.run()
    activations = at.selectbox(key="mnist_lab.activation.ko").options
    assert "시그모이드" in activations and "sigmoid" not in activations
    assert "He 정규분포" in at.selectbox(key="mnist_lab.init.ko").options
    assert "지수 감쇠" in at.selectbox(key="mnist_lab.schedule.ko").options
    layers = at.dataframe[0].value["층"].tolist()
    assert "시그모이드" in layers and "입력" in layers and not {"sigmoid", "dense", "input"} & set(layers)
    train_and_wait(
        at, "mnist_lab.train", MnistLab(hidden=(16,), n_train=300, epochs=2, batch_size=50, activation="sigmoid")
    )
    legends = " ".join(json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("vega_lite_chart"))
    assert '"검증"' in legends and '"validation"' not in legends and '"training"' not in legends
    model = at.selectbox(key="mnist_lab.eval_model.ko").options[0]
    assert "시그모이드" in model and "에폭" in model and "sigmoid" not in model
