"""The report figures' theme: seaborn's whitegrid theme, frozen as a matplotlib style file.

`seaborn.set_theme(style="whitegrid", context="notebook", font="DejaVu Sans")` only sets matplotlib
rcParams, but importing seaborn imports scipy.stats, about a second per report job. The parameters it sets
are therefore kept in `report.mplstyle` (written by `python -m analysis.reports.theme`), and
tests/test_theme.py checks that file still equals what the installed seaborn sets.
"""

from __future__ import annotations

import enum
from pathlib import Path

STYLE_FILE = Path(__file__).parent / "report.mplstyle"
SEABORN_THEME = {"style": "whitegrid", "context": "notebook", "font": "DejaVu Sans"}
# seaborn also makes its 'rocket' colour map the default for images; no report figure draws an image, and
# the name is unknown to matplotlib without seaborn.
NOT_FROZEN = {"image.cmap"}


def seaborn_theme_params() -> dict[str, object]:
    """The rcParams that seaborn.set_theme(**SEABORN_THEME) changes, from matplotlib's defaults."""
    import matplotlib as mpl
    import seaborn as sns

    with mpl.rc_context():
        mpl.rcdefaults()
        before = dict(mpl.rcParams)
        sns.set_theme(**SEABORN_THEME)
        return {key: value for key, value in mpl.rcParams.items() if before.get(key) != value and key not in NOT_FROZEN}


def _style_value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def write_style_file(path: Path = STYLE_FILE) -> Path:
    """Freeze seaborn's theme into a matplotlib style file (run again after upgrading seaborn)."""
    lines = [
        f"# seaborn.set_theme({', '.join(f'{k}={v!r}' for k, v in SEABORN_THEME.items())}), frozen by "
        "python -m analysis.reports.theme"
    ]
    lines += [f"{key}: {_style_value(value)}" for key, value in sorted(seaborn_theme_params().items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write_style_file()}")
