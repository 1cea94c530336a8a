"""Keyed pseudonyms: participant_id = HMAC-SHA256(project key, normalised CPR).

The same CPR gets the same pseudonym within a project (so re-referrals and survey answers link up), but
nobody without the key can recompute it from a CPR number. The key comes from an environment variable,
else from a git-ignored key file (both read the same way: surrounding blanks removed), else, for a
synthetic demo project only (its raw data written by the simulator), from the config's public demo key.

A project key must be worth its name: at least 128 bits by the size of the alphabet it is written in
(32 hex digits, or 22 characters of `secrets.token_urlsafe`), not a character repeated or a short pattern,
and not a demo key. Anything else is refused with instructions, since with a weak key anyone holding the
CPR numbers can recompute every pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import string
from dataclasses import dataclass
from pathlib import Path

import yaml

from analysis.core.errors import ConfigError
from analysis.project.loader import SIMULATION_TRUTH_FILE, Project

PSEUDONYM_HEX_DIGITS = 24  # 96 bits: collisions are negligible even for millions of people
MIN_KEY_BITS = 128
MIN_DISTINCT_CHARACTERS = 8  # a random key of 128 bits has far more; fewer means a pattern such as "abab..."
HOW_TO_MAKE_A_KEY = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
_HEX = frozenset(string.hexdigits)
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/-_=")


@dataclass(frozen=True)
class PseudonymKey:
    """The secret behind the pseudonyms. `source` says where it came from; the key itself is never shown."""

    secret: bytes
    source: str
    is_demo: bool

    def __repr__(self) -> str:
        return f"PseudonymKey(source={self.source!r}, is_demo={self.is_demo})"


def key_bits(key: str) -> float:
    """Bits a key can carry at most: its length times log2 of the alphabet it is written in (16 for hex
    digits, 64 for base64 or base64url, 95 for any other printable text)."""
    alphabet = 16 if set(key) <= _HEX else 64 if set(key) <= _BASE64 else 95
    return len(key) * math.log2(alphabet)


def key_weakness(key: str) -> str | None:
    """Why a key is too weak to be a project key, or None when it is strong enough."""
    if len(set(key)) == 1:
        return "it is one character repeated"
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return f"it uses fewer than {MIN_DISTINCT_CHARACTERS} different characters (a pattern, not a random key)"
    if (bits := key_bits(key)) < MIN_KEY_BITS:
        return f"it carries at most {bits:.0f} bits and a key needs {MIN_KEY_BITS}"
    return None


def _demo_keys(project: Project) -> set[str]:
    """The public demo keys of this project and of every project beside it."""
    keys = set()
    for config in sorted((project.root / "config" / "projects").glob("*/config.yaml")):
        try:
            settings = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("pseudonym") or {}
        except (OSError, UnicodeError, yaml.YAMLError):
            continue
        if isinstance(settings, dict) and isinstance(settings.get("demo_key"), str):
            keys.add(settings["demo_key"].strip())
    demo = project.config["pseudonym"].get("demo_key")
    return keys | ({demo.strip()} if demo else set())


def _read_key_file(path: Path) -> str:
    """The text of a key file, stripped: UTF-8 (with or without a byte-order mark) or UTF-16 with one."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-16") if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(
            [
                f"{path}: the pseudonym key file is not text (UTF-8 expected): write the key as one line; "
                + HOW_TO_MAKE_A_KEY
            ]
        ) from None
    return text.strip()


def _checked(key: str, source: str, project: Project) -> PseudonymKey:
    if key in _demo_keys(project):
        problem = "it is a public demo key, which anyone can read in the repository"
    else:
        problem = key_weakness(key)
    if problem is not None:
        raise ConfigError(
            [
                f"{source}: the pseudonym key is refused: {problem}; {HOW_TO_MAKE_A_KEY} "
                f"(at least {MIN_KEY_BITS} bits, such as 32 hex digits)"
            ]
        )
    return PseudonymKey(key.encode("utf-8"), source, False)


def load_key(project: Project) -> PseudonymKey:
    """Find the project's key. Raises ConfigError with instructions when there is none or it is too weak, and
    for a demo key outside a synthetic project."""
    settings = project.config["pseudonym"]
    env_name = settings["key_env"]
    if value := os.environ.get(env_name, "").strip():
        return _checked(value, f"environment variable {env_name}", project)
    key_file = project.config_dir / "pseudonym.key"
    if key_file.exists() and (value := _read_key_file(key_file)):
        return _checked(value, str(key_file), project)
    if settings.get("demo_key"):
        if not project.is_synthetic:
            raise ConfigError(
                [
                    f"{project.config_dir / 'config.yaml'}: pseudonym.demo_key is set, but the raw data in "
                    f"{project.raw_dir} were not written by the simulator (no {SIMULATION_TRUTH_FILE}): a "
                    f"public key is for synthetic data only; remove demo_key and set the environment variable "
                    f"{env_name} or write a key to {key_file}; {HOW_TO_MAKE_A_KEY}"
                ]
            )
        return PseudonymKey(settings["demo_key"].encode("utf-8"), "demo key in config.yaml (synthetic data only)", True)
    raise ConfigError(
        [
            f"project '{project.name}' has no pseudonym key: set the environment variable {env_name} "
            f"or write a long random secret to {key_file} (git ignores *.key files); {HOW_TO_MAKE_A_KEY}; "
            f"keep it, since a new key gives every participant a new pseudonym"
        ]
    )


def pseudonymise(normalised_cpr: str, key: PseudonymKey) -> str:
    """The participant_id of a normalised (ten-digit) CPR number."""
    digest = hmac.new(key.secret, normalised_cpr.encode("ascii"), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX_DIGITS]
