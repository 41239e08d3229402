"""DOM work before extraction: dropping code, pruning teasers and boxes that are not the article,
and listing the article's prose blocks so that what the extractor dropped can be accounted for."""

from __future__ import annotations

import re

from lxml.etree import strip_elements
from lxml.html import HtmlElement

# Teaser/related-content labels in French, English, German, Spanish and Italian, at the start of a block.
_TEASER_LABELS = (
    r"(?:"
    r"(?:[àa]\s+)?lire\s+(?:aussi|également|la\s+suite)|voir\s+aussi|sur\s+le\s+même\s+(?:sujet|thème)"
    r"|(?:les\s+)?plus\s+lus|articles?\s+(?:similaires|associés|liés)|[àa]\s+découvrir|dans\s+la\s+même\s+rubrique"
    r"|read\s+(?:more|also|next)|see\s+also|related(?:\s+(?:articles?|stories|content|coverage|posts?|news))?"
    r"|more\s+on\s+this(?:\s+story)?|most\s+(?:popular|read|viewed)|recommended(?:\s+for\s+you)?"
    r"|you\s+(?:may|might)\s+also\s+like"
    r"|lesen\s+sie\s+auch|mehr\s+zum\s+thema|weitere\s+artikel|meistgelesen|das\s+könnte\s+sie\s+auch\s+interessieren"
    r"|weiterlesen|empfohlene\s+(?:beiträge|artikel)|auch\s+interessant|weitere\s+themen"
    r"|lee\s+también|lea\s+también|vea\s+también|mira\s+también|te\s+recomendamos|(?:te|le)\s+puede\s+interesar"
    r"|noticias\s+relacionadas|más\s+leídas|relacionad[oa]s"
    r"|leggi\s+anche|potrebbe\s+interessarti|articoli\s+correlati|i\s+più\s+letti"
    r")(?!\w)"
)
TEASER_LABEL = re.compile(r"^\W*" + _TEASER_LABELS, re.IGNORECASE)
# Elements that can hold a teaser block; inline elements are judged through their block.
TEASER_BLOCK_TAGS = (
    "p",
    "div",
    "q",
    "blockquote",
    "section",
    "aside",
    "li",
    "ul",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
)
# A teaser block is a label and a few links: longer blocks that start with a label are prose.
MAX_TEASER_BLOCK_CHARS = 500
# Inside prose, a teaser is a capsule: an inline element with the label and a link, or a label
# element followed by a link. Only the capsule goes; the paragraph around it stays.
TEASER_INLINE_TAGS = ("a", "span", "strong", "b", "em", "i")
# A container whose text is mostly link text, under its label, is a link list.
MIN_LINK_DENSITY = 0.5
# Text outside links that makes a block prose rather than a teaser list: two sentences or so.
MIN_PROSE_CHARS = 160

# Headings of a box about someone or something other than the story: an author, a source, a company.
PROFILE_HEADING = re.compile(
    r"^\W*(?:about|à\s+propos\s+d[eu']|qui\s+est|über|acerca\s+de|sobre|chi\s+è|informazioni\s+su)(?!\w)",
    re.IGNORECASE,
)
MAX_PROFILE_HEADING_CHARS = 60
# A caption or credit is a line or two under an image; a profile or sign-up box a short paragraph or two.
MAX_CAPTION_CHARS = 400
MAX_BOX_CHARS = 1_500
# A paragraph with this much of its text in links is a link (a teaser headline), not prose.
MIN_LINK_PARAGRAPH_DENSITY = 0.9
MAX_LINK_PARAGRAPH_CHARS = 200
# Inside a paragraph, an inline element of links this long is a card (a person's latest stories
# shown on hover), not a name or a source cited in the sentence.
MIN_LINK_CARD_CHARS = 100
_BOX_TAGS = ("div", "section", "aside", "form")
# Captions by the markup every CMS uses for them (<figcaption>, a class or id naming a caption or a
# credit), or by their place: the text right after an image, in a box that holds nothing else.
_CAPTION_TAGS = ("p", "span", "div", "small")


_WORD = re.compile(r"\w")
_TEXT_OUTSIDE_LINKS = ".//text()[not(ancestor::a)]"
# A link whose text is a web or e-mail address cites a source or a contact: content, not a headline.
_ADDRESS = re.compile(r"^(?:(?:https?://|www\.)\S+|[^\s@]+@[^\s@]+\.\w+)$", re.IGNORECASE)
_LABEL_PUNCTUATION = " :»>|-–—.…"


