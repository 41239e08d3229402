-- article_list: one row per article behind a count: dated (on one clock) from from_date to to_date,
-- mentioning the entity and with_entity where given, of the story, publisher, language and source
-- where given; with where the entity is first mentioned (in the text if it is, else in the title:
-- char_offset into that one) for the sentence that shows it.
-- materialized: table macro (from_date, to_date, basis := 'published', entity := null, with_entity := null, story := null, of_publisher := null, in_language := null, from_source := null)
-- Built from: stg_articles, lake_mentions, stg_discovered. The drill-down of the Mentions page: a
-- point, a co-occurrence cell, a story or an entity lists its articles, newest first, paged by the
-- caller. Mentions are read from lake_mentions and stg_discovered, as stg_mentions reads them,
-- because a filter on entity_id does not reach below stg_mentions' union: 0.06 s instead of 0.7 s
-- for one entity among 1 M mentions.
-- Call: select * from article_list(date '2024-07-01', date '2024-07-31', entity := 'nato').
with articles as (
    select
        article_id, ingest_date, article_date, first_ingest_date, publisher, title, url, language, source,
        story_id,
        case when basis = 'ingest' then first_ingest_date else article_date end as day
    from stg_articles
),
picked as (
    select *
    from articles
    where day between cast(from_date as date) and cast(to_date as date)
        and (story is null or story_id = story)
        and (of_publisher is null or publisher = of_publisher)
        and (in_language is null or language = in_language)
        and (from_source is null or source = from_source)
),
occurrences as (
    select article_id, ingest_date, entity_id, matched_text, in_title, char_offset
    from lake_mentions
    where entity_id in (entity, with_entity)
    union all
    select article_id, ingest_date, 'discovered:' || entity_key, matched_text, false, char_offset
    from stg_discovered
    where entity_id is null and 'discovered:' || entity_key in (entity, with_entity)
),
first_mention as (
    select article_id, ingest_date, matched_text, in_title, char_offset
    from occurrences
    where entity_id = entity
    qualify row_number() over (partition by article_id, ingest_date order by in_title, char_offset) = 1
),
listed as (
    select p.*, f.matched_text, f.in_title, f.char_offset
    from picked as p
    left join first_mention as f using (article_id, ingest_date)
    where (entity is null or f.article_id is not null)
        and (with_entity is null or exists (
            select 1 from occurrences as o
            where o.article_id = p.article_id and o.ingest_date = p.ingest_date and o.entity_id = with_entity
        ))
)
select
    article_id, ingest_date, day, article_date, first_ingest_date, publisher, title, url, language, source,
    story_id, coalesce(matched_text, '') as matched_text, coalesce(in_title, false) as in_title,
    coalesce(char_offset, 0) as char_offset
from listed
