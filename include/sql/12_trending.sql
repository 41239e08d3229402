-- trending: one row per entity whose mean daily mentions over the last 7 days (ending on the newest
-- mention_date in the warehouse) rise above its mean over the 28 days before them.
-- materialized: table
-- Built from: mentions_daily, entities. Days without mentions count as 0; z_score is null when the
-- trailing 28 days have no variance, ratio when they have no mentions (the entity is new).
with daily as (select mention_date, entity_id, n_mentions from mentions_daily),
as_of as (select max(mention_date) as as_of_date from daily),
calendar as (
    select cast(day as date) as day
    from as_of, range(as_of_date - interval 34 day, as_of_date + interval 1 day, interval 1 day) as t(day)
),
grid as (
    select e.entity_id, c.day, coalesce(d.n_mentions, 0) as n_mentions
    from (select distinct entity_id from daily) as e
    cross join calendar as c
    left join daily as d on d.entity_id = e.entity_id and d.mention_date = c.day
),
windows as (
    select
        g.entity_id,
        a.as_of_date,
        sum(g.n_mentions) filter (where g.day > a.as_of_date - 7) as n_mentions_7d,
        avg(g.n_mentions) filter (where g.day > a.as_of_date - 7) as mean_daily_7d,
        avg(g.n_mentions) filter (where g.day <= a.as_of_date - 7) as mean_daily_28d,
        stddev_pop(g.n_mentions) filter (where g.day <= a.as_of_date - 7) as stddev_daily_28d
    from grid as g
    cross join as_of as a
    group by g.entity_id, a.as_of_date
),
scored as (
    select
        w.entity_id,
        e.label,
        w.as_of_date,
        w.n_mentions_7d,
        round(w.mean_daily_7d, 3) as mean_daily_7d,
        round(w.mean_daily_28d, 3) as mean_daily_28d,
        round(w.mean_daily_7d / nullif(w.mean_daily_28d, 0), 3) as ratio,
        round((w.mean_daily_7d - w.mean_daily_28d) / nullif(w.stddev_daily_28d, 0), 3) as z_score
    from windows as w
    join entities as e using (entity_id)
    where w.mean_daily_7d > w.mean_daily_28d
)
select * from scored
