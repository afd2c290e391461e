"""Charts and tables of the regularization page, drawn from keyed result frames: names come from
`ui.labels` (the reader's language), colours from the variants' keys."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.experiments.regularization import (
    SCALING_RULES,
    DecayDemoFacts,
    DecayFacts,
    DecayVsL2,
    EarlyStoppingFacts,
    EnsembleFacts,
    L1Facts,
    Overfitting,
    OverfittingFacts,
    RemedyFacts,
    dropout_expectation,
    dropout_mask,
    overfitting_facts,
    split_curves,
)
from core.spec import Result
from ui import charts, labels
from ui.colors import scale
from ui.i18n import number, t
from ui.widgets import csv_download

P = "regularization"
SOLID, DASHED = [1, 0], [5, 4]


def tr(key: str, **values) -> str:
    return t(f"{P}.{key}", **values)


def pct(x: float) -> str:
    return "—" if pd.isna(x) else f"{x:.2%}"


def scaling(rule: str) -> str:
    """A dropout scaling rule's name."""
    return tr(f"scaling_{rule}")


def images(n: int) -> str:
    """A training-set size; 0 means all images."""
    return tr("all_images") if n == 0 else f"{n:,}"


def setting_caption(spec: Overfitting) -> None:
    """The network, its size and the length of its training."""
    sizes, params = " - ".join(map(str, spec.net().sizes)), f"{spec.net().n_params():,}"
    st.caption(tr("setting", sizes=sizes, n=f"{spec.n_train:,}", steps=f"{spec.steps:,}", params=params))


def points(gap: float, digits: int = 1) -> str:
    """A train-test gap (or another difference of accuracies) in percentage points."""
    return "—" if pd.isna(gap) else f"{gap * 100:+.{digits}f} pp"


def splits(curves: pd.DataFrame, measure: str = "acc", names: tuple[str, ...] = ("train", "test")) -> pd.DataFrame:
    """`split_curves` with variant names (`label`, `hue`) and the split in the reader's language."""
    frame = labelled_rows(split_curves(curves, measure, names))
    frame["split"] = frame["split"].map(lambda s: tr(f"split_{s}"))
    return frame


def labelled_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return labels.labelled(frame).reset_index(drop=True)


def dashed(chart: alt.Chart, solid: str, dash: str) -> alt.Chart:
    """Split `solid` drawn solid and `dash` dashed, whatever the language sorts first."""
    return chart.encode(
        strokeDash=alt.StrokeDash("split:N", scale=alt.Scale(domain=[solid, dash], range=[SOLID, DASHED]), title=None)
    )


def accuracy_chart(curves: pd.DataFrame, height: int = 340) -> alt.Chart:
    """Several remedies: colour = remedy, solid/dashed = train/test."""
    acc = splits(curves)
    lines = charts.lines(
        acc,
        "epoch",
        "value",
        "label",
        dash="split",
        x_title=t("common.epoch"),
        y_title=t("common.accuracy"),
        height=height,
    )
    return dashed(lines, tr("split_train"), tr("split_test"))


def gap_metrics(row) -> None:
    """One network's final train and test accuracy and their gap; a warning if it diverged."""
    m1, m2, m3 = st.columns(3)
    m1.metric(tr("col_train"), pct(row.train_acc))
    m2.metric(tr("col_test"), pct(row.test_acc))
    m3.metric(tr("col_gap"), points(row.gap))
    if pd.notna(row.diverged_at):
        st.error(t("common.diverged_at", step=int(row.diverged_at)))


def gap_chart(curves: pd.DataFrame) -> alt.LayerChart:
    """One network's train and test accuracy per epoch, the gap between them shaded."""
    acc = split_curves(curves)
    wide = acc.pivot_table("value", "epoch", "split").reset_index()
    band = (
        alt.Chart(wide)
        .mark_area(opacity=0.18, color="#e45756")
        .encode(x="epoch:Q", y="test:Q", y2="train:Q", tooltip=[alt.Tooltip("epoch:Q")])
    )
    named = acc.assign(split=acc.split.map(lambda s: tr(f"split_{s}")), hue=acc.split)
    lines = charts.lines(named, "epoch", "value", "split", x_title=t("common.epoch"), y_title=t("common.accuracy"))
    return alt.layer(band, lines)


