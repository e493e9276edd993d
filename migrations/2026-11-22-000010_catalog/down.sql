DROP FUNCTION catalog_ceiling_at(TEXT, DATE);
DROP TABLE catalog_ceilings;
DROP TABLE catalog_generic_names;
DROP FUNCTION catalog_ceilings_guard();
DROP TABLE catalog_items;
-- pg_trgm stays: other objects may use it, and keeping it is harmless.
