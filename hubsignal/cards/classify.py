"""Does a model card disclose a check for training-test overlap? A rules-first, explainable classifier.

One verdict per card, with the id of the rule that decided it and the evidence sentences:

- `discloses_method`: a sentence states a contamination check together with a method: decontamination,
  n-gram / substring / exact-match overlap against evaluation data, embedding or semantic similarity,
  held-out or post-cutoff evaluation, or a named detection technique (canary strings, membership inference).
- `mentions_without_method`: contamination in the evaluation sense is mentioned, but no method (a vague
  "we took care to avoid contamination"), or the card says the check was NOT done.
- `silent`: nothing about contamination in the evaluation sense. Mentions in another sense (soil, water, food,
  lab samples...) and dataset names that happen to contain the word ("org/data-contamination-qa", "the Data
  Contamination Detection Corpus dataset") do not count; the first is reported as rule S1 with its sentences.

How: the card becomes plain sentences (YAML front matter, HTML comments, fenced code blocks and HTML tags
removed; each Markdown or HTML table row becomes one "header: cell; header: cell" sentence; paragraphs and
list items are split into sentences; each sentence keeps its heading path, which counts as context). Then the
rules of RULES are tried in priority order: any D rule beats any M rule, which beats S. English only.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

CLASSIFIER_VERSION = "rules-1"  # bump when a rule changes: landed cards are re-classified on the next load

DISCLOSES, MENTIONS, SILENT = "discloses_method", "mentions_without_method", "silent"

# Rule id -> (verdict, what fires it). Priority is this order.
RULES: dict[str, tuple[str, str]] = {
    "D1-decontamination": (DISCLOSES, "states that data was decontaminated / a decontamination step was run"),
    "D2-ngram-overlap": (DISCLOSES, "n-gram, substring or exact-match overlap checked against evaluation data"),
    "D3-embedding-similarity": (DISCLOSES, "embedding / semantic similarity search against evaluation data"),
    "D4-held-out-or-post-cutoff": (
        DISCLOSES,
        "evaluation on data released after the training cutoff, or a "
        "held-out set presented as the contamination control",
    ),
    "D5-detection-technique": (
        DISCLOSES,
        "a named detection technique (canary strings, membership inference, "
        "Min-K%, perplexity analysis) applied for contamination",
    ),
    "M2-check-not-done": (MENTIONS, "says contamination was not checked / data was not decontaminated"),
    "M1-mention": (MENTIONS, "mentions contamination (evaluation sense) without any method"),
    "S1-other-sense": (SILENT, "mentions 'contamination' only in another sense (soil, water, food, lab...)"),
    "S0-no-mention": (SILENT, "no mention of contamination or a check"),
}
MAX_EVIDENCE = 3
MAX_EVIDENCE_CHARS = 300


@dataclass(frozen=True)
class Sentence:
    text: str
    headings: tuple[str, ...] = ()  # enclosing headings, outermost first
    is_heading: bool = False

    def evidence(self) -> str:
        text = self.text if len(self.text) <= MAX_EVIDENCE_CHARS else self.text[: MAX_EVIDENCE_CHARS - 1] + "…"
        return " › ".join((*self.headings, text))


@dataclass(frozen=True)
class Verdict:
    verdict: str
    rule: str
    evidence: tuple[str, ...]


# ------------------------------------------------------------------------------------ card -> sentences

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_HTML_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.I | re.S)
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_SETEXT = re.compile(r"^\s*(=+|-+)\s*$")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|et al|etc|vs|cf|approx|fig|eq|incl|resp|no)\.", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[]?[A-Z0-9])")


def _html_to_markdown(text: str) -> str:
    text = _HTML_HEADING.sub(lambda m: "\n" + "#" * int(m[1]) + " " + re.sub(r"\s+", " ", m[2]) + "\n", text)
    text = re.sub(r"(</th>\s*)</tr>", r"\1</tr>\n|---|\n", text, flags=re.I)  # a <th> row is a header row
    text = re.sub(r"<tr\b[^>]*>", "\n|", text, flags=re.I)
    text = re.sub(r"</t[dh]\s*>", " |", text, flags=re.I)
    text = re.sub(r"</tr\s*>", "\n", text, flags=re.I)
    text = re.sub(r"<li\b[^>]*>", "\n- ", text, flags=re.I)
    text = re.sub(r"<br\s*/?>|</(?:p|div|li|ul|ol|table|blockquote)\s*>", "\n", text, flags=re.I)
    return _TAG.sub(" ", text)


def _inline(text: str) -> str:
    """Markdown inline markup -> plain text (links keep their text, URLs become [url])."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)  # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url)
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)  # [text][ref]
    text = re.sub(r"<?https?://[^\s>)\]]+>?", "[url]", text)
    text = text.replace("`", "")
    text = re.sub(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)", "", text)  # emphasis, not snake_case
    text = html.unescape(text)
    return re.sub(r"\s+", " ", text).strip()


