//! Row types and their queries: organisations, users, sessions, login throttling, provinces.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::platform::db::schema::{login_throttle, organisations, provinces, sessions, users};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = provinces, check_for_backend(diesel::pg::Pg))]
pub struct Province {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

impl Province {
    pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Self>> {
        provinces::table
            .order(provinces::code)
            .select(Self::as_select())
            .load(conn)
            .await
    }

    pub async fn exists(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            provinces::table.filter(provinces::code.eq(code)),
        ))
        .get_result(conn)
        .await
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = organisations, check_for_backend(diesel::pg::Pg))]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub province: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = organisations)]
pub struct NewOrganisation<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: &'a str,
    pub province: Option<&'a str>,
}

impl Organisation {
    pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Self> {
        organisations::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .await
    }

    pub async fn find_by_name(
        conn: &mut AsyncPgConnection,
        name: &str,
    ) -> QueryResult<Option<Self>> {
        organisations::table
            .filter(lower(organisations::name).eq(name.to_lowercase()))
            .select(Self::as_select())
            .first(conn)
            .await
            .optional()
    }

    pub async fn insert(
        conn: &mut AsyncPgConnection,
        new: &NewOrganisation<'_>,
    ) -> QueryResult<Self> {
        diesel::insert_into(organisations::table)
            .values(new)
            .returning(Self::as_returning())
            .get_result(conn)
            .await
    }

    /// A page of organisations, optionally of one kind, ordered by name; with the total.
    pub async fn page(
        conn: &mut AsyncPgConnection,
        kind: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<Self>, i64)> {
        let mut q = organisations::table.into_boxed();
        let mut c = organisations::table.into_boxed();
        if let Some(kind) = kind {
            q = q.filter(organisations::kind.eq(kind.to_owned()));
            c = c.filter(organisations::kind.eq(kind.to_owned()));
        }
        let total = c.count().get_result(conn).await?;
        let rows = q
            .order((organisations::name, organisations::id))
            .limit(limit)
            .offset(offset)
            .select(Self::as_select())
            .load(conn)
            .await?;
        Ok((rows, total))
    }

    pub async fn update(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        name: Option<&str>,
        status: Option<&str>,
    ) -> QueryResult<Self> {
        let current = Self::find(conn, id).await?;
        diesel::update(organisations::table.find(id))
            .set((
                organisations::name.eq(name.unwrap_or(&current.name)),
                organisations::status.eq(status.unwrap_or(&current.status)),
                organisations::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
            .await
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub org_id: Uuid,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub org_id: Uuid,
}

impl User {
    pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Self> {
        users::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .await
    }

    /// The user with this (lower-cased) email, with its organisation.
    pub async fn find_by_email(
        conn: &mut AsyncPgConnection,
        email: &str,
    ) -> QueryResult<Option<(Self, Organisation)>> {
        users::table
            .inner_join(organisations::table)
            .filter(users::email.eq(email))
            .select((Self::as_select(), Organisation::as_select()))
            .first(conn)
            .await
            .optional()
    }

    pub async fn insert(conn: &mut AsyncPgConnection, new: &NewUser<'_>) -> QueryResult<Self> {
        diesel::insert_into(users::table)
            .values(new)
            .returning(Self::as_returning())
            .get_result(conn)
            .await
    }

    pub async fn page(
        conn: &mut AsyncPgConnection,
        org_id: Option<Uuid>,
        role: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<(Self, Organisation)>, i64)> {
        let mut q = users::table.inner_join(organisations::table).into_boxed();
        let mut c = users::table.into_boxed();
        if let Some(org) = org_id {
            q = q.filter(users::org_id.eq(org));
            c = c.filter(users::org_id.eq(org));
        }
        if let Some(role) = role {
            q = q.filter(users::role.eq(role.to_owned()));
            c = c.filter(users::role.eq(role.to_owned()));
        }
        let total = c.count().get_result(conn).await?;
        let rows = q
            .order((users::email, users::id))
            .limit(limit)
            .offset(offset)
            .select((Self::as_select(), Organisation::as_select()))
            .load(conn)
            .await?;
        Ok((rows, total))
    }

    pub async fn set_active(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        active: bool,
    ) -> QueryResult<Self> {
        diesel::update(users::table.find(id))
            .set((
                users::active.eq(active),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
            .await
    }

    pub async fn set_display_name(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        name: &str,
    ) -> QueryResult<Self> {
        diesel::update(users::table.find(id))
            .set((
                users::display_name.eq(name),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
            .await
    }

    pub async fn set_password(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        hash: &str,
    ) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await
    }
}

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
                    organisations::status.eq("active"),
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
            #[diesel(sql_type = diesel::sql_types::Bool)]
            org_active: bool,
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
                    o.status = 'active' AS org_active, u.role, u.org_id, u.email, u.display_name
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
                        org_active: r.org_active,
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

/// Failed-login counters in fixed windows.
pub struct LoginThrottle;

impl LoginThrottle {
    /// Seconds until `key` may try again, when it has reached `limit` failures in the window.
    pub async fn blocked_for(
        conn: &mut AsyncPgConnection,
        key: &str,
        limit: i32,
        window_secs: i64,
    ) -> QueryResult<Option<i64>> {
        let row: Option<(DateTime<Utc>, i32)> = login_throttle::table
            .find(key)
            .select((login_throttle::window_start, login_throttle::failures))
            .first(conn)
            .await
            .optional()?;
        Ok(row.and_then(|(start, failures)| {
            let left = window_secs - (Utc::now() - start).num_seconds();
            (failures >= limit && left > 0).then_some(left)
        }))
    }

    /// Counts one failure for `key`, opening a new window when the last one has passed.
    pub async fn record_failure(
        conn: &mut AsyncPgConnection,
        key: &str,
        window_secs: i64,
    ) -> QueryResult<usize> {
        use diesel::sql_types::{BigInt, Text};
        diesel::sql_query(
            "INSERT INTO login_throttle (key, window_start, failures) VALUES ($1, now(), 1)
             ON CONFLICT (key) DO UPDATE SET
               failures = CASE WHEN login_throttle.window_start < now() - ($2::float8 * interval '1 second')
                               THEN 1 ELSE login_throttle.failures + 1 END,
               window_start = CASE WHEN login_throttle.window_start < now() - ($2::float8 * interval '1 second')
                               THEN now() ELSE login_throttle.window_start END",
        )
        .bind::<Text, _>(key)
        .bind::<BigInt, _>(window_secs)
        .execute(conn)
        .await
    }

    pub async fn clear(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<usize> {
        diesel::delete(login_throttle::table.find(key))
            .execute(conn)
            .await
    }
}
