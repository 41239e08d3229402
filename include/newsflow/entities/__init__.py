"""Who and what an article names: the tracked entities and their alias matching (`watchlist`,
started from `watchlist.example.yaml`), and names found by NER that no alias covers (`candidates`).

May import: settings, schema, document.
"""
