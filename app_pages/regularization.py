"""Overfitting and regularization: the book's over-sized network on 300 images (figures 6-20 to
6-23), weight decay / L2 / L1, dropout, early stopping (the lecture's Keras example), ensembles,
and all remedies side by side."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core import data
from core.dropout import dropped_units, expectation_gap
from core.experiments.regularization import COMPARE_ALL, REMEDIES, DecayVsL2, EarlyStoppingRun, Ensemble, Overfitting
from core.nets import NetSpec
from ui import charts, runner
from ui.colors import PALETTE, scale
from ui.i18n import t
from ui.widgets import apply_preset, csv_download, defaults, guard, lesson, translated

P = "regularization"
BOOK = Overfitting()
LAMBDAS = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
SIZES = (300, 1000, 3000, 10000, 30000, 60000)
DECAY_REMEDIES = ("none", "l2", "weight_decay", "l1")
LR = {"sgd": 0.01, "adam": 0.001}  # the book's SGD rate; Adam's usual default


def tr(key: str, **values) -> str:
    return t(f"{P}.{key}", **values)


def remedy(name: str) -> str:
    return tr(f"remedy_{name}")


def pct(x: float) -> str:
    return "—" if pd.isna(x) else f"{x:.2%}"


def epochs_input(key: str, default: int, container=st) -> int:
    st.session_state.setdefault(key, default)
    return int(container.number_input(tr("epochs"), 1, 1000, key=key))


def lambda_input(label: str, key: str, default: float, container=st) -> float:
    st.session_state.setdefault(key, default)
    return container.select_slider(label, LAMBDAS, key=key, format_func=lambda v: f"{v:g}")


def accuracy_frame(curves: pd.DataFrame) -> pd.DataFrame:
    """Train and test accuracy per epoch with translated names: columns remedy, split, epoch, value."""
    acc = curves[curves.metric.isin(("train_acc", "test_acc"))].copy()
    acc["split"] = acc.metric.map({"train_acc": tr("split_train"), "test_acc": tr("split_test")})
    acc["remedy"] = acc.variant.map(remedy)
    return acc


def gap_chart(curves: pd.DataFrame) -> alt.LayerChart:
    """One network's train and test accuracy per epoch, the gap between them shaded."""
    acc = accuracy_frame(curves)
    wide = acc.pivot_table("value", "epoch", "metric").reset_index()
    band = (
        alt.Chart(wide)
        .mark_area(opacity=0.18, color="#e45756")
        .encode(x="epoch:Q", y="test_acc:Q", y2="train_acc:Q", tooltip=[alt.Tooltip("epoch:Q")])
    )
    lines = charts.lines(acc, "epoch", "value", "split", x_title=t("common.epoch"), y_title=t("common.accuracy"))
    return alt.layer(band, lines)


def remedy_colors(variants: pd.Series) -> alt.Scale:
    """One palette colour per remedy, the same in both languages and on every chart."""
    names = list(dict.fromkeys(variants))
    return alt.Scale(
        domain=[remedy(v) for v in names], range=[PALETTE[REMEDIES.index(v) % len(PALETTE)] for v in names]
    )


def styled(chart: alt.Chart, variants: pd.Series, first: str, second: str) -> alt.Chart:
    """Remedy colours, and solid for `first` / dashed for `second` split."""
    return chart.encode(
        color=alt.Color("remedy:N", scale=remedy_colors(variants), title=None),
        strokeDash=alt.StrokeDash(
            "split:N", scale=alt.Scale(domain=[first, second], range=[[1, 0], [5, 4]]), title=None
        ),
    )


def accuracy_chart(curves: pd.DataFrame, height: int = 340) -> alt.Chart:
    """Several remedies: colour = remedy, solid/dashed = train/test."""
    acc = accuracy_frame(curves)
    chart = charts.lines(
        acc,
        "epoch",
        "value",
        "remedy",
        dash="split",
        x_title=t("common.epoch"),
        y_title=t("common.accuracy"),
        height=height,
    )
    return styled(chart, acc.variant, tr("split_train"), tr("split_test"))


