"""A real browser against a real server: `certfed serve` (gunicorn, WhiteNoise) on a fresh
database, driven by headless Chromium through Playwright. Never downloads a browser: it uses
Debian's /usr/bin/chromium, which scripts/test.sh installs. A missing browser is a failure,
not a skip, unless CERTFED_SKIP_BROWSER=1 says so explicitly."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLI = [sys.executable, "-c", "from certfed.platform.cli import main; main()"]
EMAIL = "analyst@browser-cert.example"
PASSWORD = "Violet-Harbour-Signal-93"
SHA256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
PASTED = f"""From: soc@partner-cert.example
Subject: phishing kit seen again

The landing page is hxxps://account-verify[.]example[.]com/signin/index.php and the
kit posts to 198.51.100[.]23 on port 8443. Attachment SHA-256:
{SHA256}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_admin_url(url: str) -> str:
    # libpq does not know dj-database-url's "pgsql" alias; the maintenance database
    # "postgres" always exists, the configured one may not.
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))


@pytest.fixture
def database_url(tmp_path):
    base = os.environ.get("CERTFED_DATABASE_URL", "").strip()
    if not base.startswith(("postgres", "pgsql")):
        yield f"sqlite:///{tmp_path / 'browser.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    name = f"certfed_browser_{secrets.token_hex(6)}"
    admin = _postgres_admin_url(base)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _cli(env: dict, *args: str, stdin: str | None = None) -> None:
    result = subprocess.run(
        [*CLI, *args], env=env, input=stdin, text=True, capture_output=True, timeout=180
    )
    assert result.returncode == 0, f"certfed {' '.join(args)} failed:\n{result.stderr}"


def _wait_until_up(proc: subprocess.Popen, url: str, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"certfed serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    pytest.fail(f"certfed serve did not answer within {seconds} s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()  # gunicorn's master stops its workers on SIGTERM
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the server's own session: master and workers
        proc.wait(timeout=5)


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CERTFED_SKIP_BROWSER") == "1":
            pytest.skip(f"{CHROMIUM} is not installed and CERTFED_SKIP_BROWSER=1")
        pytest.fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def server(chromium, tmp_path, database_url):
    # `chromium` comes first so a missing browser stops the test before any database is created.
    env = os.environ.copy()
    env["CERTFED_DATA_DIR"] = str(tmp_path / "data")
    env["CERTFED_DATABASE_URL"] = database_url
    env.pop("CERTFED_DEBUG", None)
    _cli(env, "init")
    _cli(env, "org", "create", "Browser National CERT", "--short", "BRCERT",
         "--country", "MY", "--category", "full")  # fmt: skip
    _cli(env, "user", "create", EMAIL, "--org", "BRCERT", "--role", "analyst",
         "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip

    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(proc, f"{base}/login/", log)
        yield base
    finally:
        _stop(proc)


def test_log_in_paste_indicators_and_see_the_event(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            stylesheets: dict[str, int] = {}
            page.on(
                "response",
                lambda r: stylesheets.__setitem__(r.url, r.status) if ".css" in r.url else None,
            )

            page.goto(f"{server}/events/")
            expect(page).to_have_url(re.compile(r"/login/\?next=/events/$"))
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page).to_have_url(f"{server}/events/")
            expect(page.locator(".who")).to_contain_text(EMAIL)

            page.locator("nav.mainnav").get_by_role("link", name="New event").click()
            expect(page).to_have_url(f"{server}/events/new/")
            page.get_by_label("Title").fill("Phishing kit from the browser test")
            page.get_by_label("Tags").fill("T1566.002, phishing")
            page.get_by_label("TLP").select_option("GREEN")
            page.get_by_label("Distribution").select_option("federation")
            page.get_by_label("Published").check()
            page.get_by_label("Indicators").fill(PASTED)

            page.get_by_role("button", name="Preview indicators").click()
            expect(page.locator("table.preview")).to_contain_text("198.51.100.23")
            page.get_by_role("button", name="Create event").click()

            expect(page).to_have_url(re.compile(r"/events/[0-9a-f-]{36}/$"))
            expect(page.locator("h1")).to_have_text("Phishing kit from the browser test")
            table = page.locator("table.indicators")
            expect(table).to_contain_text("https://account-verify.example.com/signin/index.php")
            expect(table).to_contain_text("198.51.100.23")
            expect(table).to_contain_text(SHA256)
            expect(table.locator("tbody tr")).to_have_count(3)
            expect(page.locator(".badges .tlp").first).to_have_text("TLP:GREEN")
            page.screenshot(path=str(tmp_path / "event-detail.png"), full_page=True)

            page.locator("nav.mainnav").get_by_role("link", name="Events").click()
            expect(page).to_have_url(f"{server}/events/")
            row = page.locator("table.events tbody tr", has_text="Phishing kit from the browser")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("BRCERT")
            expect(row.locator("td.num")).to_have_text("3")

            css = [url for url in stylesheets if url.endswith("/static/certfed/certfed.css")]
            assert css, f"the stylesheet was never requested: {stylesheets}"
            assert all(stylesheets[url] in (200, 304) for url in css), stylesheets
            assert stylesheets[css[0]] == 200
            # And it applies: the TLP label is black with TLP:GREEN's colour.
            colours = page.locator(".tlp-green").first.evaluate(
                "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
            )
            assert colours == ["rgb(0, 0, 0)", "rgb(51, 255, 0)"]
        finally:
            browser.close()
