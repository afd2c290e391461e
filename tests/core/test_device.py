"""The device setting, and every device present computing what the CPU computes.

Tests marked with `name` run once per device this machine has: the CPU always, CUDA and MPS
where present. Each compares with a CPU reference after moving the device's tensors to the CPU.
A CPU-only machine cannot run CUDA, so one test runs a whole training step on PyTorch's `meta`
device instead: it refuses an operation that mixes in a CPU tensor exactly as CUDA and MPS do,
so a tensor left on the CPU anywhere in a step fails here too.
"""

import threading

import numpy as np
import pytest
import torch

import core.graphs
import core.train
from core import checkpoint, data, device, gradcheck, inplace
from core.__main__ import main
from core.experiments.initialization import InitHistograms
from core.experiments.optimizers import BOOK_OPTIMIZERS
from core.nets import NetSpec
from core.optimizers import METHODS, OptimizerSpec
from core.schedules import Exponential
from core.train import Record, Variant, batch_order, gather, make_groups, train, train_step

pytestmark = pytest.mark.usefixtures("one_thread")
on_each_device = pytest.mark.parametrize("name", device.present())
SIZES = (784, 32, 16, 10)


@pytest.fixture(scope="module")
def mnist_small():
    return data.subset(256, "mnist", "train", seed=1)


def test_auto_takes_cuda_when_present_and_never_mps(monkeypatch):
    monkeypatch.delenv("LAB_DEVICE", raising=False)
    monkeypatch.setattr(device, "present", lambda: ["cpu", "cuda"])
    assert device.current() == torch.device("cuda")
    monkeypatch.setattr(device, "present", lambda: ["cpu", "mps"])
    assert device.current() == torch.device("cpu")
    with device.using("mps"):
        assert device.current() == torch.device("mps") and device.unusable() is None


def test_lab_device_is_the_default_and_using_overrides_it(monkeypatch):
    monkeypatch.setattr(device, "present", lambda: ["cpu"])
    monkeypatch.setenv("LAB_DEVICE", "CUDA")
    assert device.current() == torch.device("cpu") and device.unusable() == "cuda"
    monkeypatch.setenv("LAB_DEVICE", "banana")
    assert device.current() == torch.device("cpu") and device.unusable() == "banana"
    with device.using("cpu"):
        assert device.unusable() is None
    assert device.unusable() == "banana"


def test_float64_leaves_mps_for_the_cpu(monkeypatch):
    monkeypatch.setattr(device, "present", lambda: ["cpu", "mps"])
    with device.using("mps"):
        assert device.for_dtype(torch.float32) == torch.device("mps")
        assert device.for_dtype(torch.float64) == torch.device("cpu")
    assert device.supports(torch.device("cuda"), torch.float64)