def note(row) -> str:
    """Why a remedy's numbers are special: diverged, stopped early, or restored weights."""
    if pd.notna(row.diverged_at):
        return t("common.diverged_at", step=int(row.diverged_at))
    parts = []
    if pd.notna(row.stopped_epoch):
        parts.append(tr("stopped_at", epoch=f"{row.stopped_epoch:g}"))
    kept = getattr(row, "kept_epoch", np.nan)
    if pd.notna(kept):
        parts.append(tr("kept_epoch", epoch=f"{kept:g}"))
    return " · ".join(parts)


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            tr("col_remedy"): summary.variant.map(remedy),
            tr("col_train"): summary.train_acc.map(pct),
            tr("col_test"): summary.test_acc.map(pct),
            tr("col_gap"): summary.gap.map(lambda g: "—" if pd.isna(g) else f"{g * 100:+.1f} pp"),
            tr("col_note"): [note(r) for r in summary.itertuples()],
        }
    )


def show_run(result, key: str, chart: bool = True) -> None:
    """Curves, final table and CSV of an `Overfitting` result."""
    if chart:
        st.altair_chart(accuracy_chart(result.frames["curves"]), width="stretch")
        st.caption(tr("eval_subset_note", n=BOOK.n_eval))
    st.dataframe(summary_table(result.frames["summary"]), hide_index=True, width="stretch")
    csv_download(result.frames["curves"], key.replace(".", "-"), key=f"{key}.csv")


def setting_caption(spec: Overfitting) -> None:
    steps = spec.epochs * spec.steps_per_epoch
    st.caption(
        tr(
            "setting",
            sizes=" - ".join(map(str, spec.net().sizes)),
            n=f"{spec.n_train:,}",
            steps=f"{steps:,}",
            params=f"{spec.net().n_params():,}",
        )
    )


def seeing_overfitting() -> None:
    k = f"{P}.see"
    st.markdown(tr("see_intro"))
    defaults({f"{k}.n": 300, f"{k}.depth": 6, f"{k}.width": 100})
    c1, c2, c3, c4 = st.columns(4)
    n = c1.select_slider(tr("n_train"), SIZES, key=f"{k}.n", format_func=lambda v: f"{v:,}")
    depth = c2.number_input(t("common.hidden_layers"), 1, 10, key=f"{k}.depth")
    width = c3.number_input(t("common.width"), 1, 1000, key=f"{k}.width")
    epochs = epochs_input(f"{k}.epochs", BOOK.epochs, c4)
    spec = guard(lambda: Overfitting(n_train=int(n), hidden=(int(width),) * int(depth), epochs=epochs))
    setting_caption(spec)
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    s = result.frames["summary"].iloc[0]
    m1, m2, m3 = st.columns(3)
    m1.metric(tr("col_train"), pct(s.train_acc))
    m2.metric(tr("col_test"), pct(s.test_acc))
    m3.metric(tr("col_gap"), "—" if pd.isna(s.gap) else f"{s.gap * 100:.1f} pp")
    if pd.notna(s.diverged_at):
        st.error(t("common.diverged_at", step=int(s.diverged_at)))
    st.altair_chart(gap_chart(result.frames["curves"]), width="stretch")
    st.caption(tr("gap_caption", n=spec.n_eval))
    csv_download(result.frames["curves"], "overfitting", key=f"{k}.csv")
    lesson(tr("lesson_see"))


