//! Temporary credentials: what a session is, and its token.
//!
//! The session token is the whole session, serialized and sealed with AES-256-GCM under the
//! master key, bound to the session's access key id. Any node holding the master key can
//! verify a session without a database lookup, nothing is kept in memory per live session,
//! and a token that was altered in any way does not open. Sessions are revoked the way AWS
//! revokes them: a Deny conditioned on `aws:TokenIssueTime`.

use serde::{Deserialize, Serialize};

use crate::crypto::MasterKey;
use crate::error::{ApiError, ApiResult};

/// Who a session acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// AssumeRole: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    AssumedRole { role_name: String, role_id: String, role_path: String, session_name: String },
    /// GetFederationToken: `arn:aws:sts::ACCOUNT:federated-user/NAME`, capped by the policies
    /// of the IAM user that asked for it (`None`: the root user).
    FederatedUser {
        name: String,
        creator: Option<String>,
        /// The creating user's unique id.
        #[serde(default)]
        creator_id: Option<String>,
    },
    /// GetSessionToken of an IAM user (`Some`) or the root user (`None`): the same principal
    /// with temporary credentials.
    SessionToken {
        user: Option<String>,
        /// The user's unique id: the session acts as that user only, never as a later user
        /// of the same name.
        #[serde(default)]
        user_id: Option<String>,
    },
}

impl SessionKind {
    /// A session of `role` named `session_name`.
    pub fn assumed_role(role: &crate::model::Role, session_name: &str) -> SessionKind {
        SessionKind::AssumedRole {
            role_name: role.name.clone(),
            role_id: role.id.clone(),
            role_path: role.path.clone(),
            session_name: session_name.to_owned(),
        }
    }
}

/// A session, exactly as its token carries it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account: String,
    pub kind: SessionKind,
    /// Unix seconds.
    pub issued: i64,
    pub expires: i64,
    /// Session policies (documents as given) and managed session policies (ARNs). When both
    /// are empty no session policy applies, except to a federated user, who then may do nothing.
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub policy_arns: Vec<String>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    #[serde(default)]
    pub transitive_tag_keys: Vec<String>,
    #[serde(default)]
    pub source_identity: Option<String>,
    #[serde(default)]
    pub mfa: bool,
    /// When the MFA authentication happened (Unix seconds), for aws:MultiFactorAuthAge. A
    /// chained session keeps its parent's.
    #[serde(default)]
    pub mfa_time: Option<i64>,
    /// A console sign-in session (password, and MFA when the user has a device): unlike
    /// GetSessionToken's without MFA, it may call IAM.
    #[serde(default)]
    pub console: bool,
    /// Made from another role session's credentials (role chaining).
    #[serde(default)]
    pub chained: bool,
    /// AssumeRoleWithWebIdentity: the OIDC provider's ARN (aws:FederatedProvider).
    #[serde(default)]
    pub federated_provider: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .field("account", &self.account)
            .field("kind", &self.kind)
            .field("issued", &self.issued)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

const CONTEXT: &str = "castellan-session:";

impl Session {
    /// A new session of `kind` in `account`, from `now` for `duration` seconds, with fresh
    /// temporary keys and no session policies, tags or source identity.
    pub fn new(account: &str, kind: SessionKind, now: i64, duration: i32) -> Session {
        Session {
            access_key_id: crate::ids::session_access_key_id(account),
            secret_access_key: crate::ids::secret_access_key(),
            account: account.to_owned(),
            kind,
            issued: now,
            expires: now + i64::from(duration),
            policies: Vec::new(),
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            mfa: false,
            mfa_time: None,
            console: false,
            chained: false,
            federated_provider: None,
        }
    }

    /// The session token: the session sealed under the master key.
    pub fn seal(&self, key: &MasterKey) -> ApiResult<String> {
        let json = serde_json::to_string(self).map_err(|_| ApiError::ServiceFailure)?;
        key.seal(&json, &format!("{CONTEXT}{}", self.access_key_id)).map_err(|_| ApiError::ServiceFailure)
    }

    /// Opens a token presented with `access_key_id`. `None` when it was not made by a node
    /// with this master key for that key id.
    pub fn open(token: &str, access_key_id: &str, key: &MasterKey) -> Option<Session> {
        let json = key.open(token, &format!("{CONTEXT}{access_key_id}")).ok()?;
        let session: Session = serde_json::from_str(&json).ok()?;
        (session.access_key_id == access_key_id).then_some(session)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn session() -> Session {
        Session {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "secret".into(),
            ..Session::new(
                "123456789012",
                SessionKind::SessionToken { user: Some("bob".into()), user_id: Some("AIDAEXAMPLE".into()) },
                1,
                1,
            )
        }
    }

    #[test]
    fn tokens_round_trip_and_resist_tampering() {
        let (key, _) = MasterKey::generate();
        let token = session().seal(&key).unwrap();
        assert!(!token.contains("secret"));
        assert_eq!(Session::open(&token, "ASIAEXAMPLE", &key), Some(session()));
        assert_eq!(Session::open(&token, "ASIAOTHER", &key), None, "bound to its key id");
        let mut bytes = token.clone().into_bytes();
        let i = bytes.len() / 2;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        assert_eq!(Session::open(&String::from_utf8(bytes).unwrap(), "ASIAEXAMPLE", &key), None);
        let (other, _) = MasterKey::generate();
        assert_eq!(Session::open(&token, "ASIAEXAMPLE", &other), None);
    }
}
