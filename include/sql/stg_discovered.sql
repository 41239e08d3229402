-- stg_discovered: one row per mention NER discovered (lake dataset discovered, newsflow enrich), its
-- entity_id the watchlist entity it is today: the one enrich joined it to if still tracked, else the
-- one an alias of which has its entity_key (e.g. after `newsflow entities promote`); null when the
-- watchlist does not track it. So a watchlist change needs no new NER run.
-- materialized: view
-- Built from: lake_discovered, watchlist_keys.
with discovered as (select * from lake_discovered),
tracked_ids as (select distinct entity_id from watchlist_keys)
select d.* exclude (entity_id), coalesce(t.entity_id, k.entity_id) as entity_id
from discovered as d
left join tracked_ids as t on t.entity_id = d.entity_id
left join watchlist_keys as k on k.entity_key = d.entity_key
