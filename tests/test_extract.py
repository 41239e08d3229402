"""HTML and plain-text extraction: body, metadata, language hint, title split, never raising."""

from __future__ import annotations

import json
from datetime import date

import pytest
from lxml.html import HtmlElement, fromstring

from newsflow.document.clean import clean_text
from newsflow.document.dates import find_published_date
from newsflow.document.dom import drop_code, prune_boxes, prune_teasers, unwrap_embedded_posts
from newsflow.document.extract import (
    account_for_blocks,
    extract_html,
    extract_plain_text,
)
from newsflow.document.page import parse_published_date
from newsflow.extract import extract_text
from newsflow.schema import RemovedSpan

from conftest import FIXTURES_DIR

PARAGRAPH = "Le conseil municipal a voté hier soir un emprunt de douze millions d'euros pour les écoles."


def fixture(name: str) -> str:
    return (FIXTURES_DIR / "html" / name).read_text(encoding="utf-8")


def article_tree(body: str, after: str = "") -> HtmlElement:
    """A parsed page: an article of one PARAGRAPH then `body`, and `after` outside the article."""
    return fromstring(f"<html><body><article><p>{PARAGRAPH}</p>{body}</article>{after}</body></html>")


def test_html_article_body_and_metadata() -> None:
    extracted = extract_html(fixture("article_with_inline_teaser.html"))
    assert extracted.title == "Sommet de l'OTAN : Kiev obtient une mission d'assistance"
    assert extracted.author == "Claire Martin"
    assert extracted.sitename == "Le Quotidien"
    assert (
        extracted.description == "Les alliés approuvent une mission pour coordonner l'aide militaire à Kiev."
    )
    assert extracted.url == "https://quotidien.example/monde/sommet-otan-kiev"
    assert extracted.published_date == date(2024, 7, 11)
    assert extracted.html_language == "fr"
    assert extracted.method == "trafilatura_fast"
    assert extracted.published_date_source == "metadata"
    assert "Wiesbaden" in extracted.text
    assert "Accueil" not in extracted.text and "Mentions légales" not in extracted.text


def _page_with_byline(head: str) -> str:
    body = f"<p>{PARAGRAPH} {PARAGRAPH}</p>" * 2
    return (
        f"<html lang='fr'><head><title>Budget voté</title>{head}</head><body><article>"
        f"<h1>Le budget des écoles est voté</h1><p class='byline'><span class='author'>Marie Dupont</span></p>"
        f"{body}</article></body></html>"
    )


def test_metadata_falls_back_to_the_markup_when_the_meta_tags_say_nothing() -> None:
    canonical = "<link rel='canonical' href='https://www.quotidien.example/budget'>"
    handle = extract_html(_page_with_byline(f"<meta name='twitter:site' content='@quotidien'>{canonical}"))
    assert handle.author == "Marie Dupont"  # the byline, as no meta tag names an author
    assert handle.sitename == "Quotidien"  # the site's handle without "@", capitalised
    assert handle.url == "https://www.quotidien.example/budget"
    assert handle.title == "Le budget des écoles est voté"
    unnamed = extract_html(_page_with_byline(canonical))
    assert unnamed.sitename == "quotidien.example"  # no name anywhere: the canonical URL's host


def test_extract_text_removes_the_inline_teaser_and_the_title_line() -> None:
    text = extract_text(fixture("article_with_inline_teaser.html"))
    assert "Lire aussi" not in text and "75 ans" not in text
    assert text.startswith("Réunis à Washington")
    assert text.endswith("entre les parties.")


@pytest.mark.parametrize(
    "html", ["", "<html>", "\x00\x01garbage", "<p>court</p>", "<html><body></body></html>"]
)
def test_extract_text_never_raises_and_returns_empty_when_nothing_usable(html: str) -> None:
    assert extract_text(html) == ""
    assert extract_html(html).method == "failed"


def test_plain_text_title_is_the_first_short_line_after_kicker_labels() -> None:
    extracted = extract_plain_text("LE MONDE\n\nLa guerre des drones change le front\n\nUn paragraphe.\n")
    assert extracted.title == "La guerre des drones change le front"
    assert extracted.text == "Un paragraphe."
    assert [(s.rule, s.text) for s in extracted.removed] == [("kicker_label", "LE MONDE")]


