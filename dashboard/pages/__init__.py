"""One module a page: a layout() guarded by roles, its thin callbacks, and dash.register_page(layout=...) last.

Modules listed in PAGE_MODULES are imported by create_app after the Dash app exists.
"""

PAGE_MODULES = (
    "dashboard.pages.home",
    "dashboard.pages.operations_map",
    "dashboard.pages.briefing",
    "dashboard.pages.missions",
    "dashboard.pages.experts",
    "dashboard.pages.experts_import",
    "dashboard.pages.expert",
    "dashboard.pages.me",
    "dashboard.pages.surge",
    "dashboard.pages.surge_request",
    "dashboard.pages.projects",
    "dashboard.pages.project",
    "dashboard.pages.funding",
    "dashboard.pages.deployment",
    "dashboard.pages.layers",
    "dashboard.pages.quality",
    "dashboard.pages.assessments",
    "dashboard.pages.assessment",
    "dashboard.pages.recommendations",
    "dashboard.pages.recommendation",
    "dashboard.pages.lessons",
    "dashboard.pages.lesson",
    "dashboard.pages.knowledge",
    "dashboard.pages.admin_users",
    "dashboard.pages.admin_tokens",
    "dashboard.pages.admin_audit",
    "dashboard.pages.not_found",
)
