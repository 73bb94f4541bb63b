"""A pair's edits as coloured spans, one colour per edit kind, for the terminal (rich) and for HTML.

`corpus show`, `corpus report`, `corpus spin` and the quickstart notebook all colour edits; doing it here
once keeps the colours, the escaping and the reading of edit offsets the same everywhere.
"""

from __future__ import annotations

import html

from corpus.spin.edits import as_dict

# Terminal colour names (rich and click both know them) and HTML backgrounds, by edit kind.
KIND_COLOURS = {"lexical": "yellow", "number": "magenta", "abbreviation": "cyan", "docnum": "cyan",
                "punct_space": "red", "quote_space": "red", "glue": "red", "seo_title": "blue", "real": "green"}
HTML_COLOURS = {"lexical": "#ffe08a", "number": "#f5b8f0", "abbreviation": "#a8e6f0", "docnum": "#a8e6f0",
                "punct_space": "#ffb3a7", "quote_space": "#ffb3a7", "glue": "#ff8a80", "seo_title": "#b3c7ff",
                "real": "#b9f0b0"}
OTHER_COLOUR, OTHER_HTML = "green", "#b9f0b0"


def pieces(text: str, edits: list, side: str) -> list[tuple[str, dict | None]]:
    """`text` (the clean or the noisy side) cut into (piece, edit or None); an edit's piece may be empty."""
    out, cursor = [], 0
    for e in sorted(map(as_dict, edits), key=lambda e: (e[f"{side}_start"], e[f"{side}_end"])):
        start, end = e[f"{side}_start"], e[f"{side}_end"]
        if start > cursor:
            out.append((text[cursor:start], None))
        out.append((text[start:end], e))
        cursor = end
    if cursor < len(text):
        out.append((text[cursor:], None))
    return out


def visible(piece: str) -> str:
    """Whitespace-only or empty edit text made visible: ␣ for spaces, ⏎ for line breaks, ∅ for nothing."""
    if piece.strip():
        return piece
    return piece.replace(" ", "␣").replace("\n", "⏎") or "∅"


def describe(edit: dict) -> str:
    """One line per edit (from with_old) for listings: kind, rule, what was replaced by what."""
    old, new = (visible(x).replace("\n", "⏎") for x in (edit["old"], edit["replacement"]))
    return f"{edit['kind']} ({edit['rule']}): {old} → {new}"


def with_old(clean: str, edits: list) -> list[dict]:
    """Edits as dicts, each with the clean text it replaced under 'old'."""
    return [{**e, "old": clean[e["clean_start"] : e["clean_end"]]} for e in map(as_dict, edits)]


CSS = """
.despin-pair { margin: 0 0 1em 0; padding: .5em .8em; border-left: 4px solid #d0d7de; background: #fafbfc; }
.despin-pair .meta { font: 12px/1.4 monospace; color: #57606a; margin-bottom: .3em; }
.despin-pair .side { white-space: pre-wrap; line-height: 1.6; margin: .15em 0; }
.despin-pair .label { display: inline-block; width: 3.6em; color: #57606a; font-size: 12px; }
.despin-pair del { text-decoration: line-through; text-decoration-color: #555; }
.despin-pair ins { text-decoration: none; font-weight: 600; }
.despin-legend span { padding: 0 .4em; margin-right: .4em; border-radius: 3px; }
""" + "".join(f".despin-pair .k-{kind}, .despin-legend .k-{kind} {{ background: {colour}; }}\n"
              for kind, colour in HTML_COLOURS.items()) + \
    f".despin-pair .k-other, .despin-legend .k-other {{ background: {OTHER_HTML}; }}\n"


def _kind_class(kind: str) -> str:
    return f"k-{kind}" if kind in HTML_COLOURS else "k-other"


def side_html(text: str, edits: list[dict], side: str) -> str:
    """One side of a pair as HTML: edited spans in <del> (clean) or <ins> (noisy), coloured by kind, the edit
    described in the span's title. `edits` come from with_old()."""
    tag = "del" if side == "clean" else "ins"
    out = []
    for piece, edit in pieces(text, edits, side):
        if edit is None:
            out.append(html.escape(piece))
        elif piece or side == "noisy":  # an insertion has nothing to strike out on the clean side
            out.append(f'<{tag} class="{_kind_class(edit["kind"])}" title="{html.escape(describe(edit))}">'
                       f"{html.escape(visible(piece))}</{tag}>")
    return "".join(out)


def pair_html(row: dict, meta: str = "") -> str:
    """A row (clean, noisy, edits, id) as an HTML block; every piece of text is escaped."""
    edits = with_old(row["clean"], row["edits"])
    kinds = sorted({e["kind"] for e in edits})
    head = f"{row['id']}{' · ' + meta if meta else ''} · {len(edits)} edits" + (f" ({', '.join(kinds)})" if kinds else "")
    return (f'<div class="despin-pair"><div class="meta">{html.escape(head)}</div>'
            f'<div class="side clean"><span class="label">clean</span>{side_html(row["clean"], edits, "clean")}</div>'
            f'<div class="side noisy"><span class="label">noisy</span>{side_html(row["noisy"], edits, "noisy")}</div>'
            f"</div>")


def legend_html(kinds: list[str] | None = None) -> str:
    kinds = kinds or list(HTML_COLOURS)
    return '<div class="despin-legend">' + "".join(
        f'<span class="{_kind_class(k)}">{html.escape(k)}</span>' for k in kinds) + "</div>"


def pairs_html(rows: list[dict], metas: list[str] | None = None) -> str:
    """Several pairs with the style sheet and a legend: what a notebook displays in one HTML output."""
    metas = metas or [""] * len(rows)
    return f"<style>{CSS}</style>{legend_html()}" + "".join(pair_html(r, m) for r, m in zip(rows, metas))