def test_plain_text_without_title_line_uses_the_first_sentence_and_keeps_it() -> None:
    body = "Le secrétaire général a parlé hier. Il a ensuite quitté la salle."
    extracted = extract_plain_text(body)
    assert extracted.title == "Le secrétaire général a parlé hier."
    assert extracted.text == body
    assert extracted.removed == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-11", date(2024, 7, 11)),
        ("2024-07-11T08:30:00", date(2024, 7, 11)),
        ("1970-01-01", None),
        ("not a date", None),
        (None, None),
    ],
)
def test_published_date_parsing_rejects_junk_and_pre_web_dates(
    value: str | None, expected: date | None
) -> None:
    assert parse_published_date(value) == expected


def test_related_aside_and_titled_link_lists_are_pruned_but_prose_stays() -> None:
    extracted = extract_html(fixture("related_aside_and_link_list.html"))
    text = clean_text_of(extracted)
    for teaser in (
        "NATO turns 75",
        "What the summit means",
        "Five charts",
        "Patriot",
        "Kiev réclame",
        "Read more",
    ):
        assert teaser not in text
    for prose in (
        "agreed on Wednesday to send five more air defence systems",
        "Related questions about ammunition stocks remain open",  # starts like a label, is a sentence
        "training for Ukrainian crews",
        "Russia called the decision a provocation",
    ):
        assert prose in text
    pruned = [span.text for span in extracted.removed if span.rule == "dom.teaser_block"]
    assert pruned == [
        "Related NATO turns 75 in a tense climate What the summit means for Kyiv Five charts on defence spending",
        "Sur le même sujet L'Allemagne livre un système Patriot Kiev réclame plus de missiles",
        "Read more: How Patriot batteries work",
    ]


def clean_text_of(extracted) -> str:  # type: ignore[no-untyped-def]
    from newsflow.document.clean import clean_text

    return clean_text(extracted.text, extracted.title).text


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("body_inside_footer.html", "trafilatura_recall"),  # only recall mode reads a <footer>
        # the fast pass finds the first paragraph only, a small share of the page's paragraphs
        ("body_split_by_footer.html", "trafilatura_recall"),
    ],
)
def test_a_pass_that_finds_too_little_falls_back_to_the_next(name: str, method: str) -> None:
    extracted = extract_html(fixture(name))
    assert extracted.method == method
    assert extracted.text.startswith("Le conseil municipal a voté hier soir")
    assert extracted.text.rstrip().endswith(".")  # the last paragraph too
    assert extracted.html_language == "fr"
    if name == "body_split_by_footer.html":  # every pass reads the page pruned of its boxes
        assert "lettre d'information" not in extracted.text
        assert [span.rule for span in extracted.removed] == ["dom.signup_box"]


def story(tag: str, sentences: int) -> str:
    """A story of numbered paragraphs, each in a `tag`."""
    return "".join(f"<{tag}>{PARAGRAPH} Phrase {i} du récit, qui continue.</{tag}>" for i in range(sentences))


def test_a_fast_pass_that_covers_little_of_the_page_is_read_again_in_recall_mode() -> None:
    # the fast pass takes the <article> (one paragraph: all of the <p> text it sees) and leaves the
    # story, laid out in <div>s, which is most of the page's text
    lead = f"<article><h1>Le chantier</h1><p>{PARAGRAPH} {PARAGRAPH} {PARAGRAPH}</p></article>"
    extracted = extract_html(f"<html><body>{lead}{story('div', 30)}</body></html>")
    assert extracted.method == "trafilatura_recall"
    assert "Phrase 29 du récit" in extracted.text


def test_a_teaser_box_goes_whole_not_only_its_label() -> None:
    box = (
        "<div><h3>À lire aussi</h3>\n<p><a href='/ecoles'>Les écoles rouvrent</a>"
        " après des mois de travaux dans les bâtiments du centre-ville.</p></div>"
    )
    tree = fromstring(f"<html><body><p>{PARAGRAPH}</p>{box}<p>{PARAGRAPH}</p></body></html>")
    removed = prune_teasers(tree)
    assert removed == [
        (
            "block",
            "À lire aussi Les écoles rouvrent après des mois de travaux dans les bâtiments du centre-ville.",
        )
    ]
    assert "écoles rouvrent" not in tree.text_content()


def test_prune_teasers_keeps_long_blocks_and_label_words_in_sentences() -> None:
    long_block = "<p><a href='/x'>Lire aussi</a> " + "une très longue phrase d'article " * 20 + "</p>"
    tree = fromstring(
        f"<html><body><div>{long_block}<p>Voir aussi la décision du juge, rendue hier.</p></div></body></html>"
    )
    assert prune_teasers(tree) == [("inline", "Lire aussi")]  # the link glued into the prose, alone
    kept = " ".join(tree.text_content().split())
    assert kept.startswith("une très longue phrase") and "Voir aussi la décision du juge" in kept


