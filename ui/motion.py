"""Motion in the browser: a chart's position (step, epoch, layer) as a Vega-Lite parameter bound
to a range input, and a Play button that moves that input. Scrubbing a finished result then
never reruns the page: Vega redraws the chart itself, and the button only touches the input
(it never sends a value to Python, which would rerun the script)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from ui.i18n import t

SECONDS = 4.0  # one play from the first position to the last, whatever the number of positions

# The button finds the chart's range input by its name (Vega names it after the parameter),
# sets its value and fires the `input` event Vega listens to. Progress follows the clock, not
# the frame count, so a 1,000-step race plays as long as a 10-epoch one.
JS = """
export default function (component) {
  const { data, parentElement } = component;
  let button = parentElement.querySelector("button");
  if (!button) {
    button = document.createElement("button");
    button.type = "button";
    parentElement.appendChild(button);
  }
  button.dataset.param = data.param;
  let frame = null;
  const input = () => document.querySelector(`input[type="range"][name="${data.param}"]`);
  const show = (playing) => {
    button.textContent = (playing ? "\\u23F8 " : "\\u25B6 ") + (playing ? data.pause : data.play);
    button.setAttribute("aria-pressed", String(playing));
  };
  const stop = () => {
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
    show(false);
  };
  const set = (el, value) => {
    if (String(value) === el.value) return;
    el.value = String(value);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const play = () => {
    const el = input();
    if (!el) return;
    const lo = Number(el.min), hi = Number(el.max), step = Number(el.step) || 1;
    let from = Number(el.value);
    if (from >= hi) from = lo;  // at the end: start again from the beginning
    const span = hi - lo, began = performance.now() - ((from - lo) / (span || 1)) * data.seconds * 1000;
    const tick = (now) => {
      const share = Math.min(1, (now - began) / (data.seconds * 1000));
      set(el, lo + Math.round((share * span) / step) * step);
      if (share >= 1) stop(); else frame = requestAnimationFrame(tick);
    };
    show(true);
    set(el, from);
    frame = requestAnimationFrame(tick);
  };
  button.onclick = () => (frame === null ? play() : stop());
  show(false);
  return stop;
}
"""

CSS = """
button {
  font: inherit;
  padding: 0.25rem 0.9rem;
  border-radius: 0.5rem;
  border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
  background: var(--st-secondary-background-color, transparent);
  color: var(--st-text-color, inherit);
  cursor: pointer;
}
button:hover { border-color: var(--st-primary-color, #ff4b4b); color: var(--st-primary-color, #ff4b4b); }
"""

_player = st.components.v2.component("lab_motion_player", js=JS, css=CSS)


def position(name: str, last: int, label: str, first: int = 0) -> alt.Parameter:
    """A chart parameter at `last` (the finished result shows in full), bound to a range input
    from `first` to `last` under the chart. `name` must be unique on the page: the Play button
    finds the input by it."""
    bind = alt.binding_range(min=first, max=last, step=1, name=label)
    return alt.param(name=name, value=last, bind=bind)


def play_button(param: alt.Parameter, key: str) -> None:
    """A Play/Pause button that walks `param`'s range input from start to end in a few seconds,
    in the browser only."""
    _player(
        key=key,
        data={"param": param.name, "play": t("common.play"), "pause": t("common.pause"), "seconds": SECONDS},
        width="content",
    )
