"""The evaluator's guide, in both languages, explains every setting and every codebook rule the schemas allow.

When a key, site-sheet column, codebook section or code is added to a schema, this fails until both guides
name it (in backticks, as the guides name every key), so the guide cannot go stale silently.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import REPO
from test_scaffold import schema_keys

from analysis.project.loader import load_schema

GUIDES = ["docs/evaluator-guide.md", "docs/evaluator-guide.da.md"]


def _enums(node: object) -> set[str]:
    """The allowed names of every mapping in a schema that restricts its keys (canonical columns, codes)."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "propertyNames":
                found |= {str(v) for v in value.get("enum", [])}
            found |= _enums(value)
    elif isinstance(node, list):
        for value in node:
            found |= _enums(value)
    return found


def _names(schema_name: str) -> set[str]:
    schema = load_schema(schema_name)
    return schema_keys(schema) | _enums(schema)


@pytest.mark.parametrize("guide", GUIDES)
@pytest.mark.parametrize("schema_name", ["config.schema.yaml", "sites.schema.yaml", "codebook.schema.yaml"])
def test_the_guide_names_everything_the_schema_allows(guide, schema_name):
    text = (REPO / guide).read_text(encoding="utf-8")
    missing = sorted(name for name in _names(schema_name) if f"`{name}`" not in text and f'`"{name}"`' not in text)
    assert not missing, f"{guide} does not explain {missing} from {schema_name}"


@pytest.mark.parametrize("schema_name", ["config.schema.yaml", "sites.schema.yaml"])
def test_config_readme_names_every_setting(schema_name):
    """config/README.md (where the Snakemake workflow catalog looks) lists every setting of a project."""
    text = (REPO / "config" / "README.md").read_text(encoding="utf-8")
    schema = load_schema(schema_name)
    top = set(schema["properties"]) | {k for v in schema["properties"].values() for k in v.get("properties", {})}
    missing = sorted(name for name in top if f"`{name}`" not in text)
    assert not missing, f"config/README.md does not explain {missing} from {schema_name}"


def test_config_readme_names_every_workflow_setting():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "workflow.schema.yaml").read_text(encoding="utf-8"))
    text = (REPO / "config" / "README.md").read_text(encoding="utf-8")
    assert not [name for name in schema["properties"] if f"`{name}`" not in text]


def test_the_names_looked_for_are_the_real_ones():
    """Guards the test itself: it looks for settings, sections, canonical columns and codes alike."""
    assert {"extraction_date", "key_env", "from", "covariates"} <= _names("config.schema.yaml")
    assert {
        "scale_of",
        "drop",
        "required",
        "range",
        "codes",
        "missing",
        "who5_3",
        "last_contact_date",
        "own_exercise",
        "true",
    } <= _names("codebook.schema.yaml")


def test_the_readme_links_both_guides():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert all(guide in readme for guide in GUIDES)
