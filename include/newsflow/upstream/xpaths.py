"""Python selections equal to trafilatura's costliest XPath expressions, used in newsflow's passes.

trafilatura tests ids and classes with EXSLT's `re:test`, which lxml answers with a Python callback
for every element an expression visits: on a Zyte page the first six expressions below cost ~5 ms
of a fast pass's ~10, and the baseline's cleaning union (which libxml2 merges in time growing with
the square of its matches) up to 64 ms on a page. The same tests in a Python loop over the
elements take a third to a fifth of that. Each selection is written for one expression's shape
(`skeleton`: its text with the regexes of its `re:test`s left out) and takes those regexes from
trafilatura's own expression, in order; an expression whose shape is not the one a selection was
written for keeps its XPath.

Two XPath details the selections keep: `re:test(@id|@class, …)` and `starts-with(@id|@class, …)`
read whichever of the two attributes comes first in the tag (`_first_of`), and `.//*[…][1]` is the
first match among each parent's children, not in the whole page. `tests/test_upstream.py` checks
that every selection is in use and selects what trafilatura's XPath selects, on real pages and on
elements made to tell them apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from lxml.etree import Element, XPath
from lxml.html import HtmlElement

from newsflow.upstream import require

require("trafilatura")

# `re:test(@attribute, 'regex')`, or with flags: `re:test(@attribute, 'regex', 'i')`.
_REGEX_TEST = re.compile(r"re:test\((@[\w@|-]+), '([^']*)'(, '[a-z]*')?\)")

Select = Callable[..., list[HtmlElement]]  # (tree, *the expression's regexes, compiled)


def skeleton(path: str) -> str:
    """An XPath expression's text with spaces squashed and each `re:test`'s regex left out."""
    return " ".join(_REGEX_TEST.sub(r"re:test(\1, …\3)", path).split())


def _first_of(element: HtmlElement, first: str, second: str) -> str:
    """The value of whichever of two attributes comes first in the tag ("" without either): what
    XPath reads from `@first|@second`, a node set in document order."""
    one: str | None = element.get(first)
    two: str | None = element.get(second)
    if one is None:
        return "" if two is None else two
    if two is None:
        return one
    return one if next(k for k in element.attrib if k in (first, second)) == first else two


def _named_boxes(tags: tuple[str, ...], unless_strict: Callable[[HtmlElement], bool]) -> Select:
    """The selection of the elements of `tags` whose id or class the first two regexes match (id,
    class), kept when `unless_strict(element)` holds or the last two (a stricter id, class) match
    too: the shape of trafilatura's comment-section and appended-article prunes."""

    def select(
        tree: HtmlElement,
        id_: re.Pattern[str],
        class_: re.Pattern[str],
        strict_id: re.Pattern[str],
        strict_class: re.Pattern[str],
    ) -> list[HtmlElement]:
        found = []
        for element in tree.iterdescendants(*tags):
            ids, classes = element.get("id") or "", element.get("class") or ""
            if (id_.search(ids) or class_.search(classes)) and (
                unless_strict(element) or strict_id.search(ids) or strict_class.search(classes)
            ):
                found.append(element)
        return found

    return select


def _not_a_list(element: HtmlElement) -> bool:
    """Comment sections: a box goes by its name, a list only by the stricter one."""
    return element.tag not in ("ol", "ul")


def _without_headline(element: HtmlElement) -> bool:
    """Infinite-scroll boxes: one without a headline goes by its name, one with by the stricter one."""
    return next(element.iterdescendants("h1"), None) is None


def _share_buttons(tree: HtmlElement) -> list[HtmlElement]:
    return [
        element
        for element in tree.iterdescendants("div", "section", "aside")
        if "elementor-share-buttons" in (element.get("class") or "")
    ]


