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


class RateLimited(ServiceError):
    """Too many contributions of one kind in a short time; try again later."""


class AuthenticationFailed(ServiceError):
    pass


class TooManyAttempts(AuthenticationFailed):
    """Too many wrong passwords came from this address: it may try again after a while."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"too many wrong passwords from this address: retry in {retry_after} s")


class SignInLinkSent(AuthenticationFailed):
    """The password was right, but the account is under attack: finish with the e-mailed link."""


__all__ = ["ServiceError", "NotFound", "PermissionDenied", "Conflict", "ValidationFailed",
           "Problem", "InvalidInput", "RateLimited", "AuthenticationFailed", "TooManyAttempts",
           "SignInLinkSent"]
