//! Accounts and tokens: argon2id password hashes, per-device bearer tokens, and the [`Caller`] extractor.
//!
//! A token is 32 random bytes in hex, shown to the device once; the server keeps
//! only its SHA-256, bound to one user and one device, until revoked (logout,
//! or disabling the user). Every endpoint but login takes a [`Caller`], so a
//! handler cannot forget to authenticate; role and team checks follow in the handler.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::AppState;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Manages accounts, sees every team.
    Admin,
    /// Reviews the work of one team; may also interview.
    Supervisor,
    /// Pushes finished work from a device.
    Interviewer,
}

impl Role {
    /// Parses the stable code used in the database and on the command line.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "supervisor" => Some(Role::Supervisor),
            "interviewer" => Some(Role::Interviewer),
            _ => None,
        }
    }

    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Interviewer => "interviewer",
        }
    }
}

/// How expensive a new password hash is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCost {
    /// argon2id with the crate's recommended parameters (19 MiB, 2 passes): for real accounts.
    Default,
    /// argon2id with tiny parameters so debug-build tests stay fast; never for real accounts.
    Minimal,
}

/// Hashes a password into a PHC string (the parameters travel inside it, so verifying needs no cost).
pub fn hash_password(password: &str, cost: HashCost) -> Result<String, ApiError> {
    let params = match cost {
        HashCost::Default => Params::default(),
        // 8 KiB and one pass are the smallest values argon2 accepts.
        HashCost::Minimal => {
            Params::new(8, 1, 1, None).map_err(|e| ApiError::Internal(e.to_string()))?
        }
    };
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))
}

/// Whether `password` matches the stored PHC string; a malformed string never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Verifies `password` against a throwaway hash of production cost, so that
/// logging in as an unknown user takes as long as a wrong password for a real one.
pub fn burn_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(h) =
        DUMMY.get_or_init(|| hash_password("canvass-timing-dummy", HashCost::Default).ok())
    {
        let _ = verify_password(password, h);
    }
}

/// A new random token (64 hex characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The form in which a token is stored: hex SHA-256.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The authenticated caller of a request: who, in which role and team, from which device.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: String,
    pub role: Role,
    pub team: Option<String>,
    /// The device the token was issued to.
    pub device_id: String,
    /// The stored form of the token, for logout.
    pub token_hash: String,
}

impl Caller {
    /// Refuses the request unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "a {} may not {what}",
                self.role.as_str()
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or(ApiError::Unauthorized("sign in first: no token was sent"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized(
                "the Authorization header must be `Bearer TOKEN`",
            ))?;
        let hash = token_hash(token.trim());
        let owner = state
            .db
            .token_owner(&hash)
            .await?
            .ok_or(ApiError::Unauthorized(
                "the token is unknown or was revoked; sign in again",
            ))?;
        let role = Role::parse(&owner.user.role).ok_or_else(|| {
            ApiError::Internal(format!(
                "user {} has unknown role {}",
                owner.user.name, owner.user.role
            ))
        })?;
        Ok(Caller {
            user: owner.user.name,
            role,
            team: owner.user.team,
            device_id: owner.device_id,
            token_hash: hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let h = hash_password("correct horse", HashCost::Minimal).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("correct horse", "not a phc string"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
