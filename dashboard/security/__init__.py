"""Authentication, deny-by-default request guards, and per-callback role rules."""
