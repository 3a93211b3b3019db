//! Finding the server, the region and the operator's credentials as an AWS client does:
//! `--endpoint-url`, else `AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL`, or the profile's
//! `endpoint_url`; the region from `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile (else
//! us-east-1); credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
//! (`AWS_SESSION_TOKEN`), else the profile (`--profile`, `AWS_PROFILE`, or `default`) in the
//! shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, `~/.aws/credentials`) or the config
//! file (`AWS_CONFIG_FILE`, `~/.aws/config`). Only static keys are read from profiles.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::client::Credentials;

/// Where the server is and who calls it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub endpoint: String,
    pub region: String,
    pub credentials: Credentials,
}

/// An INI file's sections: name → key → value.
fn ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.entry(section.clone()).or_default().insert(k.trim().to_lowercase(), v.trim().to_owned());
        }
    }
    out
}

fn home_file(var: &str, rel: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(p) => Some(PathBuf::from(p)),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(rel)),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Resolves what `castellan workload` needs, or says what is missing.
pub fn resolve(endpoint_flag: Option<&str>, profile_flag: Option<&str>) -> Result<Resolved, String> {
    let profile = profile_flag.map(str::to_owned).or_else(|| env("AWS_PROFILE")).unwrap_or_else(|| "default".into());
    let read = |var: &str, rel: &str| {
        home_file(var, rel).and_then(|p| std::fs::read_to_string(p).ok()).map(|t| ini(&t)).unwrap_or_default()
    };
    let credentials_file = read("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    let config_file = read("AWS_CONFIG_FILE", ".aws/config");
    let config_section = if profile == "default" { "default".to_owned() } else { format!("profile {profile}") };
    let from_profile = |key: &str| {
        credentials_file
            .get(&profile)
            .and_then(|s| s.get(key))
            .or_else(|| config_file.get(&config_section).and_then(|s| s.get(key)))
            .cloned()
    };
    let credentials = match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Credentials { access_key_id: id, secret_access_key: secret, session_token: env("AWS_SESSION_TOKEN") },
        _ => match (from_profile("aws_access_key_id"), from_profile("aws_secret_access_key")) {
            (Some(id), Some(secret)) => {
                Credentials { access_key_id: id, secret_access_key: secret, session_token: from_profile("aws_session_token") }
            }
            _ => {
                return Err(format!(
                    "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile {profile} static keys"
                ))
            }
        },
    };
    let endpoint = endpoint_flag
        .map(str::to_owned)
        .or_else(|| env("AWS_ENDPOINT_URL_IAM"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .or_else(|| config_file.get(&config_section).and_then(|s| s.get("endpoint_url")).cloned())
        .ok_or("no endpoint: give --endpoint-url or set AWS_ENDPOINT_URL (the Castellan server, such as http://127.0.0.1:4260)")?;
    let region = env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| config_file.get(&config_section).and_then(|s| s.get("region")).cloned())
        .unwrap_or_else(|| "us-east-1".into());
    Ok(Resolved { endpoint, region, credentials })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn ini_sections_and_keys() {
        let t = ini("[default]\naws_access_key_id = A\n# note\n[profile dev]\nRegion=eu-west-1\n");
        assert_eq!(t["default"]["aws_access_key_id"], "A");
        assert_eq!(t["profile dev"]["region"], "eu-west-1");
    }
}
