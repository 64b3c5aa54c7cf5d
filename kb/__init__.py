"""The practice exchange: a knowledge base of proven municipal practices."""


def create_app(test_config=None):
    """Build the Flask application (imported lazily: kb.content needs no Flask)."""
    from kb.app import create_app as _create_app

    return _create_app(test_config)


__all__ = ["create_app"]
