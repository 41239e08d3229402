-- entities: one row per tracked entity of the watchlist (NEWSFLOW_ENTITIES_PATH), with its Wikidata item id
-- (null where not checked) to join other data on.
-- materialized: table
-- unique: entity_id
-- Built from: raw_entities (registered from the YAML at build time).
with entities as (select * from raw_entities)
select entity_id, label, entity_type, wikidata_id, aliases, acronyms
from entities
