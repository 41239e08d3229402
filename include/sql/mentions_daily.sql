-- mentions_daily: one row per (mention_date, entity_id), mentions dated by their article's publication
-- date (date_basis 'published'); articles without one are dated by their first ingest day and
-- counted in n_articles_undated. mentions_daily_by_ingest counts the same mentions by ingest day.
-- materialized: view
-- unique: mention_date, entity_id
-- Built from: mention_counts.
select * rename (period_start as mention_date) from mention_counts('day', 'published')
