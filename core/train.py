"""Lockstep training: every variant of a comparison sees the same mini-batches in the same order.

Variants that share an architecture live in one `BatchedMLP`; each variant keeps its own
optimizer and hyperparameters (`BatchedOptimizer`). A variant whose loss stops being finite is
marked diverged at that step and frozen; the others go on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from core import data, device, graphs, inplace
from core.inplace import Step
from core.nets import BatchedMLP, NetSpec
from core.optimizers import OptimizerSpec, rate
from core.spec import Phase, Progress, Result, Stop

CURVE_COLUMNS = ("variant", "step", "epoch", "metric", "value")  # the tidy curves every page shares
DIVERGED = 1e3  # a mean cross-entropy this large means logits in the thousands: weights blew up


@dataclass(frozen=True)
class Variant:
    """One line on the chart. `l2` adds 0.5*l2*sum(W^2) and `l1` adds l1*sum(|W|) to the loss,
    over weight matrices only, as in the book; L1 is applied as its proximal step (`shrink_l1`).
    `init_seed` None shares the run's seed, so variants with the same init start from
    identical weights. `name` is a language-neutral id, unique in the run; `keys` are what tells
    this variant from the others (`method`, `lr`, `init`, ...): they become columns of the
    run's frames, from which `ui.labels` makes names in the reader's language."""

    name: str
    net: NetSpec
    optimizer: OptimizerSpec
    l2: float = 0.0
    l1: float = 0.0
    clip_norm: float = 0.0
    clip_value: float = 0.0
    init_seed: int | None = None
    schedule: Schedule | None = None
    keys: dict[str, object] = field(default_factory=dict, hash=False, compare=False)


class Schedule(Protocol):
    """A learning-rate schedule: the factor applied to a variant's base rate at step t."""

    def factor(self, step: int, total: int) -> float: ...


OnEval = Callable[[int, dict[str, np.ndarray], list["Group"]], Iterable[int] | None]


@dataclass
class MethodSlice:
    """Contiguous variants that share one update rule, with views of their weights and
    gradients made once (slicing them every step costs time)."""

    spec: OptimizerSpec
    part: slice
    hp: dict
    w: torch.Tensor
    g: torch.Tensor
    state: dict = field(default_factory=dict)
    frozen: torch.Tensor | None = None  # rows (within the slice) whose weights no longer change


class BatchedOptimizer:
    """Applies each variant's own update rule to its slice of the stacked parameters.

    Variants of one method must be contiguous along the variant axis (`make_groups` orders
    them so): each method then updates a view of the weights, with no gather or scatter.
    """

    def __init__(self, flat: torch.Tensor, flat_grad: torch.Tensor, specs: list[OptimizerSpec]):
        self.flat, self.flat_grad = flat, flat_grad
        self.groups = []
        start = 0
        while start < len(specs):
            key = (specs[start].method, specs[start].book)
            end = start
            while end < len(specs) and (specs[end].method, specs[end].book) == key:
                end += 1
            hp = _stack_hyper(specs[start:end], flat)
            self.groups.append(MethodSlice(specs[start], slice(start, end), hp, flat[start:end], flat_grad[start:end]))
            start = end
        if len({(m.spec.method, m.spec.book) for m in self.groups}) != len(self.groups):
            raise ValueError("variants of one optimizer must be contiguous")
        self.t = 0
        self.seconds = np.zeros(len(specs))  # time spent in each variant's own update
        self.last_hp = [m.hp for m in self.groups]  # with the schedule's factor applied

    def freeze(self, rows: Iterable[int]) -> None:
        """Keep the weights of these variants (0..K-1) from now on: stopped early or pruned.
        The rows are known here, on the host, so a step never waits for the device to say which."""
        rows = set(rows)
        for m in self.groups:
            local = [r - m.part.start for r in range(m.part.start, m.part.stop) if r in rows]
            m.frozen = torch.tensor(local, device=self.flat.device) if local else None

    @torch.no_grad()
    def step(self, lr_factor: torch.Tensor | None = None, t: Step | None = None) -> None:
        """One update of every variant. `lr_factor` [K] scales each variant's rate (schedules);
        frozen variants (`freeze`) keep their weights. `t` is the step number, counted here
        unless given; a 0-dim tensor on the device lets a CUDA graph replay the step."""
        self.t = self.t + 1 if t is None else t
        for i, m in enumerate(self.groups):
            t0 = time.perf_counter()
            hp = m.hp if lr_factor is None else {**m.hp, "lr": m.hp["lr"] * lr_factor[m.part].view(-1, 1)}
            self.last_hp[i] = hp
            kept = None if m.frozen is None else m.w.index_select(0, m.frozen)
            inplace.step(m.spec.method, m.spec.book, m.w, m.g, m.state, self.t, hp)
            if kept is not None:
                m.w.index_copy_(0, m.frozen, kept)
            self.seconds[m.part] += (time.perf_counter() - t0) / (m.part.stop - m.part.start)

    def rates(self) -> torch.Tensor:
        """Each variant's learning rate in the last step, after time decay and schedule: [K]."""
        out = torch.empty(len(self.seconds), dtype=self.flat.dtype, device=self.flat.device)
        for m, hp in zip(self.groups, self.last_hp):
            r = rate(hp, self.t)  # a float is filled in, a [k, 1] tensor copied: no host-to-device copy
            out[m.part] = r.reshape(-1) if isinstance(r, torch.Tensor) else float(r)
        return out


