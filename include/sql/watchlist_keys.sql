-- watchlist_keys: one row per key (names.entity_key) of a tracked entity's aliases and acronyms: the
-- watchlist as discovered entities are joined to it, by the same key NER's names are grouped by.
-- A key two entities share goes to the first entity id.
-- materialized: table
-- unique: entity_key
-- Built from: raw_entities (registered from the YAML at build time).
with keys as (select entity_id, unnest(alias_keys) as entity_key from raw_entities)
select entity_key, min(entity_id) as entity_id
from keys
group by entity_key
