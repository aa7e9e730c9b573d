"""Where certfed keeps its data and which database it uses, read from the environment.

Kept free of Django imports so the CLI can report a bad setting before Django starts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(Exception):
    """A setting in the environment cannot be used; the message names it."""


def data_dir() -> Path:
    """The local data folder: CERTFED_DATA_DIR, else ./data in the working directory."""
    raw = os.environ.get("CERTFED_DATA_DIR", "").strip()
    path = Path(raw) if raw else Path.cwd() / "data"
    return path.expanduser().resolve()


def database_url() -> str:
    """CERTFED_DATABASE_URL, else the embedded SQLite file in the data folder."""
    url = os.environ.get("CERTFED_DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{data_dir() / 'certfed.sqlite3'}"
    scheme = urlparse(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ConfigError(
            f"CERTFED_DATABASE_URL: unsupported scheme {scheme!r} "
            "(use sqlite:///path/to/file or postgresql://user@host:port/name)"
        )
    return url


def secret_key() -> str:
    """CERTFED_SECRET_KEY, else a random key created once and kept in the data folder."""
    key = os.environ.get("CERTFED_SECRET_KEY", "").strip()
    if key:
        return key
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()
