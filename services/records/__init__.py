"""How every record is entered and kept (DESIGN.md, "Records"): one rule book per record read by the form,
the API, the import and the service; problems as (field, code, params) translated at each edge; versions
with stale edits refused and explained; audited before/after values; all-or-nothing imports."""

from services.records.fields import (
    Boolean,
    Choice,
    Code,
    CountryCode,
    Currency,
    Date,
    Decimal,
    Email,
    Field,
    Integer,
    LanguageCode,
    Rows,
    Text,
    as_date,
    blank,
)
from services.records.problems import N_, Problem, Problems, message, ngettext, register_messages
from services.records.rulebook import RuleBook, date_order, required_with
from services.records.versioning import (
    StaleEdit,
    VersionRequired,
    audit_change,
    changes,
    check_version,
    snapshot,
)

__all__ = ["N_", "Boolean", "Choice", "Code", "CountryCode", "Currency", "Date", "Decimal", "Email", "Field", "Integer",
           "LanguageCode", "Problem", "Problems", "Rows", "RuleBook", "StaleEdit", "Text", "VersionRequired",
           "as_date", "audit_change", "blank", "changes", "check_version", "date_order", "message", "ngettext",
           "register_messages", "required_with", "snapshot"]
