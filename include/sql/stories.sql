-- stories: one row per story_id, a cluster of near-duplicate articles (syndicated copies of one story).
-- materialized: table
-- unique: story_id
-- Built from: int_articles. A table, rebuilt at each build: the Mentions page lists the latest
-- stories of any date range, and grouping every article at each view took ~0.2 s for 120,000. The story's title is its first article's. n_publishers counts the
-- distinct publishers (registered domains) that ran it: how far a story travelled, whatever the
-- feeds or folders it came through.
with articles as (select * from int_articles),
stories as (
    select
        story_id,
        count(*) as n_articles,
        count(distinct publisher) as n_publishers,
        list(distinct publisher order by publisher) as publishers,
        min(article_date) as first_date,
        max(article_date) as last_date,
        arg_min(title, (first_ingest_date, article_id <> story_id)) as title,
        list(article_id order by first_ingest_date, article_id) as article_ids
    from articles
    group by story_id
)
select * from stories
