"""A notebook whose execution failed is read (and so executed) again by every build, until it passes.

Sphinx re-reads only the documents whose source changed. With `execute_notebooks: cache`, a notebook
that raised is not stored in the cache, but its page is kept in the environment, so without this the
second `jupyter-book build` after a failure reads nothing, warns nothing and exits 0 with the traceback
in the page. myst-nb records every execution's outcome (`exec_data["succeeded"]`); this marks the
failed ones as outdated, so the failure (a warning, an error under `-W`) comes back every time.
"""
from myst_nb.sphinx_ import NbMetadataCollector
from sphinx.util import logging

logger = logging.getLogger(__name__)


def failed_notebooks(app, env, added, changed, removed):
    failed = []
    for docname in env.found_docs:
        data = NbMetadataCollector.get_doc_data(env).get(docname, {}).get("exec_data")
        if data and not data.get("succeeded", True) and docname not in removed:
            failed.append(docname)
    if failed:
        logger.info(f"re-reading notebooks whose last execution failed: {', '.join(sorted(failed))}")
    return failed


def setup(app):
    app.connect("env-get-outdated", failed_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
