"""Gunicorn settings, read by `gunicorn wsgi:app` when started from this folder.

Settings of the portal itself come from KB_* variables (docs/configuration.md).
"""


def when_ready(server):
    """At start: warn when several workers would each keep their own rate-limit counters."""
    from kb.app import warn_if_rate_limits_are_per_process
    from kb.config import load_settings

    warn_if_rate_limits_are_per_process(load_settings()["RATELIMIT_STORAGE_URI"],
                                        server.cfg.workers, server.log)
