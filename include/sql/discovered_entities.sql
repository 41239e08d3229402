-- discovered_entities: one row per entity NER found in French and English articles (lake dataset
-- discovered, newsflow enrich): entity_key is the normalised fullest name, one entity across
-- articles; name and kind are the most frequent; entity_id is the watchlist entity it joins when
-- one of its forms is an alias, today (its mentions are then counted in mentions_daily by the watchlist).
-- Counts over the latest version of each article, duplicates left out.
-- materialized: view
-- unique: entity_key
-- Built from: stg_discovered, stg_articles.
with discovered as (select * from stg_discovered),
articles as (select article_id, ingest_date, article_date from stg_articles where not is_duplicate),
found as (
    select d.*, a.article_date
    from discovered as d
    join articles as a on a.article_id = d.article_id and a.ingest_date = d.ingest_date
),
grouped as (
    select
        entity_key,
        mode(name) as name,
        mode(kind) as kind,
        max(entity_id) as entity_id,
        count(*) as n_mentions,
        count(distinct article_id) as n_articles,
        min(article_date) as first_date,
        max(article_date) as last_date
    from found
    group by entity_key
)
select * from grouped
