"""Entry point: `streamlit run streamlit_app.py`. Navigation, language switch and sidebar."""

import streamlit as st

from core import device
from ui import links, nav, runner, sidebar
from ui.i18n import t
from ui.widgets import page_guard

st.set_page_config(page_title="NN Training Lab", page_icon=":material/neurology:", layout="wide")
links.begin()  # a link that just arrived: its language before any text, its knobs as the page draws them
pages = {
    t(f"common.section_{section}"): [
        st.Page(
            str(nav.PAGES_DIR / f"{name}.py"),
            title=t(f"{name}.title"),
            icon=icon,
            url_path=name,
            default=name == "home",
        )
        for name, icon in entries
    ]
    for section, entries in nav.sections().items()
}
current = st.navigation(pages, expanded=True)  # every page in view: 16 pages would fold after 10
links.page(current.url_path)
sidebar.language()
links.copy_button()
runner.remember_owner()
try:
    with device.using(sidebar.status()):  # this visitor's device, for the page and the runs it starts
        page_guard(current.run)
finally:  # also after st.stop(): the address follows the knobs
    links.end()
