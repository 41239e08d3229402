-- entities: one row per gazetteer entity (include/newsflow/entities.yaml).
-- materialized: table
-- Built from: raw_entities (registered from the YAML at build time).
with entities as (select * from raw_entities)
select entity_id, label, entity_type, aliases
from entities
