"""Reading a page's tree without some of its elements, and without a copy of it: they are set
aside while it is read, and put back where they were."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from lxml.html import HtmlElement


@contextmanager
def set_aside(elements: Sequence[HtmlElement]) -> Iterator[list[HtmlElement]]:
    """While inside, `elements` are out of their tree, each with its tail; they go back where they
    were on leaving, the tree unchanged (no copy of it is made). Yields those taken out: the
    outermost, since an element inside another goes with it (the tree's root cannot go)."""
    chosen = set(elements)
    outermost = [
        e for e in elements if e.getparent() is not None and not any(a in chosen for a in e.iterancestors())
    ]
    # Each goes back after the node before it (or first in its parent), in page order, so that one
    # set aside before it is back first: no child is counted, however many a parent holds.
    places = [(e.getparent(), e.getprevious(), e) for e in outermost]
    for parent, _, element in places:
        parent.remove(element)
    try:
        yield outermost
    finally:
        for parent, before, element in places:
            if before is None:
                parent.insert(0, element)
            else:
                before.addnext(element)
