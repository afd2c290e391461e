"""Batch normalization: one mini-batch taken apart, training vs inference, the book's grid of
initial scales (figures 6-18, 6-19), BN against learning rate and depth, and where to put it."""

import streamlit as st

from core import batchnorm as bn
from core.experiments import batchnorm as experiments
from core.experiments.batchnorm import LEARNING_RATES, PLACEMENTS, BatchNormComparison, BatchNormGrid
from core.nets import recommended_init
from core.spec import Result
from ui import bn_views, labels, motion, runner
from ui.i18n import t
from ui.widgets import NET_ACTIVATIONS, apply_preset, csv_download, defaults, guard, lesson, spec_values, translated
from ui.widgets import tabs as page_tabs

P = "batch_norm"  # widget-key prefix


# 1. How it works -------------------------------------------------------------------------


def walkthrough() -> None:
    st.markdown(t("batch_norm.walk_intro"))
    st.latex(r"\mu_B = \frac{1}{m}\sum_{i=1}^{m} x_i \qquad \sigma_B^2 = \frac{1}{m}\sum_{i=1}^{m}(x_i-\mu_B)^2")
    st.latex(r"\hat{x}_i = \frac{x_i-\mu_B}{\sqrt{\sigma_B^2+\varepsilon}} \qquad y_i = \gamma\,\hat{x}_i + \beta")
    defaults({f"{P}.walk.batch_size": 32, f"{P}.walk.gamma": 1.0, f"{P}.walk.beta": 0.0})
    c1, c2, c3 = st.columns(3)
    batch_size = c1.slider(t("common.batch_size"), 1, 256, key=f"{P}.walk.batch_size")
    gamma = c2.slider("γ (gamma)", 0.0, 5.0, step=0.1, key=f"{P}.walk.gamma")
    beta = c3.slider("β (beta)", -5.0, 5.0, step=0.1, key=f"{P}.walk.beta")
    df = bn.walkthrough(int(batch_size), gamma, beta)
    df["unit_label"] = [t("batch_norm.unit", n=u) for u in df["unit"]]
    if batch_size == 1:
        st.warning(t("batch_norm.walk_batch_one"))
    domain = [float(df["value"].min()), float(df["value"].max())]  # one axis: see the values move
    for col, stage in zip(st.columns(3), bn.STAGES):
        col.markdown(f"**{bn_views.stage_name(stage)}**")
        col.altair_chart(bn_views.strip(df[df.stage == stage], domain), width="stretch")
    st.caption(t("batch_norm.table_caption"))
    st.dataframe(bn_views.stage_table(bn.stage_stats(df)), width="stretch")

    st.markdown(f"#### {t('batch_norm.sigmoid_title')}")
    left, right = st.columns([2, 1])
    left.altair_chart(bn_views.sigmoid_chart(df, ("normalized", "scaled"), bn.LINEAR_ZONE), width="stretch")
    right.markdown(f"**{t('batch_norm.linear_share')}**")
    share = bn.linear_share(df)
    for stage in ("normalized", "scaled"):
        right.metric(bn_views.stage_name(stage), f"{share[stage]:.0%}")
    right.caption(t("batch_norm.linear_zone", z=bn.LINEAR_ZONE))
    lesson(bn_views.walk_lesson(bn.walk_facts(df), beta))


# 2. Training vs inference ----------------------------------------------------------------


def inference() -> None:
    st.markdown(t("batch_norm.infer_intro"))
    st.latex(
        r"\hat\mu \leftarrow (1-m)\,\hat\mu + m\,\mu_B \qquad "
        r"\hat\sigma^2 \leftarrow (1-m)\,\hat\sigma^2 + m\,\tfrac{B}{B-1}\,\sigma_B^2"
    )
    defaults({f"{P}.run.momentum": 0.1, f"{P}.run.batch_size": 16, f"{P}.run.steps": 100})
    c1, c2, c3 = st.columns(3)
    momentum = c1.slider(t("batch_norm.momentum"), 0.01, 1.0, step=0.01, key=f"{P}.run.momentum")
    batch_size = c2.slider(t("common.batch_size"), 2, 256, key=f"{P}.run.batch_size")
    steps = c3.slider(t("common.steps"), 10, 500, key=f"{P}.run.steps")
    est = guard(lambda: bn.running_estimates(int(batch_size), momentum, int(steps)))
    for col, stat in zip(st.columns(2), ("mean", "var")):
        col.markdown(f"**{t(f'batch_norm.stat_{stat}')}**")
        col.altair_chart(bn_views.running_chart(est[est.statistic == stat]), width="stretch")
    st.caption(bn_views.running_caption(bn.running_facts(est, momentum), int(batch_size)))

    st.markdown(f"#### {t('batch_norm.tiny_title')}")
    spec = experiments.BatchNormInference()
    st.markdown(t("batch_norm.tiny_intro", **spec.to_dict()))
    result = runner.result_or_button(spec, t("batch_norm.train_tiny"), key=f"{P}.tiny.train")
    if result is None or "by_batch" not in result.frames:
        return
    st.altair_chart(bn_views.inference_chart(result.frames["by_batch"]), width="stretch")
    lesson(bn_views.inference_lesson(experiments.inference_facts(result)))


