"""The typed errors services raise (defined in models.errors, the lowest layer, so geo can raise them too)."""

from models.errors import Conflict, Forbidden, HubError, NotFound, Unavailable, ValidationError

__all__ = ["Conflict", "Forbidden", "HubError", "NotFound", "Unavailable", "ValidationError"]
