-- trending_as_of: one row per entity mentioned in the 7 days up to as_of_date that is either
-- 'trending' (mentioned well above what its 28 days before predict) or 'new' (no mention in those 28
-- days, or fewer than min_history_days days with data in them: too little history to call a rise).
-- min_history_days defaults to 14 (null, as the CLI passes when not given, means the default).
-- materialized: table macro (as_of_date, basis := 'published', min_history_days := null, min_z_score := 2)
-- Built from: int_mention_counts, int_articles, entities.
-- Call: select * from trending_as_of(date '2024-07-26') (or basis := 'ingest' for first-ingest days).
-- A day with data is one on which some article is dated (on the same clock); a day without any (a
-- run that did not happen) is not a day without mentions, so means are over days with data:
--   mean_daily_7d  = mentions in the last 7 days / days with data among them
--   mean_daily_28d = mentions in the 28 days before / days with data among them (history_days)
--   expected_7d    = mean_daily_28d × days with data in the last 7
--   z_score        = (n_mentions_7d − expected_7d) / sqrt(expected_7d), the Poisson z-score
-- 'trending' needs z_score >= min_z_score; a 'new' entity has no ratio or z_score. Mentions dated
-- after as_of_date do not count.
with article_days as (
    select distinct case when basis = 'ingest' then first_ingest_date else article_date end as day
    from int_articles
),
window_days as (
    select day, day > cast(as_of_date as date) - 7 as is_recent
    from article_days
    where day between cast(as_of_date as date) - 34 and cast(as_of_date as date)
),
history as (
    select
        count(*) filter (where is_recent) as recent_days,
        count(*) filter (where not is_recent) as history_days
    from window_days
),
per_entity as (
    select
        c.entity_id,
        coalesce(sum(c.n_mentions) filter (where w.is_recent), 0) as n_mentions_7d,
        coalesce(sum(c.n_mentions) filter (where not w.is_recent), 0) as n_mentions_28d
    from int_mention_counts as c
    join window_days as w on w.day = c.period_start
    where c.grain = 'day' and c.date_basis = basis
    group by c.entity_id
),
scored as (
    select
        p.entity_id,
        p.n_mentions_7d,
        h.history_days,
        p.n_mentions_7d / h.recent_days as mean_daily_7d,
        p.n_mentions_28d / nullif(h.history_days, 0) as mean_daily_28d,
        p.n_mentions_28d / nullif(h.history_days, 0) * h.recent_days as expected_7d,
        h.history_days < coalesce(min_history_days, 14) or p.n_mentions_28d = 0 as is_new
    from per_entity as p
    cross join history as h
    where p.n_mentions_7d > 0
)
select
    s.entity_id,
    e.label,
    cast(as_of_date as date) as as_of_date,
    basis as date_basis,
    case when s.is_new then 'new' else 'trending' end as status,
    s.n_mentions_7d,
    s.history_days,
    round(s.mean_daily_7d, 3) as mean_daily_7d,
    round(s.mean_daily_28d, 3) as mean_daily_28d,
    round(s.expected_7d, 3) as expected_7d,
    case when not s.is_new then round(s.mean_daily_7d / s.mean_daily_28d, 3) end as ratio,
    case when not s.is_new then round((s.n_mentions_7d - s.expected_7d) / sqrt(s.expected_7d), 3) end as z_score
from scored as s
join entities as e using (entity_id)
where s.is_new or (s.n_mentions_7d - s.expected_7d) / sqrt(s.expected_7d) >= min_z_score