def _split_sentences(text: str) -> list[str]:
    protected = _ABBREV.sub(lambda m: m[0].replace(".", "\0"), text)
    return [p.replace("\0", ".").strip() for p in _SENTENCE_END.split(protected) if p.strip()]


def _cells(line: str) -> list[str]:
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") else line
    return [_inline(c) for c in line.split("|")]


def card_sentences(text: str) -> list[Sentence]:
    """The card as plain sentences with their heading paths (see the module docstring)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = _FRONT_MATTER.sub("", text)
    text = _COMMENT.sub(" ", text)
    text = _html_to_markdown(text)
    text = re.sub(r"\b([Dd])e-([Cc]ontamin)", r"\1e\2", text)  # "de-contamination" = "decontamination"
    lines = text.split("\n")

    out: list[Sentence] = []
    headings: list[tuple[int, str]] = []
    para: list[str] = []
    table: list[str] = []

    def path() -> tuple[str, ...]:
        return tuple(h for _, h in headings)

    def flush_para() -> None:
        if para:
            out.extend(Sentence(s, path()) for s in _split_sentences(_inline(" ".join(para))))
            para.clear()

    def flush_table() -> None:
        if not table:
            return
        rows = [r for r in table if r.strip()]
        header: list[str] = []
        if len(rows) >= 2 and _TABLE_SEP.match(rows[1]):
            header, rows = _cells(rows[0]), rows[2:]
        for row in rows:
            if _TABLE_SEP.match(row):
                continue
            cells = _cells(row)
            parts = [f"{header[i]}: {c}" if i < len(header) and header[i] else c for i, c in enumerate(cells) if c]
            if parts:
                out.append(Sentence("; ".join(parts), path()))
        if header and not rows:
            out.append(Sentence("; ".join(h for h in header if h), path()))
        table.clear()

    def add_heading(level: int, title: str) -> None:
        title = _inline(title)
        while headings and headings[-1][0] >= level:
            headings.pop()
        if title:
            out.append(Sentence(title, path(), is_heading=True))
            headings.append((level, title))

    def table_goes_on(i: int) -> bool:
        """A blank line inside a table (HTML tables leave some): the next row is not a new table's header."""
        for j in range(i + 1, len(lines)):
            if lines[j].strip():
                return lines[j].strip().startswith("|") and not (
                    j + 1 < len(lines) and _TABLE_SEP.match(lines[j + 1]) and lines[j + 1].strip()
                )
        return False

    fence: str | None = None
    for i, raw in enumerate(lines):
        if fence is not None:  # inside a fenced code block: code, not claims
            if raw.strip().startswith(fence):
                fence = None
            continue
        if m := _FENCE.match(raw):
            flush_para(), flush_table()
            fence = m[1][0] * 3
            continue
        line = raw.strip()
        is_row = line.startswith("|") or ("|" in line and _TABLE_SEP.match(lines[i + 1] if i + 1 < len(lines) else ""))
        if is_row or (table and not line and table_goes_on(i)):
            flush_para()
            table.append(line)
            continue
        flush_table()
        if m := _HEADING.match(raw):
            flush_para()
            add_heading(len(m[1]), m[2])
            continue
        if (m := _SETEXT.match(raw)) and len(para) == 1 and i > 0 and lines[i - 1].strip():
            title = para.pop()
            add_heading(1 if m[1][0] == "=" else 2, title)
            continue
        if not line or _SETEXT.match(raw):  # blank line or a horizontal rule
            flush_para()
            continue
        line = re.sub(r"^(?:>\s?)+", "", line)
        if _LIST_ITEM.match(line):
            flush_para()
            line = _LIST_ITEM.sub("", line)
        para.append(line)
    flush_para()
    flush_table()
    return out


