-- mentions_weekly: one row per (week_start, entity_id); weeks start on Monday (ISO); dated by
-- publication date as mentions_daily (date_basis 'published'). See mentions_weekly_by_ingest.
-- materialized: view
-- unique: week_start, entity_id
-- Built from: mention_counts.
select * rename (period_start as week_start) from mention_counts('week', 'published')