# 3. Book grid ----------------------------------------------------------------------------


def book_grid() -> None:
    book = BatchNormGrid.presets()["book"]
    st.markdown(t("batch_norm.grid_intro", **book.to_dict(), n_scales=len(book.scales), n_nets=len(book.variants())))
    prefix = f"{P}.grid"
    preset = spec_values(prefix, book)
    defaults(preset)
    st.button(t("batch_norm.preset_book"), key=f"{prefix}.preset", on_click=apply_preset(preset))
    c1, c2, c3, c4, c5 = st.columns(5)
    n_train = c1.number_input(t("batch_norm.n_train"), 2, 60000, key=f"{prefix}.n_train")
    epochs = c2.number_input(t("common.epoch"), 1, 200, key=f"{prefix}.epochs")
    lr = c3.number_input(t("common.learning_rate"), 1e-5, 10.0, key=f"{prefix}.lr", format="%g")
    batch_size = c4.number_input(t("common.batch_size"), 1, 4096, key=f"{prefix}.batch_size")
    eps = c5.select_slider(
        "ε", experiments.EPSILONS, key=f"{prefix}.eps", format_func=bn_views.eps_text, help=t("batch_norm.eps_help")
    )
    spec = guard(
        lambda: BatchNormGrid(n_train=int(n_train), epochs=int(epochs), lr=lr, batch_size=int(batch_size), eps=eps)
    )
    if warning := bn_views.batch_warning(spec.batch_size):
        st.warning(warning)
    st.caption(t("batch_norm.grid_setup", n=len(spec.variants())))
    result = runner.result_or_button(spec, t("batch_norm.train_grid"), key=f"{prefix}.train")
    if result is None or "accuracy" not in result.frames:
        return
    acc, summary = bn_views.labelled(result.frames["accuracy"]), result.frames["summary"]
    scales = list(spec.scales)
    for row in range(0, len(scales), 4):
        for col, s in zip(st.columns(4), scales[row : row + 4]):
            col.caption(bn_views.panel_title(summary, s))
            col.altair_chart(bn_views.grid_panel(acc[acc.scale == s], 150, small=True), width="stretch")
    chosen = st.select_slider(
        t("batch_norm.pick_scale"),
        scales,
        scales[len(scales) // 2],
        key=f"{prefix}.scale",
        format_func=labels.namer("scale"),
    )
    st.markdown(f"**{bn_views.panel_title(summary, chosen)}**")
    st.altair_chart(bn_views.grid_panel(acc[acc.scale == chosen], 360, small=False), width="stretch")
    if notes := bn_views.grid_notes(summary):
        st.caption(notes)
    facts = experiments.grid_facts(spec, result)
    st.caption(bn_views.eps_caption(facts))
    csv_download(result.frames["accuracy"], "batchnorm-grid", key=f"{prefix}.csv")
    lesson(bn_views.grid_lesson(facts))


# 4 and 5. BN against learning rate, activation and placement -----------------------------


def comparison_inputs(prefix: str, preset: BatchNormComparison, several_lrs: bool) -> BatchNormComparison:
    """Widgets for a BatchNormComparison (keys `<prefix>.<field>`, the depth for `hidden`),
    starting from `preset`; returns the spec. The init follows the activation."""
    defaults(spec_values(prefix, preset, depth=len(preset.hidden)))
    c1, c2, c3, c4 = st.columns(4)
    activation = c1.selectbox(
        t("common.activation"),
        NET_ACTIVATIONS,
        format_func=labels.namer("activation"),
        **translated(f"{prefix}.activation"),
    )
    depth = c2.number_input(t("common.hidden_layers"), 1, 20, key=f"{prefix}.depth")
    epochs = c3.number_input(t("common.epoch"), 1, 100, key=f"{prefix}.epochs")
    lr_title = t("batch_norm.lrs") if several_lrs else t("common.learning_rate")
    lrs = c4.multiselect(lr_title, LEARNING_RATES, key=f"{prefix}.lrs", max_selections=None if several_lrs else 1)
    placements = preset.placements
    if not several_lrs:
        placements = st.multiselect(
            t("batch_norm.placements"),
            PLACEMENTS,
            format_func=labels.namer("placement"),
            **translated(f"{prefix}.placements"),
        )
    return guard(
        lambda: BatchNormComparison(
            placements=tuple(placements),
            lrs=tuple(sorted(lrs)),
            hidden=(preset.hidden[0],) * int(depth),
            activation=activation,
            init=recommended_init(activation),
            epochs=int(epochs),
        )
    )


def preset_buttons(prefix: str, names: tuple[str, ...]) -> None:
    """One button per named preset of BatchNormComparison, writing its values into the widgets."""
    presets = BatchNormComparison.presets()
    for col, name in zip(st.columns(len(names)), names):
        values = spec_values(prefix, presets[name], depth=len(presets[name].hidden))
        col.button(t(f"batch_norm.preset_{name}"), key=f"{prefix}.preset.{name}", on_click=apply_preset(values))


def comparison(prefix: str, preset: str, several_lrs: bool) -> tuple[Result, experiments.ComparisonFacts] | None:
    """Preset buttons, widgets, caption, train button, accuracy chart, final table and lesson of
    one comparison tab; returns the result and its facts on the metric shown (None until trained)."""
    preset_buttons(prefix, ("learning_rates", "deep_sigmoid") if several_lrs else (preset,))
    spec = comparison_inputs(prefix, BatchNormComparison.presets()[preset], several_lrs)
    setup = spec.to_dict() | {"n": len(spec.variants()), "init": labels.name("init", spec.init)}
    st.caption(t("batch_norm.compare_setup", **setup))
    result = runner.result_or_button(spec, t("batch_norm.train_compare"), key=f"{prefix}.train")
    if result is None or "layer_stats" not in result.frames:
        return None
    metric = st.radio(
        t("batch_norm.metric"),
        ["train_acc", "test_acc"],
        horizontal=True,
        format_func=lambda m: t(f"batch_norm.{m}"),
        **translated(f"{prefix}.metric", "train_acc"),
    )
    acc = bn_views.labelled(result.frames["accuracy"])
    st.altair_chart(bn_views.accuracy_chart(acc[acc.metric == metric], t(f"batch_norm.{metric}")), width="stretch")
    summary = bn_views.labelled(result.frames["summary"])
    if notes := bn_views.diverged_notes(summary):
        st.warning(notes)
    st.dataframe(bn_views.final_table(summary), hide_index=True, width="stretch")
    facts = experiments.comparison_facts(result, metric)
    lesson(bn_views.comparison_lesson(facts, summary, labels.name("init", spec.init), len(spec.hidden)))
    return result, facts


def learning_rates() -> None:
    st.markdown(t("batch_norm.lr_intro"))
    if shown := comparison(f"{P}.lr", "learning_rates", several_lrs=True):
        csv_download(shown[0].frames["accuracy"], "batchnorm-learning-rates", key=f"{P}.lr.csv")


def placement() -> None:
    st.markdown(t("batch_norm.place_intro"))
    prefix = f"{P}.place"
    shown = comparison(prefix, "placement", several_lrs=False)
    if shown is None:
        return
    result, facts = shown
    st.markdown(f"#### {t('batch_norm.hist_title')}")
    st.caption(t("batch_norm.hist_caption", probe=BatchNormComparison.probe))
    hist = bn_views.labelled(result.frames["histograms"])
    at = motion.position("bn_epoch", int(hist["epoch"].max()), t("common.epoch"))
    st.altair_chart(bn_views.histograms(hist, at))
    motion.play_button(at, key=f"{prefix}.play")
    st.markdown(f"#### {t('batch_norm.std_title')}")
    st.altair_chart(bn_views.spread_chart(bn_views.labelled(result.frames["layer_stats"])), width="stretch")
    csv_download(result.frames["layer_stats"], "batchnorm-layer-stats", key=f"{prefix}.csv")
    if text := bn_views.spread_lesson(facts):
        lesson(text)


st.title(t("batch_norm.title"))
st.markdown(t("batch_norm.intro"))
tabs = page_tabs("batch_norm.tab", {n: t(f"batch_norm.tab_{n}") for n in ("walk", "infer", "grid", "lr", "place")})
with tabs[0]:
    walkthrough()
with tabs[1]:
    inference()
with tabs[2]:
    book_grid()
with tabs[3]:
    learning_rates()
with tabs[4]:
    placement()
