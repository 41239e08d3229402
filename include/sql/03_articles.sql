-- articles: one row per article (analyst-facing), duplicates flagged rather than dropped.
-- materialized: view
-- Built from: stg_articles.
with articles as (select * from stg_articles)
select
    article_id, source, url, source_path, title, author, sitename, description, language, language_prob,
    html_language, language <> html_language as is_language_mismatch, published_date, ingest_date, first_ingest_date,
    article_date, date_source, text_chars, raw_chars, n_removed_spans, extraction_method, content_hash,
    is_duplicate, duplicate_of, story_id, text
from articles
