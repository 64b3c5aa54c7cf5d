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


class InvalidInput(ServiceError):
    """A form was refused; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class AuthenticationFailed(ServiceError):
    pass


class AccountLocked(AuthenticationFailed):
    def __init__(self, until):
        self.until = until
        super().__init__("too many wrong passwords: the account is locked for a while")


__all__ = ["ServiceError", "NotFound", "PermissionDenied", "Conflict", "ValidationFailed",
           "Problem", "InvalidInput", "AuthenticationFailed", "AccountLocked"]
