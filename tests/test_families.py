from pathlib import Path

import pytest

from hubsignal.families import FamiliesError, load_families
from hubsignal.settings import DEFAULT_FAMILIES_FILE

REQUIRED = {
    "Qwen",
    "Llama",
    "DeepSeek",
    "Mistral",
    "Gemma",
    "Phi",
    "GLM",
    "Kimi",
    "MiniMax",
    "Nemotron",
    "gpt-oss",
    "OLMo",
    "Granite",
    "Falcon",
    "Yi",
    "SmolLM",
    "Command",
}


def test_bundled_families_cover_design_and_renamed_orgs():
    fams = load_families(DEFAULT_FAMILIES_FILE)
    assert REQUIRED <= {f.name for f in fams.families}
    assert fams.version
    assert fams.family_of("THUDM/glm-4-9b-chat") == fams.family_of("zai-org/GLM-4.6") == "GLM"
    assert (
        fams.family_of("CohereForAI/c4ai-command-r-v01")
        == fams.family_of("CohereLabs/c4ai-command-a-03-2025")
        == "Command"
    )
    assert fams.family_of("google/gemma-3-4b-it") == "Gemma"
    assert fams.family_of("google/t5-base") is None  # an org's non-family models are not counted
    assert fams.family_of("microsoft/Phi-4-mini-instruct") == "Phi"
    assert fams.family_of("unknown-org/model") is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "families.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "version: '1'\nfamilies:\n  - name: Qwen\n    orgs: [Qwen]\n    colour: red\n",
            "family 'Qwen': unknown key(s) ['colour']",
        ),
        (
            "version: '1'\nfamilies:\n  - name: A\n    orgs: [x]\n  - name: B\n    orgs: [X]\n",
            "family 'B': org 'X' is already listed under family 'A'",
        ),
        ("version: '1'\nfamilies:\n  - name: Empty\n    orgs: []\n", "family 'Empty': 'orgs' must be a non-empty list"),
        (
            "version: '1'\nfamilies:\n  - name: Bad\n    orgs: [x]\n    include: ['gemma(']\n",
            "family 'Bad' include pattern 'gemma('",
        ),
        (
            "version: '1'\nfamilies:\n  - name: Bad\n    orgs: [x]\n    include: ['(?=lookahead)']\n",
            "family 'Bad' include pattern",
        ),
        ("families:\n  - name: A\n    orgs: [x]\n", "version: a non-empty string is required"),
        ("version: '1'\nfamilies: []\nextra: 1\n", "top level: unknown key(s) ['extra']"),
    ],
)
def test_invalid_families_file_names_file_and_entry(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(FamiliesError) as err:
        load_families(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_python_family_of_equals_the_sql_macro(tmp_path):
    """Families.family_of (Python callers) and model_family/in_family (sql/ddl/60_shared_rules.sql, every model
    and check) are two spellings of one rule: they must agree on every id, with the real families file."""
    from hubsignal.families import write_families
    from hubsignal.warehouse import open_warehouse

    fams = load_families(DEFAULT_FAMILIES_FILE)
    names = [
        "gemma-3-4b-it",
        "Gemma-2-9B",
        "t5-base",
        "Phi-4-mini-instruct",
        "phi-2",
        "graphi-1",
        "GLM-4.6",
        "glm-4-9b-chat",
        "chatglm3-6b",
        "Kimi-K2-Instruct",
        "Moonlight-16B",
        "gpt-oss-20b",
        "my-gpt-oss",
        "OLMo-2-7B",
        "granite-3.1-8b",
        "falcon-7b",
        "Yi-34B",
        "tiny-yi",
        "SmolLM2-1.7B",
        "c4ai-command-r-v01",
        "aya-expanse-8b",
        "Qwen3-8B",
        "Llama-3.1-8B",
        "",
        "a/b",
    ]
    orgs = [org for f in fams.families for org in f.orgs] + ["unknown-org", "qwen-community", "openai-community"]
    ids = [f"{spelled}/{name}" for org in orgs for spelled in (org, org.lower(), org.upper()) for name in names]
    ids += ["Qwen", "google", "no-slash-at-all"]
    python = {i: fams.family_of(i) for i in ids}
    assert {"Gemma", "Phi", "GLM", "Command", "gpt-oss", None} <= set(python.values())  # the cases are exercised

    with open_warehouse(tmp_path / "w.duckdb") as con:
        write_families(con, fams)
        sql = dict(con.execute("SELECT id, model_family(id) FROM unnest(?) AS t(id)", [ids]).fetchall())
        per_row = dict(
            con.execute(  # the join form the models use gives the same answer
                "SELECT id, min(f.family) FROM unnest(?) AS t(id) LEFT JOIN staging.families AS f "
                "ON in_family(id, f.org, f.include_pattern, f.exclude_pattern) GROUP BY id",
                [ids],
            ).fetchall()
        )
    assert sql == python
    assert per_row == python
