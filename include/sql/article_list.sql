-- article_list: one row per article behind a count: dated (on one clock) from from_date to to_date,
-- mentioning the entity and with_entity where given, of the story, publisher, language and source
-- where given; with where the entity is first mentioned (in the text if it is, else in the title:
-- char_offset into that one) for the sentence that shows it.
-- materialized: table macro (from_date, to_date, basis := 'published', entity := null, with_entity := null, story := null, of_publisher := null, in_language := null, from_source := null)
-- Built from: int_articles, entity_articles. The drill-down of the Mentions page: a point, a
-- co-occurrence cell, a story or an entity lists its articles, newest first, paged by the caller.
-- An entity's articles are those its counts count (a duplicate's mentions are its original's);
-- without an entity, every article, duplicates included.
-- Call: select * from article_list(date '2024-07-01', date '2024-07-31', entity := 'nato').
with every_article as (
    select
        article_id, ingest_date, article_date, first_ingest_date, publisher, title, url, language, source,
        story_id, '' as matched_text, false as in_title, 0 as char_offset
    from int_articles
    where entity is null
),
naming_entity as (
    select
        e.article_id, a.ingest_date, e.mention_date as article_date, e.first_ingest_date, e.publisher, a.title,
        a.url, e.language, e.source, e.story_id, e.matched_text, e.in_title, e.char_offset
    from entity_articles as e
    join int_articles as a using (article_id)
    where e.entity_id = entity
),
dated as (
    select *, case when basis = 'ingest' then first_ingest_date else article_date end as day
    from (select * from every_article union all select * from naming_entity)
),
picked as (
    select *
    from dated
    where day between cast(from_date as date) and cast(to_date as date)
        and (story is null or story_id = story)
        and (of_publisher is null or publisher = of_publisher)
        and (in_language is null or language = in_language)
        and (from_source is null or source = from_source)
        and (with_entity is null or article_id in (
            select article_id from entity_articles where entity_id = with_entity
        ))
)
select
    article_id, ingest_date, day, article_date, first_ingest_date, publisher, title, url, language, source,
    story_id, matched_text, in_title, char_offset
from picked
