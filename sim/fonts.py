"""Chinese characters in every chart: a CJK font registered with matplotlib as a fallback.

Outlet and person names are Chinese in this domain (网点 names), and matplotlib's default
font, DejaVu Sans, has no CJK glyphs: without help they draw as empty boxes, with a
``Glyph … missing from font(s) DejaVu Sans`` warning per character. matplotlib (3.6 and
later) draws each character from the first family in ``font.family`` that has it, so one
extra family at the end of that list is enough: Latin letters and digits still come from
the first font (the charts keep their look), CJK characters from the fallback.

The fallback is **Noto Sans SC** (Noto CJK's Simplified Chinese subset, SIL Open Font
License 1.1, one 8 MB OpenType file), which installs with branchlab from the data-only
PyPI package ``pylopdf-fonts-zh-cn`` (a declared dependency), so a fresh machine needs
nothing more. Without that package (an install that skipped dependencies) a CJK font the
system has is used: Debian's ``fonts-noto-cjk`` (``apt-get install fonts-noto-cjk``) or
WenQuanYi, by file (:data:`SYSTEM_FONT_FILES`), or any family of :data:`SYSTEM_FAMILIES`
matplotlib already knows.

:func:`use_cjk_fallback` does the registration; :mod:`sim.plots`, :mod:`optimize.plots`
and :mod:`optimize.quarter_report` call it when they are imported and again for each
figure they build, so a style sheet or an ``rcParams`` reset in a notebook does not lose
it. It changes nothing but the font manager's list of fonts and the end of
``font.family``. This module imports matplotlib; :mod:`sim` does not import it.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

#: The bundled fallback family and the package that ships its file.
CJK_FAMILY = "Noto Sans SC"
FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"
#: System font files tried when the package is missing: Debian's fonts-noto-cjk, then WenQuanYi.
SYSTEM_FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
#: CJK families used if matplotlib already knows one of them (macOS, Windows, other Linux packages).
SYSTEM_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Micro Hei",
                   "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei", "SimHei")

def bundled_font_path() -> Path | None:
    """The Noto Sans SC file installed with branchlab, or ``None`` when its package is not installed."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / FONT_FILE
    return path if path.is_file() else None


@functools.cache
def _register() -> str | None:
    """Add the first CJK font found to matplotlib's font manager; its family name, or ``None``."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    for path in (bundled_font_path(), *SYSTEM_FONT_FILES):
        if path is not None and path.is_file():
            if not any(Path(f.fname) == path for f in manager.ttflist):
                manager.addfont(str(path))
            return str(font_manager.FontProperties(fname=str(path)).get_name())
    known = {f.name for f in manager.ttflist}
    return next((family for family in SYSTEM_FAMILIES if family in known), None)


def use_cjk_fallback() -> str | None:
    """Make matplotlib fall back to a CJK font for characters the current fonts lack.

    Registers the font once (:func:`bundled_font_path`, else a system one) and appends its
    family to ``rcParams["font.family"]`` unless it is already there; the families before it
    are kept, so Latin text looks as before. Returns the fallback family, or ``None`` when
    no CJK font is installed (CJK text then draws as boxes, with matplotlib's warning).
    """
    from matplotlib import rcParams

    family = _register()
    if family is not None:
        families = list(rcParams["font.family"])
        if family not in families:
            rcParams["font.family"] = [*families, family]
    return family
