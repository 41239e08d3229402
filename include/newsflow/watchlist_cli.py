"""`newsflow entities`: list the watchlist, add a tracked entity, promote a discovered one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import click
import typer

from newsflow.console import print_rows
from newsflow.entities import watchlist
from newsflow.settings import Settings

app = typer.Typer(
    help="The watchlist: the tracked entities (NEWSFLOW_ENTITIES_PATH, default data/entities.yaml)."
)

# The kinds of discovered entities, as the watchlist's entity types.
TYPE_OF_KIND = {"PER": "person", "ORG": "organization", "LOC": "place"}
# Aliases given on the command line are matched in every language, as all aliases are.
CLI_LANGUAGE = "all"

EntitiesOption = Annotated[
    Path | None, typer.Option("--entities", help="The watchlist file (default: $NEWSFLOW_ENTITIES_PATH).")
]


@app.command("list")
def list_entities(entities: EntitiesOption = None) -> None:
    """Print the tracked entities.

    Example: newsflow entities list
    """
    gazetteer = watchlist.load_gazetteer(_path(entities))
    print_rows(
        ["entity_id", "label", "type", "aliases", "acronyms", "wikidata"],
        [
            (e.entity_id, e.label, e.entity_type, ", ".join(e.aliases), ", ".join(e.acronyms), e.wikidata_id)
            for e in gazetteer.entities
        ],
    )


@app.command()
def add(
    entity_id: Annotated[str, typer.Argument(metavar="ID", help="The new entity's id: a-z, 0-9 and _.")],
    label: Annotated[str, typer.Option(help="Its name as the tables show it.")],
    entity_type: Annotated[str, typer.Option("--type", help="person, organization, place or topic.")],
    alias: Annotated[list[str], typer.Option(help="A name to match (case and accents ignored); repeat it.")],
    acronym: Annotated[
        list[str] | None, typer.Option(help="An acronym, matched exactly as written; repeat it.")
    ] = None,
    wikidata: Annotated[str | None, typer.Option(help="Its Wikidata item, e.g. Q7184.")] = None,
    entities: EntitiesOption = None,
) -> None:
    """Add a tracked entity; the next warehouse build finds its mentions in every stored article.

    Example: newsflow entities add hamas --label Hamas --type organization --alias Hamas --wikidata Q38799
    """
    path = _path(entities)
    entity = watchlist.add_entity(
        path, entity_id, label, entity_type, {CLI_LANGUAGE: alias}, acronym, wikidata
    )
    typer.echo(f"added {entity.entity_id} ({entity.label}) to {path}")


@app.command()
def promote(
    entity_key: Annotated[
        str, typer.Argument(help="A discovered entity's key (entity_candidates.entity_key).")
    ],
    entity_id: Annotated[
        str | None, typer.Option("--id", help="The tracked id (default: from the key).")
    ] = None,
    entities: EntitiesOption = None,
    warehouse: Annotated[Path | None, typer.Option(help="The DuckDB warehouse file.")] = None,
) -> None:
    """Track a discovered entity: each full name it was found under (per language) becomes an alias
    of a new entity, typed by the kind NER gave it most often. A lone surname it was also written
    as is not an alias: every Smith would be matched.

    Example: newsflow entities promote "julianne smith"
    """
    from newsflow.warehouse.build import query

    settings = Settings.from_env(warehouse_path=warehouse, entities_path=entities)
    _, rows = query(
        settings,
        "select d.name, coalesce(a.language, 'all') as language, d.kind "
        "from lake_discovered as d left join lake_articles as a using (article_id, ingest_date) "
        "where d.entity_key = $key order by d.ingest_date, d.article_id, d.char_offset",
        {"key": entity_key},
    )
    if not rows:
        raise click.ClickException(f"no discovered entity has the key {entity_key!r} (see entity_candidates)")
    names = [str(name) for name, _, _ in rows]
    kinds = [str(kind) for _, _, kind in rows]
    aliases: dict[str, list[str]] = {}
    for name, language, _ in rows:
        forms = aliases.setdefault(str(language), [])
        if name not in forms:
            forms.append(str(name))
    entity = watchlist.add_entity(
        settings.entities_path,
        entity_id or re.sub(r"[^a-z0-9]+", "_", entity_key.lower()).strip("_"),
        max(names, key=names.count),
        TYPE_OF_KIND[max(kinds, key=kinds.count)],
        aliases,
    )
    typer.echo(
        f"promoted {entity_key!r} to {entity.entity_id} ({', '.join(entity.aliases)}) in {settings.entities_path}"
    )


def _path(entities: Path | None) -> Path:
    return Settings.from_env(entities_path=entities).entities_path
