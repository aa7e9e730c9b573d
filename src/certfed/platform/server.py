"""Runs certfed under gunicorn (threaded workers), in-process, so `certfed serve` needs no
separate server configuration."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


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
        }
    ).run()
