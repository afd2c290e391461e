"""Foundations: an overview of the section's pages (learning rate, clipping, input
normalization, losses, gradient checking, activations). It keeps the old `/foundations` URL,
where all of them once were tabs, so old links still open."""

import streamlit as st

from ui import nav
from ui.i18n import t

st.title(t("foundations.title"))
st.markdown(t("foundations.intro"))
for name, icon in nav.sections().get("foundations", []):
    if name == "foundations":
        continue
    with st.container(border=True):
        st.page_link(f"app_pages/{name}.py", label=t(f"{name}.title"), icon=icon)
        st.caption(t(f"{name}.summary"))
