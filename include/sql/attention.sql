-- attention: one row per period (day, or ISO week) with data on one clock: how many articles,
-- publishers and stories matched a boolean query (text_matches' patterns and clauses), out of how
-- many articles.
-- materialized: table macro (patterns, clauses, grain := 'day', basis := 'published')
-- Built from: int_articles, text_matches. A period with data but no match counts 0; a period
-- without any article has no row (a gap, not a zero). `newsflow attention QUERY --by week`.
-- Call: select * from attention(['(?i)otan'], [{'must': 1, 'must_not': 0}], grain := 'week').
with articles as (
    select
        article_id, publisher, story_id,
        case when basis = 'ingest' then first_ingest_date else article_date end as day
    from int_articles
),
periods as (
    select *, case when grain = 'week' then cast(date_trunc('week', day) as date) else day end as period_start
    from articles
),
matched as (select article_id, true as is_match from text_matches(patterns, clauses)),
counted as (
    select
        p.period_start,
        count(*) filter (where m.is_match) as n_articles,
        count(distinct p.publisher) filter (where m.is_match) as n_publishers,
        count(distinct p.story_id) filter (where m.is_match) as n_stories,
        count(*) as n_articles_all
    from periods as p
    left join matched as m using (article_id)
    group by p.period_start
)
select period_start, n_articles, n_publishers, n_stories, n_articles_all
from counted