def _stack_hyper(specs: list[OptimizerSpec], like: torch.Tensor) -> dict:
    """Per-variant values as [k, 1] tensors; a plain float where all variants agree."""
    hp = {}
    for name in specs[0].hp:
        values = [s.hp[name] for s in specs]
        if all(v == values[0] for v in values):
            hp[name] = values[0]
        else:
            hp[name] = torch.tensor(values, dtype=like.dtype, device=like.device).view(-1, 1)
    return hp


@dataclass
class Group:
    """Variants sharing one architecture: their batched model and optimizer."""

    indices: list[int]
    model: BatchedMLP
    optimizer: BatchedOptimizer
    l2: torch.Tensor
    l1: torch.Tensor
    clip_norm: torch.Tensor
    clip_value: torch.Tensor
    used: frozenset[str] = frozenset()  # which of l2, l1, clip_norm, clip_value any variant sets
    running: torch.Tensor | None = None  # [k] False where stopped early; None while all run
    stopped: frozenset[int] = frozenset()  # the rows `running` says are stopped

    def freeze(self, rows: Iterable[int]) -> None:
        """Stop training these variants (rows of this group) for good; they keep their weights.
        The same rows again change nothing, so a recorded step (`Stepper`) stays valid."""
        rows = frozenset(rows)
        if rows == self.stopped:
            return
        self.stopped = rows
        self.optimizer.freeze(rows)
        flags = [j not in rows for j in range(len(self.indices))]
        self.running = None if all(flags) else torch.tensor(flags, device=self.model.flat.device)


@dataclass
class Run:
    """What a training run produced: tidy curves (variant, step, epoch, metric, value), one
    summary row per variant, and the trained groups for further probing."""

    curves: pd.DataFrame
    summary: pd.DataFrame
    groups: list[Group] = field(repr=False)
    stopped: bool = False


def make_groups(
    variants: list[Variant], seed: int, dev: torch.device, dtype: torch.dtype = torch.float32
) -> list[Group]:
    by_arch: dict[tuple, list[int]] = {}
    for k, v in enumerate(variants):
        by_arch.setdefault(v.net.architecture, []).append(k)
    groups = []
    for idx in by_arch.values():
        idx.sort(key=lambda k: (variants[k].optimizer.method, variants[k].optimizer.book))
        vs = [variants[k] for k in idx]
        seeds = [seed if v.init_seed is None else v.init_seed for v in vs]
        model = BatchedMLP([v.net for v in vs], seeds).to(dev, dtype)
        model.flatten()
        opt = BatchedOptimizer(model.flat, model.flat_grad, [v.optimizer for v in vs])

        settings = ("l2", "l1", "clip_norm", "clip_value")
        cols = [torch.tensor([getattr(v, a) for v in vs], device=dev) for a in settings]
        used = frozenset(a for a in settings if any(getattr(v, a) > 0 for v in vs))
        groups.append(Group(idx, model, opt, *cols, used))
    return groups


@torch.no_grad()
def add_l2_grad(group: Group, alive: torch.Tensor) -> None:
    """Add the L2 term's gradient l2*W to each live variant's weight gradients in place: the
    same as back-propagating 0.5*l2*sum(W^2), at a fraction of the cost over K stacked nets."""
    if "l2" not in group.used:
        return
    scale = (group.l2 * alive).view(-1, 1, 1).to(group.model.flat.dtype)
    for W in group.model.weights():
        W.grad.addcmul_(W, scale)  # in place: a temporary W * scale over 100 nets costs more


