"""`corpus report`: one self-contained HTML page about a built folder, to read or mail without the folder.

Inline CSS and charts as data: URIs (nothing fetched, so it opens offline and survives being attached), the
manifest's accounting, and sample pairs with coloured diffs. Every piece of text goes through Jinja2's
autoescape or html.escape: the page shows scraped text, which may hold anything.
"""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

from corpus.dataset.browse import pick, read_manifest
from corpus.dataset.charts import ALT_TEXT, CHART_DIR, chart_pngs
from corpus.dataset.manifest import Manifest
from corpus.views.diffs import CSS as PAIR_CSS
from corpus.views.diffs import legend_html, pair_html

PAGE_CSS = """
body { font: 15px/1.5 "DejaVu Sans", system-ui, sans-serif; color: #1f2328; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; background: #fff; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
.sub { color: #57606a; } nav a { margin-right: 1em; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eaeef2; }
figcaption { color: #57606a; font-size: .9em; }
table { border-collapse: collapse; margin: .5em 0 1em; } td, th { border: 1px solid #d0d7de; padding: .2em .6em; }
th { background: #f6f8fa; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: .9em; }
"""

TEMPLATE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} {{ m.version }}: build report</title>
<style>{{ css }}</style>
</head>
<body>
<header>
<h1>{{ title }} {{ m.version }}</h1>
<p class="sub">fingerprint <code>{{ m.fingerprint }}</code> · built {{ m.built_at or "" }} by corpus {{ m.toolkit_version }}
· {{ "{:,}".format(m.counts.rows) }} rows</p>
<nav><a href="#figures">Figures</a><a href="#accounting">Accounting</a><a href="#samples">Sample pairs</a></nav>
</header>

<section id="figures">
<h2>Figures</h2>
{% for name, uri in charts.items() %}<figure id="chart-{{ name }}"><img src="{{ uri }}" alt="{{ alt[name] }}">
<figcaption>{{ alt[name] }}</figcaption></figure>
{% endfor %}</section>

<section id="accounting">
<h2>Accounting</h2>
<h3>Inputs</h3>
<table id="inputs"><tr><th>source</th><th>input</th><th>bytes</th><th>sha256</th></tr>
{% for i in m.inputs %}<tr><td>{{ i.source }}</td><td><code>{{ i.name }}</code></td><td class="n">{{ "{:,}".format(i.bytes) }}</td>
<td><code>{{ i.sha256[:16] }}…</code></td></tr>
{% endfor %}</table>
{% if m.skipped_inputs %}<p>Skipped as unreadable ({{ m.skipped_inputs | length }}):</p><ul id="skipped">
{% for s in m.skipped_inputs %}<li><code>{{ s.where }}</code>: {{ s.reason }}</li>{% endfor %}</ul>{% endif %}
<h3>Paragraphs</h3>
<table id="paragraphs"><tr><th>stage</th><th>paragraphs</th></tr>
<tr><td>read from the inputs</td><td class="n">{{ "{:,}".format(p.input) }}</td></tr>
<tr><td>used as the clean side of rows</td><td class="n">{{ "{:,}".format(p.paired) }}</td></tr>
{% for reason, n in p.dropped.items() %}<tr><td>dropped: {{ reason }}</td><td class="n">{{ "{:,}".format(n) }}</td></tr>
{% endfor %}</table>
<table id="sources"><tr><th>source</th><th>documents</th><th>paragraphs</th><th>paired</th></tr>
{% for name, c in m.counts.per_source.items() %}<tr><td>{{ name }}</td><td class="n">{{ "{:,}".format(c.documents or 0) }}</td>
<td class="n">{{ "{:,}".format(c.paragraphs or 0) }}</td><td class="n">{{ "{:,}".format(c.paired or 0) }}</td></tr>
{% endfor %}</table>
<h3>Rows</h3>
<table id="rows"><tr><th>config</th><th>split</th><th>rows</th><th>documents</th></tr>
{% for name, s in m.splits.items() %}<tr><td>default</td><td>{{ name }}</td><td class="n">{{ "{:,}".format(s.rows) }}</td>
<td class="n">{{ "{:,}".format(s.documents) }}</td></tr>
{% endfor %}{% if m.real %}<tr><td>real</td><td>test</td><td class="n">{{ m.real.rows }}</td><td class="n">1</td></tr>{% endif %}
</table>
</section>

<section id="samples">
<h2>Sample pairs</h2>
<p>{{ samples | length }} rows chosen by a hash of their id (the same at every run), over all splits. Replaced text
is struck out on the clean side and highlighted on the noisy side, coloured by edit kind; hover for the rule.</p>
{{ legend }}
{% for pair in samples %}{{ pair }}
{% endfor %}</section>
</body>
</html>
"""


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def charts_of(dist: Path, manifest: Manifest) -> dict[str, bytes]:
    """The folder's own chart files; drawn from its manifest when it predates charts."""
    drawn = None
    out = {}
    for name in ALT_TEXT:
        path = dist / CHART_DIR / f"{name}.png"
        if path.is_file():
            out[name] = path.read_bytes()
        else:
            drawn = drawn if drawn is not None else chart_pngs(manifest.to_dict())
            if name in drawn:
                out[name] = drawn[name]
    return out


def render_report(dist: Path, samples: int = 50) -> str:
    """The page as a string; raises NotBuilt when DIST is not a built folder."""
    manifest = read_manifest(dist)
    rows = pick(dist, samples) if samples else []
    env = Environment(autoescape=True, keep_trailing_newline=True)
    return env.from_string(TEMPLATE).render(
        m=manifest,
        p=manifest.counts.paragraphs,
        title=manifest.recipe.get("pretty_name") or manifest.name,
        css=Markup(PAGE_CSS + PAIR_CSS),
        charts={name: data_uri(png) for name, png in charts_of(dist, manifest).items()},
        alt=ALT_TEXT,
        legend=Markup(legend_html()),
        samples=[Markup(pair_html(r, f"{r['config']}/{r['split']} · {r['origin']}")) for r in rows],
    )
