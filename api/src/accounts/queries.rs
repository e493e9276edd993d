//! Row types and their queries: organisations, users, login throttling, provinces
//! (sessions are the platform's: `platform::auth::session`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::platform::db::schema::{login_throttle, organisations, provinces, users};

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
    pub status: crate::platform::auth::OrgStatus,
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
        status: Option<crate::platform::auth::OrgStatus>,
    ) -> QueryResult<Self> {
        let current = Self::find(conn, id).await?;
        diesel::update(organisations::table.find(id))
            .set((
                organisations::name.eq(name.unwrap_or(&current.name)),
                organisations::status.eq(status.unwrap_or(current.status)),
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
    /// Who a session of this user, of `org`, is for.
    pub fn principal(
        &self,
        org: &Organisation,
    ) -> Result<crate::platform::auth::Principal, String> {
        Ok(crate::platform::auth::Principal {
            user_id: self.id,
            role: self.role.parse()?,
            org_id: org.id,
            province: org.province.clone(),
        })
    }

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
