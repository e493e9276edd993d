//! Users: admins create, deactivate and reset them; auditors read them.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::platform::page::{Page, Pagination};
use crate::{
    accounts::queries::{NewUser, Organisation, User},
    platform::{
        AppState, audit,
        auth::{AuthUser, Role, Session, password},
        error::{ApiError, FieldError, Problem},
        jobs, mail,
    },
};

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: Uuid,
    pub org_name: String,
    pub province: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl UserDto {
    fn new(u: User, org: &Organisation) -> Result<Self, ApiError> {
        Ok(Self {
            role: u.role.parse().map_err(ApiError::internal)?,
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            org_id: org.id,
            org_name: org.name.clone(),
            province: org.province.clone(),
            active: u.active,
            created_at: u.created_at,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserDto,
    /// The generated password, shown this once, when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateUser {
    #[schema(example = "buyer.zj@example.cn", max_length = 254)]
    pub email: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub display_name: String,
    pub role: Role,
    /// The organisation; its kind must match the role (supplier -> supplier, ...).
    pub org_id: Uuid,
    /// At least 12 characters; generated and returned once when omitted.
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateUser {
    /// `false` deactivates the user and ends all its sessions at once.
    pub active: Option<bool>,
    #[schema(max_length = 200)]
    pub display_name: Option<String>,
    /// A new password (at least 12 characters); ends all the user's sessions.
    pub password: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub org_id: Option<Uuid>,
    pub role: Option<Role>,
}

const READERS: &[Role] = &[Role::Admin, Role::Auditor];

fn check_email(email: &str) -> Result<(), String> {
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(())
    } else {
        Err(format!("{email:?} is not an email address"))
    }
}

/// List users.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["admin", "auditor"])),
    extensions(("x-scope" = json!("all"))),
    params(Pagination, UserQuery),
    responses(
        (status = 200, description = "A page of users", body = Page<UserDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins and auditors", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users")]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
    query: web::Query<UserQuery>,
) -> Result<web::Json<Page<UserDto>>, ApiError> {
    user.require(READERS)?;
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let mut conn = state.pool.get().await?;
    let (rows, total) = User::page(
        &mut conn,
        query.org_id,
        query.role.map(Role::as_str),
        limit,
        offset,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|(u, o)| UserDto::new(u, &o))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Page::new(items, page, per_page, total)))
}

/// A procurement officer, as a round's builder names custodians of its opening key.
#[derive(Serialize, ToSchema)]
pub struct OfficerDto {
    pub id: Uuid,
    pub display_name: String,
    pub email: String,
    pub org_name: String,
    /// Only active officers may be named custodians.
    pub active: bool,
}

/// The procurement officers: who may be named a custodian of a round's opening key.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["procurement_officer", "admin", "auditor"])),
    extensions(("x-scope" = json!("all"))),
    params(Pagination),
    responses(
        (status = 200, description = "A page of procurement officers", body = Page<OfficerDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only officers, admins and auditors", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/officers")]
