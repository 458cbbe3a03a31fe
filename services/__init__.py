"""Use cases of the hub. Services take the session as their first argument, never commit, never import dash."""
