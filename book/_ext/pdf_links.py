"""Link the printable editions (tools/make_pdf.py, `make pdf`) from the footer of every page.

The PDFs are written into the built site at `pdf/` after the HTML build, so the links are relative to
each page (`pathto`), and work wherever the site is served from.
"""
PDFS = (("pdf/neural-networks-executed.pdf", "PDF of the whole book (with solutions, for instructors)"),
        ("pdf/neural-networks-executed-student.pdf", "PDF, student edition (no solutions)"))


def _footer(app, pagename, templatename, context, doctree):
    pathto = context.get("pathto")
    if not pathto:
        return
    links = " · ".join(f'<a href="{pathto(path, 1)}">{label}</a>' for path, label in PDFS)
    context["theme_extra_footer"] = f'<p class="nnkit-pdf-links">Print: {links}</p>'


def setup(app):
    app.connect("html-page-context", _footer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
