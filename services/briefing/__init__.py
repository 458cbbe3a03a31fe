"""Member-state briefings: aggregates only, small counts suppressed, and the packs (PPTX, PDF). No Dash here."""
