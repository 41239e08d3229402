-- fetch_log: one row per URL newsflow tried (or decided not) to fetch, and per WARC file a warc
-- source read (role 'warc': its message counts what was skipped and why), per source and ingest day.
-- materialized: view
-- Built from: lake_fetch_log. error_class is null when the response was used; already_seen,
-- duplicate_url, robots_disallowed and unchanged are decisions, every other value a failure.
with fetch_log as (select * from lake_fetch_log)
select
    ingest_date, source, role, url, status, bytes, elapsed_ms, error_class, message, fetched_at,
    error_class is not null and error_class not in ('already_seen', 'duplicate_url', 'robots_disallowed', 'unchanged') as is_failure
from fetch_log
