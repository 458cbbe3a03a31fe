"""The web layer: pages, components, callbacks, auth and i18n. Imports services, never the other way round."""
