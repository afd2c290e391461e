"""Home: what the lab is, the guided path through the topics section by section, and the state
of data and store."""

import streamlit as st

from core import data
from ui import nav, runner
from ui.i18n import t

st.title(t("home.heading"))
st.markdown(t("home.intro"))

st.subheader(t("home.path"))
number = 0
for section, pages in nav.sections().items():
    pages = [(name, icon) for name, icon in pages if name != "home"]
    if not pages:
        continue
    st.markdown(f"#### {t(f'common.section_{section}')}")
    for name, icon in pages:
        number += 1
        with st.container(border=True):
            st.page_link(f"app_pages/{name}.py", label=f"{number}. {t(f'{name}.title')}", icon=icon)
            st.caption(t(f"{name}.summary"))

st.subheader(t("home.status"))
cols = st.columns(3)
for col, dataset in zip(cols, data.DATASETS):
    ok = data.available(dataset)
    col.metric(t(f"common.{dataset}"), t("home.ready") if ok else t("home.missing"))
    if not ok:
        col.caption(t("home.missing_help"))
cols[2].metric(t("home.saved"), len(runner.store().entries()))
st.caption(t("home.credits"))