# ------------------------------------------------------------------------------------------- features

_I = re.I
# Words that contain "contamin" but are names, not claims: repo ids, slugs, CamelCase dataset names.
_CONTAM_TOKEN = re.compile(r"[\w./-]*contamin[\w./-]*", _I)
_PLAIN_TOKEN = re.compile(
    r"^(?:(?:test|benchmark|data|eval|evaluation|train|training|cross)-(?:set-)?)?(?:de)?contamin[a-z]*"
    r"(?:-(?:free|aware|resistant|resilient|robust|limited|checked|controlled|related|detection|checks?|"
    r"analysis|filtering|filtered))?$",
    _I,
)
_TITLE_NAME = re.compile(
    r"(?:\b[A-Z][\w-]*\s+)+Contamination(?:\s+[A-Z][\w-]*)*(?=\s+(?:dataset|corpus|collection|data ?set|suite)\b)"
    r"|(?:\b[A-Z][\w-]*\s+)*Contamination(?:\s+[A-Z][\w-]*)*\s+(?:Dataset|Corpus|Collection|Benchmark|Bench|Suite)\b"
)

_TERM = re.compile(
    r"\b(?:de)?contamin\w*"
    r"|\b(?:test[- ]?set|benchmark|evaluation|eval|train[- ]?test|test[- ]?data)\s+(?:leak(?:age|ed|s)?|overlap)\b"
    r"|\bdata leakage\b|\bleak\w*\s+into\s+(?:the\s+|our\s+)?(?:pre-?)?training",
    _I,
)
_OTHER_SENSE = re.compile(
    r"\b(?:soils?|groundwater|ground water|water|rivers?|lakes?|marine|environment\w*|pollut\w*|heavy[- ]metals?|"
    r"arsenic|mercury|pesticides?|microb\w*|bacteri\w*|fung\w*|foods?|crops?|agricultur\w*|radioactiv\w*|"
    r"radiation|nuclear|chemicals?|toxi\w*|hazardous|oil spills?|sewage|wastewater|sediments?|air quality|"
    r"specimens?|clinical|laborator\w*|lab|cell cultures?|sterile|pcr|dna|reagents?|mycotoxins?|"
    r"cross-contamination|hyperspectral|satellite|sites?)\b",
    _I,
)
_EVAL_SENSE = re.compile(
    r"\b(?:benchmarks?|test[- ]?sets?|test data|test splits?|evaluation (?:data|sets?|datasets?|benchmarks?|"
    r"results|suites?|prompts)|eval sets?|training (?:data|corpus|set)|pre-?training|fine-?tuning data|sft data|"
    r"leaderboards?|held[- ]out|mmlu|gsm8k|humaneval|mbpp|gpqa|livebench|livecodebench|"
    r"n-?grams?|\d+-grams?)\b",
    _I,
)

