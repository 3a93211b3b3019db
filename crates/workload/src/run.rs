//! `castellan workload run` (one workload, one command) and `castellan workload serve` (a
//! host serving many workloads).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;

use crate::client::{Client, Endpoint};
use crate::container::{self, Tasks};
use crate::imds::{self, Imds};
use crate::provider::Workload;

/// How to reach Castellan and what the workloads' credentials look like.
#[derive(Debug, Clone)]
pub struct Common {
    pub endpoint_url: Option<String>,
    pub profile: Option<String>,
    /// Lifetime of each issued set of credentials, in seconds (Castellan's default: 6 hours).
    pub duration: Option<u32>,
    /// The IP TTL of the metadata service's answers (EC2's default hop limit is 1 for
    /// instances; 2 lets a container on the instance reach it).
    pub hop_limit: u32,
}

/// Variables that would give the command credentials other than the workload's.
const SCRUBBED: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
];

fn client(common: &Common) -> Result<Arc<Client>, String> {
    let resolved = crate::config::resolve(common.endpoint_url.as_deref(), common.profile.as_deref())?;
    let endpoint = Endpoint::parse(&resolved.endpoint)?;
    Ok(Arc::new(Client::new(endpoint, resolved.region, resolved.credentials)))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A directory only this user may enter, for the tasks' token files; removed on drop.
#[derive(Debug)]
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn new() -> Result<PrivateDir, String> {
        let tag: String = random_token().chars().take(8).collect();
        let path = std::env::temp_dir().join(format!("castellan-workload-{}-{tag}", std::process::id()));
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            b.mode(0o700);
        }
        b.create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(PrivateDir(path))
    }
}

/// Writes `contents` to a new file `name` in `dir`, readable by its owner only.
fn write_private(dir: &Path, name: &str, contents: &str) -> Result<PathBuf, String> {
    use std::io::Write as _;
    let path = dir.join(name);
    let mut opts = std::fs::OpenOptions::new();
    opts.create_new(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(contents.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn listen(ip: IpAddr, hop_limit: Option<u32>) -> Result<tokio::net::TcpListener, String> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0)).await.map_err(|e| format!("cannot listen on {ip}: {e}"))?;
    if let Some(ttl) = hop_limit {
        // Connections accepted from this listener inherit its IP TTL (IPv4; an IPv6 socket's
        // hop limit is another option, which tokio does not set).
        if let Err(e) = listener.set_ttl(ttl) {
            tracing::warn!(error = %e, %ip, "cannot set the hop limit; answers leave with the system's default");
        }
    }
    Ok(listener)
}

fn url(listener: &tokio::net::TcpListener, path: &str) -> Result<String, String> {
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    Ok(format!("http://{addr}{path}"))
}

fn spawn(listener: tokio::net::TcpListener, router: axum::Router) {
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "workload endpoint stopped");
        }
    });
}

/// The account of a role ARN.
fn account_of(role_arn: &str) -> String {
    role_arn.split(':').nth(4).unwrap_or_default().to_owned()
}

/// Starts an instance's metadata service; returns its endpoint URL.
async fn start_instance(workload: Arc<Workload>, region: &str, ip: IpAddr, hop_limit: u32) -> Result<String, String> {
    let first = workload.current().await.map_err(|e| e.to_string())?;
    let listener = listen(ip, Some(hop_limit)).await?;
    let endpoint = url(&listener, "/")?;
    spawn(listener, imds::router(Imds::new(workload, region.to_owned(), account_of(&first.role_arn))));
    Ok(endpoint)
}

/// What `run` runs and for which workload.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub common: Common,
    pub instance_profile: Option<String>,
    pub task_role: Option<String>,
    pub command: Vec<String>,
}

