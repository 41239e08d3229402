"""One document alone, from HTML or plain text to clean text: what a page says about itself
(`page`: encoding, declared language, publisher), its metadata (`metadata`) and publication date
(`dates`), the DOM pruning (`dom`) and trafilatura passes (`extract`), the text rules (`clean` with
`rules/*.yaml`), the language (`language`) and the content hash and story signature
(`signatures`). Pure functions: no files, no network.

May import: settings, schema, upstream.
"""
