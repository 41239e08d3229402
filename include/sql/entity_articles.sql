-- entity_articles: one row per (entity_id, article_id): an article (its latest version; a duplicate's
-- mentions are its original's) that names the entity, with its dates on both clocks, publisher,
-- language, source and story, how often it names the entity, and where first (in the text if it
-- does, else in the title: char_offset into that one).
-- materialized: incremental by week of mention_date
-- unique: entity_id, article_id
-- Built from: stg_mentions, for the weeks in refresh_weeks (see int_mention_counts). What the
-- Mentions page counts and lists under its filters: an entity's articles (article_list) or the
-- mentions in one publisher's, language's or source's articles are one filtered scan here, not a
-- join of the mentions (~135,000 of 1 M for one entity) with every article. Titles and URLs stay
-- in int_articles: ~680,000 rows for 1 M mentions.
with occurrences as (select * from stg_mentions),
in_refresh as (
    select *
    from occurrences
    where cast(date_trunc('week', mention_date) as date) in (select week_start from refresh_weeks)
),
first_mentions as (
    select *, count(*) over (partition by entity_id, article_id) as n_mentions
    from in_refresh
    qualify row_number() over (partition by entity_id, article_id order by in_title, char_offset) = 1
)
select
    entity_id, article_id, mention_date, first_ingest_date, date_source, publisher, language, source, story_id,
    n_mentions, matched_text, in_title, char_offset
from first_mentions
