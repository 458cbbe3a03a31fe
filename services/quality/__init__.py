"""Data quality: rules on the six dimensions, scored by record kind, mission and capacity, with a daily trend."""