def _boilerplate_boxes(
    tree: HtmlElement, consent: re.Pattern[str], id_: re.Pattern[str], class_: re.Pattern[str]
) -> list[HtmlElement]:
    """Navigation, sharing, consent, advertising… boxes, by their attributes."""
    return [
        element
        for element in tree.iterdescendants("div", "item", "list", "p", "section", "span")
        if element.get("data-lp-replacement-content") is not None
        or "nav" in (element.get("role") or "").replace("N", "n")
        or "MostPopularStories" in (element.get("data-component") or "")
        or consent.search(_first_of(element, "id", "class"))
        or id_.search(element.get("id") or "")
        or class_.search(element.get("class") or "")
    ]


def _hidden_elements(
    tree: HtmlElement, hidden: re.Pattern[str], id_: re.Pattern[str], class_: re.Pattern[str]
) -> list[HtmlElement]:
    """Hidden elements and comment-form leftovers, by their attributes."""
    found = []
    for element in tree.iterdescendants(Element):
        classes, style = element.get("class"), element.get("style") or ""
        if (
            classes == "comments-title"
            or _first_of(element, "id", "class").startswith("reply-")
            or hidden.search(_first_of(element, "id", "style"))
            or "display:none" in style
            or "display: none" in style
            or id_.search(element.get("id") or "")
            or class_.search(classes or "")
            or element.get("aria-hidden") == "true"
        ):
            found.append(element)
    return found


def _content_frames(tree: HtmlElement, id_: re.Pattern[str], class_: re.Pattern[str]) -> list[HtmlElement]:
    """Boxes named as the article's body, the first of each parent's children only (`[1]`)."""
    found, parents = [], set()
    for element in tree.iterdescendants("article", "div", "main", "section"):
        ids, classes = element.get("id"), element.get("class")
        if (
            classes in ("post", "entry")
            or element.get("itemprop") == "articleBody"
            or ids == "articleContent"
            or id_.search(ids or "")
            or class_.search(classes or "")
        ):
            parent = element.getparent()
            if parent not in parents:
                parents.add(parent)
                found.append(element)
    return found


# The elements trafilatura's baseline drops before reading all paragraphs (tags it names alone).
_BASELINE_DROPPED_TAGS = frozenset({"aside", "fencedframe", "footer", "script", "style", "svg", "template"})


def _baseline_noise(tree: HtmlElement, class_: re.Pattern[str], id_: re.Pattern[str]) -> list[HtmlElement]:
    """Asides, footers, code and cookie banners: what the baseline drops before it reads the page."""
    return [
        element
        for element in tree.iterdescendants(Element)
        if element.tag in _BASELINE_DROPPED_TAGS
        or (element.tag == "div" and "footer" in _first_of(element, "class", "id"))
        or class_.search(element.get("class") or "")
        or id_.search(element.get("id") or "")
    ]


@dataclass(frozen=True, slots=True)
class Equivalent:
    """Where one trafilatura expression sits (the module's name for it, and its place when that
    name holds a list of them), the shape it was read as, and its selection."""

    module: str
    name: str
    index: int | None
    shape: str
    select: Select

    def expression(self) -> Any:
        """What stands there now: trafilatura's XPath, or a Selection while one is in use."""
        # the module's names, not its attribute: `trafilatura.baseline` is also a function's name
        found = vars(import_module(self.module))[self.name]
        return found if self.index is None else found[self.index]

    def put(self, expression: XPath | Selection) -> None:
        """Make `expression` the one trafilatura reads there: in place in its list (which other
        modules imported as it is), or as the module's name."""
        names = vars(import_module(self.module))
        if self.index is None:
            names[self.name] = expression
        else:
            names[self.name][self.index] = expression


