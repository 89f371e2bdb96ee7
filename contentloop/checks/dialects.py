"""Markdown as people write it, beyond CommonMark: what of it is prose, and what is markup.

Everything here keeps the contract of prose.py: a character is replaced by one character (a
space, or its plain form), never inserted or removed, so offsets and line numbers stay those
of the source. The parser gets its own copy of the text, rewritten line by line (same number
of lines), where MkDocs admonitions become the blockquotes they are rendered as.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

# `!!! note "Title"`, `??? tip`, `???+ warning inline end`: MkDocs / Python-Markdown.
_ADMONITION = re.compile(
    r"^(?P<indent>[ ]*)(?P<mark>!!!|\?\?\?\+?)(?P<kind>(?:[ \t]+[\w-]+)*)"
    r'(?:[ \t]+(?P<q1>")(?P<title>[^"\n]*)(?P<q2>"))?[ \t]*$'
)
_ADMONITION_ANYWHERE = re.compile(_ADMONITION.pattern, re.M)  # nested ones are indented
# `> [!NOTE]`: GitHub's alerts. The marker is a label, not an exclamation.
_ALERT = re.compile(
    r"^(?P<quote>[ ]{0,3}(?:>[ \t]?)+)[ \t]*(?P<mark>\[!(?:note|tip|important|warning|caution)\])"
    r"[ \t]*$",
    re.I | re.M,
)
_FOOTNOTE_LABEL = re.compile(r"^[ ]{0,3}\[\^[^\]\s]+\]:|\[\^[^\]\s]+\]", re.M)

# Template syntax that is never prose, in any Markdown file: Liquid/Jekyll ({% %}, {{ }}),
# Hugo shortcodes ({{< >}}, {{% %}}), MDX comments ({/* */}) and heading ids ({#id}).
TEMPLATE_NOT_PROSE = [
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\{.*?\}\}", re.S),
    re.compile(r"\{/\*.*?\*/\}", re.S),
    re.compile(r"\{#[^}\s]*\}"),
]
# In .mdx files, also JavaScript expressions ({props.title}) and import/export lines.
MDX_NOT_PROSE = [
    re.compile(r"\{[^{}\n]*\}"),
    re.compile(r"^(?:import|export)\s.*$", re.M),
]

# Inside an HTML block: the text is prose (a <h3>How do I …?</h3> is a heading to a reader),
# the markup is not, and neither is what <script>, <style>, <pre> or <code> hold.
_HTML_NOT_PROSE = re.compile(
    r"<!--.*?-->|<(script|style|pre|code)\b[^>]*>.*?</\1\s*>|</?[A-Za-z][^<>]*>", re.S | re.I
)
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# Characters a reader sees as ones the checks look for, where NFKC does not already fold them
# (it folds full-width "！" to "!", but not "‼", nor the non-breaking hyphen in "cutting‑edge").
_LOOK_ALIKES = {
    "‼": "!",  # double exclamation mark
    "⁉": "!",
    "❗": "!",
    "❕": "!",
    "ǃ": "!",  # Latin letter retroflex click, drawn as "!"
    "―": "—",  # horizontal bar
    "⸺": "—",  # two-em dash
    "⸻": "—",  # three-em dash
    "‐": "-",  # hyphen
    "‑": "-",  # non-breaking hyphen
}


def blank(chars: list[str], start: int, end: int) -> None:
    """Spaces for chars[start:end], line breaks kept (one slice, not an index per char:
    code blocks are much of a README)."""
    chars[start:end] = ["\n" if c == "\n" else " " for c in chars[start:end]]


def parser_view(text: str) -> str:
    """`text` with MkDocs admonitions as blockquotes and GitHub alert markers removed, for the
    Markdown parser only. Same line count; a line may change length."""
    lines = text.split("\n")
    return "\n".join(_admonitions_as_quotes(lines))


def _admonitions_as_quotes(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _ADMONITION.match(lines[i])
        if m is None or len(m.group("indent")) > 3:
            out.append(_without_alert(lines[i]))
            i += 1
            continue
        title = (m.group("title") or "").strip()
        # A heading, so the title never runs into the first line of the body.
        out.append("> #### " + title if title else ">")
        body_end = i + 1
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith(("    ", "\t"))):
            if lines[j].strip():
                body_end = j + 1
            j += 1
        body = [
            line[4:] if line.startswith("    ") else line[1:] for line in lines[i + 1 : body_end]
        ]
        out.extend("> " + line if line.strip() else ">" for line in _admonitions_as_quotes(body))
        i = body_end
    return out


def _without_alert(line: str) -> str:
    m = _ALERT.match(line)
    return m.group("quote") if m else line


def blank_markers(text: str, chars: list[str]) -> None:
    """Blank the admonition markers and kinds, alert labels and footnote labels; keep titles
    and footnote text, which readers read."""
    for m in _ADMONITION_ANYWHERE.finditer(text):
        blank(chars, m.start("mark"), m.end("kind"))
        if m.group("q1"):
            blank(chars, m.start("q1"), m.end("q1"))
            blank(chars, m.start("q2"), m.end("q2"))
    for m in _ALERT.finditer(text):
        blank(chars, m.start("mark"), m.end("mark"))
    for m in _FOOTNOTE_LABEL.finditer(text):
        blank(chars, m.start(), m.end())


def blank_html_markup(text: str, chars: list[str], start: int, end: int) -> None:
    """In an HTML block, blank tags, comments and code; leave its text."""
    for m in _HTML_NOT_PROSE.finditer(text, start, end):
        blank(chars, m.start(), m.end())


def decode_and_fold(chars: list[str]) -> None:
    """Entities become the character they stand for (padded with blanks to keep the length);
    look-alike characters become the plain one."""
    text = "".join(chars)
    for m in _ENTITY.finditer(text):
        decoded = html.unescape(m.group(0))
        if len(decoded) == 1 and decoded != m.group(0):
            chars[m.start()] = _fold(decoded)
            blank(chars, m.start() + 1, m.end())
    for m in _NOT_ASCII.finditer(text):
        chars[m.start()] = _fold(m.group(0))


@functools.lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    if ch in _LOOK_ALIKES:
        return _LOOK_ALIKES[ch]
    plain = unicodedata.normalize("NFKC", ch)
    if len(plain) != 1:
        return ch  # "…" → "..." would change the length
    return _LOOK_ALIKES.get(plain, plain)
