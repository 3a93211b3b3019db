//! One workload's credentials: fetched from Castellan, kept, and fetched again before they
//! expire — an hour before, or halfway through sessions shorter than two hours — as EC2 makes
//! new instance credentials available well ahead of the old ones' expiry. (An hour because
//! botocore treats instance credentials that expire within its refresh window plus jitter,
//! 12–25 minutes, as a sign IMDS is unavailable and extends them: credentials served that
//! close to expiry would be used past it.) When a fetch fails
//! (the role was deleted, taken out of the profile, its trust no longer names the service)
//! the kept credentials are dropped: nothing more is served until a fetch succeeds again.

use std::sync::Arc;

use castellan_api::Timestamp;
use tokio::sync::Mutex;

use crate::client::{CallError, Client};

/// What Castellan answered for the workload.
#[derive(Clone)]
pub struct Fetched {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// `2026-12-06T10:00:00Z`.
    pub last_updated: String,
    pub expiration: String,
    expires_at: i64,
    refresh_at: i64,
    pub role_name: String,
    pub role_arn: String,
    pub profile_arn: Option<String>,
    pub profile_id: Option<String>,
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched").field("access_key_id", &self.access_key_id).field("expiration", &self.expiration).finish_non_exhaustive()
    }
}

/// A registered workload.
#[derive(Debug)]
pub struct Workload {
    pub id: String,
    token: String,
    duration: Option<u32>,
    client: Arc<Client>,
    kept: Mutex<Option<Fetched>>,
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn seconds(t: &str) -> Option<i64> {
    Timestamp::parse_aws(t).map(Timestamp::unix_seconds)
}

impl Workload {
    /// Registers a workload for `instance_profile` or `task_role` with the operator's client.
    pub async fn register(client: Arc<Client>, instance_profile: Option<&str>, task_role: Option<&str>, duration: Option<u32>) -> Result<Workload, CallError> {
        let params: Vec<(&str, &str)> = match (instance_profile, task_role) {
            (Some(p), _) => vec![("InstanceProfileName", p)],
            (None, Some(r)) => vec![("RoleName", r)],
            (None, None) => return Err(CallError::Transport("nothing to register".into())),
        };
        let answer = client.call("CastellanRegisterWorkload", &params).await?;
        let missing = || CallError::Transport("the server's answer lacks the workload".into());
        Ok(Workload {
            id: answer.element("WorkloadId").ok_or_else(missing)?,
            token: answer.element("WorkloadToken").ok_or_else(missing)?,
            duration,
            client,
            kept: Mutex::new(None),
        })
    }

    /// The credentials to serve now, fetched anew when the kept ones are due for refresh.
    pub async fn current(&self) -> Result<Fetched, CallError> {
        let mut kept = self.kept.lock().await;
        if let Some(f) = kept.as_ref().filter(|f| now() < f.refresh_at) {
            return Ok(f.clone());
        }
        match self.fetch().await {
            Ok(f) => {
                *kept = Some(f.clone());
                Ok(f)
            }
            Err(e) => {
                *kept = None;
                tracing::warn!(workload = %self.id, error = %e, "no credentials for the workload");
                Err(e)
            }
        }
    }

    async fn fetch(&self) -> Result<Fetched, CallError> {
        let duration = self.duration.map(|d| d.to_string());
        let mut params = vec![("WorkloadToken", self.token.as_str())];
        if let Some(d) = &duration {
            params.push(("DurationSeconds", d));
        }
        let a = self.client.call("CastellanGetWorkloadCredentials", &params).await?;
        let get = |n: &str| a.element(n).ok_or_else(|| CallError::Transport(format!("the server's answer lacks {n}")));
        let last_updated = get("Issued")?;
        let expiration = get("Expiration")?;
        let issued_at = seconds(&last_updated).unwrap_or_else(now);
        let expires_at = seconds(&expiration).unwrap_or(issued_at);
        let refresh_at = expires_at - ((expires_at - issued_at) / 2).min(3600);
        Ok(Fetched {
            access_key_id: get("AccessKeyId")?,
            secret_access_key: get("SecretAccessKey")?,
            session_token: get("SessionToken")?,
            last_updated,
            expiration,
            expires_at,
            refresh_at,
            role_name: get("RoleName")?,
            role_arn: get("RoleArn")?,
            profile_arn: a.element("InstanceProfileArn"),
            profile_id: a.element("InstanceProfileId"),
        })
    }
}

impl Fetched {
    /// Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }
}
