-- fetch_log: one row per URL newsflow tried (or decided not) to fetch, and per WARC file a warc
-- source read (role 'warc': its message counts what was skipped and why), per source and ingest day.
-- materialized: view
-- Built from: lake_fetch_log. error_class is null when the response was used; is_failure tells a
-- failure from a policy skip (a decision, such as already_seen) with the macro is_fetch_failure,
-- which the build creates from schema.FETCH_LOG_MACROS, where that definition lives.
with fetch_log as (select * from lake_fetch_log)
select
    ingest_date, source, role, url, status, bytes, elapsed_ms, error_class, message, fetched_at,
    is_fetch_failure(error_class) as is_failure
from fetch_log
