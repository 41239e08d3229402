-- discovered_mentions_daily: one row per (mention_date, entity_key): the mentions of the entities NER
-- found (discovered_entities), dated by their article's publication date, else its first ingest
-- day, as mentions_daily dates the watchlist's. "Who was most mentioned this week" without knowing
-- the answer in advance: sum n_mentions over the week's days.
-- materialized: view
-- unique: mention_date, entity_key
-- Built from: lake_discovered, stg_articles, discovered_entities.
with discovered as (select * from lake_discovered),
articles as (select article_id, ingest_date, article_date from stg_articles where not is_duplicate),
entities as (select entity_key, name, kind, entity_id from discovered_entities),
daily as (
    select
        a.article_date as mention_date,
        d.entity_key,
        count(*) as n_mentions,
        count(distinct d.article_id) as n_articles
    from discovered as d
    join articles as a on a.article_id = d.article_id and a.ingest_date = d.ingest_date
    group by a.article_date, d.entity_key
)
select daily.mention_date, daily.entity_key, e.name, e.kind, e.entity_id, daily.n_mentions, daily.n_articles
from daily join entities as e using (entity_key)
