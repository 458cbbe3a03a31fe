"""The hub's one palette: every chart, the map's markers, the briefing pack's pictures draw with these.

Here, not under dashboard/, because the briefing pack (services/briefing/pack.py) draws with them too and
services never import the web layer; the map's JavaScript gets them through its layers' ``hideout``.
"""

from __future__ import annotations

# The standing capacities: police blue, justice and corrections orange.
CAPACITY_COLOURS: dict[str, str] = {"SPC": "#1f5fa8", "JCSC": "#c0661b"}
OTHER_CAPACITY = "#777777"  # a capacity with no colour of its own (or none recorded)
GENDER_COLOURS: dict[str, str] = {"female": "#7b3294", "male": "#4d9221", "other": "#d9a400",
                                  "undisclosed": "#9aa5b1"}
# Gender markers GM0 (no contribution) to GM3 (gender equality is the principal objective).
MARKER_COLOURS: list[str] = ["#c9c9c9", "#f4c27a", "#e58a4e", "#b8452e"]
SOURCE_COLOURS: dict[str, str] = {"regular_budget": "#4b6584", "extrabudgetary": "#20a39e",
                                  "programme_support": "#a55eea"}


def capacity_colour(code: str | None) -> str:
    return CAPACITY_COLOURS.get(str(code), OTHER_CAPACITY)


def capacity_palette() -> dict[str, str]:
    """The capacity colours as the map's JavaScript reads them from a layer's hideout (``_other``: the rest)."""
    return {**CAPACITY_COLOURS, "_other": OTHER_CAPACITY}


__all__ = ["CAPACITY_COLOURS", "GENDER_COLOURS", "MARKER_COLOURS", "OTHER_CAPACITY", "SOURCE_COLOURS",
           "capacity_colour", "capacity_palette"]
