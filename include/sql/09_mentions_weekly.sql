-- mentions_weekly: one row per (week_start, entity_id); weeks start on Monday (ISO).
-- materialized: view
-- Built from: mentions, entities.
with mentions as (select * from mentions),
entities as (select entity_id, label from entities),
weekly as (
    select
        cast(date_trunc('week', mention_date) as date) as week_start,
        entity_id,
        sum(n_mentions) as n_mentions,
        count(distinct article_id) as n_articles,
        count(distinct story_id) as n_stories,
        count(distinct source) as n_sources,
        count(distinct article_id) filter (where date_source = 'ingest_date') as n_articles_ingest_dated
    from mentions
    group by week_start, entity_id
),
labelled as (
    select
        w.week_start, w.entity_id, e.label, w.n_mentions, w.n_articles, w.n_stories, w.n_sources,
        w.n_articles_ingest_dated
    from weekly as w
    join entities as e using (entity_id)
)
select * from labelled