@pytest.mark.parametrize(
    ("html", "url", "expected"),
    [
        (
            '<html><head><meta property="article:published_time" content="2023-11-02T10:00:00"></head>'
            "<body><p>Texte.</p></body></html>",
            None,
            (date(2023, 11, 2), "metadata"),
        ),
        (
            "<html><body><p>Texte sans date.</p></body></html>",
            "https://x.example/2021/03/04/titre",
            (date(2021, 3, 4), "url"),
        ),
        (
            "<html><body><p>Publié le 12 mars 2020 à Paris.</p></body></html>",
            None,
            (date(2020, 3, 12), "text"),
        ),
        (
            '<html><head><meta property="article:published_time" content="2031-01-01"></head><body><p>x</p></body></html>',
            None,
            (None, "none"),
        ),  # after the fetch time
        ("<html><body><p>Fondé en 1890.</p></body></html>", None, (None, "none")),  # before 1995
    ],
)
def test_published_date_and_its_source(html: str, url: str | None, expected: tuple[date | None, str]) -> None:
    assert find_published_date(fromstring(html), url, max_date=date(2024, 7, 10)) == expected


def test_a_teaser_capsule_glued_into_a_paragraph_goes_alone_and_the_prose_stays() -> None:
    html = (FIXTURES_DIR / "glued_teasers.html").read_text(encoding="utf-8")
    extracted = extract_html(html)
    text = clean_text(extracted.text, extracted.title).text
    for prose in (
        "datent de la fin du Moyen Âge",
        "Son propriétaire, un collectionneur",
        "Le verdict des experts est sans appel",  # after a capsule that opens its paragraph
        "rarement conservée dans un tel état.",
        "Le public pourra visiter le grand salon",
    ):
        assert prose in text, prose
    assert "lire aussi" not in text.lower() and "vitraux" not in text and "musée rouvre" not in text
    assert [(span.rule, span.text) for span in extracted.removed] == [
        ("dom.teaser_inline", "À LIRE AUSSI Les vitraux de la cathédrale sortent de l'ombre"),
        ("dom.teaser_inline", "À lire aussi : Le musée rouvre ses salles médiévales"),
    ]


def test_lead_boxes_captions_and_pull_quotes() -> None:
    """The standfirst styled as an <h2> stays; a caption, a profile box and a sign-up box leave the
    text for `removed`; a pull-quote is said once; a paragraph the extractor dropped is recorded."""
    extracted = extract_html(fixture("lead_and_boxes.html"))
    cleaned = clean_text(extracted.text, extracted.title)
    removed = [*extracted.removed, *cleaned.removed]
    assert cleaned.text.startswith("Les ministres de la Défense de l'Alliance ont validé jeudi")
    assert cleaned.text.rstrip().endswith("leurs moyens aériens en Pologne.")
    for rule, start in [
        ("dom.caption", "Jens Stoltenberg - OTAN"),
        ("dom.profile_box", "À propos de la source The Wall Street Journal"),
        ("dom.signup_box", "Inscrivez-vous gratuitement à notre newsletter"),
        ("repeated_sentence", "« Nous défendrons chaque centimètre carré"),
        ("extract.dropped_block", "Les ministres se retrouveront en juin"),
    ]:
        assert any(span.rule == rule and span.text.startswith(start) for span in removed), rule
    for gone in ("Stoltenberg", "Wall Street Journal", "Inscrivez-vous", "S'inscrire"):
        assert gone not in cleaned.text
    assert cleaned.text.count("Nous défendrons chaque centimètre carré") == 1
    dropped = [span.text for span in removed if span.rule == "extract.dropped_block"]
    assert not any("commentaires" in text or "consulter les citoyens" in text for text in dropped)  # comments


def test_a_sign_up_box_goes_by_its_e_mail_field_but_a_comment_form_stays() -> None:
    signup = (
        "<section><h3>La lettre du matin</h3><p>Les nouvelles de la ville, chaque jour à 7 heures.</p>"
        "<form><input type='text' name='emailAddress' placeholder='Adresse e-mail'><input type='submit'></form></section>"
    )
    post = (
        f"<div><p>{PARAGRAPH}</p><form><input type='text' name='email'>"
        "<textarea name='comment'></textarea></form></div>"
    )
    tree = article_tree(signup, after=post)
    assert prune_boxes(tree) == [
        ("dom.signup_box", "La lettre du matin Les nouvelles de la ville, chaque jour à 7 heures.")
    ]
    assert tree.text_content().count(PARAGRAPH) == 2  # the short post around the comment form stays


