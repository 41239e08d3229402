"""Pages that are not articles (a podcast episode, a section front) are quarantined with their kind
and its evidence, so their text never reaches the mentions, unless their source keeps them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb

from newsflow import tasks
from newsflow.settings import Settings
from newsflow.warehouse.build import build_warehouse

from conftest import FIXTURES_DIR

DAY = date(2024, 7, 26)
ARTICLE = (FIXTURES_DIR / "html" / "article_with_inline_teaser.html").read_text(encoding="utf-8")
SUMMARY = (
    "Le secrétaire général de l'OTAN Jens Stoltenberg a réuni les alliés à Vilnius pour parler de l'Ukraine."
)


def section_page() -> str:
    """A section front: twenty cards, each a linked headline and a one-line summary."""
    cards = "".join(
        f'<article class="card"><h2><a href="https://quotidien.example/monde/otan-{i}">Sommet de '
        f"l'OTAN : ce qu'il faut retenir de la journée numéro {i}</a></h2><p>{SUMMARY}</p></article>"
        for i in range(20)
    )
    return (
        '<html lang="fr"><head><title>International - Le Quotidien</title>'
        '<meta property="og:type" content="website"><link rel="canonical" href="https://quotidien.example/monde/">'
        f"</head><body><h1>International</h1><main>{cards}</main></body></html>"
    )


def podcast_page() -> str:
    """A podcast episode: a player, a short blurb, a subscription pitch."""
    declared = {"@context": "https://schema.org", "@type": "PodcastEpisode", "name": "L'OTAN à 75 ans"}
    return (
        '<html lang="fr"><head><title>L\'OTAN à 75 ans - Le Podcast du Quotidien</title>'
        f'<script type="application/ld+json">{json.dumps(declared)}</script>'
        '<link rel="canonical" href="https://quotidien.example/podcasts/otan-75-ans"></head><body>'
        '<h1>L\'OTAN à 75 ans</h1><div class="player">Écouter 32 min</div>'
        f"<p>{SUMMARY}</p><p>Abonnez-vous au podcast du Quotidien sur votre application préférée "
        "pour ne manquer aucun épisode de la semaine.</p></body></html>"
    )


def ingest(tmp_path: Path, keep_non_articles: bool) -> Settings:
    folder = tmp_path / "pages"
    folder.mkdir()
    pages = {"article.html": ARTICLE, "section.html": section_page(), "podcast.html": podcast_page()}
    for name, html in pages.items():
        (folder / name).write_text(html, encoding="utf-8")
    keep = ", keep_non_articles: true" if keep_non_articles else ""
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{name: pages, kind: folder, location: {folder}{keep}}}\n", encoding="utf-8"
    )
    settings = Settings(data_dir=tmp_path / "data", sources_path=tmp_path / "sources.yaml")
    tasks.ingest_day(DAY, settings)
    build_warehouse(settings)
    return settings


def rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_section_front_and_a_podcast_page_are_quarantined_with_their_kind_and_never_counted(
    tmp_path: Path,
) -> None:
    settings = ingest(tmp_path, keep_non_articles=False)
    assert rows(settings, "select source_path, page_type from articles") == [("article.html", "article")]
    quarantined = rows(
        settings,
        "select source_path, stage, page_type, failed_expectations[1], title is not null "
        "from lake_quarantine order by 1",
    )
    assert [(path, stage, kind, has_title) for path, stage, kind, _, has_title in quarantined] == [
        ("podcast.html", "page_type", "audio", True),
        ("section.html", "page_type", "section", True),
    ]
    reasons = {path: reason for path, _, _, reason, _ in quarantined}
    assert (
        reasons["podcast.html"].startswith("not_an_article: audio (")
        and "PodcastEpisode" in reasons["podcast.html"]
    )
    assert reasons["section.html"].startswith("not_an_article: section (")
    # Stoltenberg is named in the article once, and twenty-one times in the two other pages.
    counted = rows(settings, "select count(*) from lake_mentions where entity_id = 'jens_stoltenberg'")
    assert counted == rows(
        settings,
        "select count(*) from lake_mentions join articles using (article_id) "
        "where entity_id = 'jens_stoltenberg' and source_path = 'article.html'",
    )


def test_a_source_that_keeps_non_articles_publishes_them_with_their_kind(tmp_path: Path) -> None:
    settings = ingest(tmp_path, keep_non_articles=True)
    kinds = rows(settings, "select source_path, page_type from articles order by 1")
    assert kinds == [("article.html", "article"), ("podcast.html", "audio")]
    evidence = rows(settings, "select page_type_evidence from articles where source_path = 'podcast.html'")
    assert "PodcastEpisode" in evidence[0][0]
    # kept, then validated as any page: the section front's text was all teasers, none is left
    assert rows(settings, "select source_path, stage, page_type from lake_quarantine") == [
        ("section.html", "validate", "section")
    ]
