"""Multi-layer perceptrons, K of them at once.

Every weight carries a leading variant axis ([K, n_in, n_out]) so one batched matmul trains all
variants of a comparison together. Variants must share layer sizes and batch norm; they may
differ in activation, initialization and dropout. K = 1 is an ordinary network.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F

# Gradients are views into one flat buffer (see `flatten`); autograd notes that their strides
# differ from a fresh tensor's, which is expected and harmless here.
warnings.filterwarnings("ignore", message="grad and param do not obey the gradient layout contract")

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "softplus", "gelu", "linear")
INITS = (
    "zeros",
    "constant",
    "normal",
    "xavier",
    "xavier_normal",
    "xavier_uniform",
    "he_normal",
    "he_uniform",
)
DROPOUT_SCALINGS = ("inverted", "test")  # PyTorch/Keras: 1/(1-p) in training; the book: (1-p) at test
LEAKY_SLOPE = 0.01
PRELU_INIT = 0.25
BN_EPS = 1e-5  # batch norm's epsilon: PyTorch's default (the book's code adds 10e-7 = 1e-6)
GLOROT_ACTIVATIONS = ("sigmoid", "tanh", "linear")  # symmetric about 0 with slope 1 there: Xavier's assumption


def recommended_init(activation: str) -> str:
    """The init the course pairs with `activation`: Xavier for the activations that are linear
    near 0 (Glorot and Bengio's assumption), He for the ReLU family, which passes half the
    signal (He et al., who also derived it for PReLU)."""
    return "xavier" if activation in GLOROT_ACTIVATIONS else "he_normal"


@dataclass(frozen=True)
class NetSpec:
    """One network. `init_std` is used by 'normal', `init_value` by 'constant'; `init_scale`
    multiplies any init, to show what a slightly too large or small scale does in depth; `bn_eps`
    is the ε of batch norm's √(σ² + ε).
    `xavier` is the book's N(0, 1/n_in); xavier_normal/uniform and he_* are PyTorch's."""

    sizes: tuple[int, ...] = (784, 100, 100, 100, 100, 10)
    activation: str = "relu"
    init: str = "he_normal"
    init_std: float = 0.01
    init_value: float = 0.0
    init_scale: float = 1.0
    batchnorm: bool = False
    bn_after_activation: bool = False
    bn_eps: float = BN_EPS
    dropout: float = 0.0
    input_dropout: float = 0.0
    bias: bool = True
    dropout_scaling: str = "inverted"

    def __post_init__(self):
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError("a network needs at least an input and an output size, all >= 1")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}")
        if self.init not in INITS:
            raise ValueError(f"unknown initialization {self.init!r}")
        if self.init_std < 0:
            raise ValueError("the initial standard deviation cannot be negative")
        if self.bn_eps <= 0:
            raise ValueError("batch norm's epsilon must be positive")
        for p in (self.dropout, self.input_dropout):
            if not 0.0 <= p < 1.0:
                raise ValueError("dropout rates must be in [0, 1)")
        if self.dropout_scaling not in DROPOUT_SCALINGS:
            raise ValueError(f"unknown dropout scaling {self.dropout_scaling!r}; choose one of {DROPOUT_SCALINGS}")

    @property
    def architecture(self) -> tuple:
        """What variants must share to be trained as one batch."""
        return (self.sizes, self.batchnorm, self.bias, self.bn_after_activation, self.bn_eps)

    def n_params(self) -> int:
        n = sum(a * b + (b if self.bias else 0) for a, b in zip(self.sizes, self.sizes[1:]))
        hidden = sum(self.sizes[1:-1])
        return n + (2 * hidden if self.batchnorm else 0) + (len(self.sizes) - 2 if self.activation == "prelu" else 0)


def init_std(spec: NetSpec, n_in: int, n_out: int) -> float:
    """Standard deviation of the normal inits; the uniform ones have bound sqrt(3) * std."""
    return {
        "normal": spec.init_std,
        "xavier": 1.0 / math.sqrt(n_in),
        "xavier_normal": math.sqrt(2.0 / (n_in + n_out)),
        "xavier_uniform": math.sqrt(2.0 / (n_in + n_out)),
        "he_normal": math.sqrt(2.0 / n_in),
        "he_uniform": math.sqrt(2.0 / n_in),
    }.get(spec.init, 0.0)


def init_weight(spec: NetSpec, n_in: int, n_out: int, gen: torch.Generator) -> torch.Tensor:
    """One [n_in, n_out] weight matrix drawn by `spec.init`."""
    if spec.init == "zeros":
        w = torch.zeros(n_in, n_out)
    elif spec.init == "constant":
        w = torch.full((n_in, n_out), float(spec.init_value))
    elif spec.init.endswith("uniform"):
        bound = math.sqrt(3.0) * init_std(spec, n_in, n_out)
        w = (torch.rand(n_in, n_out, generator=gen) * 2 - 1) * bound
    else:
        w = torch.randn(n_in, n_out, generator=gen) * init_std(spec, n_in, n_out)
    return w * spec.init_scale


def activate(name: str, h: torch.Tensor, slope: torch.Tensor | None = None) -> torch.Tensor:
    if name == "sigmoid":
        return torch.sigmoid(h)
    if name == "tanh":
        return torch.tanh(h)
    if name == "relu":
        return torch.relu(h)
    if name == "leaky_relu":
        return F.leaky_relu(h, LEAKY_SLOPE)
    if name == "prelu":
        return torch.where(h >= 0, h, slope * h)
    if name == "elu":
        return F.elu(h)
    if name == "softplus":
        return F.softplus(h)
    if name == "gelu":
        return F.gelu(h)
    return h


class BatchedMLP(torch.nn.Module):
    """K networks with stacked weights. Parameters: W{i} [K, n_in, n_out], b{i} [K, 1, n_out],
    gamma{i}/beta{i} [K, 1, n] for batch norm, a{i} [K, 1, 1] for PReLU slopes."""

    def __init__(self, specs: list[NetSpec], seeds: list[int], bn_momentum: float = 0.1):
        super().__init__()
        arch = {s.architecture for s in specs}
        if len(arch) != 1:
            raise ValueError("variants trained as one batch must share sizes, batch norm and bias")
        self.specs = specs
        self.sizes = specs[0].sizes
        self.batchnorm = specs[0].batchnorm
        self.bn_after = specs[0].bn_after_activation
        self.bias = specs[0].bias
        self.bn_momentum = bn_momentum
        self.bn_eps = specs[0].bn_eps
        K = len(specs)
        gens = [torch.Generator().manual_seed(s) for s in seeds]
        for i, (n_in, n_out) in enumerate(zip(self.sizes, self.sizes[1:])):
            W = torch.stack([init_weight(s, n_in, n_out, g) for s, g in zip(specs, gens)])
            self.register_parameter(f"W{i}", torch.nn.Parameter(W))
            if self.bias:
                self.register_parameter(f"b{i}", torch.nn.Parameter(torch.zeros(K, 1, n_out)))
            if i < self.n_hidden and self.batchnorm:
                self.register_parameter(f"gamma{i}", torch.nn.Parameter(torch.ones(K, 1, n_out)))
                self.register_parameter(f"beta{i}", torch.nn.Parameter(torch.zeros(K, 1, n_out)))
                self.register_buffer(f"mean{i}", torch.zeros(K, 1, n_out))
                self.register_buffer(f"var{i}", torch.ones(K, 1, n_out))
            if i < self.n_hidden and any(s.activation == "prelu" for s in specs):
                self.register_parameter(f"a{i}", torch.nn.Parameter(torch.full((K, 1, 1), PRELU_INIT)))
        self._activations = sorted({s.activation for s in specs})
        for j, name in enumerate(self._activations):  # buffers, so they move with the model
            rows = [k for k, s in enumerate(specs) if s.activation == name]
            self.register_buffer(f"_rows{j}", torch.tensor(rows), persistent=False)
        self.generator: torch.Generator | None = None  # dropout masks; None draws from torch's global one
        self.register_buffer("_p_hidden", torch.tensor([s.dropout for s in specs]).view(K, 1, 1), persistent=False)
        self.register_buffer("_p_input", torch.tensor([s.input_dropout for s in specs]).view(K, 1, 1), persistent=False)
        self._any_hidden_dropout = any(s.dropout > 0 for s in specs)
        self._any_input_dropout = any(s.input_dropout > 0 for s in specs)
        self.register_buffer(
            "_test_scaling", torch.tensor([s.dropout_scaling == "test" for s in specs]).view(K, 1, 1), persistent=False
        )
        self._any_test_scaling = any(s.dropout_scaling == "test" for s in specs)

    def flatten(self) -> None:
        """Make every parameter a view into one [K, P] tensor, and every gradient a view into
        another, so that an optimizer updates all of a variant's weights with one operation.
        Backward accumulates into the gradient views in place; clear them with `zero_grad`."""
        params = list(self.parameters())
        total = sum(p[0].numel() for p in params)
        ref = params[0]
        self.flat = torch.empty(self.K, total, dtype=ref.dtype, device=ref.device)
        self.flat_grad = torch.zeros_like(self.flat)
        offset = 0
        for p in params:
            n = p[0].numel()
            self.flat[:, offset : offset + n] = p.detach().reshape(self.K, n)
            p.data = self.flat[:, offset : offset + n].view(p.shape)
            p.grad = self.flat_grad[:, offset : offset + n].view(p.shape)
            offset += n

    def zero_grad(self, set_to_none: bool = True) -> None:
        if hasattr(self, "flat_grad"):
            self.flat_grad.zero_()
        else:
            super().zero_grad(set_to_none)

    @property
    def K(self) -> int:
        return len(self.specs)

    @property
    def draws_masks(self) -> bool:
        """Whether training draws dropout masks (a recorded CUDA graph would repeat them)."""
        return self._any_hidden_dropout or self._any_input_dropout

    @property
    def n_hidden(self) -> int:
        return len(self.sizes) - 2

    def weights(self) -> list[torch.Tensor]:
        """The weight matrices only: what L2/L1 penalties apply to (never biases, BN or slopes)."""
        return [getattr(self, f"W{i}") for i in range(len(self.sizes) - 1)]

    def linear(self, i: int, h: torch.Tensor) -> torch.Tensor:
        W = getattr(self, f"W{i}")
        out = torch.bmm(h.expand(self.K, *h.shape) if h.dim() == 2 else h, W)  # a shared input: no copy
        return out.add_(getattr(self, f"b{i}")) if self.bias else out  # in place: one buffer less per layer

    def normalize(self, i: int, h: torch.Tensor) -> torch.Tensor:
        """Batch norm per variant and feature over the mini-batch (dim 1).

        Runs as PyTorch's fused kernel over the [B, K*n] view (same formula, same running
        statistics, about half the time of the elementwise version below); that kernel refuses
        a training batch of one, which keeps the explicit formula."""
        mean_buf, var_buf = getattr(self, f"mean{i}"), getattr(self, f"var{i}")
        K, B, n = h.shape
        if B > 1 or not self.training:
            out = F.batch_norm(
                h.transpose(0, 1).reshape(B, K * n),
                mean_buf.view(K * n),
                var_buf.view(K * n),
                getattr(self, f"gamma{i}").reshape(K * n),
                getattr(self, f"beta{i}").reshape(K * n),
                self.training,
                self.bn_momentum,
                self.bn_eps,
            )
            return out.view(B, K, n).transpose(0, 1)
        mu = h.mean(1, keepdim=True)  # a training batch of one: each value is its own mean
        var = h.var(1, unbiased=False, keepdim=True)
        with torch.no_grad():
            mean_buf.lerp_(mu, self.bn_momentum)
            var_buf.lerp_(var, self.bn_momentum)
        x_hat = (h - mu) / torch.sqrt(var + self.bn_eps)
        return getattr(self, f"gamma{i}") * x_hat + getattr(self, f"beta{i}")

    def hidden_activation(self, i: int, h: torch.Tensor) -> torch.Tensor:
        slope = getattr(self, f"a{i}", None)
        if len(self._activations) == 1:
            return activate(self.specs[0].activation, h, slope)
        out = torch.empty_like(h)
        for j, name in enumerate(self._activations):
            idx = getattr(self, f"_rows{j}")
            out[idx] = activate(name, h[idx], None if slope is None else slope[idx])
        return out

    def dropout(self, h: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        """Dropout with a per-variant rate. Inverted (default): kept units are scaled by 1/(1-p)
        in training and eval is a no-op. The book's 'test' scaling keeps units unscaled in
        training and multiplies by (1-p) in eval; both make eval output the training expectation."""
        if not self.training:
            return torch.where(self._test_scaling, h * (1.0 - p), h) if self._any_test_scaling else h
        shape = (self.K,) + tuple(h.shape[-2:]) if h.dim() == 3 else (self.K,) + tuple(h.shape)
        keep = (torch.rand(shape, device=h.device, generator=self.generator) >= p).to(h.dtype)
        if self._any_test_scaling:
            return h * keep / torch.where(self._test_scaling, torch.ones_like(p), 1.0 - p)
        return h * keep / (1.0 - p)

    def forward(self, x: torch.Tensor, record: list | None = None) -> torch.Tensor:
        """x: [B, n_in] shared or [K, B, n_in]; returns logits [K, B, n_out].
        If `record` is a list, each hidden layer's (pre-activation, activation) is appended."""
        h = x
        if self._any_input_dropout:
            h = self.dropout(h.expand(self.K, *h.shape) if h.dim() == 2 else h, self._p_input)
        for i in range(len(self.sizes) - 1):
            h = self.linear(i, h)
            if i == self.n_hidden:
                break
            if self.batchnorm and not self.bn_after:
                h = self.normalize(i, h)
            z = h
            h = self.hidden_activation(i, h)
            if record is not None:
                record.append((z, h))
            if self.batchnorm and self.bn_after:
                h = self.normalize(i, h)
            if self._any_hidden_dropout:
                h = self.dropout(h, self._p_hidden)
        return h
