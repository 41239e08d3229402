-- int_mention_counts: one row per (date_basis, grain, period_start, entity_id): the attention measures,
-- defined once for the daily and weekly views. date_basis 'published' dates a mention by its
-- article's publication date (the first ingest date when the page gave none: those articles are
-- counted in n_articles_undated), 'ingest' by the day newsflow first ingested the article. grain
-- 'day' or 'week' (ISO, from Monday).
-- materialized: incremental by week of period_start
-- Built from: mentions. Refreshed for the weeks in refresh_weeks (the weeks, on either clock, whose
-- mentions changed; every week on a full build). n_stories counts syndicated copies once;
-- n_publishers counts distinct publishers (registered domains), not feeds.
with mentions as (select * from mentions),
dated as (
    select 'published' as date_basis, mention_date as day, * exclude (mention_date, first_ingest_date)
    from mentions
    union all
    select 'ingest' as date_basis, first_ingest_date as day, * exclude (mention_date, first_ingest_date)
    from mentions
),
in_refresh as (
    select *, cast(date_trunc('week', day) as date) as week_start
    from dated
    where cast(date_trunc('week', day) as date) in (select week_start from refresh_weeks)
),
counts as (
    select
        date_basis,
        case when grouping(day) = 0 then 'day' else 'week' end as grain,
        coalesce(day, week_start) as period_start,
        entity_id,
        sum(n_mentions) as n_mentions,
        count(distinct article_id) as n_articles,
        count(distinct story_id) as n_stories,
        count(distinct publisher) as n_publishers,
        count(distinct article_id) filter (where date_source = 'ingest_date') as n_articles_undated
    from in_refresh
    group by grouping sets ((date_basis, day, entity_id), (date_basis, week_start, entity_id))
)
select * from counts
