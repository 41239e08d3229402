-- int_mention_counts: one row per (grain, period_start, entity_id), grain 'day' or 'week' (ISO, from
-- Monday): the attention measures, defined once for mentions_daily and mentions_weekly.
-- materialized: incremental by week of period_start
-- Built from: mentions. Refreshed for the weeks in refresh_weeks (the weeks whose mentions changed;
-- every week on a full build). n_stories counts syndicated copies once; n_articles_ingest_dated counts
-- articles dated by their ingest day because the page gave no publication date.
with mentions as (
    select *, cast(date_trunc('week', mention_date) as date) as week_start
    from mentions
    where cast(date_trunc('week', mention_date) as date) in (select week_start from refresh_weeks)
),
counts as (
    select
        case when grouping(mention_date) = 0 then 'day' else 'week' end as grain,
        coalesce(mention_date, week_start) as period_start,
        entity_id,
        sum(n_mentions) as n_mentions,
        count(distinct article_id) as n_articles,
        count(distinct story_id) as n_stories,
        count(distinct source) as n_sources,
        count(distinct article_id) filter (where date_source = 'ingest_date') as n_articles_ingest_dated
    from mentions
    group by grouping sets ((mention_date, entity_id), (week_start, entity_id))
)
select * from counts
