"""Projects kept by programme staff (records, rule books) and their IATI export."""
