"""Health checks for load balancers and orchestrators (README, "Running it for real").

``/healthz``: the process answers (no database, no index). ``/readyz``: this
node can serve pages: database reachable and search index present (200,
otherwise 503), with each derived view's backlog. A backlog never makes a node
unready: search answers from the last committed index while it is applied.
"""

from __future__ import annotations

import dataclasses

from flask import Blueprint, jsonify

from kb.services.status import readiness_get
from kb.views.helpers import current_identity

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="alive")


@bp.get("/readyz")
def readyz():
    readiness = readiness_get(current_identity())
    body = dataclasses.asdict(readiness)
    body["status"] = "ready" if readiness.ready else "unavailable"
    return jsonify(body), 200 if readiness.ready else 503
