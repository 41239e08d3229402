"""A photo's caption is said once: pages repeat it (under the photo and again in a gallery or a
lightbox, as the image's own paragraph and as a figure's legend), and each copy would count its
names again."""

from __future__ import annotations

import re
from collections import Counter

from lxml.html import HtmlElement

from newsflow.document.clean import normalise_line
from newsflow.schema import RemovedSpan

REPEATED_CAPTION_RULE = "repeated_caption"
# A caption is a line or two; a longer text beside an image is the article's prose.
MAX_CAPTION_CHARS = 300
# A class that names a caption or a legend ("legende", "légende").
_CAPTION_CLASS = re.compile(r"(?i)caption|l[eé]gende?")


def remove_repeated_captions(text: str, tree: HtmlElement) -> tuple[str, list[RemovedSpan]]:
    """The extracted `text` with every line that says a caption of the page (`caption_keys`) again
    after its first time removed, each in a `repeated_caption` span. Other lines said twice stay:
    lists and recipes repeat lines on purpose. The page is searched for captions only when a line
    is said twice."""
    lines = text.split("\n")
    keys = [normalise_line(line) if line.strip() else "" for line in lines]
    repeated = {key for key, times in Counter(keys).items() if key and times > 1}
    if not repeated:
        return text, []
    captions = repeated & caption_keys(tree)
    kept, removed, said = [], [], set()
    for line, key in zip(lines, keys, strict=True):
        if key in captions and key in said:
            removed.append(RemovedSpan(REPEATED_CAPTION_RULE, line.strip()))
            continue
        said.add(key)
        kept.append(line)
    return "\n".join(kept), removed


def caption_keys(tree: HtmlElement) -> frozenset[str]:
    """The normalised text (`clean.normalise_line`) of every caption of the page: a <figcaption>,
    an element whose class names a caption or a legend, the element an image sits in (its text is
    what the image shows)."""
    holders = [*tree.iter("figcaption"), *(img.getparent() for img in tree.iter("img"))]
    holders += [e for e in tree.iter() if (class_ := e.get("class")) and _CAPTION_CLASS.search(class_)]
    keys = set()
    for holder in holders:
        text = holder.text_content() if holder is not None else ""
        if text and len(text) <= MAX_CAPTION_CHARS and (key := normalise_line(text)):
            keys.add(key)
    return frozenset(keys)
