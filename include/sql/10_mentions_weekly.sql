-- mentions_weekly: one row per (week_start, entity_id); weeks start on Monday (ISO).
-- materialized: view
-- Built from: int_mention_counts, entities.
with counts as (select * from int_mention_counts where grain = 'week'),
entities as (select entity_id, label from entities)
select
    c.period_start as week_start, c.entity_id, e.label, c.n_mentions, c.n_articles, c.n_stories, c.n_sources,
    c.n_articles_ingest_dated
from counts as c
join entities as e using (entity_id)
