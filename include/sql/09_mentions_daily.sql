-- mentions_daily: one row per (mention_date, entity_id).
-- materialized: view
-- Built from: int_mention_counts, entities.
with counts as (select * from int_mention_counts where grain = 'day'),
entities as (select entity_id, label from entities)
select
    c.period_start as mention_date, c.entity_id, e.label, c.n_mentions, c.n_articles, c.n_stories, c.n_sources,
    c.n_articles_ingest_dated
from counts as c
join entities as e using (entity_id)