# Boxes an embedded post comes wrapped in.
_POST_WRAPPER_TAGS = ("div", "section", "figure", "aside")

# Elements that hold code or drawings, never text a reader sees (scripts apart: see `drop_code`).
CODE_TAGS = ("style", "svg", "template")


def drop_code(tree: HtmlElement) -> None:
    """Remove scripts, styles, SVG drawings and templates, once the metadata has been read.

    They hold most of a page's characters (three quarters on trafilatura's corpus), and no
    later step should measure or search them: a box is as large as the text a reader sees,
    and every pass reads a smaller tree. Scripts that carry JSON data stay: an article's JSON-LD
    `articleBody` is trafilatura's last resort when the markup has no body.
    """
    strip_elements(tree, *CODE_TAGS, with_tail=False)
    for script in [s for s in tree.iter("script") if "json" not in (s.get("type") or "")]:
        script.drop_tree()  # its tail, the text after it, stays


def unwrap_embedded_posts(tree: HtmlElement) -> None:
    """Take each embedded post (a <blockquote> citing its source with a link: a tweet, an
    Instagram post) out of the boxes around it that hold nothing else.

    An article quotes such posts as it quotes people, but the embed's wrapper is named for the
    network or the embed ("social-media-embed"), which extractors drop as share buttons. Without
    the wrapper the quote is judged as the quote it is. A quote without a link (a pull-quote) is
    left as it is.
    """
    for post in [q for q in tree.iter("blockquote") if _links(q)]:
        box = post.getparent()
        while box is not None and box.tag in _POST_WRAPPER_TAGS and text_of(box) == text_of(post):
            outer = box.getparent()
            box.drop_tag()
            box = outer


def prune_teasers(tree: HtmlElement) -> list[tuple[str, str]]:
    """Remove "Lire aussi" / "Related" / "Most read" blocks and capsules from the DOM; return
    (`block` or `inline`, text) of each.

    Decided by text and links, never by a site's class names: a short block that starts with a
    teaser label and holds a link goes; a block that is only a label goes alone, or with its
    container when that is mostly links. Blocks after a bare label stay: on review pages ("A lire
    aussi :" then books with summaries) they are content, and the text cleaner still sees them.
    A sentence that merely starts with a label word ("Related questions remain…") has no link and
    more than the label, so it stays. Inside a longer block (prose), only a capsule glued into it
    goes: an inline element that starts with the label and holds a link, or a label element and
    the link right after it.
    """
    removed: list[tuple[str, str]] = []
    holders = _label_holders(tree)
    for element in [e for e in holders if e.tag in TEASER_BLOCK_TAGS]:
        if not _attached(element, tree):
            continue
        if not TEASER_LABEL.match(_leadingtext_of(element)):  # holds a label, but not at its start
            continue
        text = text_of(element)
        label = TEASER_LABEL.match(text)
        if label is None or len(text) > MAX_TEASER_BLOCK_CHARS:
            continue
        if _links(element):
            if _prose_beside_links(element, label.end()):
                continue  # a capsule glued into a paragraph: the inline pass below takes it alone
            target = element
        elif not text[label.end() :].strip(_LABEL_PUNCTUATION):
            target = _link_list_container(element, tree)
        else:
            continue
        removed.append(("block", text_of(target)))
        target.drop_tree()
    for element in [e for e in holders if e.tag in TEASER_INLINE_TAGS]:
        if not _attached(element, tree):
            continue
        if not TEASER_LABEL.match(_leadingtext_of(element)):
            continue
        capsule = _capsule(element)
        if capsule:
            removed.append(("inline", " ".join(text_of(part) for part in capsule)))
            for part in capsule:
                part.drop_tree()  # its tail, the prose after it, stays
    return removed


def _label_holders(tree: HtmlElement) -> list[HtmlElement]:
    """The elements whose text starts with a teaser label, in document order: those holding a text
    node that starts with one, and their ancestors. One regex test per text node instead of one per
    element, and no walk over the elements that hold no label."""
    holders: list[HtmlElement] = []
    seen: set[HtmlElement] = set()
    for node in tree.xpath("//text()[normalize-space()]"):  # blank nodes are most of them
        if not TEASER_LABEL.match(node):
            continue
        element = node.getparent()
        if node.is_tail:
            element = element.getparent()
        new: list[HtmlElement] = []
        while element is not None and element not in seen:
            seen.add(element)
            new.append(element)
            element = element.getparent()
        # the new ancestors open after every element found before: outermost first is page order
        holders += reversed(new)
    return holders


