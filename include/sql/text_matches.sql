-- text_matches: one row per article (its latest version) whose title or text matches a boolean
-- query: `patterns` holds up to 8 RE2 regular expressions, one per phrase, and `clauses` the query
-- as an OR of ANDs over them, each clause two bit masks (bit k-1 for patterns[k]): an article
-- matches when, for any clause, it holds every `must` phrase and no `must_not` one.
-- newsflow.warehouse.attention writes both from a query such as "nato" AND NOT "russia".
-- materialized: table macro (patterns, clauses)
-- Built from: lake_articles, int_articles. Scans every stored text (no full-text index: DuckDB's
-- fts extension cannot be loaded here), once per phrase; each pattern is one value for the whole
-- query, so it is compiled once (a pattern taken from a list per row would be compiled per row).
-- Call: select * from text_matches(['(?i)\bnato\b'], [{'must': 1, 'must_not': 0}]).
with latest as (select article_id, ingest_date from int_articles),
texts as (select article_id, ingest_date, coalesce(title, '') as title, text from lake_articles),
found as (
    select
        article_id,
        ingest_date,
        case when regexp_matches(text, patterns[1]) or regexp_matches(title, patterns[1]) then 1 else 0 end
        + case when regexp_matches(text, patterns[2]) or regexp_matches(title, patterns[2]) then 2 else 0 end
        + case when regexp_matches(text, patterns[3]) or regexp_matches(title, patterns[3]) then 4 else 0 end
        + case when regexp_matches(text, patterns[4]) or regexp_matches(title, patterns[4]) then 8 else 0 end
        + case when regexp_matches(text, patterns[5]) or regexp_matches(title, patterns[5]) then 16 else 0 end
        + case when regexp_matches(text, patterns[6]) or regexp_matches(title, patterns[6]) then 32 else 0 end
        + case when regexp_matches(text, patterns[7]) or regexp_matches(title, patterns[7]) then 64 else 0 end
        + case when regexp_matches(text, patterns[8]) or regexp_matches(title, patterns[8]) then 128 else 0 end
        as hits
    from texts
)
select article_id
from found
semi join latest using (article_id, ingest_date)
where list_bool_or(list_transform(clauses, lambda clause:
    (hits & clause.must) = clause.must and (hits & clause.must_not) = 0
))
