-- entity_candidates: one row per entity NER discovered that the watchlist does not track, with counts
-- and up to three example contexts (the text around its first mention in an article), to decide what
-- to add to the watchlist (`newsflow entities promote ENTITY_KEY`); once an alias of the watchlist
-- has its key, it is tracked and no longer a candidate.
-- materialized: view
-- unique: entity_key
-- Built from: stg_discovered, stg_articles (latest versions, non-duplicates only).
with untracked as (select * from stg_discovered where entity_id is null),
articles as (select article_id, ingest_date, article_date, text from stg_articles where not is_duplicate),
found as (
    select
        d.*,
        a.article_date,
        trim(regexp_replace(
            substr(a.text, greatest(d.char_offset - 79, 1), length(d.matched_text) + 160), '\s+', ' ', 'g'
        )) as context
    from untracked as d
    join articles as a on a.article_id = d.article_id and a.ingest_date = d.ingest_date
),
grouped as (
    select
        entity_key,
        mode(name) as name,
        mode(kind) as kind,
        count(*) as n_mentions,
        count(distinct article_id) as n_articles,
        min(article_date) as first_date,
        max(article_date) as last_date,
        list(context order by article_date, article_id, char_offset)
            filter (where char_offset = first_offset)[1:3] as example_contexts
    from (select *, min(char_offset) over (partition by article_id, entity_key) as first_offset from found)
    group by entity_key
)
select * from grouped
