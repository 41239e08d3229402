"""Where the bytes live: files on a folder or an object store (`storage`), the Parquet lake of day
partitions switched by manifests (`lake`), and the one-writer-per-day locks (`locks`).

May import: settings, schema.
"""
