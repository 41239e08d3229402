-- mentions_daily: one row per (mention_date, entity_id).
-- materialized: view
-- Built from: mentions, entities. n_stories counts syndicated copies once; n_articles_ingest_dated
-- counts articles dated by their ingest day because the page gave no publication date.
with mentions as (select * from mentions),
entities as (select entity_id, label from entities),
daily as (
    select
        mention_date,
        entity_id,
        sum(n_mentions) as n_mentions,
        count(distinct article_id) as n_articles,
        count(distinct story_id) as n_stories,
        count(distinct source) as n_sources,
        count(distinct article_id) filter (where date_source = 'ingest_date') as n_articles_ingest_dated
    from mentions
    group by mention_date, entity_id
),
labelled as (
    select
        d.mention_date, d.entity_id, e.label, d.n_mentions, d.n_articles, d.n_stories, d.n_sources,
        d.n_articles_ingest_dated
    from daily as d
    join entities as e using (entity_id)
)
select * from labelled
