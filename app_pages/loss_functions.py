"""Loss functions: mean squared error against cross-entropy on one sigmoid neuron, the lecture's
two cases, training from a saturated start, and softmax with the log-likelihood loss (course
section 7)."""

import numpy as np
import pandas as pd
import streamlit as st

from core import loss_functions as lf
from ui import charts
from ui.i18n import t
from ui.widgets import defaults, guard, lesson, spec_values

P = "loss_functions"  # widget-key prefix


def tr(key: str, **values) -> str:
    return t(f"{P}.{key}", **values)


def curves() -> None:
    st.markdown(tr("loss_intro"))
    st.latex(tr("loss_latex"))
    defaults({f"{P}.y": 1})
    y = st.radio(tr("target_y"), [1, 0], key=f"{P}.y", horizontal=True)
    o = np.linspace(0.001, 0.999, 400)
    frame = pd.concat(
        [
            pd.DataFrame(
                {"o": o, "value": lf.loss(n, o, y), "grad": np.abs(lf.grad_z(n, o, y)), "label": tr(f"loss_{n}")}
            )
            for n in lf.LOSSES
        ]
    )
    for col, field, title in zip(st.columns(2), ("value", "grad"), (tr("error_e_bits"), tr("grad_abs_bits"))):
        col.altair_chart(
            charts.lines(frame, "o", field, "label", x_title=tr("output_o"), y_title=title, height=260), width="stretch"
        )


def cases() -> None:
    st.subheader(tr("cases_title"))
    st.markdown(tr("cases_intro"))
    rows = pd.DataFrame(lf.lecture_cases())
    table = pd.DataFrame(
        {
            tr("case"): range(1, len(rows) + 1),
            "w, b": [f"{w:g}, {b:g}" for w, b in zip(rows.w, rows.b)],
            "z": rows.z.map(lambda v: f"{v:.4g}"),
            "o": rows.o.map(lambda v: f"{v:.4f}"),
        }
    )
    for n, name in (("mse", "MSE"), ("ce", "CE")):
        for column, head in ((f"error_{n}", "e"), (f"grad_w_{n}", "∂e/∂w"), (f"grad_b_{n}", "∂e/∂b")):
            table[f"{head} ({name})"] = rows[column].map(lambda v: f"{v:.4f}")
    st.dataframe(table, hide_index=True, width="stretch")
    printed_table(("mse_error", "ce_bits"))


def printed_label(row: dict) -> str:
    """What a printed number is: the case or class it belongs to (the output o for cross-entropy)."""
    o = lf.LECTURE_CE_OUTPUTS[row["index"] - 1] if row["what"] == "ce_bits" else 0
    return tr(f"printed_{row['what']}", i=row["index"], o=f"{o:g}")


def printed_table(kinds: tuple[str, ...], logits=lf.LECTURE_LOGITS) -> None:
    """The lecture's printed numbers of `kinds` beside this page's, with the difference."""
    rows = [r for r in lf.printed_comparison(logits) if r["what"] in kinds]
    if not rows:
        return
    table = pd.DataFrame(
        {
            tr("quantity"): [printed_label(r) for r in rows],
            tr("printed"): [f"{r['printed']:.4f}" for r in rows],
            tr("computed"): [f"{r['computed']:.4f}" for r in rows],
            tr("difference"): [f"{r['computed'] - r['printed']:+.4f}" for r in rows],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def neuron_training() -> None:
    st.subheader(tr("neuron_train_title"))
    defaults(spec_values(P, lf.NeuronRun()))
    c1, c2, c3 = st.columns(3)
    case = c1.radio(tr("start_case"), list(range(1, len(lf.LECTURE_CASES) + 1)), key=f"{P}.case", horizontal=True)
    lr = c2.number_input(t("common.learning_rate"), 0.001, 10.0, key=f"{P}.lr", format="%g")
    steps = c3.number_input(t("common.steps"), 1, 5000, key=f"{P}.steps")
    run = guard(lambda: lf.NeuronRun(case=case, lr=lr, steps=int(steps)))
    outputs = run.outputs()
    frame = pd.concat(
        pd.DataFrame({"step": np.arange(len(o)), "o": o, "label": tr(f"loss_{n}")}) for n, o in outputs.items()
    )
    st.altair_chart(
        charts.lines(frame, "step", "o", "label", x_title=t("common.step"), y_title=tr("output_o_y0"), height=260),
        width="stretch",
    )
    lesson(neuron_lesson(lf.neuron_facts(outputs), run.steps))


def neuron_lesson(f: lf.NeuronFacts, steps: int) -> str:
    """Which loss moved the saturated neuron first, in this run's steps and outputs."""
    step = {
        n: tr("crossed_at", step=s) if s is not None else tr("not_crossed", steps=steps) for n, s in f.crossed.items()
    }
    final = {n: f"{o:.4f}" for n, o in f.final.items()}
    return tr(
        f"lesson_loss_{f.case}",
        mse_step=step["mse"],
        ce_step=step["ce"],
        mse_final=final["mse"],
        ce_final=final["ce"],
        half=lf.HALF,
        steps=steps,
    )


def parse_logits(text: str) -> np.ndarray:
    """The typed logits, or a message in the reader's language."""
    try:
        return lf.parse_logits(text)
    except ValueError:
        raise ValueError(tr("logits_bad")) from None


def softmax() -> None:
    st.subheader(tr("softmax_title"))
    st.latex(tr("softmax_latex"))
    defaults({f"{P}.logits": ", ".join(map(str, lf.LECTURE_LOGITS))})
    text = st.text_input(tr("logits"), key=f"{P}.logits", help=tr("logits_help"))
    logits = guard(lambda: parse_logits(text))
    table = {
        tr("class"): [str(i + 1) for i in range(len(logits))],
        tr("logit"): logits,
        tr("probability"): [f"{p:.4f}" for p in lf.softmax(logits)],
        tr("loss_bits"): [f"{b:.4f}" for b in lf.log_likelihood_losses(logits)],
    }
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
    printed_table(("softmax", "softmax_bits"), logits)
    rounded = lf.lecture_rounded_bits(logits)
    if rounded is not None:
        st.caption(tr("softmax_rounding", bits=", ".join(f"{v:.4f}" for v in rounded)))
    f = lf.softmax_facts(logits)
    lesson(
        tr(
            "lesson_softmax",
            top=f.top + 1,
            top_p=f"{f.top_p:.4f}",
            top_bits=f"{f.top_bits:.4f}",
            bottom=f.bottom + 1,
            bottom_p=f"{f.bottom_p:.4f}",
            bottom_bits=f"{f.bottom_bits:.4f}",
        )
    )


st.title(tr("title"))
curves()
cases()
neuron_training()
softmax()
