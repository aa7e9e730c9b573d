"""Runs certfed under gunicorn (threaded workers), in-process, so `certfed serve` needs no
separate server configuration."""

from __future__ import annotations

import logging
import os
import threading

from gunicorn.app.base import BaseApplication

logger = logging.getLogger("certfed.server")


def warm_up(parts: set[str]) -> None:
    """Build now what a first request would otherwise wait for: "warninglists" (every
    write of indicators consults them: ~5 s and ~200 MB per worker) and "match" (the batch
    matching index: seconds and hundreds of MB at a million indicators). Opt-in, with
    CERTFED_WARM_UP=warninglists,match: a worker that only serves reads needs neither."""
    from django.db import connection

    from certfed.intel import match, warninglists

    try:
        if "warninglists" in parts:
            warninglists.preload()
        if "match" in parts:
            match.warm()
    except Exception:  # a warm-up must never take a worker down
        logger.exception("warm-up failed; the first request will do the work instead")
    finally:
        connection.close()


def warm_up_parts() -> set[str]:
    """The parts CERTFED_WARM_UP names; ValueError for an unknown one."""
    parts = {p.strip() for p in os.environ.get("CERTFED_WARM_UP", "").split(",") if p.strip()}
    unknown = parts - {"warninglists", "match"}
    if unknown:
        raise ValueError(
            f"CERTFED_WARM_UP: {', '.join(sorted(unknown))} is not one of warninglists, match"
        )
    return parts


def _post_worker_init(worker) -> None:
    parts = warm_up_parts()
    if parts:  # in the background: the worker serves (slower) while it warms up
        threading.Thread(target=warm_up, args=(parts,), name="certfed-warm-up",
                         daemon=True).start()  # fmt: skip


class _Server(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from certfed.platform.wsgi import application

        return application


def run(*, host: str, port: int, workers: int, threads: int) -> None:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    _Server(
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            # Long exports and streamed matches must not be cut off by the worker timeout.
            "timeout": 300,
            "graceful_timeout": 10,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "certfed",
            "forwarded_allow_ips": "127.0.0.1",
            "post_worker_init": _post_worker_init,
        }
    ).run()
