-- articles: one row per article (analyst-facing), duplicates flagged rather than dropped.
-- materialized: view
-- unique: article_id
-- Built from: stg_articles. is_language_mismatch is true only when the page declared a language
-- and langdetect found another one: false (never null) when either is missing, so
-- `where not is_language_mismatch` keeps every article with nothing to disagree with.
with articles as (select * from stg_articles)
select
    article_id, source, publisher, url, canonical_url, source_path, title, author, sitename, description,
    language, language_prob, html_language, coalesce(language <> html_language, false) as is_language_mismatch,
    published_date, published_date_source, ingest_date, first_ingest_date, article_date, date_source,
    text_chars, raw_chars, n_removed_spans, extraction_method, page_type, page_type_evidence, content_hash,
    is_duplicate, duplicate_of,
    story_id, text
from articles
