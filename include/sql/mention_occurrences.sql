-- mention_occurrences: one row per occurrence of an entity in an article, with its prominence
-- (in the title, sentence index, character offset), as GDELT records mentions.
-- materialized: view
-- unique: article_id, entity_id, in_title, char_offset
-- Built from: stg_mentions.
with mentions as (select * from stg_mentions)
select
    article_id, entity_id, alias, matched_text, in_title, sentence_index, char_offset, story_id, source,
    publisher, mention_date, first_ingest_date, date_source
from mentions
