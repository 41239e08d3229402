-- entities: one row per entity the mention tables count: each tracked entity of the watchlist
-- (NEWSFLOW_ENTITIES_PATH; entity_kind 'tracked'), with its Wikidata item id (null where not checked)
-- to join other data on, and each entity NER discovered that the watchlist does not track
-- (entity_kind 'discovered'; entity_id 'discovered:' || its entity_key, label its most frequent
-- name, aliases the forms it was found under).
-- materialized: table
-- unique: entity_id
-- Built from: raw_entities (registered from the YAML at build time), stg_discovered.
with tracked as (
    select entity_id, label, entity_type, wikidata_id, aliases, acronyms, 'tracked' as entity_kind
    from raw_entities
),
discovered as (
    select
        'discovered:' || entity_key as entity_id,
        mode(name) as label,
        case mode(kind) when 'PER' then 'person' when 'ORG' then 'organization' else 'place' end as entity_type,
        null::varchar as wikidata_id,
        list(distinct matched_text order by matched_text) as aliases,
        []::varchar[] as acronyms,
        'discovered' as entity_kind
    from stg_discovered
    where entity_id is null
    group by entity_key
),
entities as (select * from tracked union all select * from discovered)
select entity_id, label, entity_type, wikidata_id, aliases, acronyms, entity_kind
from entities
