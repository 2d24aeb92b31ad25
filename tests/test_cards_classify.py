"""The contamination-disclosure classifier (hubsignal/cards/classify.py) on realistic card texts written for
these tests (tests/fixtures/cards/*.md) and short inline cases: verdict, deciding rule and evidence."""

from pathlib import Path

import pytest

from hubsignal.cards.classify import DISCLOSES, MENTIONS, RULES, SILENT, card_sentences, classify

FIXTURES = Path(__file__).parent / "fixtures" / "cards"

# file -> (verdict, rule, a piece of the first evidence sentence; None: no evidence)
EXPECTED = {
    "ngram_paragraph": (DISCLOSES, "D2-ngram-overlap", "shares a 13-gram with any benchmark test set"),
    "decontamination_section": (DISCLOSES, "D1-decontamination", "Decontamination › All benchmark results"),
    "table_contamination_column": (
        DISCLOSES,
        "D2-ngram-overlap",
        "Benchmark: MMLU-Pro; Score: 48.2; Contamination check: 13-gram overlap",
    ),
    "html_table": (DISCLOSES, "D2-ngram-overlap", "Benchmark: MMLU; Score: 70.2; Contamination: 8-gram overlap < 1%"),
    "embedding_similarity": (DISCLOSES, "D3-embedding-similarity", "using embedding similarity"),
    "post_cutoff": (DISCLOSES, "D4-held-out-or-post-cutoff", "released after our training cutoff"),
    "heldout_setext": (
        DISCLOSES,
        "D4-held-out-or-post-cutoff",
        "Sparrow-2B › Benchmark contamination › We keep a private held-out test set",
    ),
    "canary_string": (DISCLOSES, "D5-detection-technique", "Pre-training data › To avoid benchmark contamination"),
    "negated_and_positive": (DISCLOSES, "D2-ngram-overlap", "filtered for 13-gram overlap"),
    "mention_only": (MENTIONS, "M1-mention", "LiveBench, a contamination-free benchmark"),
    "check_not_done": (MENTIONS, "M2-check-not-done", "We have not checked our pre-training data"),
    "table_not_decontaminated": (MENTIONS, "M2-check-not-done", "Decontaminated: ✗"),
    "soil_contamination": (SILENT, "S1-other-sense", "heavy-metal soil contamination"),
    "food_safety": (SILENT, "S1-other-sense", "microbial contamination"),
    "dataset_name": (SILENT, "S0-no-mention", None),
    "comments_and_code": (SILENT, "S0-no-mention", None),
}


def test_every_fixture_has_an_expectation_and_the_set_is_broad():
    assert sorted(p.stem for p in FIXTURES.glob("*.md")) == sorted(EXPECTED)
    verdicts = [v for v, _, _ in EXPECTED.values()]
    assert len(EXPECTED) >= 12 and verdicts.count(SILENT) >= 4 and verdicts.count(MENTIONS) >= 3
    assert {r for _, r, _ in EXPECTED.values()} == set(RULES)  # every rule is exercised by a card


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_card_fixture(name):
    verdict, rule, evidence = EXPECTED[name]
    got = classify((FIXTURES / f"{name}.md").read_text())
    assert (got.verdict, got.rule) == (verdict, rule), got
    assert RULES[got.rule][0] == got.verdict
    if evidence is None:
        assert got.evidence == ()
    else:
        assert got.evidence and evidence in got.evidence[0], got.evidence


@pytest.mark.parametrize(
    "text, verdict, rule",
    [
        # n-grams and held-out sets that are not about contamination
        ("Decoding uses a 3-gram repetition penalty.", SILENT, "S0-no-mention"),
        ("We fine-tuned on 90% of the data and evaluated on a held-out validation split.", SILENT, "S0-no-mention"),
        ("Knowledge cutoff: March 2025.", SILENT, "S0-no-mention"),
        ("The tool supports the evaluation of soil contamination in farmland.", SILENT, "S1-other-sense"),
        ("Trained on [org/Soil-Contamination-Maps](https://example.org/x).", SILENT, "S0-no-mention"),
        # spellings and structure
        ("The SFT set was de-contaminated against GSM8K and MATH.", DISCLOSES, "D1-decontamination"),
        (
            "## Test-set leakage\n\nWe ran an exact substring match of every test question against the corpus.",
            DISCLOSES,
            "D2-ngram-overlap",
        ),
        ("- Decontamination: none.", MENTIONS, "M2-check-not-done"),
        ("No decontamination was performed on the fine-tuning data.", MENTIONS, "M2-check-not-done"),
        (
            "We did not observe contamination after 13-gram decontamination against all test sets.",
            DISCLOSES,
            "D1-decontamination",
        ),
        ("<!-- contamination: 13-gram -->\nA helpful assistant.", SILENT, "S0-no-mention"),
        ("", SILENT, "S0-no-mention"),
    ],
)
def test_inline_cases(text, verdict, rule):
    got = classify(text)
    assert (got.verdict, got.rule) == (verdict, rule), got


def test_sentences_keep_heading_paths_and_table_headers():
    text = "# M\n\n## Eval\n\n### Contamination\n\nOne. Two, e.g. three.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n## Next\nThree."
    got = [(s.text, s.headings, s.is_heading) for s in card_sentences(text)]
    assert got == [
        ("M", (), True),
        ("Eval", ("M",), True),
        ("Contamination", ("M", "Eval"), True),
        ("One.", ("M", "Eval", "Contamination"), False),
        ("Two, e.g. three.", ("M", "Eval", "Contamination"), False),
        ("a: 1; b: 2", ("M", "Eval", "Contamination"), False),
        ("Next", ("M",), True),
        ("Three.", ("M", "Next"), False),
    ]


def test_evidence_is_capped_and_the_verdict_deterministic():
    text = "\n\n".join(
        f"Paragraph {i}: we removed every document with a 13-gram overlap with the test sets." for i in range(6)
    )
    first = classify(text)
    assert first == classify(text)
    assert len(first.evidence) == 3 and first.evidence[0].startswith("Paragraph 0")
    long = classify("We decontaminated the data against all benchmarks " + "and more " * 100 + ".")
    assert len(long.evidence[0]) <= 300 and long.evidence[0].endswith("…")