def test_a_box_is_as_large_as_the_text_a_reader_sees_not_its_code() -> None:
    tracker = "<script>window.dataLayer = [" + "{'event': 'newsletter_view'}, " * 60 + "];</script>"
    signup = (
        f"<section><h3>La lettre du matin</h3>{tracker}<style>.lettre {{ color: red; }}</style>"
        "<svg><text>Icône enveloppe</text></svg><form><input type='email'></form></section>"
    )
    extracted = extract_html(f"<html><body><article><p>{PARAGRAPH}</p>{signup}</article></body></html>")
    assert RemovedSpan("dom.signup_box", "La lettre du matin") in extracted.removed
    assert "dataLayer" not in extracted.text


def test_an_article_whose_body_is_only_in_its_json_ld_is_still_read() -> None:
    article = {"@context": "https://schema.org", "@type": "NewsArticle", "articleBody": PARAGRAPH * 4}
    extracted = extract_html(
        f"<html><head><script type='application/ld+json'>{json.dumps(article)}</script></head>"
        "<body><nav><a href='/'>Accueil</a></nav><div>Menu</div></body></html>"
    )
    assert extracted.text == PARAGRAPH * 4


def test_a_post_the_article_embeds_is_quoted_but_a_pull_quote_box_is_not_unwrapped() -> None:
    post = (
        "<div class='social-media-embed'><figure class='embed'><blockquote class='twitter-tweet'>"
        "<p>Le nouveau plan vélo de la ville est enfin en ligne, avec ses quarante kilomètres de pistes.</p>"
        "— Mairie de Lyon (@Lyon) <a href='https://twitter.com/Lyon/status/1'>18 novembre 2019</a>"
        "</blockquote><script src='https://platform.twitter.com/widgets.js'></script></figure></div>"
    )
    pull_quote = "<aside class='pull'><blockquote>« Quarante kilomètres de pistes »</blockquote></aside>"
    prose = f"<p>{PARAGRAPH} {PARAGRAPH}</p>" * 3
    page = f"<html><body><article>{prose}{post}{prose}{pull_quote}</article></body></html>"
    assert "\nLe nouveau plan vélo de la ville est enfin en ligne" in extract_html(page).text
    tree = fromstring(page)
    drop_code(tree)
    unwrap_embedded_posts(tree)
    assert [child.tag for child in tree.find(".//article")] == ["p"] * 3 + ["blockquote"] + ["p"] * 3 + [
        "aside"
    ]


def test_captions_and_credits_go_by_their_markup_but_a_captioned_gallery_of_paragraphs_stays() -> None:
    tree = article_tree(
        "<figure><figcaption>Le maire devant la piscine.</figcaption><img src='piscine.jpg'></figure>"
        f"<p>{PARAGRAPH}</p><small class='photo-credit'>Photo Ville de Lyon</small>"
        f"<p>{PARAGRAPH}</p><span id='caption-3'>Les bassins rénovés</span>"
        "<div class='caption-gallery'><p>Le grand bassin, rouvert samedi après deux ans de travaux.</p></div>"
    )
    assert prune_boxes(tree) == [
        ("dom.caption", "Le maire devant la piscine."),
        ("dom.caption", "Photo Ville de Lyon"),
        ("dom.caption", "Les bassins rénovés"),
    ]
    assert "Le grand bassin, rouvert samedi" in tree.text_content()


def test_the_text_alone_beside_an_image_is_its_caption_but_a_list_is_not() -> None:
    tree = article_tree(
        "<div><img src='maire.jpg'><!-- légende --><span>Le maire, hier soir. Photo Ville</span></div>"
        "<div><img src='carte.png'><ul><li>Centre : deux écoles</li><li>Nord : cinq écoles</li></ul></div>"
    )
    assert prune_boxes(tree) == [("dom.caption", "Le maire, hier soir. Photo Ville")]
    assert "Nord : cinq écoles" in tree.text_content()


