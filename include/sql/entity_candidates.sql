-- entity_candidates: one row per (name_key, ner_label) that spaCy NER found and the gazetteer lacks,
-- with counts and up to three example contexts, to decide what to add to the watchlist; a name an
-- alias of the watchlist now names (e.g. after `newsflow entities promote`) is tracked, not a candidate.
-- materialized: view
-- unique: name_key, ner_label
-- Built from: lake_candidates, stg_articles (latest versions, non-duplicates only), entities.
with candidates as (select * from lake_candidates),
tracked as (
    select distinct lower(strip_accents(replace(alias, '’', ''''))) as name_key
    from (select unnest(aliases) as alias from entities where entity_kind = 'tracked')
),
articles as (select article_id, ingest_date, article_date from stg_articles where not is_duplicate),
found as (
    select c.*, a.article_date
    from candidates as c
    join articles as a on a.article_id = c.article_id and a.ingest_date = c.ingest_date
    where c.name_key not in (select name_key from tracked)
),
grouped as (
    select
        name_key,
        ner_label,
        mode(name) as name,
        count(*) as n_mentions,
        count(distinct article_id) as n_articles,
        min(article_date) as first_date,
        max(article_date) as last_date,
        list(context order by article_date, article_id, char_offset)[1:3] as example_contexts
    from found
    group by name_key, ner_label
)
select * from grouped
