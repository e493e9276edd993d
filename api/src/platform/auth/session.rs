//! Sessions: the server-side half of an access token (its `jti`), checked on every
//! request and revoked by logout, deactivation and suspension.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::platform::{
    auth::OrgStatus,
    db::schema::{organisations, sessions, users},
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg))]
pub struct Session {
    pub jti: Uuid,
    pub user_id: Uuid,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub client_ip: Option<String>,
}

/// What the per-request check needs to know about a token's session.
#[derive(Debug, Clone, Queryable)]
pub struct SessionCheck {
    pub revoked: bool,
    pub expired: bool,
    pub user_active: bool,
    pub org_active: bool,
    pub role: String,
    pub org_id: Uuid,
}

impl Session {
    pub async fn insert(
        conn: &mut AsyncPgConnection,
        jti: Uuid,
        user_id: Uuid,
        expires_at: DateTime<Utc>,
        client_ip: Option<&str>,
    ) -> QueryResult<usize> {
        diesel::insert_into(sessions::table)
            .values((
                sessions::jti.eq(jti),
                sessions::user_id.eq(user_id),
                sessions::expires_at.eq(expires_at),
                sessions::client_ip.eq(client_ip),
            ))
            .execute(conn)
            .await
    }

    /// One indexed lookup per authenticated request; with the user's address and name, so
    /// handlers that mail the caller need not read the user again.
    pub async fn check(
        conn: &mut AsyncPgConnection,
        jti: Uuid,
        user_id: Uuid,
    ) -> QueryResult<Option<(SessionCheck, String, String)>> {
        use diesel::dsl::now;
        sessions::table
            .inner_join(users::table.inner_join(organisations::table))
            .filter(sessions::jti.eq(jti))
            .filter(sessions::user_id.eq(user_id))
            .select((
                (
                    sessions::revoked_at.is_not_null(),
                    sessions::expires_at.le(now),
                    users::active,
                    organisations::status.eq(OrgStatus::Active),
                    users::role,
                    users::org_id,
                ),
                users::email,
                users::display_name,
            ))
            .first(conn)
            .await
            .optional()
    }

    /// The sessions of many tokens at once (the bid writer checks a batch's sessions in
    /// its transaction): `(jti, user id, check, email, display name)` of each that exists.
    /// For the bid writer, which plans it for each batch (`db::prepared`), like every
    /// lookup of a batch.
    pub async fn check_many(
        conn: &AsyncPgConnection,
        jtis: &[Uuid],
    ) -> QueryResult<Vec<(Uuid, Uuid, SessionCheck, String, String)>> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            jti: Uuid,
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            user_id: Uuid,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            revoked: bool,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            expired: bool,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            user_active: bool,
            #[diesel(sql_type = diesel::sql_types::Text)]
            org_status: OrgStatus,
            #[diesel(sql_type = diesel::sql_types::Text)]
            role: String,
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            org_id: Uuid,
            #[diesel(sql_type = diesel::sql_types::Text)]
            email: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            display_name: String,
        }
        let mut conn = conn;
        let rows: Vec<Row> = crate::platform::db::prepared::prepared(
            "SELECT s.jti, s.user_id, s.revoked_at IS NOT NULL AS revoked,
                    s.expires_at <= now() AS expired, u.active AS user_active,
                    o.status AS org_status, u.role, u.org_id, u.email, u.display_name
               FROM sessions s
               JOIN users u ON u.id = s.user_id
               JOIN organisations o ON o.id = u.org_id
              WHERE s.jti = ANY({})",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(jtis)
        .load(&mut conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.jti,
                    r.user_id,
                    SessionCheck {
                        revoked: r.revoked,
                        expired: r.expired,
                        user_active: r.user_active,
                        org_active: r.org_status == OrgStatus::Active,
                        role: r.role,
                        org_id: r.org_id,
                    },
                    r.email,
                    r.display_name,
                )
            })
            .collect())
    }

    /// Revokes one session; returns whether it was live.
    pub async fn revoke(conn: &mut AsyncPgConnection, jti: Uuid) -> QueryResult<bool> {
        let n = diesel::update(
            sessions::table
                .find(jti)
                .filter(sessions::revoked_at.is_null()),
        )
        .set(sessions::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
        Ok(n == 1)
    }

    /// Revokes every live session of a user; returns how many.
    pub async fn revoke_all_for_user(
        conn: &mut AsyncPgConnection,
        user_id: Uuid,
    ) -> QueryResult<usize> {
        diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::revoked_at.is_null()),
        )
        .set(sessions::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
    }
}