_DECON = re.compile(r"\bdecontaminat\w*", _I)
_NGRAM = re.compile(
    r"\b(?:\d{1,3}|n)[- ]?grams?\b|\bngrams?\b|\bexact[- ](?:string[- ]|substring[- ])?match\w*"
    r"|\bsubstring[- ]match\w*|\blongest common (?:substring|subsequence)|\bmin-?hash\w*|\bsuffix[- ]arrays?\b"
    r"|\b\d+[- ]?(?:characters?|chars?|tokens?|words?)[- ](?:substrings?|overlap\w*|windows?|match\w*)"
    r"|\b(?:string|token) overlap\b",
    _I,
)
_OVERLAP_VERB = re.compile(
    r"\b(?:overlap\w*|match\w*|dedup\w*|filter\w*|remov\w*|check\w*|scan\w*|flag\w*|exclud\w*|discard\w*|drop\w*)\b", _I
)
_TARGET = re.compile(
    r"\b(?:test[- ]?sets?|test (?:data|splits?|items|questions|problems|examples|samples)|benchmarks?"
    r"|evaluation (?:sets?|data|datasets?|prompts|questions|suites?|benchmarks?)|eval(?:uation)? sets?|held[- ]out)\b",
    _I,
)
_EMBED = re.compile(
    r"\bembeddings?(?:[- ]based)?[- ](?:similarit\w*|distances?|overlap\w*|search\w*|neighbou?rs?|match\w*)"
    r"|\b(?:semantic|cosine)[- ]similarit\w*|\bnearest[- ]neighbou?rs?\b"
    r"|\bsemantic(?:ally)?[- ](?:dedup\w*|overlap\w*|match\w*|duplicat\w*|equivalen\w*)"
    r"|\bparaphras\w*[- ](?:detection|check\w*|search\w*)|\bllm[- ]decontaminator\b|\bsentence[- ]embeddings?\b",
    _I,
)
_HELDOUT = re.compile(
    r"\b(?:held|hold|holds|holding)[- ]out\b|\bprivate (?:test|held-out|evaluation) (?:sets?|splits?)\b"
    r"|\bhidden test sets?\b|\bunseen (?:test|benchmark|evaluation)",
    _I,
)
_OWNER = r"(?:the |our |its |their |each model's |the model's |model's )?"
_CUTOFF = re.compile(
    rf"\b(?:after|post|beyond|later than|following)[- ]{_OWNER}(?:training|knowledge|data|pre-?training|model)"
    rf"[- ](?:data[- ])?cut-?off\b|\bpost[- ]cut-?off\b"
    rf"|\b(?:released|published|collected|created|written|posted) (?:after|since) {_OWNER}"
    rf"(?:training|knowledge|data|pre-?training)(?:[- ]data)?[- ](?:cut-?off|collection)",
    _I,
)
_DETECT = re.compile(
    r"\bcanary (?:strings?|guids?|tokens?)\b|\bmembership[- ]inference\b|\bmin-k\s*%|\bts-guessing\b"
    r"|\bperplexity[- ](?:based|analysis|gap|comparison)\b",
    _I,
)
_NEG_VERBS = (
    r"(?:perform\w*|run|ran|conduct\w*|appl\w*|check\w*|decontaminat\w*|filter\w*|verif\w*|test\w*|"
    r"audit\w*|investigat\w*|assess\w*|screen\w*|remov\w*|analy[sz]\w*|examin\w*|measur\w*|dedup\w*|"
    r"look\w*|control\w*|evaluat\w*)"
)
_NEGATED = re.compile(
    rf"\b(?:did|do|does|have|has|had|was|were|is|are|could|can|will)\s*(?:not|n't)\s+(?:\w+\s+){{0,3}}?{_NEG_VERBS}\b"
    r"|\bno\s+(?:\w+\s+){0,2}?(?:decontamination|contamination (?:checks?|analys[ie]s|detection|audits?|stud(?:y|ies)|"
    r"filtering))\b"
    r"|\bwithout\s+(?:any\s+)?(?:\w+\s+){0,2}?(?:decontamination|contamination (?:checks?|analys[ie]s|filtering))"
    r"|\bnot (?:been |yet )?(?:decontaminated|checked|verified|audited|screened|analy[sz]ed|measured)\b"
    r"|\bneither\b.*\bcontamin"
    r"|contamin[\w ()/-]*:\s*(?:no|none|not (?:done|checked|performed)|✗|❌|✘|×|x|n/?a|-|—|–|unknown|tbd)\s*(?:[.;]|$)",
    _I,
)
_CONTEXT_CHARS = 40  # how far around a "contamination" word its sense is judged


