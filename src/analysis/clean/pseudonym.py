"""Keyed pseudonyms: participant_id = HMAC-SHA256(project key, normalised CPR).

The same CPR gets the same pseudonym within a project (so re-referrals and survey answers link up), but
nobody without the key can recompute it from a CPR number. The key comes from an environment variable,
else from a git-ignored key file, else (synthetic demo projects only) from the config's public demo key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from analysis.core.errors import ConfigError
from analysis.project.loader import Project

PSEUDONYM_HEX_DIGITS = 24  # 96 bits: collisions are negligible even for millions of people


@dataclass(frozen=True)
class PseudonymKey:
    """The secret behind the pseudonyms. `source` says where it came from; the key itself is never shown."""

    secret: bytes
    source: str
    is_demo: bool

    def __repr__(self) -> str:
        return f"PseudonymKey(source={self.source!r}, is_demo={self.is_demo})"


def load_key(project: Project) -> PseudonymKey:
    """Find the project's key. Raises ConfigError with instructions when a real project has none."""
    settings = project.config["pseudonym"]
    env_name = settings["key_env"]
    if os.environ.get(env_name):
        return PseudonymKey(os.environ[env_name].encode("utf-8"), f"environment variable {env_name}", False)
    key_file = project.config_dir / "pseudonym.key"
    if key_file.exists() and key_file.read_text(encoding="utf-8").strip():
        return PseudonymKey(key_file.read_text(encoding="utf-8").strip().encode("utf-8"), str(key_file), False)
    if settings.get("demo_key"):
        return PseudonymKey(settings["demo_key"].encode("utf-8"), "demo key in config.yaml (synthetic data only)", True)
    raise ConfigError(
        [
            f"project '{project.name}' has no pseudonym key: set the environment variable {env_name} "
            f"or write a long random secret to {key_file} (git ignores *.key files); keep it, since a "
            f"new key gives every participant a new pseudonym"
        ]
    )


def pseudonymise(normalised_cpr: str, key: PseudonymKey) -> str:
    """The participant_id of a normalised (ten-digit) CPR number."""
    digest = hmac.new(key.secret, normalised_cpr.encode("ascii"), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX_DIGITS]
