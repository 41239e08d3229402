-- stg_articles: one row per article_id, its latest version; renames and derived dates only.
-- materialized: view
-- Built from: lake_articles. An article fetched again because it changed (or a file read again)
-- shows its latest text, but is dated by the day it was first ingested. Two clocks: article_date is
-- the publication date, or the first ingest date when the page gave none (date_source says which);
-- first_ingest_date is when newsflow first saw it. publisher falls back to the sitename, then the
-- source, for partitions written before articles carried one. An exact copy (same content_hash) of
-- an article first ingested on an earlier day is a duplicate of it whatever the order the days were
-- ingested or published in (a day ingested after a later one, two dates run at once): the lake's
-- duplicate_of is what ingest saw; this is the whole history's answer. page_type is 'article'
-- for partitions written before pages were classified (a non-article is published only when its
-- source keeps them).
with lake as (select * from lake_articles),
latest as (
    select *, min(ingest_date) over (partition by article_id) as first_ingest_date
    from lake
    qualify row_number() over (partition by article_id order by ingest_date desc) = 1
),
first_copies as (
    select
        *,
        case
            when content_hash is not null
                and first_ingest_date > min(first_ingest_date) over (partition by content_hash)
            then arg_min(article_id, (first_ingest_date, article_id)) over (partition by content_hash)
        end as earlier_copy_of
    from latest
)
select
    article_id,
    source,
    url,
    canonical_url,
    source_path,
    title,
    author,
    sitename,
    coalesce(publisher, nullif(trim(sitename), ''), source) as publisher,
    description,
    language,
    language_prob,
    html_language,
    text,
    raw_chars,
    text_chars,
    len(removed) as n_removed_spans,
    extraction_method,
    coalesce(page_type, 'article') as page_type,
    page_type_evidence,
    content_hash,
    coalesce(duplicate_of, earlier_copy_of) as duplicate_of,
    coalesce(duplicate_of, earlier_copy_of) is not null as is_duplicate,
    coalesce(story_id, article_id) as story_id,
    published_date,
    published_date_source,
    ingest_date,
    first_ingest_date,
    coalesce(published_date, first_ingest_date) as article_date,
    case when published_date is null then 'ingest_date' else 'published_date' end as date_source
from first_copies