def weight_decay() -> None:
    k = f"{P}.decay"
    st.markdown(tr("decay_intro"))
    st.latex(r"\tilde L = L + \tfrac{\lambda}{2}\sum W^2 \qquad \tilde L = L + \lambda\sum |W|")
    st.latex(r"w \leftarrow (1-\eta\lambda)\,w - \eta\,\frac{\partial L}{\partial w}")
    st.latex(r"\text{L1:}\quad w \leftarrow \operatorname{sign}(w)\,\max\left(|w| - \eta\lambda,\ 0\right)")
    defaults({f"{k}.remedies": ["none", "l2", "l1"], f"{k}.opt": "sgd"})
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    remedies = c1.multiselect(tr("remedies"), DECAY_REMEDIES, format_func=remedy, **translated(f"{k}.remedies"))
    l2 = lambda_input(tr("lambda_l2"), f"{k}.l2", BOOK.l2, c2)
    l1 = lambda_input(tr("lambda_l1"), f"{k}.l1", BOOK.l1, c3)
    opt = c4.radio(tr("optimizer"), list(LR), key=f"{k}.opt", format_func=lambda o: tr(f"opt_{o}"), horizontal=True)
    epochs = epochs_input(f"{k}.epochs", BOOK.epochs, c4)
    if not remedies:
        st.info(tr("pick_one"))
        return
    spec = guard(
        lambda: Overfitting(regularizer=tuple(remedies), l2=l2, l1=l1, optimizer=opt, lr=LR[opt], epochs=epochs)
    )
    st.caption(tr("decay_which", lr=LR[opt]))
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is not None:
        show_run(result, k)
        weight_histograms(result)
        lesson(tr("lesson_decay"))
    st.markdown(f"#### {tr('demo_title')}")
    decay_vs_l2_demo(l2)


def weight_histograms(result) -> None:
    st.markdown(f"#### {tr('hist_title')}")
    hist = result.frames["weights"].copy()
    hist["remedy"] = hist.variant.map(remedy)
    zeros = result.extras.get("zeros", {})
    names = list(dict.fromkeys(hist.variant))
    for i in range(0, len(names), 4):
        for col, name in zip(st.columns(4), names[i : i + 4]):
            part = hist[hist.variant == name]
            chart = (
                alt.Chart(part)
                .mark_bar(color=PALETTE[REMEDIES.index(name) % len(PALETTE)])
                .encode(
                    x=alt.X("left:Q", title="w"),
                    x2="right:Q",
                    y=alt.Y("count:Q", title=tr("hist_count"), scale=alt.Scale(type="sqrt")),
                    tooltip=[alt.Tooltip("left:Q", format=".3f"), alt.Tooltip("right:Q", format=".3f"), "count:Q"],
                )
                .properties(height=200)
            )
            col.markdown(f"**{remedy(name)}**")
            col.altair_chart(chart, width="stretch")
            z = zeros.get(name)
            if z:
                col.caption(
                    tr("zeros", near=f"{z['near_zero']:.1%}", exact=f"{z['exact_zero']:.1%}", top=f"{z['max_abs']:.2f}")
                )
    st.caption(tr("hist_note"))


def decay_vs_l2_demo(lam: float) -> None:
    st.markdown(tr("demo_intro"))
    spec = guard(lambda: DecayVsL2(lam=lam))
    result = runner.result_or_button(spec, tr("demo_run"), key=f"{P}.demo.run")
    if result is None:
        return
    paths = result.frames["paths"].copy()
    paths["variant"] = paths.variant.map(lambda v: tr(f"demo_{v}"))
    c1, c2 = st.columns(2)
    c1.altair_chart(
        charts.lines(paths, "step", "weight_norm", "variant", x_title=t("common.step"), y_title=tr("weight_norm")),
        width="stretch",
    )
    pair = paths[paths.variant.isin((tr("demo_sgd_l2"), tr("demo_adam_l2")))].copy()
    pair["variant"] = pair.variant.map({tr("demo_sgd_l2"): "SGD", tr("demo_adam_l2"): "Adam"})
    pair["pair_distance"] = pair.pair_distance.clip(lower=1e-9)
    c2.altair_chart(
        charts.lines(
            pair, "step", "pair_distance", "variant", x_title=t("common.step"), y_title=tr("pair_distance"), log_y=True
        ),
        width="stretch",
    )
    st.caption(tr("demo_caption"))
    lesson(tr("lesson_demo"))


