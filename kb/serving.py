"""Gunicorn settings for production serving (docs/deploy.md).

``kb serve --production`` runs gunicorn with these settings; by hand the same is
``gunicorn -c python:kb.serving 'kb:create_app()'`` (the repository's gunicorn.conf.py
imports this module, so ``gunicorn wsgi:app`` started in the repository folder gets them
too). Gunicorn's own options on its command line or in ``GUNICORN_CMD_ARGS`` override
them; settings of the portal itself come from KB_* variables (docs/configuration.md).

The application is created once, in the master process, before any worker starts
(``preload_app``): a first start imports the bundled practices and builds the search
index there, where gunicorn's worker timeout does not apply, and workers are forked from
an application that is ready, so no request waits for an import. Each worker then opens
its own database connections and index readers (``post_fork``).
"""

from __future__ import annotations

import os

from gunicorn.glogging import Logger

__all__ = ["workers", "threads", "timeout", "graceful_timeout", "keepalive", "preload_app",
           "control_socket_disable", "logger_class", "when_ready", "post_fork"]

# worker processes; WEB_CONCURRENCY is the usual variable of platforms that run gunicorn
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
# threads per worker: a request waiting on the database or the index writer does not hold
# up the worker's other requests (searches in one worker share its index reader)
threads = 4
# seconds a worker may be silent before the master restarts it; start-up work happens in
# the master (preload_app), so this bounds requests only
timeout = 60
# seconds a worker gets to finish its requests on a restart or stop
graceful_timeout = 30
# seconds an idle keep-alive connection stays open (behind a load balancer)
keepalive = 5
preload_app = True
# no control socket (gunicorn 24+): it lives in the home folder, shared by every instance
control_socket_disable = True


class PortalLogger(Logger):
    """Gunicorn's own lines in the portal's format (KB_LOG_FORMAT): time, level, logger,
    request id ("-")."""

    def setup(self, cfg):
        super().setup(cfg)
        from kb.config import load_settings
        from kb.logs import RequestIdFilter, formatter

        fmt = formatter(load_settings()["LOG_FORMAT"])
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(fmt)
                handler.addFilter(RequestIdFilter())


logger_class = PortalLogger
# gunicorn's access log stays off (its default): the portal logs each request with its
# request id (KB_LOG_FORMAT)


def when_ready(server):
    """The application is loaded: warn about per-process rate limits and close what the
    start-up opened, so that no worker inherits the master's connections."""
    from kb.app import release_for_fork, warn_if_rate_limits_are_per_process
    from kb.config import load_settings

    warn_if_rate_limits_are_per_process(load_settings()["RATELIMIT_STORAGE_URI"],
                                        server.cfg.workers, server.log)
    if server.cfg.preload_app:
        release_for_fork(server.app.wsgi(), in_child=False)


def post_fork(server, worker):
    """In a new worker: open database connections and index readers of its own.

    Until the worker installs its own signal handlers, a stop signal ends it at once
    (otherwise the master's handlers, inherited by the fork, would swallow it and the
    master wait for the graceful timeout)."""
    import signal

    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    if server.cfg.preload_app:
        from kb.app import release_for_fork

        release_for_fork(server.app.wsgi(), in_child=True)
