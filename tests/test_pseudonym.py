import hashlib
import hmac

import pytest
import yaml
from conftest import DEFAULT_PROJECT, TEST_KEY

from analysis.clean.pseudonym import MIN_KEY_BITS, key_bits, load_key, pseudonymise
from analysis.core.errors import ConfigError
from analysis.project.loader import SIMULATION_TRUTH_FILE, Project, load_project

STRONG = "9b1f0c7e5a3d48f2b6e1a0c9d8f7e6b5"  # 32 hex digits: 128 bits
SITES = (
    "assens",
    "broenderslev",
    "fredensborg",
    "guldborgsund",
    "helsingoer",
    "hoeje-taastrup",
    "jammerbugt",
    "viborg",
    "silkeborg",
)


def _project(root, demo: bool, synthetic: bool = False) -> Project:
    """The default project's config in `root`, without its key file; `demo` keeps the config's demo key,
    `synthetic` marks the raw data as the simulator's (its truth record beside them)."""
    for site in SITES:
        (root / "data" / "raw" / DEFAULT_PROJECT / site).mkdir(parents=True, exist_ok=True)
    if synthetic:
        (root / "data" / "raw" / DEFAULT_PROJECT / SIMULATION_TRUTH_FILE).write_text("{}\n", encoding="utf-8")
    config_dir = root / "config" / "projects" / DEFAULT_PROJECT
    (config_dir / "pseudonym.key").unlink(missing_ok=True)
    config = yaml.safe_load((config_dir / "config.yaml").read_text())
    if not demo:
        config["pseudonym"].pop("demo_key")
    config["pseudonym"]["key_env"] = "BROBYGNING_TEST_KEY"
    (config_dir / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    return load_project(DEFAULT_PROJECT, root)


def test_pseudonym_is_hmac_sha256_of_the_normalised_number(project_root, monkeypatch):
    monkeypatch.setenv("BROBYGNING_TEST_KEY", STRONG)
    key = load_key(_project(project_root, demo=True))
    expected = hmac.new(STRONG.encode(), b"7103851233", hashlib.sha256).hexdigest()[:24]
    assert pseudonymise("7103851233", key) == expected
    assert not key.is_demo and STRONG not in repr(key)


def test_key_file_is_used_when_no_variable_is_set(project_root, monkeypatch):
    monkeypatch.delenv("BROBYGNING_TEST_KEY", raising=False)
    project = _project(project_root, demo=False)
    (project.config_dir / "pseudonym.key").write_text(f"  {STRONG}\r\n")
    key = load_key(project)
    assert key.secret == STRONG.encode() and not key.is_demo


@pytest.mark.parametrize("written", [f" {STRONG}\n", f"\t{STRONG}\r\n", STRONG])
def test_file_and_environment_values_are_read_the_same_way(project_root, monkeypatch, written):
    project = _project(project_root, demo=False)
    monkeypatch.setenv("BROBYGNING_TEST_KEY", written)
    from_env = load_key(project).secret
    monkeypatch.delenv("BROBYGNING_TEST_KEY")
    (project.config_dir / "pseudonym.key").write_text(written)
    assert load_key(project).secret == from_env == STRONG.encode()


def test_a_key_file_saved_as_utf16_by_windows_tools_gives_the_same_key(project_root, monkeypatch):
    monkeypatch.delenv("BROBYGNING_TEST_KEY", raising=False)
    project = _project(project_root, demo=False)
    (project.config_dir / "pseudonym.key").write_bytes(f"{STRONG}\r\n".encode("utf-16"))  # with a byte-order mark
    assert load_key(project).secret == STRONG.encode()


def test_an_undecodable_key_file_is_one_line_naming_the_file(project_root, monkeypatch):
    monkeypatch.delenv("BROBYGNING_TEST_KEY", raising=False)
    project = _project(project_root, demo=False)
    key_file = project.config_dir / "pseudonym.key"
    key_file.write_bytes(b"\x9b\xff\xfe" + bytes(range(200, 240)))
    with pytest.raises(ConfigError) as caught:
        load_key(project)
    assert len(caught.value.problems) == 1 and "\n" not in str(caught.value)
    assert str(key_file) in str(caught.value) and "secrets.token_urlsafe" in str(caught.value)


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("7", "one character repeated"),
        ("a" * 64, "one character repeated"),
        ("abababababababababababababababababab", "fewer than 8 different characters"),
        ("0123456789abcdef0123456789abcde", "at most 124 bits"),  # 31 hex digits
        ("Tr0ub4dor&3", "at most 72 bits"),
        ("CNJzA6F_W04E6CCE6_Uc", "at most 120 bits"),  # secrets.token_urlsafe(15)
    ],
)
def test_weak_keys_are_refused_with_how_to_make_one(project_root, monkeypatch, key, why):
    monkeypatch.setenv("BROBYGNING_TEST_KEY", key)
    with pytest.raises(ConfigError, match=why) as caught:
        load_key(_project(project_root, demo=False))
    message = str(caught.value)
    assert key not in message.replace("BROBYGNING_TEST_KEY", "") or len(key) == 1
    assert "secrets.token_urlsafe(32)" in message and "environment variable BROBYGNING_TEST_KEY" in message


