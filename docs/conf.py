"""Sphinx configuration of the branchlab documentation site.

Build: ``python -m pip install -e ".[docs]"`` then ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
The notebooks in ``notebooks/`` are rendered as stored (outputs stripped), never executed; the API reference
is generated from the docstrings of ``sim``, ``optimize`` and ``branchlab``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from branchlab import __version__  # noqa: E402
from sim.fonts import FONT_FILE, bundled_font_path  # noqa: E402

project = "branchlab"
author = "branchlab contributors"
copyright = "2026, branchlab contributors"
version = release = __version__
language = "en"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

# Markdown pages (MyST) and the notebooks (myst-nb), shown as stored: nothing is executed at build time.
nb_execution_mode = "off"
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "plots/*.py", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]
highlight_language = "text"  # unlabelled blocks are program output: no guessed colours

# API reference: one page per module, members defined there (a package's lazy re-exports are listed, not
# documented twice), Google-style "Args:" / "Returns:" sections through napoleon.
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True
add_module_names = False

html_theme = "furo"
html_title = f"branchlab {release}"
html_static_path = ["_static"]
html_css_files = ["cjk.css"]
html_theme_options = {"navigation_with_keys": True}
html_show_sourcelink = False


def _copy_cjk_font(app: Any, exception: Exception | None) -> None:
    """Put the bundled Noto Sans SC (SIL OFL 1.1, installed with branchlab) beside the site's CSS.

    ``_static/cjk.css`` declares it for CJK code points only (``unicode-range``), so a browser
    without a Chinese font draws 网点 names from it and a page without Chinese never loads it.
    """
    font = bundled_font_path()
    if exception is None and app.builder.format == "html" and font is not None:
        target = Path(app.outdir) / "_static" / "fonts" / FONT_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.stat().st_size != font.stat().st_size:
            shutil.copyfile(font, target)


def _copy_notebooks(app: Any) -> None:
    """The repository's notebooks into ``docs/notebooks/`` (ignored by git), copied only when changed."""
    target = HERE / "notebooks"
    target.mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        copy = target / nb.name
        if not copy.exists() or copy.read_bytes() != nb.read_bytes():
            shutil.copyfile(nb, copy)


def _module_stubs(app: Any) -> None:
    """A module whose package exports a function of the same name (``sim.replicate``, the module, and
    ``sim.replicate``, the function ``sim`` loads on first use) is documented as the module: autosummary
    finds the package's attribute first and would give that page the function alone."""
    import importlib.util

    for stub in sorted((HERE / "api").glob("*.rst")):
        name = stub.stem
        text = stub.read_text(encoding="utf-8")
        if "automodule" in text or "." not in name or importlib.util.find_spec(name) is None:
            continue
        page = f"{name}\n{'=' * len(name)}\n\n.. automodule:: {name}\n"
        stub.write_text(page, encoding="utf-8")


def _lazy_names(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a docstring's ``:func:`sim.replicate``` or ``:class:`optimize.Region```: names the packages load
    on first use (``sim.lazy``) are documented in their home modules; retry the reference there."""
    import importlib

    target = node.get("reftarget", "")
    package, _, name = target.partition(".")
    if node.get("refdomain") != "py" or package not in ("sim", "optimize") or "." in name:
        return None
    pkg = importlib.import_module(package)
    home = getattr(pkg, "_home", {}).get(name)
    if home is None:
        return None
    home = getattr(getattr(pkg, name), "__module__", None) or home  # where it is defined (sim.DayLog: sim.daylog)
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], f"{home}.{name}",
                               node.deepcopy(), contnode)


def _napoleon_except_data(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """napoleon's docstring processing for everything but data, attributes (``#:`` comments) and properties: it reads
    a data docstring's text before its first colon as the type ("Largest skill multiplier …: ten times the
    norm" would show as a type), and the project's data docstrings are plain sentences."""
    from sphinx.ext.napoleon import _process_docstring

    if what not in ("data", "attribute", "property"):
        _process_docstring(app, what, name, obj, options, lines)


def _write_command_help(app: Any) -> None:
    """``branchlab COMMAND --help`` into ``docs/commands/help/COMMAND.txt`` (ignored by git) for the command pages."""
    from branchlab.cli import command_help

    target = HERE / "commands" / "help"
    target.mkdir(parents=True, exist_ok=True)
    for command in (None, "simulate", "validate", "sweep", "optimize", "quarter", "fit"):
        path = target / f"{command or 'branchlab'}.txt"
        text = command_help(command, width=100)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _copy_notebooks)
    app.connect("builder-inited", _write_command_help)
    app.connect("builder-inited", _module_stubs)  # after autosummary's own builder-inited: it wrote the stubs
    app.connect("missing-reference", _lazy_names)
    from sphinx.ext.napoleon import _process_docstring

    for listener in list(app.events.listeners["autodoc-process-docstring"]):
        if listener.handler is _process_docstring:
            app.disconnect(listener.id)
    app.connect("autodoc-process-docstring", _napoleon_except_data)
    app.connect("build-finished", _copy_cjk_font)
    return {"parallel_read_safe": True}
