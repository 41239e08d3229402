-- mentions_daily_by_ingest: one row per (ingest_date, entity_id), mentions dated by the day newsflow
-- first ingested their article (date_basis 'ingest'): what each nightly run brought in, whatever
-- the articles' age. n_articles_undated: of those articles, how many gave no publication date.
-- materialized: view
-- Built from: int_mention_counts, entities.
select
    c.date_basis, c.period_start as ingest_date, c.entity_id, e.label, c.n_mentions, c.n_articles, c.n_stories,
    c.n_publishers, c.n_articles_undated
from int_mention_counts as c join entities as e using (entity_id)
where c.grain = 'day' and c.date_basis = 'ingest'
