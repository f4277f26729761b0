"""Development helpers: a throwaway PostgreSQL, demo data. Not shipped in any image."""