@pytest.mark.parametrize(
    "key",
    [
        STRONG,
        TEST_KEY,
        "4630f82870457c2e74f927a6a6a43c79",  # secrets.token_hex(16)
        "Gn0CtX9ksCQU2GRxNOZmxszyUe5yJhX_W_HNYPXi8uQ",  # secrets.token_urlsafe(32)
        "116gvJtXHBdVRaic082cpQ",  # secrets.token_urlsafe(16)
    ],
)
def test_keys_of_128_bits_are_accepted(project_root, monkeypatch, key):
    monkeypatch.setenv("BROBYGNING_TEST_KEY", key)
    assert key_bits(key) >= MIN_KEY_BITS
    assert load_key(_project(project_root, demo=False)).secret == key.encode()


def test_demo_key_is_flagged_in_a_synthetic_project(project_root, monkeypatch):
    monkeypatch.delenv("BROBYGNING_TEST_KEY", raising=False)
    assert load_key(_project(project_root, demo=True, synthetic=True)).is_demo


def test_demo_key_is_refused_for_data_the_simulator_did_not_write(project_root, monkeypatch):
    monkeypatch.delenv("BROBYGNING_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match=f"pseudonym.demo_key is set.*no {SIMULATION_TRUTH_FILE}"):
        load_key(_project(project_root, demo=True, synthetic=False))


@pytest.mark.parametrize("where", ["environment", "file"])
def test_a_demo_key_given_as_the_project_key_is_refused(project_root, monkeypatch, where):
    project = _project(project_root, demo=False)
    demo = yaml.safe_load((project_root / "config" / "projects" / DEFAULT_PROJECT / "config.yaml").read_text())
    assert "demo_key" not in demo["pseudonym"]  # this project has none: the key is another project's
    other = project_root / "config" / "projects" / "another-demo"
    other.mkdir(parents=True)
    (other / "config.yaml").write_text("pseudonym:\n  demo_key: public-demo-key-for-everyone-0123456789\n")
    key = "public-demo-key-for-everyone-0123456789"
    monkeypatch.delenv("BROBYGNING_TEST_KEY", raising=False)
    if where == "environment":
        monkeypatch.setenv("BROBYGNING_TEST_KEY", key)
    else:
        (project.config_dir / "pseudonym.key").write_text(key + "\n")
    with pytest.raises(ConfigError, match="public demo key"):
        load_key(project)


def test_a_real_project_without_key_is_refused_with_instructions(project_root, monkeypatch):
    monkeypatch.delenv("BROBYGNING_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="set the environment variable BROBYGNING_TEST_KEY"):
        load_key(_project(project_root, demo=False))


def test_different_keys_give_unlinkable_pseudonyms(project_root, monkeypatch):
    project = _project(project_root, demo=False)
    monkeypatch.setenv("BROBYGNING_TEST_KEY", STRONG)
    first = pseudonymise("7103851233", load_key(project))
    monkeypatch.setenv("BROBYGNING_TEST_KEY", TEST_KEY)
    assert pseudonymise("7103851233", load_key(project)) != first
