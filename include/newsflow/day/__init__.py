"""A day's work after collection: its staging layout (`staging`), the per-document pass of a shard
(`process`, with a publisher's `templates`), the process pool
that runs shards (`workers`), and the whole-day steps on columns (`steps`: duplicates, the Great
Expectations suite of `validate`, publishing, fetch health).

May import: settings, schema, upstream, store, document, entities, ingest.
"""