def _prose_beside_links(block: HtmlElement, label_end: int) -> bool:
    """True when the block holds a sentence or more of text outside its links, after the label:
    a paragraph with a link glued in, not a teaser block (a label and headlines)."""
    link_chars = sum(len(text_of(a)) for a in _links(block))
    return (
        len(text_of(block)) - label_end - link_chars >= MIN_PROSE_CHARS
        and link_density(block) < MIN_LINK_DENSITY
    )


def _capsule(label: HtmlElement) -> list[HtmlElement]:
    """The teaser capsule that starts at this inline element, inside a block with more text than
    it: the element when it holds a link, or it and the link right after it when it is only the label."""
    block = next((a for a in label.iterancestors() if a.tag in TEASER_BLOCK_TAGS), None)
    text = text_of(label)
    if block is None or len(text) > MAX_TEASER_BLOCK_CHARS or len(text_of(block)) <= len(text):
        return []
    if (label.tag == "a" and label.get("href")) or _links(label):
        return [label]
    link = label.getnext()
    match = TEASER_LABEL.match(text)
    assert match is not None  # prune_teasers passes only elements whose leading text matches
    only_label = not text[match.end() :].strip(_LABEL_PUNCTUATION)
    between = (label.tail or "").strip(_LABEL_PUNCTUATION)
    if only_label and not between and link is not None and link.tag == "a" and link.get("href"):
        return [label, link]
    return []


def link_density(block: HtmlElement) -> float:
    """Share of the block's text that sits inside links."""
    text = text_of(block)
    link_chars = sum(len(text_of(a)) for a in _links(block))
    return link_chars / len(text) if text else 0.0


def _link_list_container(label: HtmlElement, tree: HtmlElement) -> HtmlElement:
    """The label's parent when it is a small, link-dense block (a titled link list), else the label."""
    parent = label.getparent()
    if parent is None or parent is tree:
        return label
    if len(text_of(parent)) <= 4 * MAX_TEASER_BLOCK_CHARS and link_density(parent) >= MIN_LINK_DENSITY:
        return parent
    return label


def _attached(element: HtmlElement, root: HtmlElement) -> bool:
    """False once an ancestor was dropped from the tree."""
    while element is not None and element is not root:
        element = element.getparent()
    return element is root


def _leadingtext_of(element: HtmlElement, chars: int = 80) -> str:
    """The first `chars` or so of the element's text, without walking all of it."""
    parts, length = [], 0
    for piece in element.itertext():
        parts.append(piece)
        length += len(piece)
        if length >= chars:
            break
    return " ".join("".join(parts).split())


def _links(element: HtmlElement) -> list[HtmlElement]:
    """The links (<a> with an href) inside the element."""
    return [a for a in element.iterdescendants("a") if a.get("href") is not None]


