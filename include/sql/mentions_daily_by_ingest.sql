-- mentions_daily_by_ingest: one row per (ingest_date, entity_id), mentions dated by the day newsflow
-- first ingested their article (date_basis 'ingest'): what each nightly run brought in, whatever
-- the articles' age. n_articles_undated: of those articles, how many gave no publication date.
-- materialized: view
-- unique: ingest_date, entity_id
-- Built from: mention_counts.
select * rename (period_start as ingest_date) from mention_counts('day', 'ingest')
