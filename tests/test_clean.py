"""Each cleaner rule on short real-looking snippets: what it removes, and what it must leave alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsflow.document.clean import (
    MAX_CACHED_LINE_CHARS,
    MAX_TEASER_LINE_CHARS,
    Rule,
    clean_text,
    load_rules,
    normalise_line,
)

PROSE = "Le ministre a présenté son plan devant l'Assemblée nationale mardi, sans convaincre l'opposition."


def rules_fired(text: str, title: str | None = None) -> list[str]:
    return [span.rule for span in clean_text(text, title).removed]


# One or more real-looking lines per rule; test_every_rule_has_an_example keeps this list complete.
LINE_EXAMPLES = [
    ("Lire aussi : Les menaces nucléaires russes", "fr.teaser_line"),
    ("À lire aussi » Ballonnements, lourdeurs : quel est votre profil ?", "fr.teaser_line"),
    ("LIRE AUSSI Vladimir Solovyov appelle à la guerre totale", "fr.teaser_line"),
    ("Lire aussi Martine Bulard & Sung Il-kwon", "fr.teaser_line"),
    ("Read more: How the summit unfolded", "en.teaser_line"),
    ("Lesen Sie auch: Die Nato verstärkt ihre Ostflanke", "de.teaser_line"),
    ("Auch interessant: So funktioniert die Wärmepumpe", "de.teaser_line"),
    ("Lea también: Impiden ingreso a Nicaragua a un reportero", "es.teaser_line"),
    ("LE PUEDE INTERESAR: La ficha del expresidente en Nueva York", "es.teaser_line"),
    ("PREV Previews Les affaires de la jeune Miss Fisher 2", "fr.prev_next"),
    ("NEXT Ravenne, le bilan des morts s'aggrave", "fr.prev_next"),
    ("Article suivant : la réforme des retraites", "fr.prev_next"),
    ("jens-stoltenberg-nato-commerce.jpg", "fr.image_file_name"),
    ("IMG_2024.PNG", "fr.image_file_name"),
    ("Crédit photo : Reuters", "fr.photo_caption"),
    ("© AFP", "fr.photo_caption"),
    ("The minister in Brussels. Image: Reuters", "en.photo_caption"),
    ("Foto: dahancoo / Pixabay (Symbolbild)", "de.photo_caption"),
    ("Beitragsbild: Titelseite der FAZ vom 2.4.2019, Ausriss.", "de.photo_caption"),
    ("ALIMENTÉ PARUNCMS- UN PRODUIT DENEKO", "fr.cms_footer"),
    ("Propulsé par WordPress", "fr.cms_footer"),
    ("Powered by WordPress", "en.cms_footer"),
    ("Amérique Russie DNUM_BBZAHZCACE 08:32", "fr.dateline"),
    ("Filed under: Politics | Europe |", "en.taxonomy_line"),
    ("5 min read", "en.reading_time"),
    ("Reading time: 4 minutes", "en.reading_time"),
    ("Temps de lecture : 3 min.", "fr.reading_time"),
    ("Lesezeit: 2 Minuten", "de.reading_time"),
    ("Tiempo de lectura: 4 minutos", "es.reading_time"),
    ("Tempo de leitura: 1 minuto", "es.reading_time"),
    ("Updated at 1:23 p.m.", "en.timestamp"),
    ("UPDATED: Tue., Nov. 19, 2019", "en.timestamp"),
    ("Release Date:", "en.timestamp"),  # the date on the next line
    ("Publié le 12 mars 2024 à 10h32", "fr.timestamp"),
    ("Aktualisiert am 17.01.2021.", "de.timestamp"),
    ("Stand: 12. März 2024, 10:32 Uhr", "de.timestamp"),
    ("Actualizado: 29/4/2022 - 12:00 am", "es.timestamp"),
    ("Atualizado em 3 de maio de 2022", "es.timestamp"),
    ("SOURCE: News agencies", "en.source_line"),
    ("Source : AFP", "en.source_line"),
    ("Quelle: Deutscher Jagdverband (DJV), 02. Februar 2022, Berlin", "de.source_line"),
    ("Quellenangaben:", "de.source_line"),
    ("Fuente: Ministerio de Salud", "es.source_line"),
    ("Tags: NATO, Ukraine, Russia", "en.taxonomy_line"),
    ("Categories", "en.taxonomy_line"),
    ("Schlagwörter: Nato, Ukraine", "de.taxonomy_line"),
    ("Temas", "es.taxonomy_line"),
    ("Mots-clés : OTAN, Ukraine", "fr.taxonomy_line"),
    ("Advertisement", "en.ad_label"),
    ("– Anzeige: Dieser Beitrag ist in Zusammenarbeit mit Barbour entstanden –", "de.ad_label"),
    ("*Werbung. Dieser Beitrag enthält Werbung.", "de.ad_label"),
    ("Publicité", "fr.ad_label"),
    ("Publicidad", "es.ad_label"),
    ("Subscribe now to our eNATION edition for the full story.", "en.subscribe_line"),
    ("Get the latest updates in your inbox. Subscribe to NJ.com’s newsletters.", "en.subscribe_line"),
    ("If you enjoyed reading this post – would you consider supporting our work?", "en.reader_appeal"),
    ("Tell us what YOU think...", "en.reader_appeal"),
    ("Have a tip? Amy Kuperinsky may be reached at akuperinsky@example.com.", "en.reader_appeal"),
    ("Abonnieren Sie jetzt den Themen-Newsletter «Wohnen».", "de.subscribe_line"),
    ("Newsletter-Anmeldung", "de.subscribe_line"),
    ("HAZTE MIEMBRO Y DISFRUTA DE BENEFICIOS EXCLUSIVOS", "es.subscribe_line"),
    ("Abonnez-vous à notre newsletter quotidienne", "fr.subscribe_line"),
    ("12 comments", "en.comments_line"),
    ("Additional reporting by Joseph Hudak", "en.credit_line"),
    ("(Reporting by Jane Doe in Brussels; Editing by John Smith)", "en.credit_line"),
    ("The Associated Press contributed to this report.", "en.credit_line"),
    (
        '[button link="https://bikes.example/review/" type="big"] Send us YOUR kit review[/button]',
        "en.shortcode",
    ),
    ("January 13, 2020 at 08:45 AM | categories: Python | View Comments", "en.comments_line"),
    ("- 5 Kommentare", "de.comments_line"),
    ("Sie sind aktuell nicht eingeloggt.", "de.comments_line"),
    ("3 commentaires", "fr.comments_line"),
    ("Comentarios", "es.comments_line"),
    ("Europe ART_ABCD1234", "fr.dateline"),
]
# Rules of the heading and trailer kinds, each with the block it removes (heading or widget first).
BLOCK_EXAMPLES = [
    (["Lire aussi", "PREV Une autre histoire"], "fr.teaser_heading"),
    (["Articles similaires", "- OTAN : des conséquences sans précédent"], "fr.teaser_heading"),
    (["Sur le même sujet :", "Le sommet de Washington en cinq points"], "fr.teaser_heading"),
    (["Related stories", "- NATO turns 75"], "en.teaser_heading"),
    (["Don’t miss", "NATO summit: what the allies agreed [VIDEO]"], "en.teaser_heading"),
    (["Most read in world news", "- NATO turns 75"], "en.teaser_heading"),
    (["Explore further", "Allies agree on a new air defence plan"], "en.teaser_heading"),
    (["More:", "NATO turns 75"], "en.teaser_heading"),
    (["Weitere Themen", "- Die Nato wird 75"], "de.teaser_heading"),
    (["Weitere aktuelle Themen aus der Arbeitswelt", "- Vier-Tage-Woche im Test"], "de.teaser_heading"),
    (["Lesen Sie auch die folgenden Beiträge:", "- Fünf HR-Trends"], "de.teaser_heading"),
    (["Noticias relacionadas", "- La OTAN cumple 75 años"], "es.teaser_heading"),
    (
        ["Retrouvez News365 sur Facebook sur Twitter et sur Linkedin", "Le bilan des morts s'alourdit"],
        "fr.follow_us",
    ),
    (["Follow us on Twitter", "Most read this week"], "en.follow_us"),
    (["Follow The Gleaner on Twitter and Instagram @JamaicaGleaner"], "en.follow_us"),
    (["Follow AP's full coverage of Brexit at https://apnews.com/Brexit"], "en.follow_us"),
    (["Folge uns auf Facebook | Instagram", "Die Nato wird 75"], "de.follow_us"),
    (["Síguenos en Telegram, Instagram, Facebook y Twitter"], "es.follow_us"),
    (["¡Mira lo que tiene nuestro canal de YouTube!", "La OTAN cumple 75 años"], "es.follow_us"),
    (["Copier le lien", "Journal Nghe An en vedette", "Dernier", "x"], "fr.share_widget"),
    (["Share this article", "Newsletter sign-up"], "en.share_widget"),
]


def test_every_rule_has_an_example() -> None:
    exercised = {rule for _, rule in LINE_EXAMPLES} | {rule for _, rule in BLOCK_EXAMPLES}
    assert {rule.name for rule in load_rules()} == exercised


@pytest.mark.parametrize(("line", "rule"), LINE_EXAMPLES)
def test_line_rules_remove_their_line_and_keep_prose(line: str, rule: str) -> None:
    result = clean_text(f"{PROSE}\n{line}\n{PROSE.replace('mardi', 'mercredi')}")
    assert [(span.rule, span.text) for span in result.removed] == [(rule, line)]
    assert line not in result.text
    assert result.text.count("Le ministre a présenté son plan") == 2


@pytest.mark.parametrize(("block", "rule"), BLOCK_EXAMPLES)
def test_heading_and_trailer_rules_remove_their_block(block: list[str], rule: str) -> None:
    result = clean_text("\n".join([PROSE, *block]))
    assert [(span.rule, span.text) for span in result.removed] == [(rule, "\n".join(block))]
    assert result.text == PROSE


@pytest.mark.parametrize(
    "line",
    [
        # A quote or a sentence that merely contains the marker words stays.
        "« Il faut lire aussi ce rapport avant de juger », a-t-il dit.",
        "Lire aussi les mémoires du général aide à comprendre la crise.",
        "Suivant les recommandations du conseil, le gouvernement a reculé.",
        "Il a pris une photo : celle du sommet restera dans les mémoires.",
        "Le texte a été adopté par 300 voix contre 200 à 18:30.",
        "Filed under the new law, the claim was rejected within a week.",
        "Reading time: 5 minutes a day is enough, the study says.",
        "Published in 1995 by Gallimard, the novel sold a million copies.",
        "Stand der Technik ist seit 2020 die Wärmepumpe.",
        "Published",  # a heading over a list of publications: no date in it
        "Source: the ministry, which says the figures were wrong.",
        "Werbung ist heute auf jeder Seite zu sehen.",
        "Tags are what the editors use to file a story.",
        "Folgt man der Spur des Geldes auf Twitter, landet man bei einer Briefkastenfirma.",
        "Newsletter sind für viele Verlage inzwischen ein wichtiges Geschäft.",
        "Subscribers to the plan pay less, the minister said.",
        "Comments from the public are due by Friday, the agency said.",
        "Kommentare in sozialen Netzwerken haben die Debatte angeheizt.",
        "Foto: Das Museum erlaubt keine Aufnahmen. Wer fotografiert, muss gehen.",
        "“[We] have agreed to grant all licenses,” the label said.",
        "Er schrieb im Forum: [b]Nie wieder[/b], und ging.",
        "Reporting by the Guardian showed that the contracts were never signed.",
        "Editing by hand took the team three weeks, she said.",
        "Readers who subscribe to the newsletter get the story first, the editor said.",
        "Tell us what happened next, the judge asked the witness.",
        "More than 300 people attended the meeting.",
        "Following the coverage of the trial, the judge ordered a retrial.",
        "Have a tip for the tax office, the minister joked.",
        "Module: " + ", ".join(["[box class='table' title='LF 13']Vernetzte Systeme[/box]"] * 4),  # long
        "x",
        "Dernier",
        "Oui.",
    ],
)
def test_content_that_only_resembles_boilerplate_stays(line: str) -> None:
    result = clean_text(f"{PROSE}\n{line}\n{PROSE}")
    assert line in result.text.splitlines()
    assert line not in [span.text for span in result.removed]


def test_teaser_heading_takes_its_link_list_but_not_the_next_paragraph() -> None:
    text = "\n".join(
        [
            PROSE,
            "Sur le même sujet",
            "- Le sommet de l'OTAN s'ouvre à Washington",
            "- Kiev réclame plus de défense aérienne.",
            "",
            "La suite du débat a porté sur le budget, et elle a duré jusqu'au soir.",
        ]
    )
    result = clean_text(text)
    assert rules_fired(text) == ["fr.teaser_heading"]
    assert "Washington" not in result.text and "Kiev" not in result.text
    assert result.text.endswith("jusqu'au soir.")


def test_bulleted_list_inside_the_article_stays() -> None:
    closing = "Le gouvernement espère un vote avant l'été, selon son porte-parole."
    text = "\n".join(
        [
            PROSE,
            "Les trois mesures :",
            "- baisser les taxes",
            "- geler les loyers",
            "- aider les PME",
            closing,
        ]
    )
    assert clean_text(text).text == text
    assert rules_fired(text) == []


def test_trailer_widget_takes_the_headline_strip_after_it() -> None:
    text = f"{PROSE}\nCopier le lien\nJournal en vedette\nDernier\nx\nPowered by Nothing"
    result = clean_text(text)
    assert result.text == PROSE
    assert [span.rule for span in result.removed] == ["fr.share_widget"]


def test_trailer_widget_leaves_prose_after_it() -> None:
    text = f"{PROSE}\nRetrouvez-nous sur Facebook et Twitter\n{PROSE.replace('mardi', 'jeudi')}"
    result = clean_text(text)
    assert rules_fired(text) == ["fr.follow_us"]
    assert "jeudi" in result.text


def test_repeated_title_and_caption_lines_are_removed_but_short_repeats_stay() -> None:
    title = "L'OTAN en pourparlers sur les armes nucléaires"
    text = f"{title}\nJens Stoltenberg - OTAN\nJens Stoltenberg - OTAN\n{PROSE}\nNon.\nNon."
    result = clean_text(text, title)
    assert rules_fired(text, title) == ["repeated_title", "repeated_line"]
    assert result.text.splitlines() == ["Jens Stoltenberg - OTAN", PROSE, "Non.", "Non."]


@pytest.mark.parametrize("site", [" | Le Quotidien", " - quotidien.example", " – Le Quotidien du soir"])
def test_the_headline_goes_when_the_title_adds_the_sites_name(site: str) -> None:
    headline = "L'OTAN en pourparlers sur les armes nucléaires"
    result = clean_text(f"{headline}\n{PROSE}", headline + site)
    assert [(span.rule, span.text) for span in result.removed] == [("repeated_title", headline)]
    assert result.text == PROSE
    # a one-word line before a separator is a section name, not the headline
    assert clean_text(f"Ukraine\n{PROSE}", "Ukraine - the war in maps").text == f"Ukraine\n{PROSE}"


def test_rule_files_load_named_rules_of_known_kinds(tmp_path: Path) -> None:
    rules = load_rules()
    assert {rule.name.split(".")[0] for rule in rules} == {"de", "en", "es", "fr"}
    assert all(isinstance(rule, Rule) and rule.kind in ("line", "heading", "trailer") for rule in rules)
    (tmp_path / "xx.yaml").write_text("rules:\n  - {name: bad, kind: paragraph, pattern: 'a'}\n")
    with pytest.raises(ValueError, match="unknown kind 'paragraph'"):
        load_rules(tmp_path)


def test_windows_line_endings_and_blank_runs_are_normalised() -> None:
    result = clean_text(f"{PROSE}\r\n\r\n\r\n\r\nLire aussi : autre chose\r\n{PROSE}")
    assert not re.search(r"\n\s*\n\s*\n", result.text)
    assert "\r" not in result.text


def test_in_a_long_line_a_rule_removes_only_its_match_and_the_prose_stays() -> None:
    prose = (
        "Le verdict des experts est sans appel : les pigments sont d'origine, et aucune retouche "
        "moderne n'a été trouvée sous les couches de vernis, a indiqué la conservatrice régionale, "
        "qui parle d'une découverte majeure pour la peinture civile de cette époque."
    )
    assert len(prose) > MAX_TEASER_LINE_CHARS
    other = prose.replace("Le verdict des experts", "L'avis du laboratoire")
    glued = clean_text(f"À LIRE AUSSI : {prose}\n\nLe chantier a duré six ans. {other} Photo : AFP")
    assert glued.text == f"{prose}\n\n{'Le chantier a duré six ans. ' + other}"
    assert [(span.rule, span.text) for span in glued.removed] == [
        ("fr.teaser_line", "À LIRE AUSSI :"),
        ("en.photo_caption", "Photo : AFP"),
    ]
    short = clean_text(f"À LIRE AUSSI : Le musée rouvre ses salles\n{prose}")
    assert short.text == prose  # a teaser line alone still goes whole, headline included


def test_a_sentence_said_again_inside_a_longer_line_goes_once() -> None:
    quote = "« La décision ne sera pas remise en cause, quoi qu'il arrive. »"
    body = f"Le ministre a tranché. {quote} Il quittera ses fonctions en juin."
    result = clean_text(f"{PROSE}\n{quote}\n{body}")
    assert result.text == f"{PROSE}\n{body}"
    assert [(span.rule, span.text) for span in result.removed] == [("repeated_sentence", quote)]
    listed = "Une tasse de myrtilles et un yaourt nature"  # ends no sentence: a list item, kept
    assert clean_text(f"{listed}\n{listed}, puis une salade verte.").text.count(listed) == 2
    refrain = "Mélangez la pâte jusqu'à ce qu'elle ne colle plus aux doigts."  # said again, alone: kept
    assert clean_text(f"{refrain}\n{PROSE}\n{refrain}").text.count(refrain) == 2


@pytest.mark.parametrize("words", [3, MAX_CACHED_LINE_CHARS])  # a line, and a line too long to cache
def test_a_lines_key_ignores_case_accents_punctuation_and_spacing(words: int) -> None:
    assert normalise_line("  Élysée,   «SOMMET» ! " * words) == " ".join(["elysee sommet"] * words)
