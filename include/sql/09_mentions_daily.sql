-- mentions_daily: one row per (mention_date, entity_id), mentions dated by their article's publication
-- date (date_basis 'published'); articles without one are dated by their first ingest day and
-- counted in n_articles_undated. mentions_daily_by_ingest counts the same mentions by ingest day.
-- materialized: view
-- Built from: int_mention_counts, entities.
select
    c.date_basis, c.period_start as mention_date, c.entity_id, e.label, c.n_mentions, c.n_articles, c.n_stories,
    c.n_publishers, c.n_articles_undated
from int_mention_counts as c join entities as e using (entity_id)
where c.grain = 'day' and c.date_basis = 'published'