def _mask_names(text: str) -> str:
    def token(m: re.Match) -> str:
        tok = m[0].strip("./-")
        if _PLAIN_TOKEN.match(tok) and not re.search(r"[a-z][A-Z]", tok):
            return m[0]
        return m[0].replace(tok, "[name]")

    return _CONTAM_TOKEN.sub(token, _TITLE_NAME.sub("[name]", text))


def _senses(text: str) -> set[str]:
    """The senses of the contamination words in `text`, judged from the words around each: "eval" (an
    evaluation word near it), "other" (only another-sense word near it) or "ambiguous" (neither)."""
    out = set()
    for m in _TERM.finditer(text):
        around = text[max(0, m.start() - _CONTEXT_CHARS) : m.end() + _CONTEXT_CHARS]
        out.add("eval" if _EVAL_SENSE.search(around) else "other" if _OTHER_SENSE.search(around) else "ambiguous")
    return out


@dataclass(frozen=True)
class _Features:
    term: bool  # the sentence mentions contamination in the evaluation sense
    other: bool  # ... or in another sense
    in_section: bool  # a heading above it does (evaluation sense)
    negated: bool


def _rules_fired(s: Sentence, f: _Features, text: str) -> list[str]:
    fired: list[str] = []
    about = f.term or f.in_section
    if s.is_heading:
        return ["M1-mention"] if f.term else (["S1-other-sense"] if f.other else [])
    method = []
    if _DECON.search(text) and f.term:
        method.append("D1-decontamination")
    if _NGRAM.search(text) and (about or (_OVERLAP_VERB.search(text) and _TARGET.search(text))):
        method.append("D2-ngram-overlap")
    if _EMBED.search(text) and (about or _TARGET.search(text)):
        method.append("D3-embedding-similarity")
    if _CUTOFF.search(text) or (_HELDOUT.search(text) and about):
        method.append("D4-held-out-or-post-cutoff")
    if _DETECT.search(text) and (about or _TARGET.search(text)):
        method.append("D5-detection-technique")
    if f.negated and (f.term or method):
        fired.append("M2-check-not-done")
    else:
        fired += method
    if f.term:
        fired.append("M1-mention")
    if f.other and not f.term:
        fired.append("S1-other-sense")
    return fired


def classify(card: str) -> Verdict:
    """The verdict for one card's text (see RULES); deterministic, no I/O."""
    hits: dict[str, list[Sentence]] = {rule: [] for rule in RULES}
    sentences = [(s, _mask_names(s.text)) for s in card_sentences(card)]
    senses = {text: _senses(text) for _, text in sentences}
    found = set().union(*senses.values()) if senses else set()
    # An ambiguous mention takes the card's sense: another sense only if the card mentions contamination in
    # another sense and never explicitly in the evaluation sense (a soil-analysis card), else evaluation.
    ambiguous_is_eval = "eval" in found or "other" not in found

    def sense(text: str) -> tuple[bool, bool]:
        got = senses[text] if text in senses else _senses(text)
        evaluation = "eval" in got or ("ambiguous" in got and ambiguous_is_eval)
        return evaluation, bool(got) and not evaluation

    for s, text in sentences:
        term, other = sense(text)
        in_section = any(sense(_mask_names(h))[0] for h in s.headings)
        f = _Features(term, other, in_section, bool(_NEGATED.search(text)))
        for rule in _rules_fired(s, f, text):
            hits[rule].append(s)
    for verdict in (DISCLOSES, MENTIONS, SILENT):
        rules = [r for r, (v, _) in RULES.items() if v == verdict and hits[r]]
        if rules:
            evidence: list[str] = []
            for r in rules:  # the deciding rule's sentences first, then the other rules of the same verdict
                for s in hits[r]:
                    if s.evidence() not in evidence:
                        evidence.append(s.evidence())
            return Verdict(verdict, rules[0], tuple(evidence[:MAX_EVIDENCE]))
    return Verdict(SILENT, "S0-no-mention", ())
