"""Keep the built pages self-contained and quiet in the browser console.

- sphinx-thebe (always loaded by Jupyter Book 1) adds its loader twice per page and points it at a CDN;
  this book has no live kernel in the page, so its scripts are removed.
- pydata-sphinx-theme logs an error on a visitor's first load when no colour mode is stored; a default
  mode ("auto": follow the system setting) is set instead.
- Sphinx skips its final stage (copying static files, rewriting pages) when no document changed, so an
  edit to a vendored script or to this extension would not reach _build/html; such an edit now forces
  the pages to be rewritten (no notebook is re-executed).
"""
import os
from pathlib import Path


def _is_thebe(asset) -> bool:
    name = getattr(asset, "filename", None) or str(asset)
    body = (getattr(asset, "attributes", None) or {}).get("body", "")
    return "thebe" in (name or "") or "THEBE_JS_URL" in body


def _strip_thebe(app, pagename, templatename, context, doctree):
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if not _is_thebe(a)]
    context.setdefault("default_mode", "auto")
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def _rewrite_pages_if_assets_changed(app):
    buildinfo = Path(app.outdir) / ".buildinfo"
    built = buildinfo.stat().st_mtime if buildinfo.exists() else 0.0
    sources = [Path(app.confdir) / p for p in app.config.html_static_path] + [Path(__file__).parent]
    newest = max((f.stat().st_mtime for d in sources for f in Path(d).rglob("*") if f.is_file()), default=0)
    if newest > built:
        # Pages older than their sources are rewritten, and a rewrite ends by copying the static files.
        for page in Path(app.outdir).rglob("*.html"):
            os.utime(page, (0, 0))


def setup(app):
    app.connect("builder-inited", _rewrite_pages_if_assets_changed)
    app.connect("html-page-context", _strip_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