@torch.no_grad()
def shrink_l1(group: Group, stepped: torch.Tensor | None = None) -> None:
    """The L1 term as its proximal step, after the optimizer's: each weight moves toward zero
    by rate*l1 and stops there instead of crossing (soft thresholding). A gradient step on
    l1*|w| would overshoot zero and come back, so weights would jitter around 0 and never sit
    on it; this way the weights L1 does not need become exactly 0. With SGD it is the proximal
    gradient method (ISTA). Variants where `stepped` is False were not updated and keep theirs."""
    if "l1" not in group.used:
        return
    tau = group.optimizer.rates() * group.l1.to(group.model.flat.dtype)
    if stepped is not None:
        tau = tau * stepped
    tau = tau.view(-1, 1, 1)
    for W in group.model.weights():
        W.copy_(W.sign() * (W.abs() - tau).clamp_(min=0.0))


def clip(group: Group, need_norm: bool) -> torch.Tensor | None:
    """Clip gradients per variant (by value, then by global norm); returns the norms [K] before
    norm clipping when they were needed."""
    grad = group.model.flat_grad
    cv, cn = group.clip_value, group.clip_norm
    if "clip_value" in group.used:
        bound = torch.where(cv > 0, cv, torch.full_like(cv, math.inf)).view(-1, 1)
        torch.maximum(torch.minimum(grad, bound), -bound, out=grad)
    if not (need_norm or "clip_norm" in group.used):
        return None
    norm = grad.norm(dim=1)
    if "clip_norm" in group.used:
        scale = torch.where(cn > 0, (cn / (norm + 1e-6)).clamp(max=1.0), torch.ones_like(cn))
        grad.mul_(scale.view(-1, 1))
    return norm


def per_variant_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of each variant: logits [K, B, C], labels [B] -> [K]."""
    K, B, _ = logits.shape
    return F.cross_entropy(logits.transpose(1, 2), y.expand(K, B), reduction="none").mean(1)


def backward_cross_entropy(
    logits: torch.Tensor, y: torch.Tensor, running: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each variant's mean cross-entropy [K], and back-propagation of the live variants' sum.

    Live: the loss is finite, below DIVERGED, and the variant is `running` (default: all).
    Backward starts from the loss's known gradient with respect to the logits,
    (softmax - one_hot) / B, the book's SoftmaxWithLoss backward. Autograd would reach the same
    numbers through a log-softmax, an NLL and a mean node; skipping them saves about 0.2 ms of
    the book preset's 3.7 ms step."""
    K, B, _ = logits.shape
    with torch.no_grad():
        log_p = torch.log_softmax(logits, -1)
        target = y.view(1, B, 1).expand(K, B, 1)
        loss = log_p.gather(2, target).mean((1, 2)).neg_()
        alive = loss < DIVERGED  # also False where the loss is NaN
        if running is not None:
            alive &= running
        grad = log_p.exp_().scatter_add_(2, target, log_p.new_full((1, 1, 1), -1.0).expand(K, B, 1))
        grad = torch.where(alive.view(K, 1, 1), grad.div_(B), 0.0)  # diverged: no gradient, not NaN
    logits.backward(grad)
    return loss, alive


@torch.no_grad()
def evaluate(model: BatchedMLP, x: torch.Tensor, y: torch.Tensor, chunk: int = 10000):
    """Loss and accuracy of every variant [K] on (x, y), in eval mode (running BN, no dropout)."""
    was = model.training
    model.eval()
    loss = torch.zeros(model.K, device=x.device)
    correct = torch.zeros(model.K, device=x.device)
    for s in range(0, len(x), chunk):
        logits = model(x[s : s + chunk])
        loss += per_variant_loss(logits, y[s : s + chunk]) * len(logits[0])
        correct += (logits.argmax(-1) == y[s : s + chunk]).sum(1)
    model.train(was)
    n = max(len(x), 1)
    return (loss / n).cpu().numpy(), (correct / n).cpu().numpy()


