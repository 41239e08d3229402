-- quarantine: one row per rejected document per ingest day, with the stage and every failed check.
-- materialized: view
-- Built from: lake_quarantine.
with quarantine as (select * from lake_quarantine)
select
    ingest_date, article_id, source, source_path, url, stage, failed_expectations,
    title, language, text_chars, raw_chars, text
from quarantine
