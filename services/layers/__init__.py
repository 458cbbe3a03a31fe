"""GIS layers, one module a job:

- ``access``: who sees which layer (NotFound / Forbidden);
- ``importing``: a file as a new layer or a new version (replace, append, upsert), loaded by
  ``copy_binary`` (PostgreSQL's binary COPY) into the version's own table (``partitions``);
- ``lifecycle``: list, read, publish, archive, restore, metadata, visibility, delete;
- ``styles``: checked styles and their derived classes;
- ``map_data``: what the operations map and the layers page draw, as GeoJSON built by PostGIS (``geojson``);
- ``sources``: the OGC API's collections behind one ``FeatureSource`` protocol: published layers and the
  hub's own tables (``hub_tables``), with ``intervals`` (the ``datetime`` parameter), ``extents`` (cached
  per layer version) and ``tiles`` (vector tiles, cached per layer version);
- ``export``: a layer or a hub table as a file.

The names callers use are re-exported here, so ``from services import layers; layers.import_layer(...)``
keeps working. Nothing here imports dash.
"""

from services.layers.export import export
from services.layers.extents import layer_extent
from services.layers.hub_tables import HUB_COLLECTIONS, HUB_TABLES
from services.layers.importing import (
    MODES,
    ImportOptions,
    ImportReport,
    copy_features,
    file_layers,
    import_layer,
    import_path,
)
from services.layers.intervals import Interval
from services.layers.lifecycle import (
    archive,
    delete_layer,
    get_layer,
    list_layers,
    publish,
    restore,
    set_metadata,
    set_status,
    set_visibility,
    versions,
)
from services.layers.map_data import layer_attributes, layer_geojson, map_layers, zoom_tolerance
from services.layers.sources import (
    Collection,
    FeatureSource,
    HubTableSource,
    LayerSource,
    collection,
    collections,
    feature_source,
    feature_sources,
    item,
    items,
    tile,
)
from services.layers.styles import DEFAULT_STYLE, derive_classes, set_style, validate_style

__all__ = [
    "DEFAULT_STYLE", "HUB_COLLECTIONS", "HUB_TABLES", "MODES", "Collection", "FeatureSource", "HubTableSource",
    "ImportOptions", "ImportReport", "Interval", "LayerSource", "archive", "collection", "collections",
    "copy_features", "delete_layer", "derive_classes", "export", "feature_source", "feature_sources",
    "file_layers", "get_layer", "import_layer", "import_path", "item", "items", "layer_attributes",
    "layer_extent", "layer_geojson", "list_layers", "map_layers", "publish", "restore", "set_metadata",
    "set_status", "set_style", "set_visibility", "tile", "validate_style", "versions", "zoom_tolerance",
]
