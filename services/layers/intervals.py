"""The OGC API's ``datetime`` parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.errors import ValidationError


@dataclass(frozen=True)
class Interval:
    """An OGC ``datetime``: an instant, or start/end with '..' for an open end."""

    start: date | None
    end: date | None

    @classmethod
    def parse(cls, text: str) -> Interval:
        def one(part: str) -> date | None:
            part = part.strip()
            if part in ("", ".."):
                return None
            try:
                return datetime.fromisoformat(part.replace("Z", "+00:00")).date()
            except ValueError:
                raise ValidationError(f"datetime {text!r} is not RFC 3339: use 2024-01-31, 2024-01-31T00:00:00Z, "
                                      "or an interval such as 2024-01-01/2024-12-31 or 2024-01-01/..") from None

        if "/" in text:
            a, b = text.split("/", 1)
            start, end = one(a), one(b)
            if start and end and start > end:
                raise ValidationError("datetime interval ends before it starts.")
            return cls(start, end)
        moment = one(text)
        if moment is None:
            raise ValidationError("datetime needs a date or an interval.")
        return cls(moment, moment)