pub async fn officers(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
) -> Result<web::Json<Page<OfficerDto>>, ApiError> {
    user.require(&[Role::ProcurementOfficer, Role::Admin, Role::Auditor])?;
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let mut conn = state.pool.get().await?;
    let (rows, total) = User::page(
        &mut conn,
        None,
        Some(Role::ProcurementOfficer.as_str()),
        limit,
        offset,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|(u, o)| {
            UserDto::new(u, &o).map(|u| OfficerDto {
                id: u.id,
                display_name: u.display_name,
                email: u.email,
                org_name: u.org_name,
                active: u.active,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Page::new(items, page, per_page, total)))
}

/// Create a user in an organisation; the user is told by mail (without the password).
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["admin"])),
    extensions(("x-scope" = json!("all"))),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created; `initial_password` when none was given", body = CreatedUser),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    body: crate::platform::input::Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let body = body.into_inner()?;
    let email = body.email.trim().to_lowercase();
    let mut errors = Vec::new();
    if let Err(e) = check_email(&email) {
        errors.push(FieldError::field("email", e));
    }
    crate::platform::input::check_len(
        &mut errors,
        "display_name",
        &body.display_name,
        crate::platform::input::MAX_NAME,
    );
    if let Some(p) = &body.password
        && let Err(e) = password::check_policy(p)
    {
        errors.push(FieldError::field("password", e));
    }
    let mut conn = state.pool.get().await?;
    let org = match Organisation::find(&mut conn, body.org_id).await {
        Ok(org) => Some(org),
        Err(diesel::result::Error::NotFound) => {
            errors.push(FieldError::field("org_id", "no such organisation"));
            None
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(org) = &org
        && org.kind != body.role.org_kind().as_str()
    {
        errors.push(FieldError::field(
            "role",
            format!(
                "a {} must belong to an organisation of kind {}, not {}",
                body.role,
                body.role.org_kind(),
                org.kind
            ),
        ));
    }
    let (Some(org), true) = (org, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    if User::find_by_email(&mut conn, &email).await?.is_some() {
        return Err(ApiError::conflict(
            "email_taken",
            format!("a user with email {email} exists"),
        ));
    }
    drop(conn);
    let generated = body.password.is_none().then(password::generate);
    let plain = body
        .password
        .clone()
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let hash = password::hash(plain).await?;
    let mut conn = state.pool.get().await?;
    let created = conn
        .transaction(async |conn| {
            let created = User::insert(
                conn,
                &NewUser {
                    id: Uuid::now_v7(),
                    email: &email,
                    display_name: body.display_name.trim(),
                    password_hash: &hash,
                    role: body.role.as_str(),
                    org_id: org.id,
                },
            )
            .await?;
            audit::record(
                conn,
                &user.actor(),
                "user.create",
                "user",
                &created.id.to_string(),
                json!({ "email": created.email, "role": created.role, "org_id": org.id }),
            )
            .await?;
            let (role_zh, role_en) = mail::role_names(body.role);
            jobs::enqueue_email(
                conn,
                &state.settings.jobs,
                "user_created",
                &created.email,
                &json!({
                    "name": if created.display_name.is_empty() { &created.email } else { &created.display_name },
                    "email": created.email,
                    "role_zh": role_zh,
                    "role_en": role_en,
                    "org_name": org.name,
                    "platform_url": state.settings.mail.public_url,
                }),
                Some(&format!("user_created:{}", created.id)),
            )
            .await?;
            Ok::<_, ApiError>(created)
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedUser {
        user: UserDto::new(created, &org)?,
        initial_password: generated,
    }))
}

/// One user.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["admin", "auditor"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = UserDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins and auditors", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{id}")]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<UserDto>, ApiError> {
    user.require(READERS)?;
    let mut conn = state.pool.get().await?;
    let row = User::find(&mut conn, *id).await?;
    let org = Organisation::find(&mut conn, row.org_id).await?;
    Ok(web::Json(UserDto::new(row, &org)?))
}

/// Deactivate or reactivate a user, rename it, or reset its password.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["admin"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "Updated", body = UserDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<UpdateUser>,
) -> Result<web::Json<UserDto>, ApiError> {
    user.require(&[Role::Admin])?;
    let body = body.into_inner()?;
    let id = id.into_inner();
    if let Some(name) = &body.display_name {
        crate::platform::input::bounded("display_name", name, crate::platform::input::MAX_NAME)?;
    }
    if body.active == Some(false) && id == user.user_id {
        return Err(ApiError::rule(
            "cannot_deactivate_self",
            "an admin cannot deactivate itself",
        ));
    }
    let hash = match body.password {
        Some(p) => {
            password::check_policy(&p).map_err(|e| ApiError::invalid("password", e))?;
            Some(password::hash(p).await?)
        }
        None => None,
    };
    let mut conn = state.pool.get().await?;
    let (row, org) = conn
        .transaction(async |conn| {
            let before = User::find(conn, id).await?;
            let mut row = before.clone();
            if let Some(active) = body.active {
                row = User::set_active(conn, id, active).await?;
            }
            if let Some(name) = &body.display_name {
                row = User::set_display_name(conn, id, name.trim()).await?;
            }
            if let Some(hash) = &hash {
                User::set_password(conn, id, hash).await?;
            }
            let ended = if body.active == Some(false) || hash.is_some() {
                Session::revoke_all_for_user(conn, id).await?
            } else {
                0
            };
            audit::record(
                conn,
                &user.actor(),
                "user.update",
                "user",
                &id.to_string(),
                json!({
                    "active": { "before": before.active, "after": row.active },
                    "display_name_changed": body.display_name.is_some(),
                    "password_reset": hash.is_some(),
                    "sessions_ended": ended,
                }),
            )
            .await?;
            let org = Organisation::find(conn, row.org_id).await?;
            Ok::<_, ApiError>((row, org))
        })
        .await?;
    Ok(web::Json(UserDto::new(row, &org)?))
}
