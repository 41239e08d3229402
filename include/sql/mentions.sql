-- mentions: one row per (article_id, entity_id, alias): how often the article uses that alias.
-- materialized: view
-- unique: article_id, entity_id, alias
-- Built from: stg_mentions.
with mentions as (select * from stg_mentions),
per_alias as (
    select
        article_id,
        entity_id,
        alias,
        count(*) as n_mentions,
        bool_or(in_title) as is_in_title,
        min(sentence_index) as first_sentence_index,
        any_value(story_id) as story_id,
        any_value(source) as source,
        any_value(publisher) as publisher,
        any_value(mention_date) as mention_date,
        any_value(first_ingest_date) as first_ingest_date,
        any_value(date_source) as date_source
    from mentions
    group by article_id, entity_id, alias
)
select * from per_alias
