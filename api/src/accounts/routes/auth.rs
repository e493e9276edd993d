//! Login, logout and the current user.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::platform::auth::OrgStatus;
use crate::{
    accounts::queries::{LoginThrottle, Organisation, User},
    platform::{
        AppState,
        audit::{self, Actor},
        auth::{AuthUser, Role, Session, issue_session, password},
        error::{ApiError, Problem},
    },
};

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(example = "officer@vbp.demo")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

/// The signed-in user as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct MeDto {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: Uuid,
    pub org_name: String,
    /// GB/T 2260 code of the organisation's province (buyers and insurers).
    pub province: Option<String>,
}

impl MeDto {
    pub fn new(user: &User, org: &Organisation) -> Result<Self, ApiError> {
        Ok(Self {
            id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            role: user.role.parse().map_err(ApiError::internal)?,
            org_id: org.id,
            org_name: org.name.clone(),
            province: org.province.clone(),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub user: MeDto,
}

fn client_ip(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}

const BAD_CREDENTIALS: &str = "the email or password is incorrect";

/// Exchange email and password for an access token.
///
/// Failed attempts are limited per account and per client address; past the limit the
/// answer is 429 with `Retry-After`, whether or not the password is right.
#[utoipa::path(
    tag = "auth",
    extensions(("x-scope" = json!("public"))),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong email or password, or account deactivated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
#[tracing::instrument(skip_all)]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: crate::platform::input::Json<LoginRequest>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    let LoginRequest { email, password } = body.into_inner()?;
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(ApiError::invalid("email", "is required"));
    }
    // bounded before anything is looked up, counted or hashed
    crate::platform::input::bounded("email", &email, 254)?;
    crate::platform::input::bounded("password", &password, 256)?;
    let ip = client_ip(&req);
    let limits = state.settings.login;
    let window = limits.window.as_secs() as i64;
    let account_key = format!("account:{email}");
    let ip_key = ip.as_ref().map(|ip| format!("ip:{ip}"));

    let found = {
        let mut conn = state.pool.get().await?;
        let mut blocked =
            LoginThrottle::blocked_for(&mut conn, &account_key, limits.per_account, window).await?;
        if let Some(key) = &ip_key {
            let by_ip = LoginThrottle::blocked_for(&mut conn, key, limits.per_ip, window).await?;
            blocked = blocked.max(by_ip);
        }
        if let Some(secs) = blocked {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: secs.max(1) as u64,
            });
        }
        User::find_by_email(&mut conn, &email).await?
    }; // the connection goes back to the pool while the hash is checked

    let stored = found.as_ref().map(|(u, _)| u.password_hash.clone());
    let password_ok = password::verify(password, stored).await?;

    let mut conn = state.pool.get().await?;
    let (user, org) = match found {
        Some((user, org)) if password_ok => (user, org),
        found => {
            let user_id = found.as_ref().map(|(u, _)| u.id);
            conn.transaction(async |conn| {
                LoginThrottle::record_failure(conn, &account_key, window).await?;
                if let Some(key) = &ip_key {
                    LoginThrottle::record_failure(conn, key, window).await?;
                }
                audit::record(
                    conn,
                    &Actor::system(),
                    "auth.login_failed",
                    "user",
                    &user_id.map_or_else(|| "unknown".into(), |id| id.to_string()),
                    json!({ "ip": ip, "known_account": user_id.is_some() }),
                )
                .await
            })
            .await?;
            return Err(ApiError::Unauthorized(BAD_CREDENTIALS.into()));
        }
    };
    if !user.active {
        return Err(ApiError::Unauthorized("the account is deactivated".into()));
    }
    if org.status != OrgStatus::Active {
        return Err(ApiError::Unauthorized(
            "the organisation is suspended".into(),
        ));
    }
    let ttl = state.settings.token_ttl;
    let access_token = conn
        .transaction(async |conn| {
            let who = user.principal(&org).map_err(ApiError::internal)?;
            let token = issue_session(conn, &state.tokens, who, ttl, ip.as_deref()).await?;
            LoginThrottle::clear(conn, &account_key).await?;
            audit::record(
                conn,
                &Actor::user(user.id, &user.role),
                "auth.login",
                "user",
                &user.id.to_string(),
                json!({ "ip": ip }),
            )
            .await?;
            Ok::<_, ApiError>(token)
        })
        .await?;
    Ok(web::Json(LoginResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl.as_secs(),
        user: MeDto::new(&user, &org)?,
    }))
}

/// End the session of this token; the token stops working at once.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("self"))),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(user: AuthUser, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        Session::revoke(conn, user.jti).await?;
        audit::record(
            conn,
            &user.actor(),
            "auth.logout",
            "user",
            &user.user_id.to_string(),
            json!({ "session": user.jti }),
        )
        .await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("self"))),
    responses(
        (status = 200, description = "The signed-in user", body = MeDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn me(user: AuthUser, state: web::Data<AppState>) -> Result<web::Json<MeDto>, ApiError> {
    let mut conn = state.pool.get().await?;
    let row = User::find(&mut conn, user.user_id).await?;
    let org = Organisation::find(&mut conn, row.org_id).await?;
    Ok(web::Json(MeDto::new(&row, &org)?))
}
