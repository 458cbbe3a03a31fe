"""Aggregates for the operations map, its charts, downloads and the analytics API (no Dash)."""
