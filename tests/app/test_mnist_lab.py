"""AppTest of the MNIST lab: defaults, a tiny training run to the end, extreme knobs."""

from streamlit.testing.v1 import AppTest

from core.experiments.mnist_lab import MnistLab
from core.optimizers import OptimizerSpec
from core.spec import Result
from core.store import Store
from tests.app.apptest import open_page
from ui import runner


def tiny(at: AppTest, **values) -> None:
    settings = {"n_train": 300, "epochs": 2, "batch": 50, **values}
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
    assert at.selectbox(key="mnist_lab.eval_model").value == spec.key()
    assert not at.exception


def test_extreme_knobs_give_messages_not_tracebacks():
    at = open_page("mnist_lab")
    at.text_input(key="mnist_lab.hidden").set_value("12, abc")
    at.run()
    assert not at.exception and at.warning
    at.text_input(key="mnist_lab.hidden").set_value("")
    at.number_input(key="mnist_lab.patience").set_value(3)
    at.slider(key="mnist_lab.val").set_value(0.0)
    at.run()
    assert not at.exception and "validation" in at.warning[0].value
    at.slider(key="mnist_lab.val").set_value(0.5)
    at.number_input(key="mnist_lab.epochs").set_value(500)
    at.number_input(key="mnist_lab.batch").set_value(4096)
    at.slider(key="mnist_lab.dropout").set_value(0.9)
    at.checkbox(key="mnist_lab.bn").check()
    at.selectbox(key="mnist_lab.schedule.en").set_value("cosine")
    at.run()
    assert not at.exception and not at.warning


def test_a_diverging_run_is_shown_as_diverged():
    at = open_page("mnist_lab")
    tiny(at)
    at.selectbox(key="mnist_lab.method").set_value("sgd")
    at.selectbox(key="mnist_lab.activation").set_value("linear")
    at.selectbox(key="mnist_lab.init").set_value("normal")
    at.run()
    at.number_input(key="mnist_lab.opt.sgd.lr").set_value(10.0)
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
