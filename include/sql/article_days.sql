-- article_days: one row per day with data on one clock: a day on which some article is dated
-- (basis 'published': its article_date; 'ingest': its first ingest day), with how many are.
-- materialized: table macro (basis := 'published')
-- Built from: int_articles. Charts draw a day without any article as a gap, not as zero mentions
-- (newsflow.warehouse.timeline), by the same rule as trending_as_of's days with data.
-- Call: select * from article_days('ingest').
with articles as (select article_date, first_ingest_date from int_articles),
dated as (
    select case when basis = 'ingest' then first_ingest_date else article_date end as day
    from articles
)
select day, count(*) as n_articles
from dated
group by day
