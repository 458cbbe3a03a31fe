"""The `hub` command line: run, db, users, tokens, reference, demo."""