def note(row) -> str:
    """Why a remedy's numbers are special: diverged, stopped early, or restored weights."""
    if pd.notna(row.diverged_at):
        return t("common.diverged_at", step=int(row.diverged_at))
    parts = []
    if pd.notna(row.stopped_epoch):
        parts.append(tr("stopped_at", epoch=f"{row.stopped_epoch:g}"))
    kept = getattr(row, "kept_epoch", float("nan"))
    if pd.notna(kept):
        parts.append(tr("kept_epoch", epoch=f"{kept:g}"))
    return " · ".join(parts)


def summary_table(summary: pd.DataFrame, gap: bool = True) -> pd.DataFrame:
    """One row per remedy: its name, final accuracies, gap and note."""
    named = labelled_rows(summary)
    table = {
        tr("col_remedy"): named.label,
        tr("col_train"): named.train_acc.map(pct),
        tr("col_test"): named.test_acc.map(pct),
        tr("col_gap"): named.gap.map(points),
        tr("col_note"): [note(r) for r in named.itertuples()],
    }
    if not gap:
        del table[tr("col_gap")]
    return pd.DataFrame(table)


def show_run(result: Result, key: str, n_eval: int) -> None:
    """Curves, final table and CSV of an `Overfitting` result."""
    st.altair_chart(accuracy_chart(result.frames["curves"]), width="stretch")
    st.caption(tr("eval_subset_note", n=n_eval))
    st.dataframe(summary_table(result.frames["summary"]), hide_index=True, width="stretch")
    csv_download(result.frames["curves"], key.replace(".", "-"), key=f"{key}.csv")


def weight_histograms(result: Result) -> None:
    """The final weights of each remedy, four to a row, coloured as in the accuracy chart."""
    st.markdown(f"#### {tr('hist_title')}")
    hist = labelled_rows(result.frames["weights"])
    named = hist.drop_duplicates("variant")
    colours = charts.colour_scale(named, "label")
    colour = dict(zip(colours.domain, colours.range))
    zeros = result.extras.get("zeros", {})
    rows = list(named.itertuples())
    for i in range(0, len(rows), 4):
        for col, row in zip(st.columns(4), rows[i : i + 4]):
            col.markdown(f"**{row.label}**")
            col.altair_chart(histogram(hist[hist.variant == row.variant], colour[row.label]), width="stretch")
            z = zeros.get(row.variant)
            if z:
                near, exact, top = f"{z['near_zero']:.1%}", f"{z['exact_zero']:.1%}", f"{z['max_abs']:.2f}"
                col.caption(tr("zeros", near=near, exact=exact, top=top))
    st.caption(tr("hist_note"))


def histogram(part: pd.DataFrame, colour: str) -> alt.Chart:
    tooltip = [alt.Tooltip("left:Q", format=".3f"), alt.Tooltip("right:Q", format=".3f"), "count:Q"]
    return (
        alt.Chart(part[["left", "right", "count"]])
        .mark_bar(color=colour)
        .encode(
            x=alt.X("left:Q", title="w"),
            x2="right:Q",
            y=alt.Y("count:Q", title=tr("hist_count"), scale=alt.Scale(type="sqrt")),
            tooltip=tooltip,
        )
        .properties(height=200)
    )


def decay_charts(paths: pd.DataFrame) -> tuple[alt.Chart, alt.Chart]:
    """(‖W‖ of the four decay variants, the distance between L2 and decoupled decay for SGD and Adam)."""
    named = labelled_rows(paths)
    norms = charts.lines(named, "step", "weight_norm", "label", x_title=t("common.step"), y_title=tr("weight_norm"))
    pair = paths[paths.decay == "l2"].assign(pair_distance=lambda f: f.pair_distance.clip(lower=1e-9))
    pair = labelled_rows(pair.drop(columns="decay"))
    distance = charts.lines(
        pair, "step", "pair_distance", "label", x_title=t("common.step"), y_title=tr("pair_distance"), log_y=True
    )
    return norms, distance


