"""The Streamlit script of `salesops dashboard` (started by serve.py: `streamlit run app.py
-- --home HOME [--restricted]`). Every page view resolves HOME/published anew, so a new
publication shows on the next view without a restart."""

from __future__ import annotations

import argparse
from pathlib import Path

import streamlit as st

from orchestration.dashboard import pages

parser = argparse.ArgumentParser()
parser.add_argument("--home", type=Path, required=True)
parser.add_argument("--restricted", action="store_true")
args = parser.parse_args()

st.set_page_config(page_title="Sales operations", layout="wide")
st.navigation(pages.pages(args.home, args.restricted)).run()
