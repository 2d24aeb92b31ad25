from pathlib import Path

import pytest

from hubsignal.families import FamiliesError, load_families
from hubsignal.settings import DEFAULT_FAMILIES_FILE

REQUIRED = {"Qwen", "Llama", "DeepSeek", "Mistral", "Gemma", "Phi", "GLM", "Kimi", "MiniMax", "Nemotron",
            "gpt-oss", "OLMo", "Granite", "Falcon", "Yi", "SmolLM", "Command"}


def test_bundled_families_cover_design_and_renamed_orgs():
    fams = load_families(DEFAULT_FAMILIES_FILE)
    assert REQUIRED <= {f.name for f in fams.families}
    assert fams.version
    assert fams.family_of("THUDM/glm-4-9b-chat") == fams.family_of("zai-org/GLM-4.6") == "GLM"
    assert fams.family_of("CohereForAI/c4ai-command-r-v01") == fams.family_of("CohereLabs/c4ai-command-a-03-2025") == "Command"
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
        ("version: '1'\nfamilies:\n  - name: Qwen\n    orgs: [Qwen]\n    colour: red\n", "family 'Qwen': unknown key(s) ['colour']"),
        ("version: '1'\nfamilies:\n  - name: A\n    orgs: [x]\n  - name: B\n    orgs: [X]\n", "family 'B': org 'X' is already listed under family 'A'"),
        ("version: '1'\nfamilies:\n  - name: Empty\n    orgs: []\n", "family 'Empty': 'orgs' must be a non-empty list"),
        ("version: '1'\nfamilies:\n  - name: Bad\n    orgs: [x]\n    include: ['gemma(']\n", "family 'Bad' include pattern 'gemma('"),
        ("version: '1'\nfamilies:\n  - name: Bad\n    orgs: [x]\n    include: ['(?=lookahead)']\n", "family 'Bad' include pattern"),
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