@st.cache_data(show_spinner=False)
def expectation_gaps(p: float) -> dict[str, float]:
    return dropout_expectation(p)


def expectation_table(p: float) -> pd.DataFrame:
    """How far each dropout scaling rule's test time is from the training expectation."""
    gaps = expectation_gaps(p)
    rules = [scaling(r) for r in SCALING_RULES]
    return pd.DataFrame({tr("scaling"): rules, tr("expectation_gap"): [f"{gaps[r]:.2%}" for r in SCALING_RULES]})


@st.cache_data(show_spinner=False)
def mask_cells(p: float, seed: int) -> pd.DataFrame:
    return dropout_mask(p, seed)


def mask_chart(p: float, seed: int) -> alt.Chart:
    """Which of the book network's hidden units one training step keeps (one example)."""
    kept, dropped = tr("kept"), tr("dropped")
    cells = mask_cells(p, seed)
    cells = cells.assign(state=cells.kept.map({True: kept, False: dropped}))
    return (
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=alt.X("unit:O", title=tr("unit"), axis=alt.Axis(values=[1, 25, 50, 75, 100])),
            y=alt.Y("layer:O", title=tr("layer")),
            color=alt.Color(
                "state:N", scale=alt.Scale(domain=[kept, dropped], range=["#4c78a8", "#eeeeee"]), title=None
            ),
            tooltip=["layer:O", "unit:O", "state:N"],
        )
        .properties(height=180)
    )


def es_chart(result: Result, measure: str) -> alt.LayerChart:
    """The monitored validation metric and its training counterpart per epoch; a rule where
    early stopping stopped and a point at the epoch whose weights it kept."""
    shown = splits(result.frames["curves"], measure, ("train", "val"))
    y_title = t("common.loss") if measure == "loss" else t("common.accuracy")
    lines = charts.lines(shown, "epoch", "value", "label", dash="split", x_title=t("common.epoch"), y_title=y_title)
    layers = [dashed(lines, tr("split_val"), tr("split_train"))]
    row = result.frames["summary"].set_index("variant").loc["early_stopping"]
    if pd.notna(row.stopped_epoch):
        stop = pd.DataFrame({"epoch": [row.stopped_epoch], "note": [tr("stopped_at", epoch=f"{row.stopped_epoch:g}")]})
        layers.append(alt.Chart(stop).mark_rule(strokeDash=[4, 4], color="#444").encode(x="epoch:Q", tooltip=["note"]))
    if pd.notna(row.kept_epoch):
        val = shown[(shown.variant == "early_stopping") & (shown.split == tr("split_val"))]
        kept = val[(val.epoch - row.kept_epoch).abs() < 1e-9][["epoch", "value"]]
        kept = kept.assign(note=tr("kept_epoch", epoch=f"{row.kept_epoch:g}"))
        diamond = alt.Chart(kept).mark_point(size=160, shape="diamond", filled=True, color="black")
        layers.append(diamond.encode(x="epoch:Q", y="value:Q", tooltip=["note"]))
    return alt.layer(*layers).resolve_scale(color="independent")


