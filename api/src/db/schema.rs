// @generated automatically by Diesel CLI.

diesel::table! {
    audit_log (id) {
        id -> Int8,
        txid -> Int8,
        at -> Timestamptz,
        actor_user_id -> Nullable<Uuid>,
        actor_role -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        details -> Jsonb,
    }
}

diesel::table! {
    audit_seal (seq) {
        seq -> Int8,
        entry_id -> Int8,
        prev_hash -> Bytea,
        hash -> Bytea,
        sealed_at -> Timestamptz,
    }
}

diesel::table! {
    catalog_ceilings (id) {
        id -> Int8,
        item_code -> Text,
        price -> Numeric,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    catalog_generic_names (name) {
        name -> Text,
    }
}

diesel::table! {
    catalog_items (code) {
        code -> Text,
        kind -> Text,
        generic_name -> Text,
        dosage_form -> Nullable<Text>,
        strength -> Nullable<Numeric>,
        strength_unit -> Nullable<Text>,
        fill_volume -> Nullable<Numeric>,
        fill_volume_unit -> Nullable<Text>,
        pack_count -> Int4,
        min_unit -> Text,
        consistency -> Nullable<Text>,
        manufacturer -> Text,
        manufacturer_org_id -> Nullable<Uuid>,
        consumable_class -> Nullable<Text>,
        product_system -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        window_start -> Timestamptz,
        failures -> Int4,
    }
}

diesel::table! {
    organisations (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        #[max_length = 6]
        province -> Nullable<Bpchar>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    provinces (code) {
        #[max_length = 6]
        code -> Bpchar,
        name_zh -> Text,
        name_en -> Text,
    }
}

diesel::table! {
    sessions (jti) {
        jti -> Uuid,
        user_id -> Uuid,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        client_ip -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        org_id -> Uuid,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(audit_seal -> audit_log (entry_id));
diesel::joinable!(catalog_ceilings -> catalog_items (item_code));
diesel::joinable!(catalog_items -> organisations (manufacturer_org_id));
diesel::joinable!(organisations -> provinces (province));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(users -> organisations (org_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_log,
    audit_seal,
    catalog_ceilings,
    catalog_generic_names,
    catalog_items,
    login_throttle,
    organisations,
    provinces,
    sessions,
    users,
);
