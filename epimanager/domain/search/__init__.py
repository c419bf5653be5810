"""Quick-search keys and query parsing (pure)."""
