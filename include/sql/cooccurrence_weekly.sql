-- cooccurrence_weekly: one row per (week_start, entity_a, entity_b) with entity_a < entity_b: how many
-- articles (and distinct stories) mention both entities that week, by publication date as
-- mentions_weekly (date_basis 'published').
-- materialized: incremental by week of week_start
-- unique: week_start, entity_a, entity_b
-- Built from: mentions, for the weeks in refresh_weeks (see int_mention_counts).
with article_entities as (
    select distinct
        cast(date_trunc('week', mention_date) as date) as week_start, article_id, story_id, entity_id
    from mentions
    where cast(date_trunc('week', mention_date) as date) in (select week_start from refresh_weeks)
),
pairs as (
    select
        'published' as date_basis,
        a.week_start,
        a.entity_id as entity_a,
        b.entity_id as entity_b,
        count(*) as n_articles,
        count(distinct a.story_id) as n_stories
    from article_entities as a
    join article_entities as b
        on a.article_id = b.article_id and a.entity_id < b.entity_id
    group by a.week_start, entity_a, entity_b
)
select * from pairs
