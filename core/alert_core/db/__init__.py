"""Database access: table definitions, queries and migrations."""
