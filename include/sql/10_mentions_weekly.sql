-- mentions_weekly: one row per (week_start, entity_id); weeks start on Monday (ISO); dated by
-- publication date as mentions_daily (date_basis 'published'). See mentions_weekly_by_ingest.
-- materialized: view
-- Built from: int_mention_counts, entities.
select
    c.date_basis, c.period_start as week_start, c.entity_id, e.label, c.n_mentions, c.n_articles, c.n_stories,
    c.n_publishers, c.n_articles_undated
from int_mention_counts as c join entities as e using (entity_id)
where c.grain = 'week' and c.date_basis = 'published'
