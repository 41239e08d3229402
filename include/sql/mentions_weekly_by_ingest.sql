-- mentions_weekly_by_ingest: one row per (week_start, entity_id), ISO weeks of the first ingest day
-- (date_basis 'ingest'), as mentions_daily_by_ingest.
-- materialized: view
-- unique: week_start, entity_id
-- Built from: mention_counts.
select * rename (period_start as week_start) from mention_counts('week', 'ingest')
