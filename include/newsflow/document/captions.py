"""A photo's caption is said once: pages repeat it (under the photo and again in a gallery or a
lightbox, as the image's own paragraph and as a figure's legend), and each copy would count its
names again."""

from __future__ import annotations

from lxml.etree import XPath
from lxml.html import HtmlElement

from newsflow.document.clean import normalise_line
from newsflow.schema import RemovedSpan

REPEATED_CAPTION_RULE = "repeated_caption"
# A caption is a line or two; a longer text beside an image is the article's prose.
MAX_CAPTION_CHARS = 300
# What holds a caption: a <figcaption>, an element whose class names a caption or a legend
# ("legende", "légende"), and the element an image sits in (its text is what the image shows).
_CAPTION_HOLDERS = XPath(
    "//figcaption"
    " | //*[contains(translate(@class, 'CAPTIONLEGND', 'captionlegnd'), 'caption')"
    " or contains(translate(@class, 'CAPTIONLEGND', 'captionlegnd'), 'gende')]"
    " | //img/.."
)


def caption_keys(tree: HtmlElement) -> frozenset[str]:
    """The normalised text (`clean.normalise_line`) of every caption of the page."""
    keys = set()
    for holder in _CAPTION_HOLDERS(tree):
        text = holder.text_content()
        if text and len(text) <= MAX_CAPTION_CHARS and (key := normalise_line(text)):
            keys.add(key)
    return frozenset(keys)


def remove_repeated_captions(text: str, keys: frozenset[str]) -> tuple[str, list[RemovedSpan]]:
    """The extracted `text` with every line that says a caption (`keys`, from `caption_keys`)
    again after its first time removed, each in a `repeated_caption` span. Other lines said twice
    stay: lists and recipes repeat lines on purpose."""
    if not keys:
        return text, []
    kept, removed, said = [], [], set()
    for line in text.split("\n"):
        key = normalise_line(line) if line.strip() else ""
        if key in keys and key in said:
            removed.append(RemovedSpan(REPEATED_CAPTION_RULE, line.strip()))
            continue
        if key in keys:
            said.add(key)
        kept.append(line)
    return "\n".join(kept), removed
