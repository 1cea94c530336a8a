"""The frozen report theme equals seaborn's, and report code no longer pays for importing seaborn."""

import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt

from analysis.reports.theme import STYLE_FILE, seaborn_theme_params


def _changed_by_style_file() -> dict:
    with mpl.rc_context():
        mpl.rcdefaults()
        before = dict(mpl.rcParams)
        plt.style.use(STYLE_FILE)
        return {key: value for key, value in mpl.rcParams.items() if before.get(key) != value}


def test_the_style_file_sets_exactly_what_seaborn_set_theme_sets():
    frozen, seaborn = _changed_by_style_file(), seaborn_theme_params()
    assert frozen == seaborn, "run `python -m analysis.reports.theme` after upgrading seaborn"
    assert {"axes.grid", "axes.prop_cycle", "font.family", "xtick.labelsize"} <= set(frozen)


def test_report_modules_import_neither_seaborn_nor_scipy():
    code = (
        "import sys, analysis.reports.figures, analysis.reports.site_report, analysis.reports.summary_report; "
        "print(sorted(m for m in ('seaborn', 'scipy.stats') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
