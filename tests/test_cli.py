"""The `certfed` command line, run as a real process, and `certfed serve` as a real server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ENTRY = [sys.executable, "-c", "from certfed.platform.cli import main; main()"]


@pytest.fixture
def env(tmp_path: Path) -> dict:
    e = dict(os.environ)
    e["CERTFED_DATA_DIR"] = str(tmp_path / "data")
    e["CERTFED_DATABASE_URL"] = ""
    e.pop("DJANGO_SETTINGS_MODULE", None)
    return e


def run(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ENTRY, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def ok(env: dict, *args: str, stdin: str | None = None) -> str:
    r = run(env, *args, stdin=stdin)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_init_creates_sqlite_in_the_data_folder(env, tmp_path):
    out = ok(env, "init")
    assert (tmp_path / "data" / "certfed.sqlite3").exists()
    assert "SQLite" in out
    assert ok(env, "init")  # migrating again is harmless


def test_database_url_picks_another_sqlite_file(env, tmp_path):
    env["CERTFED_DATABASE_URL"] = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    ok(env, "init")
    assert (tmp_path / "elsewhere.db").exists()
    assert not (tmp_path / "data" / "certfed.sqlite3").exists()


def test_org_user_and_key_then_the_key_works(env):
    ok(env, "init")
    ok(env, "org", "create", "Alpha CERT", "--short", "ALPHA", "--country", "MY",
       "--category", "full")  # fmt: skip
    out = ok(env, "user", "create", "a@alpha.example", "--org", "ALPHA", "--role", "org-admin",
             "--password-stdin", stdin="a-long-enough-passphrase\n")  # fmt: skip
    assert "a@alpha.example" in out
    out = ok(env, "apikey", "create", "--user", "a@alpha.example", "--scope", "write")
    key = out.strip().splitlines()[-1]
    assert key.startswith("cfk_") and len(key) > 40
    # The key is stored only as a hash: nowhere in the database files (WAL included).
    db = Path(env["CERTFED_DATA_DIR"]) / "certfed.sqlite3"
    blob = b"".join(p.read_bytes() for p in db.parent.glob("certfed.sqlite3*"))
    assert key.encode() not in blob
    code = (
        "import django,os;django.setup();from certfed.members.auth import user_for_api_key;"
        f"print(user_for_api_key({key!r})[0].email)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"DJANGO_SETTINGS_MODULE": "certfed.platform.settings"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.stdout.strip() == "a@alpha.example", r.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["org", "create", "X", "--short", "ALPHA", "--country", "MY", "--category", "full"],
         "already taken"),
        (["org", "create", "X", "--short", "NEW", "--country", "XX", "--category", "full"],
         "'XX'"),
        (["org", "create", "X", "--short", "NEW", "--country", "MY", "--category", "gold"],
         "gold"),
        (["user", "create", "b@x.example", "--org", "NOPE", "--role", "analyst"], "NOPE"),
        (["user", "create", "not-an-email", "--org", "ALPHA", "--role", "analyst"],
         "not-an-email"),
        (["user", "create", "c@x.example", "--org", "ALPHA", "--role", "king"], "king"),
        (["apikey", "create", "--user", "nobody@x.example"], "nobody@x.example"),
        (["org", "create", "X"], "--short"),
        (["frobnicate"], "frobnicate"),
    ],
)  # fmt: skip
def test_errors_are_one_line_and_non_zero(env, args, needle):
    ok(env, "init")
    ok(env, "org", "create", "Alpha", "--short", "ALPHA", "--country", "MY", "--category", "full")
    r = run(env, *args)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert needle in lines[0]


def test_weak_password_from_stdin_is_refused(env):
    ok(env, "init")
    ok(env, "org", "create", "Alpha", "--short", "ALPHA", "--country", "MY", "--category", "full")
    r = run(env, "user", "create", "a@alpha.example", "--org", "ALPHA", "--role", "analyst",
            "--password-stdin", stdin="short\n")  # fmt: skip
    assert r.returncode == 1 and "password" in r.stderr


def test_unreachable_postgres_is_one_clear_line(env):
    env["CERTFED_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/certfed"
    r = run(env, "init")
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1 and "database" in r.stderr


def test_bad_database_url_scheme(env):
    env["CERTFED_DATABASE_URL"] = "mysql://x/y"
    r = run(env, "init")
    assert r.returncode == 1 and "CERTFED_DATABASE_URL" in r.stderr


def test_serve_refuses_an_uninitialised_database(env):
    r = run(env, "serve", "--port", str(_free_port()))
    assert r.returncode == 1 and "certfed init" in r.stderr


def test_serve_refuses_an_unknown_warm_up_part(env):
    ok(env, "init")
    env["CERTFED_WARM_UP"] = "warninglists,everything"
    r = run(env, "serve", "--port", str(_free_port()))
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [
        "certfed: CERTFED_WARM_UP: everything is not one of warninglists, match"
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read() if proc.stdout else "server exited")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_serve_is_gunicorn_and_serves_api_and_static(env):
    ok(env, "init")
    env["CERTFED_WARM_UP"] = "warninglists,match"  # the workers' warm-up must not hurt them
    port = _free_port()
    proc = subprocess.Popen(
        [*ENTRY, "serve", "--port", str(port)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/login/", proc)
        with urllib.request.urlopen(base + "/static/certfed/certfed.css") as r:  # noqa: S310
            assert r.status == 200 and "text/css" in r.headers["Content-Type"]
        with urllib.request.urlopen(base + "/api/v1/openapi.json") as r:  # noqa: S310
            assert "/api/v1/events" in json.load(r)["paths"]
        with urllib.request.urlopen(base + "/api/v1/events") as r:  # noqa: S310
            assert json.load(r)["count"] == 0
        try:
            urllib.request.urlopen(base + "/api/v1/me")  # noqa: S310
        except urllib.error.HTTPError as exc:
            assert exc.code == 401 and json.load(exc)["detail"]
        with urllib.request.urlopen(base + "/login/") as r:  # noqa: S310
            assert "gunicorn" in r.headers.get("Server", "").lower()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_demo_loads_prints_logins_and_is_idempotent(env):
    out = ok(env, "demo", "--no-serve")
    assert "Demo logins" in out and "@" in out
    again = ok(env, "demo", "--no-serve")
    assert "already loaded" in again


def _federation(env) -> None:
    ok(env, "init")
    ok(env, "org", "create", "Alpha", "--short", "ALPHA", "--country", "MY", "--category", "full")
    ok(env, "org", "create", "Bravo", "--short", "BRAVO", "--country", "ID", "--category", "full")


def test_import_csv_is_transactional_and_idempotent(env, tmp_path):
    _federation(env)
    good = tmp_path / "iocs.csv"
    good.write_text("value,type,comment\nhxxp://evil[.]example[.]com/x,,phish\n192.0.2.10,,\n")
    out = ok(env, "import", str(good), "--org", "ALPHA", "--tlp", "GREEN",
             "--distribution", "federation")  # fmt: skip
    assert "1 created" in out and "indicators written: 2" in out
    again = ok(env, "import", str(good), "--org", "ALPHA")
    assert "1 unchanged" in again and "indicators written: 0" in again
    bad = tmp_path / "bad.csv"
    bad.write_text("value,type\n192.0.2.11,ipv4\n1.2.3.999,ipv4\n")
    r = run(env, "import", str(bad), "--org", "ALPHA")
    assert r.returncode == 1 and "line 3" in r.stderr and "1.2.3.999" in r.stderr
    kept = ok(env, "import", str(bad), "--org", "ALPHA", "--skip-invalid")
    assert "indicators written: 1" in kept and "line 3" in kept


def test_import_refuses_labels_that_break_the_rules(env, tmp_path):
    _federation(env)
    f = tmp_path / "x.csv"
    f.write_text("value\n192.0.2.12\n")
    r = run(env, "import", str(f), "--org", "ALPHA", "--tlp", "RED", "--distribution", "public")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "--distribution" in r.stderr
    r = run(env, "import", str(f), "--tlp", "GREEN")
    assert r.returncode == 2 and "--org" in r.stderr
