"""Errors every service may raise; views and the CLI turn them into answers."""

from kb.content.document import Problem, ValidationFailed


class ServiceError(Exception):
    """Base of the errors a person can act on."""


class NotFound(ServiceError):
    pass


class PermissionDenied(ServiceError):
    pass


class Conflict(ServiceError):
    pass


__all__ = ["ServiceError", "NotFound", "PermissionDenied", "Conflict", "ValidationFailed",
           "Problem"]
