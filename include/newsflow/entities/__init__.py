"""Who and what an article names: the tracked entities and their alias matching (`watchlist`,
started from `watchlist.example.yaml`), and every person, organisation and place spaCy's NER finds
in French and English text, named one way (`discover`, with the name rules of `names`).

May import: settings, schema, document.
"""
