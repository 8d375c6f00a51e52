"""Dev-only helpers (bench users for the load tests); installed with DEBUG only, never by production settings."""
