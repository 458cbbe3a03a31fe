"""Pieces of the surge planner's pages: translated labels, reasons in words, and the charts (no queries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import plotly.graph_objects as go

from dashboard.i18n import (
    ABSENCE_LABELS,
    DEPLOYMENT_STATUS_LABELS,
    LANGUAGE_LEVEL_LABELS,
    _,
    _l,
    current_locale,
    ngettext,
)
from models.enums import LANGUAGE_LEVEL_RANK, SurgeStatus
from services.formatting import day, decimal, language_name
from services.palette import capacity_colour
from services.surge import rules
from services.surge.matching import Candidate, Lack, Miss, Need, Rule, SkillNeed

STATUS_LABELS = {
    SurgeStatus.RECEIVED.value: _l("Received"),
    SurgeStatus.UNDER_REVIEW.value: _l("Under review"),
    SurgeStatus.CANDIDATES_PROPOSED.value: _l("Candidates proposed"),
    SurgeStatus.APPROVED.value: _l("Approved"),
    SurgeStatus.DEPLOYED.value: _l("Deployed"),
    SurgeStatus.DECLINED.value: _l("Declined"),
    SurgeStatus.WITHDRAWN.value: _l("Withdrawn"),
}
RULE_LABELS = {
    Rule.INACTIVE: _l("not active"),
    Rule.ABSENT: _l("on leave, training or medical absence during the period"),
    Rule.PROPOSED_ELSEWHERE: _l("already proposed for another request over these dates"),
    Rule.DEPLOYED: _l("deployed over these dates"),
    Rule.CAPACITY: _l("of the other capacity"),
    Rule.SKILL: _l("below a required skill's minimum level"),
    Rule.LANGUAGE: _l("below a required language level"),
    Rule.CLEARANCE: _l("a required clearance is missing or expires during the period"),
}
COMPONENT_LABELS = {
    "skills": _l("Skill fit"),
    "languages": _l("Language fit"),
    "experience": _l("Experience in this mission"),
    "region": _l("Region or language zone"),
    "rotation": _l("Time since last deployment"),
    "gender": _l("Gender balance of the team"),
}
GENDER_LABELS = {"female": _l("Female"), "male": _l("Male"), "other": _l("Other"), "undisclosed": _l("Undisclosed")}
LEVEL_OF_RANK = {rank: level.value for level, rank in LANGUAGE_LEVEL_RANK.items()}


def level_label(rank: int, none: str = "-") -> str:
    """A language level for the page: the CEFR code, "native" translated, ``none`` below A1."""
    level = LEVEL_OF_RANK.get(int(rank))
    if level is None:
        return none
    return str(LANGUAGE_LEVEL_LABELS["native"]) if level == "native" else level


def skill_name(skill: SkillNeed) -> str:
    """The skill's name in the page's language (the taxonomy's French name)."""
    return skill.label(current_locale())


def problem_text(problem: rules.Problem) -> str:
    """A form or API problem in the page's language."""
    return rules.message(problem, _, ngettext)


def lack_text(lack: Lack) -> str:
    """What a near miss lacks, in words: "JCSC, not SPC", "community policing 1/5, needs 3"."""
    if lack.kind == "capacity":
        return _("%(have)s, not %(need)s", have=lack.have or "–", need=lack.need or "–")
    if lack.kind == "skill" and lack.skill is not None:
        return _("%(skill)s %(have)d/5, needs %(need)d", skill=skill_name(lack.skill), have=lack.have,
                 need=lack.need)
    none = _("none")  # outside the call below: pybabel does not extract a message nested in another's arguments
    return _("%(language)s %(have)s, needs %(need)s", language=language_name(lack.code, current_locale()),
             have=level_label(lack.have, none), need=level_label(lack.need))


def miss_text(miss: Miss) -> str:
    return "; ".join(lack_text(lack) for lack in miss.lacks)


def too_few_text(eligible: int, wanted: int) -> str:
    """Says that fewer experts pass the hard rules than the request still wants."""
    if not eligible:
        return ngettext("No expert meets the hard rules (%(num)d wanted).",
                        "No expert meets the hard rules (%(num)d wanted).", wanted)
    return ngettext("Only %(num)d expert meets the hard rules", "Only %(num)d experts meet the hard rules",
                    eligible) + " " + ngettext("(%(num)d wanted).", "(%(num)d wanted).", wanted)


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def rules_text(rules: Sequence[Rule]) -> str:
    return "; ".join(str(RULE_LABELS[r]) for r in rules)


def why(candidate: Candidate, need: Need) -> str:
    """One line: what the candidate brings, then the biggest contributions to the score."""
    parts = []
    for s, lvl in zip(need.skills, candidate.skill_levels, strict=True):
        text = _("%(skill)s %(level)d/5", skill=skill_name(s), level=lvl)
        if lvl < s.min_level:
            text += " " + _("(below %(min)d)", min=s.min_level)
        parts.append(text if s.required else text + " " + _("(desirable)"))
    for lang, r in zip(need.languages, candidate.language_ranks, strict=True):
        parts.append(f"{language_name(lang.code, current_locale())} {level_label(r)}")
    if candidate.experience:
        parts.append(ngettext("%(num)d earlier deployment here", "%(num)d earlier deployments here",
                              candidate.experience))
    if candidate.region_match:
        parts.append(_("from the region"))
    elif candidate.language_zone:
        parts.append(_("native speaker"))
    parts.append(_("not deployed in the past year") if candidate.last_end is None
                 else _("last deployment ended %(day)s", day=candidate.last_end.isoformat()))
    top = sorted(((v, k) for k, v in candidate.contributions.items() if v > 0), reverse=True)[:3]
    points = ", ".join(f"{COMPONENT_LABELS[k]} +{decimal(v, current_locale(), 2)}" for v, k in top)
    return " · ".join(parts) + (f" — {points}" if points else "")


def days_histogram(rows: list[dict[str, Any]], target: int) -> go.Figure:
    """Days from received to deployed, one histogram per capacity, with the target as a line."""
    fig = go.Figure()
    for capacity in sorted({r["capacity"] or "?" for r in rows}):
        fig.add_trace(go.Histogram(x=[r["days"] for r in rows if (r["capacity"] or "?") == capacity],
                                   name=capacity, xbins={"size": 1}, opacity=0.75,
                                   marker_color=capacity_colour(capacity)))
    fig.add_vline(x=target, line_dash="dash", line_color="#b02a37",
                  annotation_text=ngettext("target: %(num)d day", "target: %(num)d days", target),
                  annotation_position="top right")
    fig.update_layout(barmode="overlay", height=280, margin={"l": 40, "r": 10, "t": 30, "b": 40},
                      xaxis_title=_("Days from received to deployed"), yaxis_title=_("Requests"),
                      legend={"orientation": "h", "y": 1.12})
    return fig


TIMELINE_COLOURS = {"deployment": "#0d6efd", "proposed": "#fd7e14", "absence": "#6c757d", "free": "#ffffff"}


def bar_label(bar: dict[str, Any]) -> str:
    """A timeline bar's text in the page's language: "MINUSCA (ongoing)", "leave"."""
    if bar.get("absence"):
        return str(ABSENCE_LABELS.get(bar["absence"], bar["absence"]))
    if bar.get("mission"):
        status = bar.get("status", "")
        return _("%(mission)s (%(status)s)", mission=bar["mission"],
                 status=str(DEPLOYMENT_STATUS_LABELS.get(status, status)))
    return str(bar.get("label", ""))


def timeline_figure(bars: list[dict[str, Any]], start: Any, end: Any) -> go.Figure:
    """A Gantt chart of deployments, proposals and absences per expert."""
    locale = current_locale()
    fig = go.Figure()
    labels = {"deployment": _("Deployment"), "proposed": _("Proposed"), "absence": _("Absence")}
    for kind in ("deployment", "proposed", "absence"):
        chosen = [b for b in bars if b["kind"] == kind]
        if not chosen:
            continue
        fig.add_trace(go.Bar(
            y=[b["who"] for b in chosen], base=[b["start"].isoformat() for b in chosen],
            x=[((b["end"] - b["start"]).days + 1) * 86_400_000 for b in chosen], orientation="h",
            name=str(labels[kind]), marker_color=TIMELINE_COLOURS[kind], text=[bar_label(b) for b in chosen],
            customdata=[f"{day(b['start'], locale)} – {day(b['end'], locale)}" for b in chosen],
            hovertemplate="%{y}: %{text}<br>%{customdata}<extra></extra>"))
    people = sorted({b["who"] for b in bars})
    fig.update_layout(barmode="overlay", height=max(160, 28 * len(people) + 80),
                      margin={"l": 10, "r": 10, "t": 10, "b": 30}, legend={"orientation": "h", "y": -0.15},
                      xaxis={"type": "date", "range": [start.isoformat(), (end + timedelta(days=1)).isoformat()]},
                      yaxis={"categoryorder": "category descending", "categoryarray": people, "automargin": True})
    return fig
