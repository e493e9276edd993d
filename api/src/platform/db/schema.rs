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
    bid_register (bid_id) {
        bid_id -> Uuid,
        round_id -> Uuid,
        lot_id -> Uuid,
        commitment -> Text,
        submitted_at -> Timestamptz,
        frozen_at -> Timestamptz,
    }
}

diesel::table! {
    bids (id) {
        id -> Uuid,
        round_id -> Uuid,
        lot_id -> Uuid,
        supplier_org_id -> Uuid,
        submitted_by -> Uuid,
        status -> Text,
        terms_version -> Int4,
        sealed -> Bytea,
        commitment -> Text,
        submitted_at -> Timestamptz,
        receipt_signature -> Text,
        idempotency_key -> Nullable<Text>,
        request_hash -> Nullable<Text>,
        ended_at -> Nullable<Timestamptz>,
        product_code -> Nullable<Text>,
        unit_price -> Nullable<Numeric>,
        annual_capacity -> Nullable<Int8>,
        province_preferences -> Nullable<Jsonb>,
        opened_at -> Nullable<Timestamptz>,
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
    contracts (id) {
        id -> Uuid,
        round_id -> Uuid,
        lot_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        supplier_org_id -> Uuid,
        bid_id -> Uuid,
        product_code -> Text,
        rank -> Int4,
        unit_price -> Numeric,
        annual_demand -> Int8,
        agreed_volume -> Int8,
        annual_amount -> Numeric,
        cycle_start -> Date,
        cycle_end -> Date,
        backup_supplier_org_id -> Nullable<Uuid>,
        backup_bid_id -> Nullable<Uuid>,
        backup_unit_price -> Nullable<Numeric>,
        backup_rank -> Nullable<Int4>,
        status -> Text,
        replaces -> Nullable<Uuid>,
        created_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    demands (lot_id, province) {
        round_id -> Uuid,
        lot_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        annual_quantity -> Int8,
        reported_by -> Uuid,
        reported_at -> Timestamptz,
    }
}

diesel::table! {
    jobs (id) {
        id -> Int8,
        kind -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        max_attempts -> Int4,
        run_at -> Timestamptz,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        message_id -> Nullable<Text>,
        sent_at -> Nullable<Timestamptz>,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
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
    lots (id) {
        id -> Uuid,
        round_id -> Uuid,
        number -> Int4,
        generic_name -> Text,
        dosage_form -> Nullable<Text>,
        representative_code -> Text,
        special_antibacterial -> Bool,
        ceiling -> Nullable<Numeric>,
        created_at -> Timestamptz,
        previous_price -> Nullable<Numeric>,
    }
}

diesel::table! {
    opening_shares (round_id, user_id) {
        round_id -> Uuid,
        user_id -> Uuid,
        share_wrapped -> Bytea,
        presented_at -> Timestamptz,
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
    revival_offers (lot_id, supplier_org_id) {
        round_id -> Uuid,
        lot_id -> Uuid,
        supplier_org_id -> Uuid,
        bid_id -> Uuid,
        offer_ucp -> Numeric,
        unit_price -> Numeric,
        response -> Text,
        responded_by -> Nullable<Uuid>,
        responded_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    round_custodians (round_id, user_id) {
        round_id -> Uuid,
        user_id -> Uuid,
        share_commitment -> Nullable<Text>,
        share_wrapped -> Nullable<Bytea>,
        fetched_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    round_evaluations (round_id) {
        round_id -> Uuid,
        digest -> Text,
        result -> Jsonb,
        input -> Jsonb,
        evaluated_by -> Uuid,
        evaluated_at -> Timestamptz,
    }
}

diesel::table! {
    rounds (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        status -> Text,
        preset -> Text,
        rules -> Jsonb,
        bidding_deadline -> Timestamptz,
        key_mode -> Text,
        quorum -> Int2,
        terms_version -> Int4,
        public_key -> Nullable<Bytea>,
        wrapped_key -> Nullable<Bytea>,
        published_at -> Nullable<Timestamptz>,
        ceilings_date -> Nullable<Date>,
        closed_at -> Nullable<Timestamptz>,
        opened_at -> Nullable<Timestamptz>,
        cancelled_at -> Nullable<Timestamptz>,
        cancel_reason -> Nullable<Text>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        cycle_start -> Nullable<Date>,
        evaluated_at -> Nullable<Timestamptz>,
        revival_deadline -> Nullable<Timestamptz>,
        awarded_at -> Nullable<Timestamptz>,
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
    shortage_reports (id) {
        id -> Uuid,
        hospital_org_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        contract_id -> Uuid,
        supplier_org_id -> Uuid,
        note -> Text,
        reported_by -> Uuid,
        reported_at -> Timestamptz,
    }
}

diesel::table! {
    supplier_bars (id) {
        id -> Uuid,
        org_id -> Uuid,
        barred_from -> Date,
        barred_until -> Date,
        reason -> Text,
        failure_id -> Nullable<Uuid>,
        created_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    supply_failures (id) {
        id -> Uuid,
        contract_id -> Uuid,
        takeover_id -> Uuid,
        reason -> Text,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
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

diesel::table! {
    contract_distributors (contract_id) {
        contract_id -> Uuid,
        distributor_org_id -> Uuid,
        named_by -> Uuid,
        named_at -> Timestamptz,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Uuid,
        order_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        hospital_org_id -> Uuid,
        supplier_org_id -> Uuid,
        shipped_by_org_id -> Uuid,
        shipped_by -> Uuid,
        batch_no -> Text,
        expiry_date -> Date,
        invoice_no -> Text,
        status -> Text,
        shipped_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        accepted_by -> Nullable<Uuid>,
        accepted_on -> Nullable<Date>,
        due_date -> Nullable<Date>,
        settings_id -> Nullable<Int8>,
    }
}

diesel::table! {
    delivery_lines (id) {
        id -> Uuid,
        delivery_id -> Uuid,
        order_line_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        contract_id -> Uuid,
        unit_price -> Numeric,
        quantity -> Int8,
        accepted -> Nullable<Int8>,
        refusal_reason -> Nullable<Text>,
    }
}

diesel::table! {
    hospital_demands (lot_id, hospital_org_id) {
        lot_id -> Uuid,
        hospital_org_id -> Uuid,
        round_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        annual_quantity -> Int8,
        reported_by -> Uuid,
        reported_at -> Timestamptz,
    }
}

diesel::table! {
    order_lines (id) {
        id -> Uuid,
        order_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        line_no -> Int4,
        contract_id -> Uuid,
        product_code -> Text,
        unit_price -> Numeric,
        quantity -> Int8,
        packs -> Nullable<Int8>,
        shipped -> Int8,
        moved -> Int8,
        accepted -> Int8,
        refused -> Int8,
    }
}

diesel::table! {
    orders (id) {
        id -> Uuid,
        hospital_org_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        supplier_org_id -> Uuid,
        status -> Text,
        refusal_reason -> Nullable<Text>,
        note -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        request_hash -> Nullable<Text>,
        moved_from -> Nullable<Uuid>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        decided_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    quotas (contract_id, hospital_org_id) {
        contract_id -> Uuid,
        hospital_org_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        demand -> Int8,
        quantity -> Int8,
    }
}

diesel::table! {
    trace_codes (code) {
        code -> Text,
        kind -> Text,
        delivery_line_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
    }
}

diesel::table! {
    trace_code_claims (code) {
        code -> Text,
        #[max_length = 6]
        province -> Bpchar,
    }
}

diesel::table! {
    supply_problems (id, province) {
        id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        kind -> Text,
        generic_name -> Text,
        lot_id -> Uuid,
        contract_id -> Uuid,
        supplier_org_id -> Uuid,
        hospital_org_id -> Uuid,
        order_id -> Nullable<Uuid>,
        report_id -> Nullable<Uuid>,
        open_units -> Int8,
        note -> Nullable<Text>,
        day -> Date,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    supply_warnings (generic_name, province) {
        #[max_length = 6]
        province -> Bpchar,
        generic_name -> Text,
        level -> Text,
        problems -> Int4,
        changed_on -> Date,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    complaints (id) {
        id -> Uuid,
        round_id -> Uuid,
        lot_id -> Uuid,
        supplier_org_id -> Uuid,
        status -> Text,
        grounds -> Text,
        answer -> Nullable<Text>,
        suspended_contracts -> Int4,
        submitted_by -> Uuid,
        submitted_at -> Timestamptz,
        reviewed_by -> Nullable<Uuid>,
        reviewed_at -> Nullable<Timestamptz>,
        closed_by -> Nullable<Uuid>,
        closed_at -> Nullable<Timestamptz>,
        resumed_by -> Nullable<Uuid>,
        resumed_at -> Nullable<Timestamptz>,
        resume_note -> Nullable<Text>,
    }
}

diesel::table! {
    complaint_attachments (id) {
        id -> Uuid,
        complaint_id -> Uuid,
        file_name -> Text,
        content_type -> Text,
        size -> Int4,
        sha256 -> Text,
        content -> Bytea,
        uploaded_by -> Uuid,
        uploaded_at -> Timestamptz,
    }
}

diesel::joinable!(bid_register -> bids (bid_id));
diesel::joinable!(complaint_attachments -> complaints (complaint_id));
diesel::joinable!(complaints -> lots (lot_id));
diesel::joinable!(bid_register -> rounds (round_id));
diesel::joinable!(bids -> organisations (supplier_org_id));
diesel::joinable!(bids -> users (submitted_by));
diesel::joinable!(catalog_ceilings -> catalog_items (item_code));
diesel::joinable!(catalog_items -> organisations (manufacturer_org_id));
diesel::joinable!(contracts -> catalog_items (product_code));
diesel::joinable!(contracts -> lots (lot_id));
diesel::joinable!(contracts -> provinces (province));
diesel::joinable!(contracts -> rounds (round_id));
diesel::joinable!(demands -> provinces (province));
diesel::joinable!(demands -> rounds (round_id));
diesel::joinable!(demands -> users (reported_by));
diesel::joinable!(lots -> catalog_items (representative_code));
diesel::joinable!(lots -> rounds (round_id));
diesel::joinable!(opening_shares -> rounds (round_id));
diesel::joinable!(opening_shares -> users (user_id));
diesel::joinable!(organisations -> provinces (province));
diesel::joinable!(revival_offers -> bids (bid_id));
diesel::joinable!(revival_offers -> lots (lot_id));
diesel::joinable!(revival_offers -> organisations (supplier_org_id));
diesel::joinable!(revival_offers -> rounds (round_id));
diesel::joinable!(revival_offers -> users (responded_by));
diesel::joinable!(round_custodians -> rounds (round_id));
diesel::joinable!(round_custodians -> users (user_id));
diesel::joinable!(round_evaluations -> rounds (round_id));
diesel::joinable!(round_evaluations -> users (evaluated_by));
diesel::joinable!(rounds -> users (created_by));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(supplier_bars -> organisations (org_id));
diesel::joinable!(supplier_bars -> supply_failures (failure_id));
diesel::joinable!(supplier_bars -> users (created_by));
diesel::joinable!(supply_failures -> users (recorded_by));
diesel::joinable!(users -> organisations (org_id));

diesel::joinable!(contract_distributors -> contracts (contract_id));
diesel::joinable!(deliveries -> orders (order_id));
diesel::joinable!(delivery_lines -> deliveries (delivery_id));
diesel::joinable!(delivery_lines -> order_lines (order_line_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_lines -> contracts (contract_id));
diesel::joinable!(quotas -> contracts (contract_id));
diesel::joinable!(trace_codes -> delivery_lines (delivery_line_id));

diesel::table! {
    settlement_settings (id) {
        id -> Int8,
        #[max_length = 6]
        province -> Bpchar,
        prepayment_ratio -> Numeric,
        payment_days -> Int4,
        behind_threshold -> Numeric,
        retention_share -> Numeric,
        set_by -> Nullable<Uuid>,
        set_at -> Timestamptz,
    }
}

diesel::table! {
    prepayments (id) {
        id -> Uuid,
        round_id -> Uuid,
        hospital_org_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        agreed_amount -> Numeric,
        ratio -> Numeric,
        amount -> Numeric,
        settings_id -> Int8,
        bank_reference -> Text,
        paid_by -> Uuid,
        paid_at -> Timestamptz,
    }
}

diesel::table! {
    hospital_funds (hospital_org_id) {
        hospital_org_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        prepaid -> Numeric,
        set_off -> Numeric,
        deducted -> Numeric,
    }
}

diesel::table! {
    settlement_batches (id) {
        id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        due_by -> Nullable<Date>,
        supplier_org_id -> Nullable<Uuid>,
        total -> Numeric,
        line_count -> Int8,
        created_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    payment_orders (id) {
        id -> Uuid,
        batch_id -> Uuid,
        supplier_org_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        total -> Numeric,
        line_count -> Int8,
        paid_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    settlement_lines (delivery_line_id, province) {
        delivery_line_id -> Uuid,
        batch_id -> Uuid,
        supplier_org_id -> Uuid,
        hospital_org_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        quantity -> Int8,
        unit_price -> Numeric,
        amount -> Numeric,
        due_date -> Date,
    }
}

diesel::table! {
    bank_references (reference) {
        reference -> Text,
        kind -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    payments (id) {
        id -> Uuid,
        payment_order_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        bank_reference -> Text,
        amount -> Numeric,
        paid_by -> Uuid,
        paid_at -> Timestamptz,
    }
}

diesel::table! {
    fund_entries (id) {
        id -> Int8,
        hospital_org_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        kind -> Text,
        amount -> Numeric,
        prepayment_id -> Nullable<Uuid>,
        payment_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    overdue_lines (delivery_line_id) {
        delivery_line_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        hospital_org_id -> Uuid,
        supplier_org_id -> Uuid,
        due_date -> Date,
        flagged_on -> Date,
    }
}

diesel::table! {
    line_disputes (id) {
        id -> Uuid,
        delivery_line_id -> Uuid,
        supplier_org_id -> Uuid,
        #[max_length = 6]
        province -> Bpchar,
        reason -> Text,
        raised_by -> Uuid,
        raised_at -> Timestamptz,
        resolution -> Nullable<Text>,
        resolved_by -> Nullable<Uuid>,
        resolved_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    statement_confirmations (supplier_org_id, month) {
        supplier_org_id -> Uuid,
        month -> Date,
        total -> Numeric,
        line_count -> Int8,
        confirmed_by -> Uuid,
        confirmed_at -> Timestamptz,
    }
}

diesel::joinable!(payment_orders -> settlement_batches (batch_id));
diesel::joinable!(payments -> payment_orders (payment_order_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_log,
    audit_seal,
    bank_references,
    bid_register,
    bids,
    complaint_attachments,
    complaints,
    catalog_ceilings,
    catalog_generic_names,
    catalog_items,
    contract_distributors,
    contracts,
    deliveries,
    delivery_lines,
    demands,
    fund_entries,
    hospital_demands,
    hospital_funds,
    jobs,
    line_disputes,
    login_throttle,
    lots,
    opening_shares,
    order_lines,
    orders,
    organisations,
    overdue_lines,
    payment_orders,
    payments,
    prepayments,
    provinces,
    quotas,
    revival_offers,
    round_custodians,
    round_evaluations,
    rounds,
    sessions,
    settlement_batches,
    settlement_lines,
    settlement_settings,
    shortage_reports,
    statement_confirmations,
    supplier_bars,
    supply_failures,
    supply_problems,
    supply_warnings,
    trace_code_claims,
    trace_codes,
    users,
);
