"""HTML building blocks: escaping, trusted markup, tables, a page shell. Nothing here trusts its input.

Text goes through `esc` unless it is `Markup` (built here or by the page modules from escaped parts), so a
`<script>` in a patient's note or a spec's cue shows as text and never runs.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence

from formcheck.reports.styles import PAGE_CSS


class Markup(str):
    """HTML that is already safe (built from escaped parts); `esc` passes it through unchanged.

    Only a marker: ``Markup + str`` is a plain str again, so wrap joined pieces in Markup(...) yourself.
    """


def esc(value: object) -> Markup:
    """The HTML-escaped text of ``value`` (quotes too); `Markup` is kept as it is; None is empty."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    return Markup(html.escape(str(value), quote=True))


def join(parts: Iterable[object], sep: str = "") -> Markup:
    """Escape each part and join them."""
    return Markup(esc(sep).join(esc(p) for p in parts))


def _attr(name: str, value: object) -> str:
    return f' {name}="{esc(value)}"' if value is not None else ""


def tag(name: str, content: object = "", **attrs: object) -> Markup:
    """``<name attr="...">content</name>``; attribute values escaped; ``class_`` gives ``class``."""
    rendered = "".join(_attr(k.rstrip("_").replace("_", "-"), v) for k, v in attrs.items())
    return Markup(f"<{name}{rendered}>{esc(content)}</{name}>")


def table(headers: Sequence[object], rows: Iterable[Sequence[object]], *, caption: object = None,
          class_: str | None = None) -> Markup:
    """A table with a header row; every cell escaped unless it is `Markup`."""
    head = "".join(tag("th", h, scope="col") for h in headers)
    body = "".join("<tr>" + "".join(tag("td", cell) for cell in row) + "</tr>" for row in rows)
    cap = tag("caption", caption) if caption is not None else ""
    return Markup(f"<table{_attr('class', class_)}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,...`` for an image embedded in the page."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def img(data: bytes, mime: str, alt: object, *, class_: str | None = None) -> Markup:
    """An inline image (a data: URI, so the page needs no other file)."""
    return Markup(f'<img src="{data_uri(data, mime)}" alt="{esc(alt)}"{_attr("class", class_)}>')


def section(title: object, *content: object, id_: str | None = None) -> Markup:
    """``<section><h2>title</h2>content</section>``."""
    inner = tag("h2", title) + join(content)
    return Markup(f"<section{_attr('id', id_)}>{inner}</section>")


def page(title: object, body: object, *, lang: str = "en") -> Markup:
    """A whole document: no script, no external resource; a print stylesheet for A4."""
    return Markup(
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">"
        f"<title>{esc(title)}</title><style>{PAGE_CSS}</style></head>"
        f"<body><main>{esc(body)}</main></body></html>\n"
    )