def test_a_lead_the_extractor_skipped_is_put_back_and_other_dropped_blocks_recorded() -> None:
    blocks = [
        "Le chapô, qui résume l'article en une phrase assez longue pour être de la prose.",
        "Premier paragraphe du corps.",
        "Un encadré en fin de page que l'extracteur a laissé.",
    ]
    text, removed = account_for_blocks("Premier paragraphe du corps.\nDeuxième paragraphe.", blocks)
    assert text.splitlines()[0] == blocks[0]
    assert removed == [RemovedSpan("extract.dropped_block", blocks[2])]
    text, removed = account_for_blocks("Une autre partie de la page.", blocks)
    assert text == "Une autre partie de la page."  # nothing of the article found: nothing put back
    assert [span.text for span in removed] == blocks


@pytest.mark.parametrize(
    "label",
    [
        "À lire aussi",
        "Read more",
        "Lesen Sie auch",
        "Weiterlesen:",
        "Empfohlene Beiträge",
        "Mira también",
        "Leggi anche",
    ],
)
def test_teaser_labels_of_several_languages_are_pruned_with_their_links(label: str) -> None:
    tree = article_tree(
        f"<div><p>{label}</p><ul><li><a href='/a'>Un autre titre</a></li>"
        "<li><a href='/b'>Encore un titre</a></li></ul></div>"
    )
    removed = prune_teasers(tree)
    assert [kind for kind, _ in removed] == ["block"] and removed[0][1].startswith(label)
    assert "Un autre titre" not in tree.text_content() and PARAGRAPH in tree.text_content()


def test_a_hover_card_of_links_leaves_the_sentence_but_links_cited_in_it_stay() -> None:
    stories = "".join(
        f"<a href='/article/{i}'>{title}</a> "
        for i, title in enumerate(
            [
                "Le maire inaugure la nouvelle piscine du quartier nord",
                "Budget : la ville emprunte douze millions d'euros",
                "Les écoles rénovées avant la rentrée",
            ]
        )
    )
    card = f"<span class='card'><span><img src='maire.jpg'><a href='/maire'>Jean Dupont</a>{stories}</span></span>"
    tree = article_tree(
        f"<p>Le maire, <span><a href='/maire'>Jean Dupont</a>{card}</span>, a présenté hier soir le "
        "budget de la ville devant le conseil municipal réuni en séance.</p>"
        "<p>Selon <span><a href='https://www.insee.fr'>l'Institut national de la statistique et des "
        "études économiques</a> et <a href='https://www.ined.fr'>l'Institut national d'études "
        "démographiques</a></span>, la ville a gagné mille habitants.</p>"
        "<p>Le prix revient à <span><a href='/curie-marie'>Marie Curie</a>, <a href='/curie-pierre'>"
        "Pierre Curie</a></span> et Henri Becquerel.</p>"
        f"<div><span>{stories}</span></div>"  # a link list outside the prose: the extractor's to judge
        "<p>Le rapport : <span><a href='https://www.insee.fr/rapport'>Recensement de la population "
        "2024, résultats détaillés pour les communes de plus de dix mille habitants</a></span></p>"
    )
    removed = prune_boxes(tree)
    assert [rule for rule, _ in removed] == ["dom.link_card"]
    assert removed[0][1].startswith("Jean Dupont Le maire inaugure la nouvelle piscine")
    text = " ".join(tree.text_content().split())
    assert "Le maire, Jean Dupont, a présenté hier soir" in text
    assert "démographiques, la ville a gagné mille habitants" in text
    assert "Le prix revient à Marie Curie, Pierre Curie et Henri Becquerel." in text


def test_an_all_link_paragraph_goes_unless_it_is_a_web_or_mail_address() -> None:
    tree = article_tree(
        "<p><a href='/autre'>Le maire inaugure la nouvelle piscine</a></p>"
        "<p><a href='https://www.insee.fr/fr/statistiques/1'>https://www.insee.fr/fr/statistiques/1</a></p>"
        "<p><a href='mailto:contact@mairie.example'>contact@mairie.example</a></p>"
    )
    assert prune_boxes(tree) == [("dom.link_paragraph", "Le maire inaugure la nouvelle piscine")]
    assert "https://www.insee.fr/fr/statistiques/1" in tree.text_content()
    assert "contact@mairie.example" in tree.text_content()