def test_each_thread_keeps_its_own_choice(monkeypatch):
    monkeypatch.setattr(device, "present", lambda: ["cpu", "cuda", "mps"])
    seen = {}

    def job(name):
        with device.using(name):
            threading.Event().wait(0.05)
            seen[name] = device.current().type

    threads = [threading.Thread(target=job, args=(n,)) for n in ("cuda", "mps")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert seen == {"cuda": "cuda", "mps": "mps"}


def test_the_command_line_takes_a_device_and_says_when_it_is_missing(capsys, monkeypatch):
    monkeypatch.setattr(device, "present", lambda: ["cpu"])
    args = ["path", "--surface", "book", "--optimizer", "sgd", "--steps", "3", "--json"]
    assert main(["--device", "cpu", *args]) == 0
    assert "not available" not in capsys.readouterr().err
    assert main(["--device", "cuda", *args]) == 0
    assert "'cuda' is not available here; running on the CPU" in capsys.readouterr().err


def every_feature() -> list[Variant]:
    """Variants that take every path of a training step: fused and in-place kernels, per-variant
    rates, book Adam, L2, L1, clipping by norm and value, a schedule, mixed activations, BN, and
    the book preset's four methods alone (no schedule: PyTorch's fused kernels)."""
    relu, tanh = NetSpec(SIZES, "relu", "he_normal"), NetSpec(SIZES, "tanh", "xavier")
    bn = NetSpec(SIZES, "relu", "he_normal", batchnorm=True)
    book = NetSpec((784, 20, 10))
    return [
        Variant("sgd", relu, OptimizerSpec.of("sgd", lr=0.1), l2=0.01),
        Variant("sgd-slow", tanh, OptimizerSpec.of("sgd", lr=0.03), clip_norm=0.5),
        Variant("momentum", relu, OptimizerSpec.of("momentum", lr=0.05), l1=1e-4),
        Variant("nesterov", relu, OptimizerSpec.of("nesterov", lr=0.05), schedule=Exponential(0.5)),
        Variant("adagrad", relu, OptimizerSpec.of("adagrad", lr=0.05), clip_value=0.01),
        Variant("rmsprop", tanh, OptimizerSpec.of("rmsprop", lr=0.001)),
        Variant("adam-book", relu, OptimizerSpec.of("adam", lr=0.002, book=True)),
        Variant("adamw", relu, OptimizerSpec.of("adamw", lr=0.002, weight_decay=0.1)),
        Variant("adadelta", relu, OptimizerSpec.of("adadelta")),
        Variant("bn-sgd", bn, OptimizerSpec.of("sgd", lr=0.1)),
        Variant("bn-adam", bn, OptimizerSpec.of("adam", lr=0.002)),
        *(Variant(f"book-{o.method}", book, o) for o in BOOK_OPTIMIZERS),
    ]


def run_all(x, y, stepping: str = "auto") -> core.train.Run:
    def stop_adam_early(step, metrics, groups):
        return [6] if step == 10 else []

    return train(
        every_feature(),
        x,
        y,
        batch_size=32,
        steps=30,
        seed=3,
        eval_every=10,
        eval_sets={"val": (x[:64], y[:64])},
        record_grad_norm=True,
        on_eval=stop_adam_early,
        stepping=stepping,
    )


def weights(run: core.train.Run) -> dict[str, torch.Tensor]:
    """Every variant's parameters by name, on the CPU, but for the biases just before batch norm:
    they do not change the output, so their gradient is rounding noise, which Adam scales up to
    full steps of its rate, differently on every device."""
    out = {}
    for g in run.groups:
        m = g.model
        ignored = {f"b{i}" for i in range(m.n_hidden)} if m.batchnorm and not m.bn_after else set()
        for name, p in m.named_parameters():
            if name not in ignored:
                out |= {f"{k}.{name}": p[j].detach().cpu() for j, k in enumerate(g.indices)}
    return out


def same_training(run: core.train.Run, reference: core.train.Run, rtol: float, atol: tuple[float, float]) -> None:
    """`run` recorded what `reference` did (curves, then weights, within the tolerances) and
    stopped Adam early where `run_all` asks."""
    a, b = reference.curves, run.curves
    assert a[["variant", "step", "metric"]].equals(b[["variant", "step", "metric"]])
    np.testing.assert_allclose(b["value"], a["value"], rtol=rtol, atol=atol[0])
    for k, w in weights(reference).items():
        torch.testing.assert_close(weights(run)[k], w, rtol=rtol, atol=atol[1])
    assert run.summary["stopped_at"].tolist()[6] == 10


@on_each_device
def test_training_on_each_device_matches_the_cpu(name, mnist_small):
    x, y = mnist_small
    with device.using("cpu"):
        cpu = run_all(x, y)
    with device.using(name):
        run = run_all(x, y)
    assert {g.model.flat.device.type for g in run.groups} == {name}
    same_training(run, cpu, rtol=2e-3, atol=(1e-5, 1e-4))


class Recording(core.graphs.Replay):
    """A `Replay` that keeps a list of its instances, to see what they recorded."""

    made: list = []

    def __init__(self):
        super().__init__()
        Recording.made.append(self)


@on_each_device
def test_steps_with_the_step_number_on_the_device_match_eager_steps(name, mnist_small, monkeypatch):
    """What a CUDA graph replays (the `counter` step; on CUDA the graph itself) trains as the
    eager step does, through every feature, stopping a variant early on the way."""
    x, y = mnist_small
    monkeypatch.setattr(core.graphs, "Replay", Recording)
    Recording.made.clear()
    with device.using(name):
        eager = run_all(x, y, "eager")
        recorded = run_all(x, y, "graph" if name == "cuda" else "counter")
    same_training(recorded, eager, rtol=1e-4, atol=(1e-6, 1e-6))
    if name == "cuda":  # recorded before and after the early stop
        [replay] = Recording.made
        assert replay.failed is None and len(replay.graphs) == 2


def test_a_counter_step_launches_the_same_operations_at_every_step(mnist_small, monkeypatch):
    """A CUDA graph replays the launches it recorded with the numbers it recorded. So from the
    second step on, a `counter` step must launch the same operations with the same non-tensor
    arguments at every step, or a replay would train differently: checked here, on the CPU,
    operation by operation, for every feature."""
    from torch.utils._python_dispatch import TorchDispatchMode

    def plain(a):
        if isinstance(a, torch.Tensor):
            return ("tensor", tuple(a.shape), a.dtype, a.device.type)
        if isinstance(a, list | tuple):
            return tuple(plain(b) for b in a)
        return "nan" if a != a else a  # NaN equals nothing, itself included

    class Launches(TorchDispatchMode):
        def __init__(self, into):
            super().__init__()
            self.into = into

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.into.append((str(func), plain(args), plain(sorted((kwargs or {}).items()))))
            return func(*args, **(kwargs or {}))

    calls = []

    def spy(g, rec, xb, yb, step, factor):
        calls.append([])
        with Launches(calls[-1]):
            train_step(g, rec, xb, yb, step, factor)

    monkeypatch.setattr(core.train, "train_step", spy)
    x, y = mnist_small
    train(every_feature(), x, y, batch_size=32, steps=9, seed=3, record_grad_norm=True, stepping="counter")
    per_step = len(calls) // 9
    steps = [calls[i : i + per_step] for i in range(per_step, len(calls), per_step)]  # from step 2 on
    assert len(steps) == 8 and all(len(c) > 20 for c in steps[0])
    assert all(s == steps[0] for s in steps[1:])
    assert not any(op == "aten._local_scalar_dense.default" for c in steps[0] for op, *_ in c)  # no wait for the device


def test_steppings_are_checked(mnist_small):
    x, y = mnist_small
    v = [Variant("a", NetSpec(SIZES), OptimizerSpec.of("sgd"))]
    with pytest.raises(ValueError, match="unknown stepping"):
        train(v, x, y, batch_size=32, steps=2, stepping="fast")
    if "cuda" not in device.present():
        with pytest.raises(ValueError, match="CUDA graphs need a CUDA device"):
            train(v, x, y, batch_size=32, steps=2, stepping="graph")


@pytest.mark.skipif("cuda" not in device.present(), reason="records a CUDA graph")
def test_a_cuda_graph_is_recorded_while_another_thread_computes(mnist_small, monkeypatch):
    """Two visitors, one GPU: one run records its graph while another thread keeps launching
    work of its own; neither fails, and the recording run matches one alone."""
    x, y = mnist_small
    monkeypatch.setattr(core.graphs, "Replay", Recording)
    Recording.made.clear()
    with device.using("cuda"):
        alone = run_all(x, y)
    done = threading.Event()

    def other_visitor():  # draws as the lab's runs do, from a generator of its own
        gen = torch.Generator("cuda").manual_seed(0)
        a = torch.randn(512, 512, device="cuda", generator=gen)
        while not done.is_set():
            a = torch.tanh(a @ a / 512) * (torch.rand(512, 512, device="cuda", generator=gen) > 0.1)
        torch.cuda.synchronize()

    th = threading.Thread(target=other_visitor)
    th.start()
    try:
        with device.using("cuda"):
            beside = run_all(x, y)
    finally:
        done.set()
        th.join()
    assert all(r.failed is None and r.graphs for r in Recording.made)
    np.testing.assert_allclose(beside.curves["value"], alone.curves["value"], rtol=1e-5, atol=1e-7)


@on_each_device
def test_every_update_rule_on_each_device_takes_the_pure_rules_steps(name):
    """Shared fixed-rate settings (the fused kernels where the device has them) and per-variant
    settings (the in-place kernels), in float32 on the device against the rule in float64."""
    dev = torch.device(name)
    for method in METHODS:
        specs = [OptimizerSpec.of(method, lr=OptimizerSpec.of(method).hp["lr"] * f) for f in (1.0, 0.5, 2.0)]
        per_variant = {n: torch.tensor([s.hp[n] for s in specs], device=dev).view(-1, 1) for n in specs[0].hp}
        for hp in (specs[0].hp, per_variant):
            gen = torch.Generator().manual_seed(0)
            w_rule = torch.randn(3, 50, generator=gen, dtype=torch.float64)
            w_dev, state, s_rule = w_rule.float().to(dev), {}, {}
            rule_hp = {n: v.cpu().double() if isinstance(v, torch.Tensor) else v for n, v in hp.items()}
            for t in range(1, 11):
                g = torch.randn(3, 50, generator=gen, dtype=torch.float64) + w_rule
                w_rule = specs[0].step(w_rule, g, s_rule, t, rule_hp)
                inplace.step(method, False, w_dev, g.float().to(dev), state, t, hp)
            torch.testing.assert_close(w_dev.cpu().double(), w_rule, rtol=1e-4, atol=1e-5)


def test_a_training_step_leaves_no_tensor_on_the_cpu():
    """The whole step on `meta`: any CPU tensor among its operands raises, as on CUDA."""
    meta = torch.device("meta")
    x, y = torch.rand(64, 784, device=meta), torch.randint(0, 10, (64,), device=meta)
    dropout = NetSpec(SIZES, "relu", "he_normal", dropout=0.3, input_dropout=0.1)
    variants = [*every_feature(), Variant("dropout", dropout, OptimizerSpec.of("sgd", lr=0.1))]
    groups = make_groups(variants, 0, meta)
    groups[0].freeze([1])  # stopped early: its weights are kept through the step
    steps = 3
    for g in groups:
        assert {t.device for t in [*g.model.parameters(), *g.model.buffers(), g.l2, g.l1]} == {meta}
        rec = Record.empty(steps, len(g.indices), meta, grad_norms=True)
        for step, idx in enumerate(batch_order(len(x), 32, steps, 0, meta), start=1):
            assert idx.device == meta
            xb, yb = gather(x, y, idx)
            factors = torch.full((len(g.indices),), 0.5, device=meta)
            train_step(g, rec, xb, yb, step, factors)
            train_step(g, rec, xb, yb, torch.tensor(step, device=meta), factors)  # as a CUDA graph steps
        assert rec.losses.device == meta and rec.died_at.device == meta


def test_every_gather_reads_indices_on_the_datas_device(monkeypatch, mnist_small):
    seen = []

    def spy(x, y, idx):
        seen.append((x.device, y.device, idx.device))
        return gather(x, y, idx)

    monkeypatch.setattr(core.train, "gather", spy)
    x, y = mnist_small
    train([Variant("a", NetSpec(SIZES), OptimizerSpec.of("sgd"))], x, y, batch_size=50, steps=12, stepping="eager")
    assert len(seen) == 12 and all(len(set(devices)) == 1 for devices in seen)
    with pytest.raises(RuntimeError, match="indices on cpu, data on meta"):
        gather(x.to("meta"), y.to("meta"), torch.arange(3))


def run_dropout(x, y) -> np.ndarray:
    net = NetSpec(SIZES, "relu", "he_normal", dropout=0.5, input_dropout=0.2)
    run = train([Variant("d", net, OptimizerSpec.of("sgd", lr=0.1))], x, y, batch_size=32, steps=20, seed=5)
    return run.curves.query("metric == 'loss'")["value"].to_numpy()


@on_each_device
def test_dropout_runs_are_reproducible_beside_other_runs(name, mnist_small):
    """Each run draws its masks from a generator of its own: a run beside another, in threads,
    gives bit for bit what it gives alone."""
    x, y = mnist_small
    with device.using(name):
        alone = run_dropout(x, y)
    out = {}

    def job(tag):
        with device.using(name):
            out[tag] = run_dropout(x, y)
            torch.rand(1000)  # global draws in between must not matter

    threads = [threading.Thread(target=job, args=(tag,)) for tag in "ab"]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    np.testing.assert_array_equal(out["a"], alone)
    np.testing.assert_array_equal(out["b"], alone)


@on_each_device
def test_gradient_checking_on_each_device(name):
    spec = gradcheck.GradCheckSpec(depth=2, width=6, batchnorm=True)
    cpu = gradcheck.check(spec)
    with device.using(name):
        here = gradcheck.check(spec)
    for a, b in zip(cpu, here, strict=True):
        assert a.name == b.name
        assert b.rel_error < 1e-6 or b.no_signal
        assert b.norm_backprop == pytest.approx(a.norm_backprop, rel=1e-9)


@on_each_device
def test_activation_histograms_on_each_device(name):
    spec = InitHistograms(depth=3, width=50, n_samples=200)
    cpu = spec.run().frames["stats"]
    with device.using(name):
        here = spec.run().frames["stats"]
    np.testing.assert_allclose(here[["mean", "act_std"]], cpu[["mean", "act_std"]], rtol=1e-9)


@on_each_device
def test_a_saved_network_predicts_on_each_device(name, mnist_small):
    x, y = mnist_small
    run = train([Variant("bn", NetSpec(SIZES, batchnorm=True), OptimizerSpec.of("adam"))], x, y, batch_size=32, steps=5)
    saved = checkpoint.pack(run.groups[0].model)
    expected = checkpoint.probabilities(checkpoint.unpack(saved), x[:20])
    with device.using(name):
        model = checkpoint.unpack(saved)
        assert model.flat.device.type == name and model.W0.data_ptr() == model.flat.data_ptr()
        probs = checkpoint.probabilities(model, x[:20])
    np.testing.assert_allclose(probs, expected, rtol=1e-4, atol=1e-6)
