-- The national catalog: drugs and medical consumables under their NHSA codes, and the
-- history of their price ceilings (最高有效申报价). Rules: docs/rules.md, "Catalog codes".

-- Trigram indexes for searching generic names (Chinese text) and manufacturers.
-- pg_trgm is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE catalog_items (
    -- NHSA insurance drug code (23) or medical consumables code (27); never changes.
    code                TEXT PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('drug', 'consumable')),
    generic_name        TEXT NOT NULL CHECK (length(btrim(generic_name)) BETWEEN 1 AND 200),
    dosage_form         TEXT CHECK (dosage_form IN (
        'tablet', 'film_coated_tablet', 'dispersible_tablet', 'sustained_release_tablet',
        'enteric_coated_tablet', 'orally_disintegrating_tablet', 'capsule',
        'sustained_release_capsule', 'enteric_coated_capsule', 'granule', 'powder', 'pill',
        'oral_solution', 'oral_suspension', 'syrup', 'injection', 'powder_for_injection',
        'infusion', 'eye_drops', 'ointment', 'cream', 'gel', 'inhalation', 'spray',
        'suppository', 'patch', 'device', 'other')),
    -- content per minimum unit (20 mg); 万IU is stored as IU x 10,000
    strength            NUMERIC(18, 6) CHECK (strength > 0),
    strength_unit       TEXT CHECK (strength_unit IN ('ug', 'mg', 'g', 'IU', 'mmol', 'ml', 'L', '%')),
    -- fill volume per minimum unit, for liquids (2 ml)
    fill_volume         NUMERIC(18, 6) CHECK (fill_volume > 0),
    fill_volume_unit    TEXT CHECK (fill_volume_unit IN ('ug', 'mg', 'g', 'IU', 'mmol', 'ml', 'L', '%')),
    -- minimum units per pack (28 tablets)
    pack_count          INTEGER NOT NULL CHECK (pack_count BETWEEN 1 AND 1000000),
    min_unit            TEXT NOT NULL CHECK (min_unit IN (
        'tablet', 'capsule', 'pill', 'sachet', 'bag', 'vial', 'ampoule', 'bottle', 'tube',
        'pen', 'cartridge', 'syringe', 'patch', 'suppository', 'dose', 'piece', 'set')),
    consistency         TEXT CHECK (consistency IN ('originator', 'reference', 'passed', 'not_passed')),
    manufacturer        TEXT NOT NULL CHECK (length(btrim(manufacturer)) BETWEEN 1 AND 200),
    -- the supplier organisation of that name (case-insensitive), when registered
    manufacturer_org_id UUID REFERENCES organisations (id),
    -- consumables: class levels 1-3 of the code ('15.01.11'), and the product system
    -- a consumables round groups products by (drug-eluting coronary stent...)
    consumable_class    TEXT,
    product_system      TEXT CHECK (length(btrim(product_system)) BETWEEN 1 AND 100),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT catalog_items_code_structure CHECK (
        (kind = 'drug' AND code ~ '^[XZ][A-Z][0-9]{2}[A-Z]{2}[A-Z][0-9]{3}[A-Z][0-9]{3}[0-9]{9}$')
        OR (kind = 'consumable' AND code ~ '^C[0-9]{26}$')),
    CONSTRAINT catalog_items_drug_fields CHECK (kind <> 'drug' OR (
        dosage_form IS NOT NULL AND dosage_form <> 'device' AND strength IS NOT NULL
        AND consistency IS NOT NULL AND consumable_class IS NULL AND product_system IS NULL)),
    CONSTRAINT catalog_items_consumable_fields CHECK (kind <> 'consumable' OR (
        (dosage_form IS NULL OR dosage_form = 'device') AND consistency IS NULL
        AND consumable_class ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$')),
    CONSTRAINT catalog_items_units CHECK (
        (strength IS NULL) = (strength_unit IS NULL)
        AND (fill_volume IS NULL) = (fill_volume_unit IS NULL))
);
CREATE INDEX catalog_items_code_prefix_idx ON catalog_items (code text_pattern_ops);
CREATE INDEX catalog_items_manufacturer_trgm_idx ON catalog_items USING gin (manufacturer gin_trgm_ops);
-- (generic_name, code) + kind, consistency: a name search, filtered by kind or
-- consistency too, counts and sorts the matching codes from the index alone
CREATE INDEX catalog_items_generic_name_idx ON catalog_items (generic_name, code) INCLUDE (kind, consistency);
CREATE INDEX catalog_items_manufacturer_org_idx ON catalog_items (manufacturer_org_id);

-- Every generic name the catalog has used. A catalog has ~10^5 items but only ~10^3
-- generic names, so a name search matches the names here through the trigram index and
-- then fetches their items through catalog_items_generic_name_idx. Kept by the import;
-- a name no item uses any more matches nothing.
CREATE TABLE catalog_generic_names (
    name TEXT PRIMARY KEY
);
CREATE INDEX catalog_generic_names_trgm_idx ON catalog_generic_names USING gin (name gin_trgm_ops);

-- Published ceilings: a price per minimum unit valid from valid_from (inclusive) until
-- valid_to (exclusive; NULL = until further notice). Rows are appended, never changed,
-- except that a new ceiling closes the open period of an earlier one (valid_to set once).
-- Where periods overlap, the ceiling recorded last wins.
CREATE TABLE catalog_ceilings (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_code   TEXT NOT NULL REFERENCES catalog_items (code),
    price       NUMERIC(12, 4) NOT NULL CHECK (price >= 0),
    valid_from  DATE NOT NULL,
    valid_to    DATE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT catalog_ceilings_period CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX catalog_ceilings_item_idx ON catalog_ceilings (item_code, id DESC);

CREATE FUNCTION catalog_ceilings_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
       AND (NEW.id, NEW.item_code, NEW.price, NEW.valid_from, NEW.created_at)
           IS NOT DISTINCT FROM (OLD.id, OLD.item_code, OLD.price, OLD.valid_from, OLD.created_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'catalog_ceilings is append-only (only an open period may be closed)'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'catalog_ceilings_append_only';
END $$;
CREATE TRIGGER catalog_ceilings_guard BEFORE UPDATE OR DELETE ON catalog_ceilings
    FOR EACH ROW EXECUTE FUNCTION catalog_ceilings_guard();
CREATE TRIGGER catalog_ceilings_no_truncate BEFORE TRUNCATE ON catalog_ceilings
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_ceilings_guard();

-- The ceiling of an item valid on a day (a round uses the day of its publication):
-- the latest-recorded ceiling whose period contains the day; NULL when none.
CREATE FUNCTION catalog_ceiling_at(p_code TEXT, p_day DATE) RETURNS NUMERIC
LANGUAGE sql STABLE AS $$
    SELECT price FROM catalog_ceilings
     WHERE item_code = p_code AND valid_from <= p_day AND (valid_to IS NULL OR valid_to > p_day)
     ORDER BY id DESC
     LIMIT 1
$$;
