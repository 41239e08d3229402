-- trending: one row per entity 'trending' or 'new' in the 7 days up to the newest ingest date in the
-- warehouse (the last run's day), by publication date: trending_as_of with its defaults.
-- materialized: view
-- unique: entity_id
-- Built from: trending_as_of, stg_articles.
select * from trending_as_of((select max(ingest_date) from stg_articles))