def ensemble_charts(
    bars: pd.DataFrame, grow: pd.DataFrame, mean_single: float
) -> tuple[alt.LayerChart, alt.LayerChart]:
    """(test accuracy per member, ensemble and dropout network, coloured by kind and labelled with
    its value; the growing ensemble's accuracy with the members' mean as a rule)."""
    named = labelled_rows(bars)
    named["kind"] = named.kind.map(lambda k: tr(f"kind_{k}"))
    bar = (
        alt.Chart(named[["label", "kind", "test_acc"]])
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=None, title=None),
            y=alt.Y("test_acc:Q", title=tr("col_test"), scale=alt.Scale(zero=False)),
            color=alt.Color("kind:N", scale=scale(named.kind.tolist(), bars.kind.tolist()), title=None),
            tooltip=["label", alt.Tooltip("test_acc:Q", format=".2%")],
        )
        .properties(height=300)
    )
    values = bar.mark_text(dy=-8).encode(text=alt.Text("test_acc:Q", format=".2%"), color=alt.value("#333"))
    grow = grow.assign(label=tr("kind_ensemble"), hue="ensemble")
    line = charts.lines(grow, "members", "test_acc", "label", x_title=tr("members"), y_title=tr("col_test"), height=300)
    line = line.encode(x=alt.X("members:Q", title=tr("members"), axis=alt.Axis(tickMinStep=1, format="d")))
    rule = (
        alt.Chart(pd.DataFrame({"y": [mean_single], "note": [tr("mean_single")]}))
        .mark_rule(strokeDash=[4, 4])
        .encode(y="y:Q", tooltip=["note", alt.Tooltip("y:Q", format=".2%")])
    )
    return alt.layer(bar, values), alt.layer(line, rule)


# Lessons, worded from the facts core computes on the result on screen


def loss_value(x: float) -> str:
    """A loss as the lessons quote it."""
    return number(x, 3)


def norm(x: float) -> str:
    """A weight norm ‖W‖ as the demo's table and lesson show it."""
    return f"{x:.2f}"


def items(named: dict[str, str], facts, value) -> str:
    """ "name (value), name (value)" for the given facts."""
    return tr("list_sep").join(tr("item", name=named[f.variant], value=value(f)) for f in facts)


def see_lesson(spec: Overfitting, result: Result) -> str:
    """The lesson of one network on the book setting, from its numbers."""
    facts = overfitting_facts(spec, result)
    b = facts.baseline
    if facts.case == "diverged":
        return tr("see_diverged")
    values = {"train": pct(b.train_acc), "test": pct(b.test_acc), "gap": points(b.gap)}
    return tr(f"see_{facts.case}", n=f"{spec.n_train:,}", epochs=spec.epochs, **values)


def remedies_lesson(spec: Overfitting, result: Result, weights_shown: bool = False) -> str:
    """The lesson of several remedies: the baseline, which remedies narrowed or widened the gap
    and which underfit, the best test accuracy, the optimizer's decay, where early stopping
    stopped and, where the page shows the weights, L1's sparsity: each with this run's numbers."""
    facts = overfitting_facts(spec, result)
    named = labels.variant_names(result.frames["summary"])
    b = facts.baseline
    parts = [baseline_sentence(facts, spec.epochs)]
    alive = [f for f in facts.remedies if not f.diverged]
    if b is not None and facts.case != "diverged":
        fitted = alive if facts.case == "unfit" else [f for f in alive if not f.underfit]
        unchanged = [f for f in fitted if not (f.narrowed or f.widened)]
        for key, group in (
            ("narrowed", [f for f in fitted if f.narrowed]),
            ("widened", [f for f in fitted if f.widened]),
            ("unchanged", unchanged),
        ):
            if group:
                parts.append(tr(key, items=items(named, group, lambda f: points(f.gap))))
    underfit = [f for f in alive if f.underfit]
    if underfit and facts.case != "unfit":
        parts.append(tr("underfit", items=items(named, underfit, lambda f: pct(f.train_acc))))
    if diverged := [f for f in facts.remedies if f.diverged]:
        parts.append(tr("diverged_list", items=tr("list_sep").join(named[f.variant] for f in diverged)))
    parts += best_sentence(facts, named)
    parts += [es_in_all(f, spec) for f in facts.remedies if f.variant == "early_stopping" and not f.diverged]
    parts += (l1_sentence(facts.l1, spec.steps) if weights_shown else []) + decay_sentence(facts.decay, spec.steps)
    return " ".join(p for p in parts if p)


def baseline_sentence(facts: OverfittingFacts, epochs: int) -> str:
    b = facts.baseline
    if b is None or b.diverged:
        return tr(f"base_{facts.case}")
    return tr(f"base_{facts.case}", train=pct(b.train_acc), test=pct(b.test_acc), gap=points(b.gap), epochs=epochs)