def text_of(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def prune_boxes(tree: HtmlElement) -> list[tuple[str, str]]:
    """Remove what sits in the article's flow without being its prose; return (rule, text) of each.

    - `dom.caption`: figure captions and photo credits (also in `removed`, so they stay queryable),
    - `dom.signup_box`: the box around a sign-up form's e-mail field (newsletter, subscription),
    - `dom.profile_box`: a short box headed "About …" / "À propos de …" (author, source, company),
    - `dom.link_paragraph`: a short paragraph that is all link (a teaser headline between
      paragraphs), unless the link is a bare web or e-mail address (a cited source, a contact),
    - `dom.link_card`: an inline element of a paragraph made of a line or more of links and
      nothing else (a hover card with a person's latest stories); the innermost such element
      goes, so the name linked in the sentence stays.
    Decided by markup and text, never by a site's names.
    """
    removed: list[tuple[str, str]] = []

    def drop(rule: str, element: HtmlElement) -> None:
        text = " ".join(" ".join(element.itertext()).split())  # a box's paragraphs stay apart
        if text:
            removed.append((rule, text))
        element.drop_tree()

    marked = [e for e in tree.iter("figcaption", *_CAPTION_TAGS) if _is_marked_caption(e)]
    placed = [e for e in map(_next_element, tree.iter("img", "picture")) if _caption_beside_image(e)]
    for caption in marked + placed:
        if (
            _attached(caption, tree)
            and len(text_of(caption)) <= MAX_CAPTION_CHARS
            and caption.find(".//p") is None
        ):
            drop("dom.caption", caption)
    for field in [e for e in tree.iter("input") if _is_email_field(e)]:
        if _attached(field, tree):
            drop("dom.signup_box", _largest_box(field, MAX_BOX_CHARS // 2))
    for heading in tree.iter("h2", "h3", "h4", "h5", "h6", "strong", "b"):
        label = _leadingtext_of(heading)
        if (
            len(label) <= MAX_PROFILE_HEADING_CHARS
            and PROFILE_HEADING.match(label)
            and _attached(heading, tree)
        ):
            box = _largest_box(heading, MAX_BOX_CHARS)
            if box is not heading and _leadingtext_of(box).startswith(label):
                drop("dom.profile_box", box)
    for paragraph in [p for p in tree.iter("p") if next(p.iter("a"), None) is not None]:
        text = text_of(paragraph)
        if (
            text
            and len(text) <= MAX_LINK_PARAGRAPH_CHARS
            and not _ADDRESS.match(text)
            and _attached(paragraph, tree)
            and link_density(paragraph) >= MIN_LINK_PARAGRAPH_DENSITY
        ):
            drop("dom.link_paragraph", paragraph)
    for inline in reversed(list(tree.iter("span"))):  # the innermost first
        if _is_link_card(inline) and _attached(inline, tree):
            drop("dom.link_card", inline)
    return removed


def _is_link_card(inline: HtmlElement) -> bool:
    """True for an inline element of a paragraph that is only links, a line or more of them: a
    hover card or a link list, not part of a sentence (a sentence that cites links has words
    between them)."""
    if len(_links(inline)) < 2:
        return False
    if len(text_of(inline)) < MIN_LINK_CARD_CHARS or _WORD.search("".join(inline.xpath(_TEXT_OUTSIDE_LINKS))):
        return False
    return next(inline.iterancestors("p"), None) is not None


def _is_marked_caption(element: HtmlElement) -> bool:
    """A <figcaption>, or a text element whose class or id names a caption or a credit. (Tested in
    Python: an XPath with these tests is three times slower.)"""
    if element.tag == "figcaption":
        return True
    class_ = element.get("class") or ""
    return "caption" in class_ or "credit" in class_ or "caption" in (element.get("id") or "")


def _is_email_field(field: HtmlElement) -> bool:
    """True for the e-mail input of a sign-up form: typed so, or a text input named or hinted as
    one outside a form with a message box (a comment form, whose box may hold a short post)."""
    kind = (field.get("type") or "text").lower()
    if kind == "email":
        return True
    hints = " ".join(field.get(name) or "" for name in ("name", "id", "placeholder")).lower()
    form = next(field.iterancestors("form"), None)
    return kind == "text" and "mail" in hints and (form is None or next(form.iter("textarea"), None) is None)


def _next_element(element: HtmlElement) -> HtmlElement | None:
    """The element right after this one among its siblings (comments and processing instructions skipped)."""
    sibling = element.getnext()
    while sibling is not None and not isinstance(sibling.tag, str):
        sibling = sibling.getnext()
    return sibling


def _caption_beside_image(element: HtmlElement | None) -> bool:
    """True when `element` (the one right after an image) is a text element alone in its parent
    beside images: an image and its caption. Reads only the first piece of each sibling's text
    (a gallery under <body> stays cheap)."""
    if element is None or element.tag not in _CAPTION_TAGS:
        return False
    parent = element.getparent()
    if (parent.text or "").strip() or (element.tail or "").strip():
        return False
    return all(sibling is element or _silent(sibling) for sibling in parent)


def _silent(node: HtmlElement) -> bool:
    """True when no text is in the node (an HTML comment has none that shows) or right after it."""
    own = _leadingtext_of(node, 1) if isinstance(node.tag, str) else ""
    return not own and not (node.tail or "").strip()


def _largest_box(element: HtmlElement, max_chars: int) -> HtmlElement:
    """The outermost box (div, section, aside, form) around `element` with at most `max_chars` of text."""
    box = element
    for ancestor in element.iterancestors(*_BOX_TAGS):
        if len(text_of(ancestor)) > max_chars:
            break
        box = ancestor
    return box