def dropout_section() -> None:
    k = f"{P}.dropout"
    st.markdown(tr("dropout_intro"))
    st.latex(
        r"\text{inverted: } \tilde h = \frac{m \odot h}{1-p},\ \ h_{\text{test}} = h"
        r"\qquad \text{book: } \tilde h = m \odot h,\ \ h_{\text{test}} = (1-p)\,h"
        r"\qquad m_i \sim \text{Bernoulli}(1-p)"
    )
    defaults({f"{k}.p": 0.15, f"{k}.pin": 0.0, f"{k}.rule": "inverted"})
    c1, c2, c3, c4 = st.columns(4)
    p = c1.slider(tr("dropout_p"), 0.0, 0.9, step=0.05, key=f"{k}.p")
    p_in = c2.slider(tr("input_dropout"), 0.0, 0.9, step=0.05, key=f"{k}.pin")
    rule = c3.radio(
        tr("scaling"), ["inverted", "test"], format_func=lambda r: tr(f"scaling_{r}"), **translated(f"{k}.rule")
    )
    epochs = epochs_input(f"{k}.epochs", BOOK.epochs, c4)
    spec = guard(
        lambda: Overfitting(
            regularizer=("none", "dropout"), dropout=p, input_dropout=p_in, dropout_scaling=rule, epochs=epochs
        )
    )
    left, right = st.columns(2)
    with left:
        st.markdown(f"##### {tr('mask_title')}")
        seed = st.session_state.get(f"{k}.mask_seed", 0)
        st.altair_chart(mask_chart(float(p), seed), width="stretch")
        st.button(tr("new_mask"), key=f"{k}.new_mask", on_click=apply_preset({f"{k}.mask_seed": seed + 1}))
    with right:
        st.markdown(f"##### {tr('expectation_title')}")
        gaps = expectation(float(p))
        st.dataframe(
            pd.DataFrame(
                {
                    tr("scaling"): [tr(f"scaling_{r}") for r in ("inverted", "test", "unscaled")],
                    tr("expectation_gap"): [f"{gaps[r]:.2%}" for r in ("inverted", "test", "unscaled")],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(tr("expectation_caption"))
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is not None:
        show_run(result, k)
        lesson(tr("lesson_dropout"))


@st.cache_data(show_spinner=False)
def mask_cells(p: float, seed: int) -> pd.DataFrame:
    kept = dropped_units(BOOK.net(dropout=p), seed)
    layer, unit = np.nonzero(np.ones_like(kept))
    return pd.DataFrame({"layer": layer + 1, "unit": unit + 1, "kept": kept.ravel()})


def mask_chart(p: float, seed: int) -> alt.Chart:
    """Which of the book network's hidden units one training step keeps (one example)."""
    cells = mask_cells(p, seed)
    cells["state"] = np.where(cells.kept, tr("kept"), tr("dropped"))
    return (
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=alt.X("unit:O", title=tr("unit"), axis=alt.Axis(values=[1, 25, 50, 75, 100])),
            y=alt.Y("layer:O", title=tr("layer")),
            color=alt.Color(
                "state:N",
                scale=alt.Scale(domain=[tr("kept"), tr("dropped")], range=["#4c78a8", "#eeeeee"]),
                title=None,
            ),
            tooltip=["layer:O", "unit:O", "state:N"],
        )
        .properties(height=180)
    )


@st.cache_data(show_spinner=False)
def expectation(p: float) -> dict[str, float]:
    x, _ = data.subset(1, "mnist", "test", 0)
    return expectation_gap(NetSpec(BOOK.net().sizes, dropout=p), x, samples=4000)


def early_stopping() -> None:
    k = f"{P}.es"
    st.markdown(tr("es_intro"))
    quick, lecture = EarlyStoppingRun(), EarlyStoppingRun.presets()["lecture"]

    def preset(spec: EarlyStoppingRun) -> dict:
        return {
            f"{k}.n": spec.n_train,
            f"{k}.epochs": spec.epochs,
            f"{k}.monitor": spec.monitor,
            f"{k}.patience": spec.patience,
            f"{k}.delta": spec.min_delta,
            f"{k}.restore": spec.restore_best,
        }

    defaults(preset(quick))
    b1, b2 = st.columns(2)
    b1.button(tr("preset_es_quick"), key=f"{k}.quick", on_click=apply_preset(preset(quick)), width="stretch")
    b2.button(tr("preset_es_lecture"), key=f"{k}.lecture", on_click=apply_preset(preset(lecture)), width="stretch")
    c1, c2, c3, c4, c5, c6 = st.columns(6)
    n = c1.selectbox(
        tr("n_train"),
        (1000, 6000, 20000, 0),
        **translated(f"{k}.n"),
        format_func=lambda v: tr("all_images") if v == 0 else f"{v:,}",
    )
    epochs = int(c2.number_input(tr("epochs"), 1, 200, key=f"{k}.epochs"))
    monitor = c3.radio(tr("monitor"), ["val_loss", "val_acc"], format_func=tr, **translated(f"{k}.monitor"))
    patience = int(c4.number_input(tr("patience"), 0, 100, key=f"{k}.patience"))
    delta = c5.number_input(tr("min_delta"), 0.0, 1.0, key=f"{k}.delta", format="%g", step=0.001)
    restore = c6.checkbox(tr("restore"), key=f"{k}.restore")
    spec = guard(
        lambda: EarlyStoppingRun(
            n_train=int(n),
            epochs=epochs,
            monitor=monitor,
            patience=patience,
            min_delta=float(delta),
            restore_best=restore,
        )
    )
    st.caption(tr("es_setting"))
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    st.altair_chart(es_chart(result, monitor), width="stretch")
    st.caption(tr("es_caption", n=spec.n_eval))
    table = summary_table(result.frames["summary"]).drop(columns=tr("col_gap"))
    if spec.n_train == 0 and spec.epochs == 50:
        table[tr("col_lecture")] = [tr("lecture_numbers", **EarlyStoppingRun.LECTURE), ""]
    st.dataframe(table, hide_index=True, width="stretch")
    csv_download(result.frames["curves"], "early-stopping", key=f"{k}.csv")
    lesson(tr("lesson_es"))


def es_chart(result, monitor: str) -> alt.LayerChart:
    """The monitored validation metric and its training counterpart per epoch; a rule where
    early stopping stopped and a point at the epoch whose weights it kept."""
    curves = result.frames["curves"]
    metric = monitor.split("_")[1]
    shown = curves[curves.metric.isin((f"train_{metric}", f"val_{metric}"))].copy()
    shown["split"] = shown.metric.map({f"train_{metric}": tr("split_train"), f"val_{metric}": tr("split_val")})
    shown["remedy"] = shown.variant.map(remedy)
    y_title = t("common.loss") if metric == "loss" else t("common.accuracy")
    lines = charts.lines(shown, "epoch", "value", "remedy", dash="split", x_title=t("common.epoch"), y_title=y_title)
    layers = [styled(lines, shown.variant, tr("split_val"), tr("split_train"))]
    row = result.frames["summary"].set_index("variant").loc["early_stopping"]
    if pd.notna(row.stopped_epoch):
        stop = pd.DataFrame({"epoch": [row.stopped_epoch], "label": [tr("stopped_at", epoch=f"{row.stopped_epoch:g}")]})
        layers.append(alt.Chart(stop).mark_rule(strokeDash=[4, 4], color="#444").encode(x="epoch:Q", tooltip=["label"]))
    if pd.notna(row.kept_epoch):
        val = shown[(shown.variant == "early_stopping") & (shown.metric == f"val_{metric}")]
        kept = val[np.isclose(val.epoch, row.kept_epoch)].assign(label=tr("kept_epoch", epoch=f"{row.kept_epoch:g}"))
        layers.append(
            alt.Chart(kept)
            .mark_point(size=160, shape="diamond", filled=True, color="black")
            .encode(x="epoch:Q", y="value:Q", tooltip=["label"])
        )
    return alt.layer(*layers).resolve_scale(color="independent")


def ensembles() -> None:
    k = f"{P}.ens"
    st.markdown(tr("ens_intro"))
    st.latex(r"p(y \mid x) = \frac{1}{N}\sum_{i=1}^{N} p_i(y \mid x)")
    defaults({f"{k}.members": 5, f"{k}.p": 0.15})
    c1, c2, c3 = st.columns(3)
    members = c1.slider(tr("members"), 1, 10, key=f"{k}.members")
    p = c2.slider(tr("dropout_p"), 0.0, 0.9, step=0.05, key=f"{k}.p")
    epochs = epochs_input(f"{k}.epochs", Ensemble.epochs, c3)
    spec = guard(lambda: Ensemble(members=members, dropout=p, epochs=epochs))
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    singles, grow = result.frames["singles"], result.frames["ensemble"]
    bars = pd.DataFrame(
        {
            "name": [tr("member", i=i + 1) for i in range(members)] + [tr("ensemble_of", n=members), remedy("dropout")],
            "kind": [tr("kind_single")] * members + [tr("kind_ensemble"), tr("kind_dropout")],
            "test_acc": [*singles.test_acc.iloc[:members], grow.test_acc.iloc[-1], singles.test_acc.iloc[-1]],
        }
    )
    c1, c2 = st.columns(2)
    c1.altair_chart(
        alt.Chart(bars)
        .mark_bar()
        .encode(
            x=alt.X("name:N", sort=None, title=None),
            y=alt.Y("test_acc:Q", title=tr("col_test"), scale=alt.Scale(zero=False)),
            color=alt.Color("kind:N", scale=scale(bars.kind.tolist()), title=None),
            tooltip=["name", alt.Tooltip("test_acc:Q", format=".2%")],
        )
        .properties(height=300),
        width="stretch",
    )
    grow = grow.assign(label=tr("kind_ensemble"))
    mean_single = float(singles.test_acc.iloc[:members].mean())
    line = charts.lines(grow, "members", "test_acc", "label", x_title=tr("members"), y_title=tr("col_test"), height=300)
    line = line.encode(x=alt.X("members:Q", title=tr("members"), axis=alt.Axis(tickMinStep=1, format="d")))
    rule = (
        alt.Chart(pd.DataFrame({"y": [mean_single], "label": [tr("mean_single")]}))
        .mark_rule(strokeDash=[4, 4])
        .encode(y="y:Q", tooltip=["label", alt.Tooltip("y:Q", format=".2%")])
    )
    c2.altair_chart(alt.layer(line, rule), width="stretch")
    st.caption(tr("ens_caption", mean=pct(mean_single), ens=pct(grow.test_acc.iloc[-1])))
    lesson(tr("lesson_ens"))


def compare_all() -> None:
    k = f"{P}.all"
    st.markdown(tr("all_intro"))
    c1, c2, c3, c4, c5 = st.columns(5)
    l2 = lambda_input(tr("lambda_l2"), f"{k}.l2", BOOK.l2, c1)
    l1 = lambda_input(tr("lambda_l1"), f"{k}.l1", BOOK.l1, c2)
    st.session_state.setdefault(f"{k}.p", BOOK.dropout)
    p = c3.slider(tr("dropout_p"), 0.0, 0.9, step=0.05, key=f"{k}.p")
    st.session_state.setdefault(f"{k}.patience", BOOK.patience)
    patience = int(c4.number_input(tr("patience"), 0, 100, key=f"{k}.patience"))
    epochs = epochs_input(f"{k}.epochs", BOOK.epochs, c5)
    spec = guard(
        lambda: Overfitting(regularizer=COMPARE_ALL, l2=l2, l1=l1, dropout=p, patience=patience, epochs=epochs)
    )
    setting_caption(spec)
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    show_run(result, k)
    st.caption(tr("all_caption", n=spec.n_val))
    lesson(tr("lesson_all"))


st.title(tr("title"))
st.markdown(tr("intro"))
tabs = st.tabs([tr(f"tab_{name}") for name in ("see", "decay", "dropout", "es", "ens", "all")])
for tab, section in zip(
    tabs, (seeing_overfitting, weight_decay, dropout_section, early_stopping, ensembles, compare_all)
):
    with tab:
        section()