def test_an_unlabelled_teaser_list_goes_and_paragraphs_citing_stories_stay() -> None:
    """After the article, cards of a headline, a summary and a date linking to the site's other
    stories, under no label; in it, three paragraphs in a row each citing a story with a link."""
    html = fixture("unlabelled_teaser_list.html")
    url = "https://www.courrier-du-val.example/ville/2024/03/12/la-ville-ouvre-trois-pistes-cyclables"
    text = extract_text(html, url)
    for teaser in (
        "Le tramway retardé",
        "nouvelle ligne reprendront",
        "piscine",
        "Fédérale 1",
        "halle",
        "mars 2024",
    ):
        assert teaser not in text
    for prose in (
        "inauguré mardi trois pistes cyclables",
        "Comme l'expliquait notre article sur le vote du budget du plan vélo, l'opposition jugeait",
        "Le chantier, estimé à 4,2 millions d'euros",
        "Selon l'enquête menée auprès des commerçants du centre, la fréquentation",
        "Les associations d'usagers du vélo saluent un réseau",
        "une quatrième piste",
    ):
        assert prose in text
    removed = [span.text for span in extract_html(html, url).removed if span.rule == "dom.teaser_list"]
    assert removed[:4] == [
        "Le tramway retardé de six mois",
        "Les essais de la nouvelle ligne reprendront en septembre après un défaut de signalisation.",
        "10 mars 2024",
        "La piscine municipale rouvre ses portes",
    ]
    assert len(removed) == 12  # four cards of three lines


def test_a_teaser_card_the_extractor_reads_as_one_line_goes_whole() -> None:
    """A section front: cards of a linked headline and a summary in blocks of their own (the same
    summary under each), which the extractor joins into one line with a space that the card's own
    text does not have."""
    cards = "".join(
        f"<article><h2><a href=\"/monde/2024/07/{day}/otan\">Sommet de l'OTAN : ce qu'il faut retenir du {day} "
        "juillet</a></h2><p>Les alliés réunis à Vilnius ont parlé de l'Ukraine et de la Suède.</p></article>"
        for day in range(1, 21)
    )
    html = f"<html><body><h1>International</h1><main>{cards}</main></body></html>"
    extracted = extract_html(html, "https://quotidien.example/monde/")
    assert extracted.text == ""
    assert sum(span.rule == "dom.teaser_list" for span in extracted.removed) == 20


@pytest.mark.parametrize(
    "paragraph",
    [
        "La dette {n} a baissé, selon <a href='/ville/{n}/le-rapport-annuel-de-la-cour'>le rapport annuel de la cour</a>.",
        "<a href='/ville/{n}/les-associations-du-quartier-nord'>Les associations du quartier nord</a> ont voté {n} fois.",
    ],
)
def test_paragraphs_that_each_cite_a_story_are_not_a_teaser_list(paragraph: str) -> None:
    # A sentence runs into the link, or goes on from it: prose citing stories, three in a row.
    prose = "".join(
        f"<p>{paragraph.format(n=n)} Le conseil en débattra encore ce mois-ci.</p>" for n in (1, 2, 3)
    )
    html = f"<html><body><div><h1>Le budget de la ville</h1>{prose}</div></body></html>"
    extracted = extract_html(html, "https://www.courrier-du-val.example/ville/budget")
    assert [span for span in extracted.removed if span.rule == "dom.teaser_list"] == []
    assert extracted.text.count("Le conseil en débattra") == 3


def test_a_caption_said_again_later_on_the_page_is_kept_once() -> None:
    caption = "Jens Stoltenberg à Vilnius, le 11 juillet 2023. (Photo AFP)"
    photo = f'<p><img src="/stoltenberg.jpg" alt=""><em>{caption}</em></p>'
    prose = f"<p>{PARAGRAPH} {PARAGRAPH}</p>"
    html = (
        "<html><head><title>Le sommet de Vilnius</title></head><body><article><h1>Le sommet de Vilnius</h1>"
        f"{photo}{prose}{prose.replace('hier', 'mardi')}{photo}<p>{PARAGRAPH.replace('douze', 'trois')}</p>"
        "</article></body></html>"
    )
    extracted = extract_html(html, "https://example.fr/2023/07/11/vilnius")
    assert extracted.text.count(caption) == 1
    assert [span.text for span in extracted.removed if span.rule == "repeated_caption"] == [caption]
    assert "douze millions" in extracted.text and "trois millions" in extracted.text


def test_a_line_said_twice_that_is_no_caption_stays_twice() -> None:
    step = "Ajouter une cuillère de sucre et mélanger."
    body = f"<p>{PARAGRAPH}</p><ul><li>{step}</li><li>Cuire dix minutes.</li><li>{step}</li></ul><p>{PARAGRAPH}</p>"
    html = f'<html><body><article><h1>Une recette</h1><img src="/plat.jpg">{body}</article></body></html>'
    assert extract_html(html, "https://example.fr/recette").text.count(step) == 2
