-- trending: one row per entity 'trending' or 'new' in the 7 days up to the newest ingest date in the
-- warehouse (the last run's day), by publication date: trending_as_of with its defaults.
-- materialized: table
-- unique: entity_id
-- Built from: trending_as_of, int_articles. A table: it changes only at a build, and the Mentions
-- page reads it at every first view after one.
select * from trending_as_of((select max(ingest_date) from int_articles))
