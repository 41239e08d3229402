"""Open-world entities on the hand-made entity gold (French and English): spaCy alone, newsflow's
discovery and the gazetteer alone, scored with the gold's own scorer, and discovery's docs/s.

Usage: python bench/entities.py [EVAL_DIR] [--per-doc]   (EVAL_DIR defaults to ../shared/eval;
reads entities/gold_dev.json and scores with entities/score_entities.py, imported from there; nothing
of the gold is written anywhere).

Per language, each method's per-article entity sets ({name, aliases, kind, count}) are scored by
score_entities.score: precision, recall, F1 over distinct entities per article (micro-averaged), kind
accuracy and count MAE among matched pairs.
  spaCy naive           the model's PER/ORG/LOC spans (the NER component alone, as newsflow runs it),
                        one entity per distinct surface: folded, one leading the/le/la/les/l' removed
  newsflow              discover.canonicalise on the same spans, all steps, no gazetteer
  newsflow + watchlist  discover.discover itself: the same, linked to the packaged example watchlist
                        (watchlist.example.yaml; links give entity ids and merge nothing, so the
                        scores equal newsflow's)
  gazetteer alone       watchlist.find_mentions with that watchlist, one entity per entity id
                        (topics, which are not people, organisations or places, left out)
Then what each canonicalisation step adds: no step (grouping by names.entity_key only), each step
alone on top of that, and all steps but one.
Speed: discover.discover (with the gazetteer) against bare nlp.pipe of the same model with the same
components on the same texts, one text per call, taking turns text by text, best of 3 passes
(common.run_timed).
"""

from __future__ import annotations

import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from types import ModuleType
from typing import Any

from newsflow.entities import discover as nf
from newsflow.entities.watchlist import EXAMPLE_PATH, Gazetteer, find_mentions, load_gazetteer
from newsflow.schema import Article

from common import eval_arg_parser, parse_eval_args, run_timed

Prediction = dict[str, Any]  # {"name", "aliases", "kind", "count"}: the scorer's input
Spans = list[tuple[int, int, str]]
# Targets newsflow's discovery is held to on this set.
MIN_F1, MIN_F1_GAIN, MAX_COUNT_MAE, MIN_SPEED_RATIO = 0.80, 0.05, 0.5, 0.9
NAIVE_ARTICLES = ("the ", "les ", "le ", "la ", "l'")
GAZETTEER_KINDS = {"person": "PER", "organization": "ORG", "place": "LOC"}  # topics left out


def naive_key(name: str) -> str:
    """Folded (accents off, lower case, straight apostrophes), one leading article removed."""
    name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    name = " ".join(name.lower().replace("\u2019", "'").split()).strip(" \"'«»“”,;:()")
    article = next((a for a in NAIVE_ARTICLES if name.startswith(a)), "")
    return name[len(article) :].strip()


def naive_predictions(text: str, spans: Spans) -> list[Prediction]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for start, end, kind in spans:
        surface = text[start:end].strip()
        if key := naive_key(surface):
            groups.setdefault(key, []).append((surface, kind))
    return [
        _prediction([s for s, _ in g], Counter(k for _, k in g).most_common(1)[0][0]) for g in groups.values()
    ]


def _prediction(surfaces: Sequence[str], kind: str, name: str | None = None) -> Prediction:
    forms = [form for form, _ in Counter(surfaces).most_common()]
    return {"name": name or forms[0], "aliases": forms, "kind": kind, "count": len(surfaces)}


def newsflow_predictions(mentions: list[nf.EntityMention]) -> list[Prediction]:
    return [
        {"name": e.name, "aliases": list(e.forms), "kind": e.kind, "count": e.count}
        for e in nf.group_entities(mentions)
    ]


def gazetteer_predictions(doc_id: str, text: str, gazetteer: Gazetteer) -> list[Prediction]:
    article = Article(doc_id, "eval", None, None, date(2000, 1, 1), text=text)
    entities = {e.entity_id: e for e in gazetteer.entities}
    found: dict[str, list[str]] = {}
    for mention in find_mentions(article, gazetteer):
        found.setdefault(mention.entity_id, []).append(mention.matched_text)
    return [
        _prediction(surfaces, GAZETTEER_KINDS[entities[i].entity_type], entities[i].label)
        for i, surfaces in found.items()
        if entities[i].entity_type in GAZETTEER_KINDS
    ]


def score(
    scorer: ModuleType, docs: list[dict[str, Any]], predictions: list[list[Prediction]], per_doc: bool
) -> Any:
    by_id = {d["doc_id"]: p for d, p in zip(docs, predictions, strict=True)}
    return scorer.score(docs, by_id, per_doc=per_doc)[docs[0]["lang"]]


def print_row(lang: str, method: str, r: dict[str, Any]) -> None:
    mae = f"{r['count_mae']:.3f}" if r["count_mae"] is not None else "-"
    print(
        f"| {lang} | {method} | {r['pred_scored']} | {r['tp']} | {r['gold']} | {r['precision']:.3f} | "
        f"{r['recall']:.3f} | {r['f1']:.3f} | {r['kind_acc'] or 0:.3f} | {mae} |"
    )


