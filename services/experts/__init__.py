"""The expert record (issue 15): rule books per part (``rules``), writes (``records``) and the whole record as a
role may see it (``reading``). Every function takes a session and a principal and never commits: the web
pages, the API, the roster import and the expert's self-service all call these same functions.
"""

from services.experts.history import Change, record_changes, self_service_changes
from services.experts.reading import deployment_history, editable_profile, expert_record, own_record
from services.experts.records import (
    OWN_PARTS,
    PARTS,
    HasHistory,
    Part,
    add_part,
    change_part,
    create_expert,
    delete_expert,
    erase_expert,
    remove_part,
    separate_expert,
    update_expert,
)

__all__ = ["OWN_PARTS", "PARTS", "Change", "HasHistory", "Part", "add_part", "change_part", "create_expert",
           "delete_expert", "deployment_history", "editable_profile", "erase_expert", "expert_record", "own_record",
           "record_changes", "remove_part", "self_service_changes", "separate_expert", "update_expert"]