def batch_order(n: int, batch_size: int, steps: int, seed: int, dev: torch.device | None = None) -> list[torch.Tensor]:
    """Mini-batch indices for `steps` steps: a fresh shuffle every epoch, the same for all.

    The shuffles are drawn on the CPU, so every device trains on the same batches, and reach
    `dev` (the data's device) in one copy: each batch is then a view, never a transfer."""
    gen = torch.Generator().manual_seed(seed)
    epochs = math.ceil(steps / math.ceil(n / batch_size))
    perms = torch.stack([torch.randperm(n, generator=gen) for _ in range(epochs)]).to(dev)
    batches = [perm[s : s + batch_size] for perm in perms for s in range(0, n, batch_size)]
    return batches[:steps]


def gather(x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One mini-batch; `index_select` is twice as fast as `x[idx]` on the full training set.
    The indices must already live on the data's device: a copy per step would cost a wait."""
    if idx.device != x.device:
        raise RuntimeError(f"mini-batch indices on {idx.device}, data on {x.device}")
    return x.index_select(0, idx), y.index_select(0, idx)


@dataclass
class Record:
    """What one group's steps leave on its device until the host reads them: per-step losses
    (and gradient norms), the variants that diverged and the step at which they did. Nothing
    in a step waits for the device, so a GPU can run ahead of Python."""

    losses: torch.Tensor  # [steps, k], NaN where a variant was not live
    norms: torch.Tensor | None
    dead: torch.Tensor  # [k] diverged (sticky)
    died_at: torch.Tensor  # [k] the step it diverged at, 0 while it has not

    @classmethod
    def empty(cls, steps: int, k: int, dev: torch.device, grad_norms: bool) -> Record:
        def nans():
            return torch.full((steps, k), math.nan, device=dev)

        zeros = torch.zeros(k, dtype=torch.long, device=dev)
        return cls(nans(), nans() if grad_norms else None, zeros.bool(), zeros)

    @torch.no_grad()
    def add(self, step: Step, loss: torch.Tensor, alive: torch.Tensor, live: torch.Tensor, norms) -> None:
        newly = live & ~alive  # live before this step, not finite or too large now
        self.died_at.copy_(torch.where(newly, step, self.died_at))  # masked_fill_ would read a tensor step back
        self.dead |= newly
        _put_row(self.losses, step, torch.where(alive, loss, math.nan))
        if self.norms is not None:
            _put_row(self.norms, step, torch.where(alive, norms, math.nan))


def _put_row(table: torch.Tensor, step: Step, row: torch.Tensor) -> None:
    """table[step - 1] = row, where `step` may be a 0-dim tensor on the device."""
    if isinstance(step, torch.Tensor):
        table.index_copy_(0, step.view(1) - 1, row.view(1, -1).to(table.dtype))
    else:
        table[step - 1] = row


def _row(table: torch.Tensor | None, step: Step) -> torch.Tensor | None:
    """table[step - 1], where `step` may be a 0-dim tensor on the device."""
    if table is None:
        return None
    if isinstance(step, torch.Tensor):
        return table.index_select(0, step.view(1) - 1).view(-1)
    return table[step - 1]


def schedule_table(schedules: list[Schedule | None], steps: int, like: torch.Tensor) -> torch.Tensor | None:
    """Each variant's rate factor at every step, [steps, k] on the run's device, made once: a
    tensor made from Python numbers at every step would be a copy the GPU has to wait for."""
    if all(s is None for s in schedules):
        return None
    rows = [[1.0 if s is None else s.factor(step, steps) for s in schedules] for step in range(1, steps + 1)]
    return torch.tensor(rows, dtype=like.dtype, device=like.device)


def train_step(
    g: Group, rec: Record, xb: torch.Tensor, yb: torch.Tensor, step: Step, lr_factor: torch.Tensor | None = None
) -> None:
    """One lockstep step of a group: forward, backward from the logits, the L2 gradient,
    clipping, each variant's update (its rate times `lr_factor`, where a schedule runs) and the
    L1 shrink. Losses and divergence go into `rec` on the device; nothing waits for it."""
    g.model.zero_grad()
    live = ~rec.dead if g.running is None else ~rec.dead & g.running
    loss, alive = backward_cross_entropy(g.model(xb), yb, live)
    add_l2_grad(g, alive)
    rec.add(step, loss, alive, live, clip(g, rec.norms is not None))
    g.optimizer.step(lr_factor, step)
    shrink_l1(g, g.running)


STEPPINGS = ("auto", "eager", "counter", "graph")


class Stepper:
    """Takes the steps of a run in one of three ways:

    - `eager`: the step number is a Python int, and every operation is launched from Python.
    - `counter`: the step number lives on the device, and the batch's indices are copied into a
      buffer that stays put, so every step from the second on launches the very same operations
      with the very same arguments.
    - `graph` (CUDA): a `counter` step recorded once as a CUDA graph and replayed (`core.graphs`):
      one launch per step instead of about ninety, which on a GPU take longer to start than to
      run.

    The first step is always eager: it creates the optimizers' state. `auto` takes `graph` on
    CUDA, and `eager` elsewhere or where dropout draws masks (a replay would repeat them).
    """

    def __init__(self, groups: list[Group], records: list[Record], tables: list, x, y, stepping: str = "auto"):
        dev = x.device
        dropout = any(g.model.draws_masks for g in groups)
        if stepping not in STEPPINGS:
            raise ValueError(f"unknown stepping {stepping!r}; choose one of {STEPPINGS}")
        if stepping == "auto":
            stepping = "graph" if dev.type == "cuda" and not dropout else "eager"
        if stepping == "graph" and (dev.type != "cuda" or dropout):
            raise ValueError("CUDA graphs need a CUDA device and a run without dropout")
        self.mode = stepping
        self.groups, self.records, self.tables, self.x, self.y = groups, records, tables, x, y
        self.t = torch.zeros((), dtype=torch.long, device=dev)  # the step number, on the device
        self.buffers: dict[int, torch.Tensor] = {}  # one fixed index buffer per batch size
        self.replay = graphs.Replay() if stepping == "graph" else None

    def __call__(self, step: int, idx: torch.Tensor) -> None:
        if self.mode == "eager" or step == 1:
            self._step(idx, step)
            return
        self.t.fill_(step)
        buffer = self.buffers.setdefault(len(idx), torch.empty_like(idx))
        buffer.copy_(idx)
        if self.replay is None:
            self._step(buffer, self.t)
        else:  # one graph per batch size and set of variants stopped early
            self.replay((len(idx), *(g.stopped for g in self.groups)), lambda: self._step(buffer, self.t))

    def _step(self, idx: torch.Tensor, t: Step) -> None:
        xb, yb = gather(self.x, self.y, idx)
        for g, rec, table in zip(self.groups, self.records, self.tables):
            train_step(g, rec, xb, yb, t, _row(table, t))


def train(
    variants: list[Variant],
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int,
    steps: int,
    seed: int = 0,
    eval_every: int = 0,
    eval_sets: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None,
    record_grad_norm: bool = False,
    on_eval: OnEval | None = None,
    dtype: torch.dtype = torch.float32,
    progress: Progress | None = None,
    stop: Stop | None = None,
    stepping: str = "auto",
) -> Run:
    """Train all variants for `steps` mini-batch steps on (x, y), on `core.device`'s device
    (the CPU for float64 where that device has none), stepping as `Stepper` says (`stepping`).

    Every step records each live variant's training loss; every `eval_every` steps (and at the
    end) loss and accuracy on each of `eval_sets` are recorded as '<name>_loss'/'<name>_acc'.
    After each evaluation `on_eval(step, metrics, groups)` may return variant indices to stop
    (early stopping, pruning): they keep their weights from then on and record nothing more;
    `metrics` maps '<set>_loss'/'<set>_acc' to arrays over all variants (NaN where not live).
    Dropout masks come from a generator of the run's own, seeded by `seed`.
    """
    if not variants:
        raise ValueError("choose at least one variant to train")
    if steps < 1 or batch_size < 1:
        raise ValueError("steps and batch size must be at least 1")
    dev = device.for_dtype(dtype)
    x, y = x.to(dev, dtype), y.to(dev)
    eval_sets = {k: (a.to(dev, dtype), b.to(dev)) for k, (a, b) in (eval_sets or {}).items()}
    batch_size = min(batch_size, len(x))
    steps_per_epoch = math.ceil(len(x) / batch_size)
    groups = make_groups(variants, seed, dev, dtype)
    masks = device.generator(dev, seed)
    for g in groups:
        g.model.generator = masks
    records = [Record.empty(steps, len(g.indices), dev, record_grad_norm) for g in groups]
    K = len(variants)
    diverged_at: list[int | None] = [None] * K
    stopped_at: list[int | None] = [None] * K
    schedules = [v.schedule for v in variants]
    evals: list[tuple[int, str, int, float]] = []  # step, metric, variant, value
    stopped = False
    start = time.perf_counter()
    report_every = max(1, steps // 100)

    def live(k: int) -> bool:
        return diverged_at[k] is None and stopped_at[k] is None

    def sync() -> None:
        """Read which variants diverged, and when, from the devices."""
        for g, rec in zip(groups, records):
            for j, at in enumerate(rec.died_at.tolist()):
                if at and diverged_at[g.indices[j]] is None:
                    diverged_at[g.indices[j]] = at

    def run_eval(step: int, final: bool = False):
        sync()
        if progress is not None and eval_sets and (final or eval_every >= report_every):
            progress(step / steps, Phase("evaluating"))  # at most as often as the steps are reported
        metrics: dict[str, np.ndarray] = {}
        for name, (ex, ey) in eval_sets.items():
            metrics[f"{name}_loss"] = np.full(K, np.nan)
            metrics[f"{name}_acc"] = np.full(K, np.nan)
            for g in groups:
                loss, acc = evaluate(g.model, ex, ey)
                for j, k in enumerate(g.indices):
                    if live(k):
                        metrics[f"{name}_loss"][k], metrics[f"{name}_acc"][k] = loss[j], acc[j]
                        evals.append((step, f"{name}_loss", k, float(loss[j])))
                        evals.append((step, f"{name}_acc", k, float(acc[j])))
        if on_eval is not None:
            for k in on_eval(step, metrics, groups) or ():
                if live(k):
                    stopped_at[k] = step
            for g in groups:
                g.freeze(j for j, k in enumerate(g.indices) if stopped_at[k] is not None)

    tables = [schedule_table([schedules[k] for k in g.indices], steps, g.model.flat) for g in groups]
    stepper = Stepper(groups, records, tables, x, y, stepping)
    for step, idx in enumerate(batch_order(len(x), batch_size, steps, seed, dev), start=1):
        if stop is not None and stop():
            stopped = True
            break
        stepper(step, idx)
        if eval_every and step % eval_every == 0:
            run_eval(step)
        if step % report_every == 0 or step == steps:
            sync()
            if progress is not None:
                progress(step / steps, phase(step, steps, steps_per_epoch))
            if not any(live(k) for k in range(K)):  # every variant diverged or was stopped early
                break
    losses = np.full((steps, K), np.nan, dtype=np.float32)
    grad_norms = np.full((steps, K), np.nan, dtype=np.float32) if record_grad_norm else None
    for g, rec in zip(groups, records):
        losses[:, g.indices] = rec.losses.cpu().numpy()
        if grad_norms is not None:
            grad_norms[:, g.indices] = rec.norms.cpu().numpy()
    sync()
    last = int(np.sum(~np.all(np.isnan(losses), axis=1))) if stopped else steps
    if not evals or evals[-1][0] != last:
        run_eval(last, final=True)
    seconds = time.perf_counter() - start
    opt_seconds = np.zeros(K)  # a replayed graph runs every update at once: its time is shared
    for g in groups:
        opt_seconds[g.indices] = g.optimizer.seconds if stepper.replay is None else 0.0
    curves = _curves(variants, losses[: max(last, 0)], grad_norms, evals, steps_per_epoch)
    summary = _summary(variants, losses, evals, diverged_at, seconds, opt_seconds, last)
    summary["stopped_at"] = pd.array(stopped_at, dtype="Int64")
    return Run(with_keys(curves, variants), with_keys(summary, variants), groups, stopped)


def phase(step: int, steps: int, steps_per_epoch: int) -> Phase:
    """What a run is doing at `step`: epoch k of n where the run spans several epochs, else step
    k of n."""
    if steps > steps_per_epoch:
        return Phase("epoch", math.ceil(step / steps_per_epoch), math.ceil(steps / steps_per_epoch))
    return Phase("steps", step, steps)


def fit(variants: list[Variant], *, dataset: str, n_train: int, seed: int, n_test: int | None = 0, **kwargs) -> Run:
    """`train` on `n_train` training images of `dataset` (0: all of them), evaluated on its test
    set: all of it (`n_test` 0), `n_test` images of it, or none (None). The sequence most
    experiments share; `kwargs` go to `train`. Loading is reported first: a cold start reads
    the data from disk."""
    if kwargs.get("progress") is not None:
        kwargs["progress"](0.0, Phase("data"))
    x, y = data.subset(n_train, dataset, "train", seed)
    if n_test is not None:
        test = data.subset(n_test, dataset, "test", seed) if n_test else data.load(dataset, "test")
        kwargs["eval_sets"] = {**kwargs.get("eval_sets", {}), "test": test}
    return train(variants, x, y, seed=seed, **kwargs)


def result(run: Run, extras: dict | None = None, **frames: pd.DataFrame) -> Result:
    """What the store keeps of `run`: its curves and summary plus `frames`; incomplete if stopped."""
    return Result({"curves": run.curves, "summary": run.summary, **frames}, extras or {}, complete=not run.stopped)


def unique(ids: list[str]) -> list[str]:
    """`ids` made unique by numbering repeats: [a, b, a] -> [a, b, a#2]."""
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
        out.append(i if seen[i] == 1 else f"{i}#{seen[i]}")
    return out


def with_keys(frame: pd.DataFrame, variants: list[Variant]) -> pd.DataFrame:
    """`frame` (with a `variant` column) plus one column per key of the variants' `keys`. A key
    named like a column the frame already has would overwrite its numbers: refused."""
    columns = dict.fromkeys(c for v in variants for c in v.keys)
    clash = set(columns) & set(frame.columns)
    if clash:
        raise ValueError(f"variant keys {sorted(clash)} would overwrite columns of the frame")
    by_name = {v.name: v.keys for v in variants}
    for col in columns:
        frame[col] = frame["variant"].map(lambda n, c=col: by_name.get(n, {}).get(c))
    return frame


def _curves(variants, losses, grad_norms, evals, steps_per_epoch) -> pd.DataFrame:
    names = [v.name for v in variants]
    steps = np.arange(1, len(losses) + 1)
    frames = []
    for metric, arr in (("loss", losses), ("grad_norm", grad_norms)):
        if arr is None:
            continue
        arr = arr[: len(steps)]
        frames.append(  # long format built directly: any variant name is fine, even "step"
            pd.DataFrame(
                {
                    "step": np.repeat(steps, len(names)),
                    "variant": np.tile(np.array(names, dtype=object), len(steps)),
                    "metric": metric,
                    "value": arr.reshape(-1),
                }
            )
        )
    if evals:
        ev = pd.DataFrame(evals, columns=["step", "metric", "k", "value"])
        ev["variant"] = [names[k] for k in ev["k"]]
        frames.append(ev.drop(columns="k"))
    out = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    out["epoch"] = out["step"] / steps_per_epoch
    return out[list(CURVE_COLUMNS)]


def _summary(variants, losses, evals, diverged_at, seconds, opt_seconds, last) -> pd.DataFrame:
    shared = seconds - opt_seconds.sum()
    rows = []
    for k, v in enumerate(variants):
        row = {
            "variant": v.name,
            "final_loss": _last_finite(smooth(losses[:last, k])),
            "diverged_at": diverged_at[k],
            "seconds": shared / len(variants) + opt_seconds[k],
        }
        for _step, metric, kk, value in evals:
            if kk == k:  # the last evaluation of this variant (before it stopped, if it did)
                row[metric] = value
        rows.append(row)
    out = pd.DataFrame(rows)
    out["diverged_at"] = pd.array(diverged_at, dtype="Int64")  # <NA> where it did not diverge
    return out


def _last_finite(values: np.ndarray) -> float:
    """The smoothed loss where the variant's record ends (it may have stopped or diverged early)."""
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else math.nan


def smoothed_loss(curves: pd.DataFrame, window: int = 50) -> pd.DataFrame:
    """The training-loss rows of tidy `curves` with a 'smoothed' column, per variant."""
    loss = curves[curves.metric == "loss"].copy()
    loss["smoothed"] = loss.groupby("variant")["value"].transform(lambda v: smooth(v.to_numpy(), window))
    return loss


def smooth(values: np.ndarray, window: int = 50) -> np.ndarray:
    """Trailing moving average that skips NaNs; the book smooths its loss curves the same way."""
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    csum = np.concatenate([[0.0], np.cumsum(np.where(ok, v, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(ok)])
    i = np.arange(1, len(v) + 1)
    lo = np.maximum(0, i - window)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (csum[i] - csum[lo]) / (ccount[i] - ccount[lo])