/// Registers the workload, serves its credentials on loopback, runs the command with them as
/// its only AWS credentials, and returns its exit status.
pub async fn run(opts: RunOptions) -> Result<i32, String> {
    let client = client(&opts.common)?;
    let (program, args) = opts.command.split_first().ok_or("no command to run")?;
    let workload = Arc::new(
        Workload::register(Arc::clone(&client), opts.instance_profile.as_deref(), opts.task_role.as_deref(), opts.common.duration)
            .await
            .map_err(|e| e.to_string())?,
    );
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    // Profiles in the user's files would come before the workload's credentials in every
    // SDK's chain: the command sees empty ones, and the region and endpoint as variables.
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null").env("AWS_CONFIG_FILE", "/dev/null");
    cmd.env("AWS_REGION", &client.region).env("AWS_DEFAULT_REGION", &client.region);
    if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
        for var in ["AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS"] {
            if std::env::var_os(var).is_none() {
                cmd.env(var, &client.endpoint.url);
            }
        }
    }
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let dir = PrivateDir::new()?;
    if opts.instance_profile.is_some() {
        let endpoint = start_instance(Arc::clone(&workload), &client.region, loopback, opts.common.hop_limit).await?;
        tracing::info!(workload = %workload.id, %endpoint, "instance metadata service");
        cmd.env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint)
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv4")
            .env("AWS_EC2_METADATA_V1_DISABLED", "true");
    } else {
        workload.current().await.map_err(|e| e.to_string())?;
        let tasks = Arc::new(Tasks::default());
        let token = random_token();
        let token_file = write_private(&dir.0, "token", &token)?;
        tasks.add(token, Arc::clone(&workload)).await;
        let listener = listen(loopback, None).await?;
        let uri = url(&listener, container::PATH)?;
        spawn(listener, container::router(tasks));
        tracing::info!(workload = %workload.id, %uri, "container credentials endpoint");
        cmd.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &token_file)
            // No instance here: SDKs should not wait for one.
            .env("AWS_EC2_METADATA_DISABLED", "true");
    }
    // Ctrl-C reaches the command too (same process group): let it decide, and keep serving
    // its credentials until it exits.
    let interrupts = tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {}
    });
    let status = tokio::task::spawn_blocking(move || cmd.status())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    interrupts.abort();
    drop(dir);
    Ok(exit_code(&status))
}

fn exit_code(status: &std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    status.code().unwrap_or(1)
}

/// What `serve` serves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub common: Common,
    pub instance_profiles: Vec<String>,
    pub task_roles: Vec<String>,
    /// The address the endpoints listen on (each instance gets a port of its own; the tasks
    /// share one port and are told apart by their tokens).
    pub listen_ip: IpAddr,
    /// Where each task's token file is written (a private temporary directory by default).
    pub token_dir: Option<PathBuf>,
}

/// Registers every workload, serves them until interrupted, and prints one JSON line per
/// workload on standard output saying where its guest finds its credentials.
pub async fn serve(opts: ServeOptions) -> Result<i32, String> {
    let client = client(&opts.common)?;
    let temp;
    let dir: &Path = match &opts.token_dir {
        Some(d) => d,
        None => {
            temp = PrivateDir::new()?;
            &temp.0
        }
    };
    for profile in &opts.instance_profiles {
        let w = Workload::register(Arc::clone(&client), Some(profile), None, opts.common.duration).await.map_err(|e| format!("{profile}: {e}"))?;
        let w = Arc::new(w);
        let endpoint = start_instance(Arc::clone(&w), &client.region, opts.listen_ip, opts.common.hop_limit).await?;
        println!("{}", serde_json::json!({"workload": w.id, "instance_profile": profile, "AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint}));
    }
    if !opts.task_roles.is_empty() {
        if !opts.listen_ip.is_loopback() {
            // botocore, the JavaScript and the Rust SDKs fetch container credentials over plain
            // HTTP only from loopback, 169.254.170.2 (ECS) and 169.254.170.23 / fd00:ec2::23 (EKS).
            tracing::warn!(ip = %opts.listen_ip, "SDKs refuse container credentials over plain HTTP from addresses other than loopback and the ECS and EKS link-local ones");
        }
        let tasks = Arc::new(Tasks::default());
        let listener = listen(opts.listen_ip, None).await?;
        let uri = url(&listener, container::PATH)?;
        for role in &opts.task_roles {
            let w = Workload::register(Arc::clone(&client), None, Some(role), opts.common.duration).await.map_err(|e| format!("{role}: {e}"))?;
            let token = random_token();
            let file = write_private(dir, &format!("{}.token", w.id), &token)?;
            let w_id = w.id.clone();
            tasks.add(token, Arc::new(w)).await;
            println!("{}", serde_json::json!({"workload": w_id, "task_role": role, "AWS_CONTAINER_CREDENTIALS_FULL_URI": uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": file}));
        }
        spawn(listener, container::router(tasks));
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| e.to_string())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map_err(|e| e.to_string())?,
        _ = term.recv() => {}
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// The metadata service's hop limit: connections accepted from its listener send with that
    /// IP TTL (EC2's HttpPutResponseHopLimit, 1 by default).
    #[tokio::test]
    async fn accepted_connections_carry_the_hop_limit() {
        let listener = listen(IpAddr::V4(Ipv4Addr::LOCALHOST), Some(1)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        assert_eq!(accepted.ttl().unwrap(), 1);
    }

    #[test]
    fn exit_codes_follow_the_command() {
        let status = std::process::Command::new("sh").args(["-c", "exit 7"]).status().unwrap();
        assert_eq!(exit_code(&status), 7);
        let status = std::process::Command::new("sh").args(["-c", "kill -TERM $$"]).status().unwrap();
        assert_eq!(exit_code(&status), 128 + 15);
    }
}
