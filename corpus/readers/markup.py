"""HTML that arrives as text: scraped pages saved as .txt, or a JSONL field holding a CMS body.

Markup is converted only when the input is HTML: a known tag, and evidence that it is markup rather than a
mention of one (the text begins with a tag that shows something, or has a closing tag of one, a <br>, a doctype
or a comment); text whose only markup is hidden elements stays text. So legal text
such as "x < 5 > y" or "<Điều 5>", and prose that names a tag ("Thẻ <script> dùng để nhúng mã."), are never
touched. Character references (&nbsp; &#7871;) are decoded everywhere, since plain text never means them
literally. The content of a hidden element (<script>, <style>, <head>...) is dropped only when the element is
closed: one left open runs to the end of the text, and that text is kept, never silently lost.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Elements that end a paragraph when rendered; <br> ends a line. Everything else is inline.
_BLOCKS = frozenset(
    "address article aside blockquote caption dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 header "
    "hr li main nav ol p pre section table tbody td tfoot th thead title tr ul".split())
# Elements whose content is never text a reader sees.
_HIDDEN = frozenset("script style noscript template head svg math iframe object".split())
_KNOWN = sorted(_BLOCKS | _HIDDEN | {"a", "b", "i", "u", "em", "strong", "span", "br", "img", "html", "body", "meta",
                                     "link", "sup", "sub", "small", "font", "center"}, key=len, reverse=True)
_TAG = re.compile(r"<(?:!doctype\s+html|!--|/?(?:%s)(?=[\s/>])[^<>]*>)" % "|".join(_KNOWN), re.IGNORECASE)
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SPACE = re.compile(r"[ \t\r\n\f]+")
_INLINE_SPACE = re.compile(r"[ \t\f]+")
# What makes a known tag markup and not a mention of one: a closing tag, a line break, a doctype or a comment. Not
# the closing tag of a hidden element: prose that explains "<script> ... </script>" would lose the words between.
_SHOWN = [t for t in _KNOWN if t not in _HIDDEN]
_EVIDENCE = re.compile(r"<(?:/(?:%s)\s*>|br\s*/?>|!doctype\s+html|!--)" % "|".join(_SHOWN), re.IGNORECASE)
_HIDDEN_TAG = re.compile(r"</?(?:%s)\b" % "|".join(sorted(_HIDDEN, key=len, reverse=True)), re.IGNORECASE)
_BLOCK_TAG = re.compile(r"<(?:br|%s)(?=[\s/>])" % "|".join(sorted(_BLOCKS, key=len, reverse=True)), re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    """A known tag, and markup around it: the text begins with a tag that shows something, or holds evidence. Text
    whose only markup is hidden elements stays text: converting it could only drop words, never show any."""
    first = _TAG.search(text)
    if first is None:
        return False
    begins = not text[:first.start()].strip(" \t\r\n\ufeff") and not _HIDDEN_TAG.match(first.group())
    return begins or _EVIDENCE.search(text) is not None


def unescape_references(text: str) -> str:
    """&nbsp; &amp; &#7871; &#x1EBF; decoded; a bare "&" (Bộ Tài nguyên & Môi trường) and unknown names kept."""
    if "&" not in text:
        return text
    return _REFERENCE.sub(lambda m: html.unescape(m.group()), text)


class _Text(HTMLParser):
    def __init__(self, keep_lines: bool):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.held: list[str] = []  # the outermost open hidden element: its start tag and text, dropped when closed
        self.space = _INLINE_SPACE if keep_lines else _SPACE

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.hidden, self.held = 0, []  # a <head> left open ends where the body starts, as in a browser
        elif tag in _HIDDEN:
            if not self.hidden:
                self.held = [self.get_starttag_text() or f"<{tag}>"]
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            if not self.hidden:
                self.held = []
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self.hidden:
            self.held.append(data)
        else:
            self.parts.append(self.space.sub(" ", data))

    def close(self):
        super().close()
        if self.hidden and self.rawdata:  # the rest of an unclosed <script> or <style>, which the parser holds back
            self.held.append(self.rawdata)
            self.rawdata = ""
        if self.hidden:  # never closed: not markup that hides anything, so its text stays (a browser would hide it)
            self.parts.append(self.space.sub(" ", unescape_references("".join(self.held))))
            self.hidden, self.held = 0, []


def html_to_text(text: str) -> str:
    """The text a browser shows: blocks become paragraphs (blank line between), <br> a line break.

    In HTML a line break of the source is only a space, but text with a few tags in it (a link, a bold word, a
    stray <p>) is laid out by its line breaks: those are kept unless block tags are as common as lines.
    """
    lines = sum(1 for line in text.split("\n") if line.strip())
    blocks = len(_BLOCK_TAG.findall(text))
    parser = _Text(keep_lines=blocks * 4 < lines)
    try:
        parser.feed(text)
        parser.close()
    except AssertionError:  # html.parser gives up on a "<![" it cannot name ("<![ ", "<![%x;"): read it as text
        if "<![" not in text:
            return unescape_references(text)
        return html_to_text(text.replace("<![", "&lt;!["))
    out = "".join(parser.parts)
    lines = [line.strip(" ") for line in out.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def to_text(text: str) -> str:
    """Plain text for any input: HTML converted when it looks like HTML, character references decoded."""
    return html_to_text(text) if looks_like_html(text) else unescape_references(text)
