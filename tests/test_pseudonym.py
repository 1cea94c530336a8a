import hashlib
import hmac

import pytest
import yaml
from conftest import DEFAULT_PROJECT

from analysis.clean.pseudonym import load_key, pseudonymise
from analysis.core.errors import ConfigError
from analysis.project.loader import Project, load_project


def _project(root, demo: bool) -> Project:
    for site in (
        "assens",
        "broenderslev",
        "fredensborg",
        "guldborgsund",
        "helsingoer",
        "hoeje-taastrup",
        "jammerbugt",
        "viborg",
        "silkeborg",
    ):
        (root / "data" / "raw" / DEFAULT_PROJECT / site).mkdir(parents=True, exist_ok=True)
    path = root / "config" / "projects" / DEFAULT_PROJECT / "config.yaml"
    config = yaml.safe_load(path.read_text())
    if not demo:
        config["pseudonym"].pop("demo_key")
    config["pseudonym"]["key_env"] = "BROBYGNING_TEST_KEY"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return load_project(DEFAULT_PROJECT, root)


def test_pseudonym_is_hmac_sha256_of_the_normalised_number(project_root, monkeypatch):
    monkeypatch.setenv("BROBYGNING_TEST_KEY", "s3cret")
    key = load_key(_project(project_root, demo=True))
    expected = hmac.new(b"s3cret", b"7103851233", hashlib.sha256).hexdigest()[:24]
    assert pseudonymise("7103851233", key) == expected
    assert not key.is_demo and "s3cret" not in repr(key)


def test_key_file_is_used_when_no_variable_is_set(project_root, monkeypatch):
    monkeypatch.delenv("BROBYGNING_TEST_KEY", raising=False)
    project = _project(project_root, demo=False)
    (project.config_dir / "pseudonym.key").write_text("from-file\n")
    key = load_key(project)
    assert key.secret == b"from-file" and not key.is_demo


def test_demo_key_is_flagged(project_root, monkeypatch):
    monkeypatch.delenv("BROBYGNING_TEST_KEY", raising=False)
    assert load_key(_project(project_root, demo=True)).is_demo


def test_a_real_project_without_key_is_refused_with_instructions(project_root, monkeypatch):
    monkeypatch.delenv("BROBYGNING_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="set the environment variable BROBYGNING_TEST_KEY"):
        load_key(_project(project_root, demo=False))


def test_different_keys_give_unlinkable_pseudonyms(project_root, monkeypatch):
    project = _project(project_root, demo=False)
    monkeypatch.setenv("BROBYGNING_TEST_KEY", "one")
    first = pseudonymise("7103851233", load_key(project))
    monkeypatch.setenv("BROBYGNING_TEST_KEY", "two")
    assert pseudonymise("7103851233", load_key(project)) != first
