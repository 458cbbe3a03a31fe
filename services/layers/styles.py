"""Layer styles: what the map's functions (assets/hub_layers.js) draw, checked, with classes derived from
the layer's own values when a style names only its attribute."""

from __future__ import annotations

import math
import re
from typing import Any

from sqlalchemy import Float, cast, func, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.orm import Session

from models import LayerFeature
from services import audit
from services.access import Principal
from services.audit import RequestOrigin
from services.errors import ValidationError
from services.layers.access import layer_for

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
FIELD = re.compile(r"^[^\x00-\x1f]{1,120}$")
SYMBOLS = ("circle", "square", "triangle", "marker")
DEFAULT_STYLE: dict[str, Any] = {"color": "#1f78b4", "weight": 2, "opacity": 1.0, "fill": True,
                                 "fillColor": "#1f78b4", "fillOpacity": 0.3, "radius": 6, "symbol": "circle",
                                 "mode": "single"}


def validate_style(style: dict[str, Any]) -> dict[str, Any]:
    """A style the map's functions (assets/hub_layers.js) understand; a clear message for anything else."""
    out = dict(DEFAULT_STYLE)
    for key in ("color", "fillColor"):
        if key in style and style[key] is not None:
            if not COLOR.match(str(style[key])):
                raise ValidationError(f"{key} must be a colour like #1f78b4 (got {style[key]!r}).")
            out[key] = str(style[key])
    for key, low, high in (("weight", 0, 20), ("opacity", 0, 1), ("fillOpacity", 0, 1), ("radius", 1, 50)):
        if style.get(key) is not None:
            try:
                value = float(style[key])
            except (TypeError, ValueError):
                raise ValidationError(f"{key} must be a number between {low} and {high}.") from None
            if not (low <= value <= high) or not math.isfinite(value):
                raise ValidationError(f"{key} must be between {low} and {high} (got {style[key]}).")
            out[key] = value
    if "fill" in style:
        out["fill"] = bool(style["fill"])
    if style.get("symbol") is not None:
        if style["symbol"] not in SYMBOLS:
            raise ValidationError(f"symbol must be one of {', '.join(SYMBOLS)}.")
        out["symbol"] = style["symbol"]
    mode = style.get("mode") or "single"
    if mode not in ("single", "categorised", "graduated"):
        raise ValidationError("mode must be single, categorised or graduated.")
    out["mode"] = mode
    for key in ("field", "label"):
        if style.get(key):
            if not FIELD.match(str(style[key])):
                raise ValidationError(f"{key} must name an attribute.")
            out[key] = str(style[key])
    if mode != "single" and not out.get("field"):
        raise ValidationError(f"A {mode} style needs the attribute it is based on (field).")
    if mode == "categorised":
        categories = style.get("categories") or {}
        if not isinstance(categories, dict) or not all(COLOR.match(str(c)) for c in categories.values()):
            raise ValidationError("categories must map each value to a colour like #e31a1c.")
        out["categories"] = {str(k)[:200]: str(v) for k, v in list(categories.items())[:100]}
    if mode == "graduated":
        breaks, colors = style.get("breaks") or [], style.get("colors") or []
        try:
            breaks = [float(b) for b in breaks]
        except (TypeError, ValueError):
            raise ValidationError("breaks must be numbers.") from None
        if breaks != sorted(breaks) or len(colors) != len(breaks) + 1 or not all(COLOR.match(str(c)) for c in colors):
            raise ValidationError("A graduated style needs ascending breaks and one colour more than breaks.")
        out["breaks"], out["colors"] = breaks, [str(c) for c in colors]
    return out


# Colours a categorised or graduated style gets when it names only its attribute (the page's form does):
# ColorBrewer's qualitative "Paired" and sequential "YlOrRd", which read apart on the grey base map.
CATEGORY_COLOURS = ("#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928", "#a6cee3", "#b2df8a",
                    "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99")
GRADUATED_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
MAX_CATEGORIES = 100


def derive_classes(session: Session, layer_id: int, version: int, style: dict[str, Any]) -> dict[str, Any]:
    """The style with its classes filled in from the layer's values when it gives only ``field``: a colour a
    category (the commonest first, at most MAX_CATEGORIES), or quintile breaks of a numeric attribute.

    The map's functions colour a feature from ``categories`` or ``breaks``/``colors`` (assets/hub_layers.js);
    a style that names only the attribute would otherwise be stored as it came and drawn in one colour."""
    mode, name = style.get("mode"), style.get("field")
    if not name or not isinstance(name, str) or mode not in ("categorised", "graduated"):
        return style
    f = LayerFeature
    value = f.properties[name].astext
    where = (f.layer_id == layer_id, f.version == version, value.is_not(None))
    if mode == "categorised" and not style.get("categories"):
        values = session.scalars(select(value).where(*where).group_by(value)
                                 .order_by(func.count().desc(), value).limit(MAX_CATEGORIES)).all()
        if not values:
            raise ValidationError(f"The attribute {name!r} has no values to colour by.")
        return {**style, "categories": {v: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, v in enumerate(values)}}
    if mode == "graduated" and not style.get("breaks"):
        number = func.jsonb_typeof(f.properties[name]) == "number"
        cuts = session.scalar(select(func.percentile_cont(array([0.2, 0.4, 0.6, 0.8])).within_group(
            cast(value, Float))).where(*where, number))
        breaks = sorted({float(c) for c in cuts or []})
        if not breaks:
            raise ValidationError(f"The attribute {name!r} has no numbers to grade by: choose Category.")
        return {**style, "breaks": breaks, "colors": list(GRADUATED_COLOURS[: len(breaks) + 1])}
    return style


def set_style(session: Session, principal: Principal, slug: str, style: dict[str, Any],
              origin: RequestOrigin | None = None) -> dict[str, Any]:
    layer = layer_for(session, principal, slug, manage=True)
    layer.style = validate_style(derive_classes(session, layer.id, layer.current_version, style))
    audit.record(session, "layer_style", principal=principal, entity="layer", entity_id=slug, origin=origin)
    return layer.style