def best_sentence(facts: OverfittingFacts, named: dict[str, str]) -> list[str]:
    """Which network tested best, against the one without a remedy (nothing without one)."""
    b = facts.baseline
    if b is None or b.diverged or not facts.remedies or facts.best is None:
        return []
    if facts.best == "none":
        return [tr("best_none", test=pct(b.test_acc))]
    best = next(f for f in facts.remedies if f.variant == facts.best)
    return [tr("best_remedy", name=named[best.variant], test=pct(best.test_acc), base=pct(b.test_acc))]


def es_in_all(f: RemedyFacts, spec: Overfitting) -> str:
    """Where early stopping stopped among the other remedies, and which weights it kept."""
    epochs = spec.epochs
    if f.stopped_epoch is None:
        return tr("es_in_all_never", epochs=epochs, monitor=tr(spec.monitor))
    kept = f.kept_epoch if f.kept_epoch is not None else f.stopped_epoch
    return tr("es_in_all_stopped", stopped=f"{f.stopped_epoch:g}", epochs=epochs, kept=f"{kept:g}")


def l1_sentence(l1: L1Facts | None, steps: int) -> list[str]:
    if l1 is None:
        return []
    key = "l1_sparse" if l1.sparse else "l1_few"
    return [
        tr(
            key,
            share=f"{l1.exact_zero:.1%}",
            step=f"{l1.step_pull:g}",
            total=number(l1.run_pull, 2),
            steps=f"{steps:,}",
        )
    ]


def decay_sentence(decay: DecayFacts | None, steps: int) -> list[str]:
    if decay is None:
        return []
    return [
        tr(
            "decay_size",
            method=labels.name("method", decay.method),
            factor=number(decay.step_factor, 6),
            total=number(decay.run_factor, 3),
            steps=f"{steps:,}",
        )
    ]


def dropout_lesson(spec: Overfitting, result: Result) -> str:
    """The remedies' lesson, and a word when nothing was dropped."""
    nothing = spec.dropout == 0 and spec.input_dropout == 0
    return " ".join([*([tr("dropout_zero")] if nothing else []), remedies_lesson(spec, result)])


def decay_table(paths: pd.DataFrame, facts: DecayDemoFacts) -> pd.DataFrame:
    """Each decay variant's ‖W‖ at the start and the end, its change and its distance to its partner."""
    named = labels.variant_names(paths)
    last = paths[paths.step == paths.step.max()].set_index("variant")
    return pd.DataFrame(
        {
            tr("col_network"): [named[v] for v in facts.end],
            tr("demo_table_start"): [norm(facts.start)] * len(facts.end),
            tr("demo_table_end", steps=f"{facts.steps:,}"): [norm(e) for e in facts.end.values()],
            tr("demo_table_change"): [f"{e - facts.start:+.2f}" for e in facts.end.values()],
            tr("demo_table_distance"): [norm(last.pair_distance[v]) for v in facts.end],
        }
    )


def demo_lesson(spec: DecayVsL2, paths: pd.DataFrame, facts: DecayDemoFacts) -> str:
    """Which form shrank the weights most and least, SGD's pair on one path or not, Adam's pair
    in the textbook's order or the other way round, and the size of AdamW's decay."""
    named, end = labels.variant_names(paths), facts.end
    grew = end[facts.least] > facts.start
    parts = [
        tr(
            "demo_start_grew" if grew else "demo_start",
            start=norm(facts.start),
            steps=f"{facts.steps:,}",
            most=named[facts.most],
            most_end=norm(end[facts.most]),
            least=named[facts.least],
            least_end=norm(end[facts.least]),
        )
    ]
    if facts.sgd_same:
        parts.append(tr("demo_sgd_same", end=norm(end["sgd_l2"])))
    else:
        sgd = {"l2": norm(end["sgd_l2"]), "decoupled": norm(end["sgd_weight_decay"])}
        parts.append(tr("demo_sgd_apart", distance=norm(facts.sgd_distance), **sgd))
    adam = {"distance": norm(facts.adam_distance), "adam": norm(end["adam_l2"]), "adamw": norm(end["adamw"])}
    if facts.expected:
        parts.append(tr("demo_adam_expected", **adam))
    else:
        parts.append(tr("demo_adam_reversed", lr=number(spec.adam_lr), **adam))
    size = {
        "factor": number(1 - facts.adamw_step, 6),
        "total": number(facts.adamw_factor, 3),
        "steps": f"{facts.steps:,}",
    }
    if facts.adamw_visible:
        parts.append(tr("demo_adamw_visible", **size))
    else:
        parts.append(tr("demo_adamw_small", start=norm(facts.start), end=norm(end["adamw"]), **size))
    return " ".join(parts)


