//! Authentication and authorization.
//!
//! A login issues a short JWT (HS256) naming a server-side session (its `jti`). The
//! [`AuthUser`] extractor authenticates every `/api/v1` request: the signature, the
//! expiry, and then one indexed lookup that the session is not revoked (logout), the user
//! is active, the organisation not suspended and the role unchanged. Each handler states
//! the roles it admits with [`AuthUser::require`]: nothing is allowed by default.

mod hs256;
pub mod password;
pub mod roles;
pub mod session;

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use roles::{OrgKind, OrgStatus, Role};

pub use session::{Session, SessionCheck};

use crate::platform::{AppState, audit::Actor, error::ApiError};

pub const ISSUER: &str = "vbp";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    pub role: Role,
    /// The user's organisation.
    pub org: Uuid,
    /// The organisation's province (buyers and insurers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    pub iat: i64,
    pub exp: i64,
    /// The session id; revoked on logout.
    pub jti: Uuid,
    pub iss: String,
}

/// Signing and verifying keys for access tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        hs256::install();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Checks signature, algorithm, issuer and expiry. Any failure is a 401.
    pub fn decode(&self, token: &str) -> Result<Claims, ApiError> {
        use jsonwebtoken::errors::ErrorKind;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                ApiError::Unauthorized(match e.kind() {
                    ErrorKind::ExpiredSignature => {
                        "the access token has expired; log in again".into()
                    }
                    _ => "the access token is invalid".into(),
                })
            })
    }
}

/// Who a session is for: a user, their role, organisation and its province.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub role: Role,
    pub org_id: Uuid,
    pub province: Option<String>,
}

/// Opens a session for `who` (a `sessions` row) and signs its access token. Call inside
/// the transaction that records the login.
pub async fn issue_session(
    conn: &mut diesel_async::AsyncPgConnection,
    tokens: &TokenKeys,
    who: Principal,
    ttl: std::time::Duration,
    client_ip: Option<&str>,
) -> Result<String, ApiError> {
    let now = Utc::now();
    let expires_at = now + ttl;
    let jti = Uuid::new_v4();
    Session::insert(conn, jti, who.user_id, expires_at, client_ip).await?;
    tokens.sign(&Claims {
        sub: who.user_id,
        role: who.role,
        org: who.org_id,
        province: who.province,
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
        jti,
        iss: ISSUER.into(),
    })
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub role: Role,
    pub org_id: Uuid,
    pub province: Option<String>,
    pub jti: Uuid,
    pub expires_at: DateTime<Utc>,
    /// The user's address and name as of this request (read by the session check), for
    /// notices such as the bid receipt.
    pub email: String,
    pub display_name: String,
}

impl AuthUser {
    /// Admits only the given roles; a 403 names the roles that may.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::Forbidden(format!(
                "the role {} may not do this; allowed: {}",
                self.role,
                allowed.join(", ")
            )))
        }
    }

    /// Admits only members of `org_id`.
    pub fn require_org(&self, org_id: Uuid) -> Result<(), ApiError> {
        if self.org_id == org_id {
            Ok(())
        } else {
            Err(ApiError::forbidden("this belongs to another organisation"))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::user(self.user_id, self.role.as_str())
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("an Authorization: Bearer <token> header is required".into())
    })?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not valid text".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be: Bearer <token>".into(),
        )),
    }
}

/// A request's access token, its signature, issuer and expiry verified, its session not
/// checked yet. Only the bid submission takes it: its session check runs in the write
/// transaction of the bid, batched with the other bids' (see `bid_writer`). Everything
/// else takes [`AuthUser`].
#[derive(Debug, Clone)]
pub struct VerifiedToken(pub Claims);

impl FromRequest for VerifiedToken {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready((|| {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("application state missing"))?;
            Ok(VerifiedToken(state.tokens.decode(&bearer(req)?)?))
        })())
    }
}

impl AuthUser {
    /// The caller of a verified token, when its session row (`None`: no such session)
    /// still admits it; a 401 saying why not otherwise.
    pub fn admitted(
        claims: Claims,
        session: Option<(SessionCheck, String, String)>,
    ) -> Result<Self, ApiError> {
        let (check, email, display_name) = session.ok_or_else(|| {
            ApiError::Unauthorized("the session of this token does not exist".into())
        })?;
        let refuse = |why: &str| Err(ApiError::Unauthorized(why.into()));
        if check.revoked {
            return refuse("the session has ended (logged out or revoked); log in again");
        }
        if check.expired {
            return refuse("the access token has expired; log in again");
        }
        if !check.user_active {
            return refuse("the account is deactivated");
        }
        if !check.org_active {
            return refuse("the organisation is suspended");
        }
        if check.role != claims.role.as_str() || check.org_id != claims.org {
            return refuse("the account changed since this token was issued; log in again");
        }
        Ok(AuthUser {
            user_id: claims.sub,
            role: claims.role,
            org_id: claims.org,
            province: claims.province,
            jti: claims.jti,
            expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
            email,
            display_name,
        })
    }

    /// Checks the session of a verified token (one indexed lookup).
    pub async fn check(state: &AppState, claims: Claims) -> Result<Self, ApiError> {
        let mut conn = state.pool.get().await?;
        let session = Session::check(&mut conn, claims.jti, claims.sub).await?;
        Self::admitted(claims, session)
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let claims = state.tokens.decode(&token?)?;
            AuthUser::check(&state, claims).await
        })
    }
}
