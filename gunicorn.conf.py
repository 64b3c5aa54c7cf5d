"""Gunicorn settings, read by `gunicorn wsgi:app` when started from this folder.

They are those of `kb serve --production` (kb/serving.py): workers, threads, timeouts,
and the application created once in the master process before workers start.
Settings of the portal itself come from KB_* variables (docs/configuration.md).
"""

from kb.serving import *  # noqa: F401,F403