def es_lesson(facts: EarlyStoppingFacts) -> str:
    """What the validation curve did, where early stopping stopped, what it did to test accuracy
    (and why, where loss and accuracy disagree), and the lecture's printed numbers beside the run's."""
    value = loss_value if facts.monitor == "val_loss" else pct
    curve = {
        "best": f"{facts.best_epoch:g}",
        "best_value": value(facts.best_value),
        "last_value": value(facts.last_value),
    }
    parts = [
        tr("es_worsened" if facts.worsened else "es_steady", monitor=tr(facts.monitor), epochs=facts.epochs, **curve)
    ]
    if facts.stopped_epoch is None:
        parts.append(tr("es_never", epochs=facts.epochs))
    else:
        parts.append(tr("es_stopped", stopped=f"{facts.stopped_epoch:g}"))
    if facts.kept_epoch is not None and facts.kept_epoch != (facts.stopped_epoch or facts.epochs):
        parts.append(tr("es_kept", kept=f"{facts.kept_epoch:g}"))
    parts.append(tr(f"es_{facts.case}", es=pct(facts.test_es), none=pct(facts.test_none)))
    if facts.acc_rose_after:
        acc = {"acc_kept": pct(facts.val_acc_kept), "acc_last": pct(facts.val_acc_last)}
        parts.append(tr("es_acc_rose", kept=f"{facts.kept_epoch:g}", **acc))
    if facts.lecture:
        parts.append(tr("es_lecture", **lecture_values(facts.lecture)))
    return " ".join(parts)


def lecture_values(lecture: dict[str, float]) -> dict[str, str]:
    """The lecture's printed numbers and this run's as percentages, their differences in points."""
    return {k: points(v, 2) if k.endswith("_diff") else pct(v) for k, v in lecture.items()}


def es_table(summary: pd.DataFrame, facts: EarlyStoppingFacts) -> pd.DataFrame:
    """The run's two networks, and on the lecture's settings the lecture's printed row with the
    difference between this run and it."""
    table = summary_table(summary, gap=False)
    if facts.lecture:
        v = lecture_values(facts.lecture)
        row = {
            tr("col_remedy"): tr("lecture_row"),
            tr("col_train"): v["train_printed"],
            tr("col_test"): v["test_printed"],
            tr("col_note"): tr("lecture_note", train=v["train_diff"], test=v["test_diff"]),
        }
        table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
    return table


def ensemble_lesson(facts: EnsembleFacts, epochs: int) -> str:
    """The ensemble against its members, where its gain came from, and the dropout network."""
    values = {"n": facts.members, "ens": pct(facts.ensemble), "mean": pct(facts.mean_single)}
    values |= {"best": pct(facts.best_single), "worst": pct(facts.worst_single)}
    parts = [tr(f"ens_{facts.case}", **values)]
    if facts.most_by is not None and facts.most_by < facts.members:
        parts.append(tr("ens_most_by", k=facts.most_by))
    side = "above" if facts.dropout > facts.mean_single else "below"
    parts.append(tr(f"ens_dropout_{side}", dropout=pct(facts.dropout), epochs=epochs))
    return " ".join(parts)