EQUIVALENTS = (
    Equivalent(
        "trafilatura.xpaths",
        "REMOVE_COMMENTS_AND_LISTS_XPATH",
        0,
        ".//*[self::div or self::list or self::section or self::details or self::ol or self::ul][ "
        "re:test(@id, …) or re:test(@class, …)][ not(self::ol or self::ul) or re:test(@id, …) or "
        "re:test(@class, …)]",
        _named_boxes(("div", "list", "section", "details", "ol", "ul"), _not_a_list),
    ),
    Equivalent(
        "trafilatura.xpaths",
        "RAW_TREE_PRUNE_XPATH",
        0,
        ".//*[self::div or self::section or self::aside][ re:test(@id, …) or re:test(@class, …)][ "
        "not(.//h1) or re:test(@id, …) or re:test(@class, …)]",
        _named_boxes(("div", "section", "aside"), _without_headline),
    ),
    Equivalent(
        "trafilatura.xpaths",
        "RAW_TREE_PRUNE_XPATH",
        1,
        ".//*[self::div or self::section or self::aside][contains(@class, 'elementor-share-buttons')]",
        _share_buttons,
    ),
    Equivalent(
        "trafilatura.xpaths",
        "OVERALL_DISCARD_XPATH",
        0,
        ".//*[self::div or self::item or self::list or self::p or self::section or self::span][ "
        "@data-lp-replacement-content or contains(translate(@role, 'N', 'n'), 'nav') or "
        "contains(@data-component, 'MostPopularStories') or re:test(@id|@class, …) or re:test(@id, …) "
        "or re:test(@class, …)]",
        _boilerplate_boxes,
    ),
    Equivalent(
        "trafilatura.xpaths",
        "OVERALL_DISCARD_XPATH",
        1,
        ".//*[@class='comments-title' or starts-with(@id|@class, 'reply-') or re:test(@id|@style, …) "
        "or contains(@style, 'display:none') or contains(@style, 'display: none') or "
        "re:test(@id, …) or re:test(@class, …) or @aria-hidden='true']",
        _hidden_elements,
    ),
    Equivalent(
        "trafilatura.xpaths",
        "BODY_XPATH",
        0,
        ".//*[self::article or self::div or self::main or self::section][ @class='post' or "
        "@class='entry' or @itemprop='articleBody' or @id='articleContent' or re:test(@id, …) or "
        "re:test(@class, …) ][1]",
        _content_frames,
    ),
    Equivalent(
        "trafilatura.baseline",
        "BASIC_CLEAN_XPATH",
        None,
        ".//aside|.//div[contains(@class|@id, 'footer')]|.//fencedframe|.//footer|.//script|.//style|"
        ".//svg|.//template|.//*[re:test(@class, …, 'i') or re:test(@id, …, 'i')]",
        _baseline_noise,
    ),
)


class Selection:
    """Called like the lxml XPath it stands for: a tree in, its matching elements in document order out."""

    def __init__(self, xpath: XPath, select: Select) -> None:
        self.xpath = xpath
        self._select = select
        self._patterns = [
            re.compile(regex, re.IGNORECASE if "i" in flags else 0)
            for _, regex, flags in _REGEX_TEST.findall(xpath.path)
        ]

    def __call__(self, tree: HtmlElement) -> list[HtmlElement]:
        return self._select(tree, *self._patterns)


def _selections() -> list[tuple[Equivalent, Selection]]:
    """The equivalents whose expression has the shape they were written for, with their selection."""
    found = []
    for equivalent in EQUIVALENTS:
        xpath = equivalent.expression()
        if isinstance(xpath, XPath) and skeleton(xpath.path) == equivalent.shape:
            found.append((equivalent, Selection(xpath, equivalent.select)))
    return found


IN_USE = _selections()


@contextmanager
def python_selections() -> Iterator[None]:
    """While inside, trafilatura evaluates the expressions of IN_USE with their Python selection;
    its own calls outside (a caller's `trafilatura.extract`) keep its XPaths. The swap is the
    process's: newsflow extracts one page at a time in a process (threads would share it, and
    since a selection selects what its XPath selects, only their speed would differ)."""
    for equivalent, selection in IN_USE:
        equivalent.put(selection)
    try:
        yield
    finally:
        for equivalent, selection in IN_USE:
            equivalent.put(selection.xpath)
