-- mention_counts: one row per (period_start, entity_id) of one grain ('day' or 'week') and one
-- date_basis ('published' or 'ingest'): int_mention_counts' measures with the entity's label and kind
-- ('tracked' by the watchlist, or 'discovered' by NER). The
-- query behind mentions_daily, mentions_weekly and their _by_ingest twins, which call it and name
-- period_start after their period.
-- materialized: table macro (grain, basis)
-- Built from: int_mention_counts, entities.
-- Call: select * from mention_counts('week', 'ingest').
with counts as (select * from int_mention_counts),
entities as (select entity_id, label, entity_kind from entities)
select
    c.date_basis, c.period_start, c.entity_id, e.label, c.n_mentions, c.n_articles, c.n_stories,
    c.n_publishers, c.n_articles_undated, e.entity_kind
from counts as c
join entities as e using (entity_id)
where c.grain = grain and c.date_basis = basis
