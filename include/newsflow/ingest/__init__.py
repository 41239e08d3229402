"""Getting a day's documents: the sources configuration and folders (`sources`), polite HTTP
(`fetch`), feeds and sitemaps (`feeds`), the WARC archive of what was fetched and the seen URLs
(`archive`), reading others' WARC files (`warc`, `backfill`), and one source's day (`collect`).

May import: settings, schema, store, document.
"""
