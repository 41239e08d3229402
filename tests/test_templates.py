"""A publisher's template lines: learned from the stories of earlier days, removed from later ones."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from newsflow import tasks
from newsflow.day.templates import line_keys
from newsflow.document.clean import clean_text
from newsflow.schema import TEMPLATES, RemovedSpan
from newsflow.settings import Settings
from newsflow.store import lake

DAY = date(2024, 9, 2)
FOOTER = "Le Journal adhère à la charte de Munich."
# Five stories, long enough that a shared footer line does not make them one story.
STORIES = [
    "Le conseil municipal a voté un emprunt de douze millions d'euros pour rénover les écoles du centre. "
    "Les travaux commenceront pendant les vacances d'été par les toitures, puis les cantines et les gymnases. "
    "L'opposition juge la dette trop lourde et réclame un audit indépendant des bâtiments communaux.",
    "La préfecture a interdit la baignade dans le lac après la découverte d'algues toxiques cet été. "
    "Des analyses hebdomadaires mesureront les cyanobactéries jusqu'à l'automne, selon l'agence sanitaire. "
    "Les campings riverains craignent une saison perdue et demandent une indemnisation rapide.",
    "Le club de football local a recruté un entraîneur venu d'Italie pour la saison prochaine. "
    "Ancien milieu défensif passé par Turin et Naples, il promet un jeu offensif et des jeunes titularisés. "
    "Les supporters attendent surtout des renforts en attaque avant la clôture du mercato estival.",
    "Les cheminots ont annoncé une grève de trois jours sur les lignes régionales à partir de lundi. "
    "Ils protestent contre la fermeture de guichets dans les petites gares et le manque de contrôleurs. "
    "La direction prévoit un train sur deux aux heures de pointe et conseille de reporter les voyages.",
    "Une nouvelle ligne de bus relie désormais la gare au campus universitaire toutes les dix minutes. "
    "Les véhicules électriques circulent de six heures à minuit, avec des horaires renforcés en période d'examens. "
    "Les étudiants saluent un trajet divisé par deux, les commerçants du quartier espèrent une clientèle nouvelle.",
    "Le festival de jazz a accueilli quarante mille spectateurs en quatre soirées sur la place du marché. "
    "Les organisateurs annoncent un bénéfice modeste, reversé à l'école de musique municipale. "
    "La prochaine édition invitera des orchestres de jeunes venus de toute la région.",
    "La médiathèque ouvrira le dimanche après-midi à partir du mois prochain, à titre d'essai. "
    "Deux postes de bibliothécaires seront créés et financés en partie par le département. "
    "Les usagers réclamaient ces horaires depuis la fermeture de la bibliothèque du quartier nord.",
]


def page(url: str, story: str, footer: str = FOOTER) -> str:
    title = story.split(" ", 8)[:8]
    paragraphs = "".join(f"<p>{sentence}.</p>" for sentence in story.rstrip(".").split(". "))
    return (
        f'<html lang="fr"><head><link rel="canonical" href="{url}"><title>{" ".join(title)}</title></head>'
        f"<body><article><h1>{' '.join(title)}</h1>{paragraphs}<p>{footer}</p></article></body></html>"
    )


def ingest(tmp_path: Path, day: date, files: dict[str, str]) -> Settings:
    inbox = tmp_path / f"inbox-{day}"
    inbox.mkdir()
    for name, content in files.items():
        (inbox / name).write_text(content, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", source_dir=inbox)
    tasks.ingest_day(day, settings)
    return settings


def texts(settings: Settings, day: date) -> dict[str, tuple[str, list[str]]]:
    rows = lake.read_partition(settings.lake_uri, "articles", day).to_pylist()
    return {row["url"]: (row["text"], [span["rule"] for span in row["removed"]]) for row in rows}


def test_line_keys_are_the_short_lines_and_the_template_lines_already_removed() -> None:
    prose = "Une phrase de l'article assez longue pour être un paragraphe. " * 5
    keys = line_keys(
        f"{prose}\nSuivez-nous !\n{FOOTER}", [RemovedSpan("template_line", "Abonnez-vous au journal papier.")]
    )
    assert keys == ["abonnezvous au journal papier", "le journal adhere a la charte de munich"]


def test_clean_text_removes_the_publishers_template_lines_only() -> None:
    text = f"{STORIES[0]}\n{FOOTER}"
    result = clean_text(text, template_lines=frozenset(line_keys(FOOTER, [])))
    assert result.text == STORIES[0]
    assert result.removed == [RemovedSpan("template_line", FOOTER)]
    assert clean_text(text).text == text


def test_a_line_under_three_stories_of_one_publisher_on_two_days_is_removed_from_its_later_articles(
    tmp_path: Path,
) -> None:
    day_one = {
        f"j{i}.html": page(f"https://www.journal.example/a{i}", story) for i, story in enumerate(STORIES[:3])
    }
    # an update of the first story: another article, the same story (counted once)
    day_one["update.html"] = page(
        "https://www.journal.example/a0-maj", STORIES[0] + " Le maire a répondu dans la soirée."
    )
    day_one["other.html"] = page("https://www.autre.example/b", STORIES[6])
    settings = ingest(tmp_path, DAY, day_one)
    learned = lake.read_partition(settings.lake_uri, TEMPLATES, DAY).to_pylist()
    footer_key = line_keys(FOOTER, [])[0]
    assert {"publisher": "www.journal.example", "line_key": footer_key, "stories": 3} in learned
    assert all(row["publisher"] == "www.journal.example" for row in learned)
    assert FOOTER in texts(settings, DAY)["https://www.journal.example/a1"][0]  # not used the same day

    second = DAY + timedelta(days=1)
    day_two = {
        f"j{i}.html": page(f"https://www.journal.example/b{i}", story) for i, story in enumerate(STORIES[3:6])
    }
    settings = ingest(tmp_path, second, day_two)
    assert FOOTER in texts(settings, second)["https://www.journal.example/b0"][0]  # one day is not enough

    third = DAY + timedelta(days=2)
    day_three = {
        "j.html": page("https://www.journal.example/c9", STORIES[6]),
        "o.html": page("https://www.autre.example/c9", STORIES[6]),
    }
    settings = ingest(tmp_path, third, day_three)
    first = texts(settings, third)
    journal_text, journal_rules = first["https://www.journal.example/c9"]
    assert FOOTER not in journal_text and "template_line" in journal_rules
    assert STORIES[6].split(". ")[1] in journal_text
    assert FOOTER in first["https://www.autre.example/c9"][0]  # another publisher's line
    tasks.ingest_day(third, settings)  # a re-run reads the same earlier days
    assert texts(settings, third) == first