def ablation(text_spans: list[tuple[str, Spans]]) -> dict[str, list[list[Prediction]]]:
    """Predictions with no step, each step alone, and all steps but one."""
    configs = {"no step (entity_key grouping)": frozenset[str]()}
    configs |= {f"+ {step} only": frozenset({step}) for step in sorted(nf.STEPS)}
    configs |= {f"all - {step}": nf.STEPS - {step} for step in sorted(nf.STEPS)}
    configs["all steps"] = nf.STEPS
    return {
        name: [newsflow_predictions(nf.canonicalise(text, spans, steps=steps)) for text, spans in text_spans]
        for name, steps in configs.items()
    }


def timed(lang: str, texts: list[str], gazetteer: Gazetteer) -> tuple[list[list[nf.EntityMention]], float]:
    """newsflow's mentions of each text, and its docs/s over bare nlp.pipe's (printed)."""
    nlp = nf.load_ner(lang)
    methods: dict[str, Callable[[str], Any]] = {
        "spaCy nlp.pipe": lambda text: list(nlp.pipe([text], batch_size=nf.NER_BATCH_SIZE)),
        "newsflow discover": lambda text: nf.discover([text], lang, gazetteer)[0],
    }
    results = run_timed(methods, texts)
    bare, ours = results["spaCy nlp.pipe"][1], results["newsflow discover"][1]
    chars = sum(map(len, texts))
    print(
        f"| {lang} | {nf.NER_MODELS[lang].package} {nlp.pipe_names} | {len(texts)} | {chars:,} | "
        f"{bare:.1f} | {ours:.1f} | {ours / bare:.2f} |"
    )
    return results["newsflow discover"][0], ours / bare


def main() -> None:
    parser = eval_arg_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--per-doc", action="store_true", help="print each article's misses and spurious entities"
    )
    args = parse_eval_args(parser)
    sys.path.insert(0, str(args.eval_dir / "entities"))
    import score_entities as scorer  # the gold's own matching rule

    gold = scorer.load_gold([str(args.eval_dir / "entities" / "gold_dev.json")])
    gazetteer = load_gazetteer(EXAMPLE_PATH)  # the packaged example watchlist, read only
    langs = sorted({d["lang"] for d in gold})
    rows: list[tuple[str, str, dict[str, Any]]] = []
    steps: list[tuple[str, str, dict[str, Any]]] = []
    ratios: dict[str, float] = {}
    print("| lang | model, components | docs | chars | nlp.pipe docs/s | newsflow docs/s | ratio |")
    print("|---|---|---|---|---|---|---|")
    for lang in langs:
        docs = [d for d in gold if d["lang"] == lang]
        texts = [d["text"] for d in docs]
        discovered, ratios[lang] = timed(lang, texts, gazetteer)
        nlp, kinds = nf.load_ner(lang), nf.NER_MODELS[lang].kinds
        text_spans = [(t, nf.ner_spans(doc, kinds)) for t, doc in zip(texts, nlp.pipe(texts), strict=True)]
        methods = {
            "spaCy naive": [naive_predictions(t, s) for t, s in text_spans],
            "newsflow": [newsflow_predictions(nf.canonicalise(t, s)) for t, s in text_spans],
            "newsflow + watchlist": [newsflow_predictions(m) for m in discovered],
            "gazetteer alone": [gazetteer_predictions(d["doc_id"], d["text"], gazetteer) for d in docs],
        }
        for method, predictions in methods.items():
            if args.per_doc:
                print(f"## {lang} {method}")
            rows.append((lang, method, score(scorer, docs, predictions, args.per_doc)))
        steps += [(lang, n, score(scorer, docs, p, False)) for n, p in ablation(text_spans).items()]
    for title, table in (("Methods", rows), ("Canonicalisation steps (newsflow, no gazetteer)", steps)):
        print(f"\n{title}\n| lang | method | pred | TP | gold | P | R | F1 | kind acc | count MAE |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for lang, method, r in table:
            print_row(lang, method, r)
    print_targets(rows, ratios)


def print_targets(rows: list[tuple[str, str, dict[str, Any]]], ratios: dict[str, float]) -> None:
    """Whether newsflow + watchlist meets its targets in each language."""
    print("\nTargets (newsflow + watchlist)")
    for lang, ratio in ratios.items():
        r = {method: res for row_lang, method, res in rows if row_lang == lang}
        ours, naive = r["newsflow + watchlist"], r["spaCy naive"]
        checks = {
            f"F1 {ours['f1']:.3f} >= {MIN_F1}": ours["f1"] >= MIN_F1,
            f"F1 gain over spaCy naive {ours['f1'] - naive['f1']:+.3f} >= {MIN_F1_GAIN}": ours["f1"]
            - naive["f1"]
            >= MIN_F1_GAIN,
            f"count MAE {ours['count_mae']:.3f} <= {MAX_COUNT_MAE}": ours["count_mae"] <= MAX_COUNT_MAE,
            f"speed {ratio:.2f}x nlp.pipe >= {MIN_SPEED_RATIO}": ratio >= MIN_SPEED_RATIO,
        }
        print(f"{lang}: " + "; ".join(f"{c} {'met' if ok else 'NOT MET'}" for c, ok in checks.items()))


if __name__ == "__main__":
    main()
