-- int_articles: one row per article_id, its latest version: stg_articles without its text, stored.
-- materialized: table
-- unique: article_id
-- Built from: stg_articles. stg_articles picks each article's latest version and its first copy
-- with window functions over every stored version: ~0.1 s for 120,000 articles at each read. Every
-- model that counts or lists articles (stg_mentions, article_list, article_days, stories, trending,
-- attention) reads this table instead, computed once per build; the text stays in lake_articles.
with articles as (select * from stg_articles)
select
    article_id, ingest_date, first_ingest_date, article_date, date_source, published_date, is_duplicate,
    duplicate_of, content_hash, story_id, source, publisher, language, title, url
from articles
