-- stg_mentions: one row per mention occurrence in an article's latest version, with the article's two
-- dates (mention_date: published, else first ingested; first_ingest_date), story, source, publisher
-- and language: the watchlist's mentions, and those of the entities NER discovered that it does not
-- track (their entity_id 'discovered:' || entity_key, their alias the entity_key; a discovered form
-- of a tracked entity is left out: the watchlist counts it).
-- materialized: view
-- Built from: lake_mentions, stg_discovered, int_articles (stg_articles' latest versions, stored: a
-- filter on entity_id or publisher then reads only the matching mentions, ~0.05 s among 1 M).
with mentions as (
    select article_id, entity_id, alias, matched_text, sentence_index, char_offset, in_title, ingest_date
    from lake_mentions
    union all
    select
        article_id, 'discovered:' || entity_key, entity_key, matched_text, sentence_index, char_offset, false,
        ingest_date
    from stg_discovered
    where entity_id is null
),
articles as (
    select
        article_id, ingest_date, article_date, first_ingest_date, date_source, story_id, source, publisher,
        language
    from int_articles
    where not is_duplicate  -- a copy's mentions would count twice
),
dated as (
    select
        m.article_id,
        m.entity_id,
        m.alias,
        m.matched_text,
        m.sentence_index,
        m.char_offset,
        m.in_title,
        a.story_id,
        a.source,
        a.publisher,
        a.language,
        a.article_date as mention_date,
        a.first_ingest_date,
        a.date_source
    from mentions as m
    join articles as a on a.article_id = m.article_id and a.ingest_date = m.ingest_date
)
select * from dated
