//! `castellan`: run the IAM/STS server, manage accounts, check policies.

#![allow(clippy::print_stderr, reason = "a command-line program reports on stderr")]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use castellan_iam::{system_clock, Iam, MasterKey, Partition, RootCredentials};
use castellan_store::{MemoryStore, PostgresStore, SqliteStore, Store};
use castellan_server::TimedStore;
use clap::{Parser, Subcommand, ValueEnum};

/// The default listen address. Port 4260 clashes with neither LocalStack (4566) nor moto (5000).
const DEFAULT_LISTEN: &str = "127.0.0.1:4260";
const DEFAULT_DATA_DIR: &str = "castellan-data";
const DB_FILE: &str = "castellan.db";
const MASTER_KEY_FILE: &str = "master.key";
const ROOT_CREDENTIALS_FILE: &str = "root-credentials";

#[derive(Debug, Parser)]
#[command(name = "castellan", version, about = "AWS IAM and STS that anyone can run anywhere")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Environment variables `serve` reads beyond those its options name.
const SERVE_ENVIRONMENT: &str = "\
Environment:
  CASTELLAN_ACCOUNT_ID                The account to create on first start (12 digits; random if unset)
  CASTELLAN_ROOT_ACCESS_KEY_ID        The root user's access key id for that account (with the next)
  CASTELLAN_ROOT_SECRET_ACCESS_KEY    Its secret access key (any non-empty strings work)
  CASTELLAN_ROOT_PASSWORD             The console password of that account's root user, set at start
  CASTELLAN_MASTER_KEY                Base64 of 32 bytes: the key sealing secrets at rest, instead of
                                      DATA_DIR/master.key (every node sharing a database needs the same)
  CASTELLAN_LOG                       Log filter, e.g. `info` (the default), `debug`, `castellan_server=debug`;
                                      `info,castellan::request=warn` drops the line logged per request
  CASTELLAN_LOG_FORMAT                `json`: one JSON object per log line (default: text)
Every option above can also be set by the variable shown next to it.";

/// Environment variables `account create` reads beyond those its options name.
const ACCOUNT_ENVIRONMENT: &str = "\
Environment:
  CASTELLAN_MASTER_KEY                Base64 of 32 bytes: the key sealing secrets at rest, instead of
                                      DATA_DIR/master.key
  CASTELLAN_LOG                       Log filter (default `info`)";

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the IAM and STS endpoint.
    #[command(after_help = SERVE_ENVIRONMENT)]
    Serve(ServeArgs),
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Check policy documents.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Hand workloads their role's credentials: an instance profile through an
    /// IMDSv2-compatible metadata service, a task role through the container credentials
    /// endpoint (Castellan acting as EC2 or ECS).
    Workload {
        #[command(subcommand)]
        command: WorkloadCommand,
    },
}

/// How `castellan workload` finds the server and its own credentials.
const WORKLOAD_ENVIRONMENT: &str = "\
The server and the credentials that register the workload are found as an AWS client finds
them: --endpoint-url, AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL or the profile's endpoint_url;
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the profile (--profile,
AWS_PROFILE, default) in ~/.aws/credentials or ~/.aws/config; AWS_REGION or AWS_DEFAULT_REGION.
Registering needs iam:PassRole on the role (as RunInstances and RunTask do).";

#[derive(Debug, clap::Args)]
struct WorkloadCommon {
    /// The Castellan server (http://HOST:PORT).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// The profile whose credentials register the workload.
    #[arg(long)]
    profile: Option<String>,
    /// Lifetime in seconds of each set of credentials (60 to 21600; 21600 by default, as
    /// EC2's); new ones are served an hour before expiry, or halfway through shorter ones.
    /// botocore (boto3, aws CLI) keeps instance credentials expiring within 25 minutes past
    /// their expiry: give instances at least 3600 for long-running botocore clients.
    #[arg(long, value_parser = clap::value_parser!(u32).range(60..=21_600))]
    duration_seconds: Option<u32>,
    /// The IP hop limit (TTL) of the metadata service's answers, as EC2's
    /// HttpPutResponseHopLimit (1 to 64).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    hop_limit: u32,
}

#[derive(Debug, Subcommand)]
enum WorkloadCommand {
    /// Run COMMAND as an instance with an instance profile, or as a task with a task role: its
    /// only AWS credentials are the role's, from a metadata service or container endpoint on
    /// loopback. Exits with COMMAND's status.
    #[command(after_help = WORKLOAD_ENVIRONMENT)]
    Run {
        #[arg(long, conflicts_with = "task_role", required_unless_present = "task_role")]
        instance_profile: Option<String>,
        #[arg(long)]
        task_role: Option<String>,
        #[command(flatten)]
        common: WorkloadCommon,
        /// The command and its arguments.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Serve many workloads until interrupted (a host for its guests): each instance gets a
    /// metadata service on a port of its own; the tasks share one container endpoint and are
    /// told apart by their tokens. Prints one JSON line per workload: the variables its guest needs.
    #[command(after_help = WORKLOAD_ENVIRONMENT)]
    Serve {
        /// An instance to serve (repeat for more).
        #[arg(long = "instance-profile")]
        instance_profiles: Vec<String>,
        /// A task to serve (repeat for more).
        #[arg(long = "task-role")]
        task_roles: Vec<String>,
        /// The address to listen on. SDKs fetch container credentials over plain HTTP only
        /// from loopback (and ECS's and EKS's link-local addresses).
        #[arg(long, default_value = "127.0.0.1")]
        listen_ip: std::net::IpAddr,
        /// Directory for the tasks' token files (default: a private temporary directory).
        #[arg(long)]
        token_dir: Option<PathBuf>,
        #[command(flatten)]
        common: WorkloadCommon,
    },
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = DEFAULT_LISTEN, env = "CASTELLAN_LISTEN")]
    listen: String,
    /// Threads serving requests (0: one per CPU). Writes wait for the store on separate
    /// blocking threads either way.
    #[arg(long, default_value_t = 0, env = "CASTELLAN_WORKER_THREADS")]
    worker_threads: usize,
    /// How far, in seconds, a request's signing time may be from this server's clock.
    #[arg(long, default_value_t = 300, env = "CASTELLAN_MAX_CLOCK_SKEW")]
    max_clock_skew: i64,
    /// Seconds a connection may take to send a whole request head (from accept, or from the
    /// head's first byte on a kept-alive connection); then it is closed.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86_400), env = "CASTELLAN_HEADER_TIMEOUT")]
    header_timeout: u64,
    /// Seconds a request body may take to arrive in full (answered 400 RequestTimeout).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400), env = "CASTELLAN_BODY_TIMEOUT")]
    body_timeout: u64,
    /// Seconds a kept-alive connection may wait for its next request; then it is closed.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400), env = "CASTELLAN_IDLE_TIMEOUT")]
    idle_timeout: u64,
    /// Connections open at once (at most the open-file limit less 128); one more is
    /// answered 503 ServiceUnavailable and closed.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..), env = "CASTELLAN_MAX_CONNECTIONS")]
    max_connections: u64,
    /// Another account to have, for cross-account work on any store (an `--in-memory`
    /// server too): `ID`, or `ID:ACCESS_KEY_ID:SECRET_ACCESS_KEY` to choose its root key.
    /// Created at start when missing; a generated key is printed once. Repeat the option, or
    /// separate accounts with commas in the variable. Give secrets through the variable: a
    /// command line is visible to every local user.
    #[arg(long = "account", value_name = "ID[:KEY:SECRET]", env = "CASTELLAN_ACCOUNTS", value_delimiter = ',', hide_env_values = true)]
    accounts: Vec<String>,
    /// Serve the console on this address instead of on `--listen`'s.
    #[arg(long, env = "CASTELLAN_CONSOLE_LISTEN")]
    console_listen: Option<String>,
    /// A PEM file of certificate authorities trusted, beside the system's, for the HTTPS
    /// calls to OIDC issuers (AssumeRoleWithWebIdentity): a private issuer's CA.
    #[arg(long, value_name = "PEM_FILE", env = "CASTELLAN_CA_BUNDLE")]
    ca_bundle: Option<PathBuf>,
    /// Where OIDC verifiers reach this server (`https://iam.example.internal`): the base of
    /// each account's issuer URL for GetWebIdentityToken. Default: http://<listen address>.
    #[arg(long, value_name = "URL", env = "CASTELLAN_ISSUER_URL")]
    issuer_url: Option<String>,
    /// The AWS partition the server stands for: `aws`, `aws-cn` (China) or `aws-us-gov`
    /// (GovCloud). Every ARN it builds and accepts is of that partition, and requests must be
    /// signed for one of its regions. Keep the same partition for the life of a data directory.
    #[arg(long, default_value = "aws", value_parser = |s: &str| s.parse::<Partition>(), env = "CASTELLAN_PARTITION")]
    partition: Partition,
    #[command(flatten)]
    storage: StorageArgs,
    #[command(flatten)]
    tls: TlsArgs,
    #[command(flatten)]
    audit: AuditArgs,
}

/// The audit trail.
#[derive(Debug, clap::Args)]
struct AuditArgs {
    /// Record no audit trail (every request is recorded by default: DATA_DIR/audit/, or in
    /// memory with --in-memory).
    #[arg(long, env = "CASTELLAN_NO_AUDIT")]
    no_audit: bool,
    /// Begin a new audit file past this size, in MiB (and at each new UTC day).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65_536), env = "CASTELLAN_AUDIT_MAX_FILE_MB")]
    audit_max_file_mb: u64,
    /// Delete audit files older than this many days (CloudTrail's LookupEvents covers 90).
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u64).range(1..=36_500), env = "CASTELLAN_AUDIT_RETENTION_DAYS")]
    audit_retention_days: u64,
}

/// HTTPS.
#[derive(Debug, clap::Args)]
struct TlsArgs {
    /// Serve HTTPS with this PEM certificate chain (the server's certificate first); needs --tls-key.
    #[arg(long, value_name = "FILE", env = "CASTELLAN_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", env = "CASTELLAN_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed development certificate for localhost, 127.0.0.1, ::1
    /// (and the --listen host), made on first start and kept at --tls-cert/--tls-key
    /// (default DATA_DIR/tls-cert.pem and DATA_DIR/tls-key.pem); clients trust it with
    /// `--ca-bundle FILE` or AWS_CA_BUNDLE=FILE.
    #[arg(long, env = "CASTELLAN_TLS_SELF_SIGNED")]
    tls_self_signed: bool,
}

#[derive(Debug, clap::Args)]
struct StorageArgs {
    /// Directory holding the database, the master key and the root credentials.
    #[arg(long, default_value = DEFAULT_DATA_DIR, env = "CASTELLAN_DATA_DIR")]
    data_dir: PathBuf,
    /// Keep everything in memory and forget it on exit (tests, CI).
    #[arg(long, conflicts_with = "data_dir")]
    in_memory: bool,
    /// Keep IAM in this PostgreSQL database (`postgres://user:password@host:5432/db`) instead
    /// of the data directory's SQLite file; several nodes may share it. The data directory
    /// still holds the master key (unless CASTELLAN_MASTER_KEY is set) and root credentials.
    #[arg(long, env = "CASTELLAN_DATABASE_URL", conflicts_with = "in_memory", hide_env_values = true)]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create another account and print its root access key.
    #[command(after_help = ACCOUNT_ENVIRONMENT)]
    Create {
        /// The 12-digit account id (random if omitted).
        #[arg(long)]
        id: Option<String>,
        /// Directory holding the database.
        #[arg(long, default_value = DEFAULT_DATA_DIR, env = "CASTELLAN_DATA_DIR")]
        data_dir: PathBuf,
        /// The PostgreSQL database the servers share (instead of the data directory's SQLite file).
        #[arg(long, env = "CASTELLAN_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
    /// Set the root user's console password (read from standard input, or from
    /// CASTELLAN_ROOT_PASSWORD). A running server on the same store sees it within a second.
    #[command(after_help = ACCOUNT_ENVIRONMENT)]
    SetRootPassword {
        /// The account (the only one if omitted).
        #[arg(long)]
        id: Option<String>,
        /// Directory holding the database.
        #[arg(long, default_value = DEFAULT_DATA_DIR, env = "CASTELLAN_DATA_DIR")]
        data_dir: PathBuf,
        /// The PostgreSQL database the servers share (instead of the data directory's SQLite file).
        #[arg(long, env = "CASTELLAN_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    Identity,
    Resource,
    Trust,
    PermissionsBoundary,
    Session,
    ServiceControl,
    ResourceControl,
}

#[derive(Debug, clap::Args)]
struct EvaluateArgs {
    /// All the policies as one JSON file: {"identity": [P], "resource": [P], "boundary": [P],
    /// "session": [P], "scp": [P], "rcp": [P]}, each P {"id": "...", "document": {...}}.
    #[arg(long)]
    policies: Option<PathBuf>,
    /// An identity-based policy document (repeatable).
    #[arg(long = "identity", value_name = "FILE")]
    identity: Vec<PathBuf>,
    /// A resource-based policy document (repeatable); a trust policy for sts:AssumeRole.
    #[arg(long = "resource-policy", value_name = "FILE")]
    resource_policy: Vec<PathBuf>,
    /// A permissions boundary document.
    #[arg(long, value_name = "FILE")]
    boundary: Vec<PathBuf>,
    /// A session policy document (repeatable).
    #[arg(long, value_name = "FILE")]
    session: Vec<PathBuf>,
    /// A service control policy document (repeatable).
    #[arg(long, value_name = "FILE")]
    scp: Vec<PathBuf>,
    /// The whole request context as a JSON file: {"principal": {"type", "arn", "id",
    /// "account", ...}, "action", "resource", "resource_account"?, "time"?, "context"?: {...}}.
    #[arg(long)]
    request: Option<PathBuf>,
    /// The principal's ARN (user, role session, root), when --request is not given.
    #[arg(long)]
    principal: Option<String>,
    /// The action, e.g. `iam:CreateUser`.
    #[arg(long)]
    action: Option<String>,
    /// The resource ARN (default `*`).
    #[arg(long)]
    resource: Option<String>,
    /// A condition key and value, `aws:SourceIp=10.0.0.1` (repeatable; repeat a key for several values).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Decide a request against policies, as AWS's evaluation logic does; prints the decision
    /// and the statements that decided it, as JSON. Exit status 0 for Allow, 1 for a denial.
    Evaluate(Box<EvaluateArgs>),
    /// Validate a policy document as IAM does; prints AWS's MalformedPolicyDocument message.
    Validate {
        /// The policy document (JSON).
        file: PathBuf,
        /// Which kind of policy the document is.
        #[arg(long, value_enum, default_value = "identity")]
        kind: Kind,
    },
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(&args),
        Command::Account { command: AccountCommand::Create { id, data_dir, database_url } } => {
            account_create(&data_dir, id, database_url)
        }
        Command::Account { command: AccountCommand::SetRootPassword { id, data_dir, database_url } } => {
            set_root_password(&data_dir, id, database_url)
        }
        Command::Policy { command: PolicyCommand::Validate { file, kind } } => policy_validate(&file, kind),
        Command::Policy { command: PolicyCommand::Evaluate(args) } => policy_evaluate(&args),
        Command::Workload { command } => workload(command),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("castellan: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `CASTELLAN_LOG` (default `info`); `CASTELLAN_LOG_FORMAT=json`
/// writes one JSON object per line (each request's line carries its `request_id`).
fn init_logging() {
    let filter = || tracing_subscriber::EnvFilter::try_from_env("CASTELLAN_LOG").unwrap_or_else(|_| "info".into());
    let json = std::env::var("CASTELLAN_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter()).with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).with_current_span(false).init();
    } else {
        // Colour codes only for a terminal: never in a log file or a journal.
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
    }
}

/// Writes `contents` to `path` readable by the owner only.
fn write_private(path: &Path, contents: &[u8], append: bool) -> Result<(), String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).write(true);
    if append {
        opts.append(true);
    } else {
        opts.truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The master key: `CASTELLAN_MASTER_KEY` (base64 of 32 bytes), else `master.key` in the data
/// directory, created on first start — only then: when the store already holds data
/// (`has_data`), sealed under the key that is missing, no new key is made.
fn master_key(data_dir: Option<&Path>, has_data: bool) -> Result<MasterKey, String> {
    if let Ok(b64) = std::env::var("CASTELLAN_MASTER_KEY") {
        let bytes = STANDARD.decode(b64.trim()).map_err(|_| "CASTELLAN_MASTER_KEY is not base64".to_owned())?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| "CASTELLAN_MASTER_KEY must be 32 bytes".to_owned())?;
        return Ok(MasterKey::from_bytes(&arr));
    }
    let Some(dir) = data_dir else { return Ok(MasterKey::generate().0) };
    let path = dir.join(MASTER_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = STANDARD.decode(text.trim()).map_err(|_| format!("{} is corrupt", path.display()))?;
            let arr: [u8; 32] = bytes.try_into().map_err(|_| format!("{} is corrupt", path.display()))?;
            Ok(MasterKey::from_bytes(&arr))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && has_data => Err(format!(
            "{} is missing, but the database already holds data sealed under a master key: refusing \
             to create a new key (it could open none of the stored secrets). Restore that file, or set \
             CASTELLAN_MASTER_KEY to the key",
            path.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (key, bytes) = MasterKey::generate();
            write_private(&path, format!("{}\n", STANDARD.encode(bytes)).as_bytes(), false)?;
            Ok(key)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The store, in the partition of its accounts (`aws` when it has none).
fn open_iam(storage: &StorageArgs) -> Result<Iam, String> {
    open_iam_in(storage, None)
}

/// The store, for a server of `partition` when given (a store of another one is refused).
fn open_iam_in(storage: &StorageArgs, partition: Option<Partition>) -> Result<Iam, String> {
    let (store, dir): (Box<dyn Store>, Option<&Path>) = if storage.in_memory {
        (Box::new(TimedStore(MemoryStore::new())), None)
    } else {
        if !storage.data_dir.exists() {
            std::fs::create_dir_all(&storage.data_dir)
                .map_err(|e| format!("cannot create {}: {e}", storage.data_dir.display()))?;
            // The database holds sealed secrets and password hashes: owner only.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&storage.data_dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(|e| format!("cannot protect {}: {e}", storage.data_dir.display()))?;
            }
            // Keeps the master key, root credentials and database out of any git repository
            // the directory is created in (a server started from a checkout, say).
            std::fs::write(storage.data_dir.join(".gitignore"), "# Castellan's data: secrets, never commit.\n*\n")
                .map_err(|e| format!("cannot write {}: {e}", storage.data_dir.join(".gitignore").display()))?;
        }
        // Commits are timed for `/metrics`.
        let db: Box<dyn Store> = match &storage.database_url {
            Some(url) => Box::new(TimedStore(PostgresStore::open(url).map_err(|e| e.to_string())?)),
            None => Box::new(TimedStore(SqliteStore::open(&storage.data_dir.join(DB_FILE)).map_err(|e| e.to_string())?)),
        };
        (db, Some(storage.data_dir.as_path()))
    };
    // Anything ever committed (revision > 0) was sealed under some master key. One cheap
    // query: the feed after the newest possible revision is empty, and says the newest one.
    let has_data = store.changes_since(u64::MAX).map_err(|e| e.to_string())?.revision > 0;
    let key = master_key(dir, has_data)?;
    let iam = match partition {
        Some(p) => Iam::open_in(store, key, system_clock, p),
        None => Iam::open(store, key, system_clock),
    }
    .map_err(|e| e.to_string())?;
    iam.check_master_key()?;
    Ok(iam)
}

/// Root credentials from the environment, for scripted setups.
fn explicit_credentials() -> Result<Option<RootCredentials>, String> {
    let id = std::env::var("CASTELLAN_ROOT_ACCESS_KEY_ID").ok().filter(|s| !s.is_empty());
    let secret = std::env::var("CASTELLAN_ROOT_SECRET_ACCESS_KEY").ok().filter(|s| !s.is_empty());
    let account = std::env::var("CASTELLAN_ACCOUNT_ID").ok().filter(|s| !s.is_empty());
    match (id, secret) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(RootCredentials {
            account_id: account.unwrap_or_else(|| "123456789012".into()),
            access_key_id,
            secret_access_key,
        })),
        (None, None) => Ok(None),
        _ => Err("set both CASTELLAN_ROOT_ACCESS_KEY_ID and CASTELLAN_ROOT_SECRET_ACCESS_KEY, or neither".into()),
    }
}

fn credentials_block(c: &RootCredentials, partition: Partition) -> String {
    format!(
        // A region, so the aws CLI and SDKs can use the profile without AWS_DEFAULT_REGION
        // (botocore reads `region` from the credentials file too): IAM's, us-east-1 in `aws`.
        "[castellan-{}]\n# root user of account {}\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = {}\n\n",
        c.account_id, c.account_id, c.access_key_id, c.secret_access_key, partition.iam_region()
    )
}

fn serve(args: &ServeArgs) -> Result<ExitCode, String> {
    let iam = open_iam_in(&args.storage, Some(args.partition))?;
    // OIDC issuers' keys (AssumeRoleWithWebIdentity): trust the system store and --ca-bundle.
    castellan_server::install_oidc_fetcher(&iam, args.ca_bundle.as_deref())?;
    let explicit = explicit_credentials()?;
    let from_env = explicit.is_some();
    if explicit.is_none() {
        if let Ok(id) = std::env::var("CASTELLAN_ACCOUNT_ID") {
            if iam.accounts().is_empty() {
                let creds = iam.create_account(Some(id)).map_err(|e| e.to_string())?;
                announce(&creds, args, false)?;
            }
        }
    }
    if let Some(created) = iam.bootstrap(explicit).map_err(|e| e.to_string())? {
        announce(&created, args, from_env)?;
    }
    for spec in args.accounts.iter().filter(|s| !s.trim().is_empty()) {
        let mut parts = spec.trim().splitn(3, ':');
        let id = parts.next().unwrap_or_default().to_owned();
        match (parts.next(), parts.next()) {
            (Some(key), Some(secret)) if !key.is_empty() && !secret.is_empty() => {
                let creds =
                    RootCredentials { account_id: id, access_key_id: key.to_owned(), secret_access_key: secret.to_owned() };
                if let Some(created) = iam.bootstrap(Some(creds)).map_err(|e| e.message().to_owned())? {
                    announce(&created, args, true)?;
                }
            }
            (None, None) => {
                if !iam.accounts().contains(&id) {
                    let created = iam.create_account(Some(id)).map_err(|e| e.message().to_owned())?;
                    announce(&created, args, false)?;
                }
            }
            _ => return Err(format!("--account {id}:…: give ID, or ID:ACCESS_KEY_ID:SECRET_ACCESS_KEY")),
        }
    }
    if let Ok(password) = std::env::var("CASTELLAN_ROOT_PASSWORD") {
        // The account CASTELLAN_ACCOUNT_ID names, else the first.
        let account = std::env::var("CASTELLAN_ACCOUNT_ID").ok().filter(|a| !a.is_empty()).or_else(|| iam.accounts().first().cloned());
        if let Some(account) = account.filter(|_| !password.is_empty()) {
            iam.set_root_password(&account, &password).map_err(|e| format!("CASTELLAN_ROOT_PASSWORD: {}", e.message()))?;
        }
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if args.worker_threads > 0 {
        builder.worker_threads(args.worker_threads);
    }
    let runtime = builder.enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let tls = tls_settings(args)?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // The issuer URLs of outbound identity federation: where verifiers reach this server.
        match args.issuer_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => iam.set_issuer_base(url),
            None => iam.set_issuer_base(&format!("{scheme}://{addr}")),
        }
        println!("castellan listening on {scheme}://{addr}");
        std::io::stdout().flush().ok();
        tracing::info!(%addr, "serving IAM and STS");
        let config = castellan_server::Config {
            max_clock_skew_secs: args.max_clock_skew,
            header_read_timeout: Duration::from_secs(args.header_timeout),
            body_read_timeout: Duration::from_secs(args.body_timeout),
            idle_timeout: Duration::from_secs(args.idle_timeout),
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            console: args.console_listen.is_none(),
        };
        let iam = Arc::new(iam);
        let audit = if args.audit.no_audit {
            None
        } else {
            let dir = (!args.storage.in_memory).then(|| args.storage.data_dir.join("audit"));
            // On PostgreSQL the nodes share the trail, in a table, over a connection of its own.
            let postgres = match &args.storage.database_url {
                Some(url) => Some(PostgresStore::open(url).map_err(|e| e.to_string())?),
                None => None,
            };
            Some(castellan_server::Audit::start(castellan_server::AuditConfig {
                dir,
                postgres,
                max_file_bytes: args.audit.audit_max_file_mb.saturating_mul(1 << 20),
                retention: Duration::from_secs(args.audit.audit_retention_days.saturating_mul(86_400)),
            })?)
        };
        if let Some(console_addr) = &args.console_listen {
            let console = tokio::net::TcpListener::bind(console_addr).await.map_err(|e| format!("cannot listen on {console_addr}: {e}"))?;
            let addr = console.local_addr().map_err(|e| e.to_string())?;
            println!("castellan console on {scheme}://{addr}/console/");
            std::io::stdout().flush().ok();
            tokio::spawn(castellan_server::serve_console(console, Arc::clone(&iam), config, tls.clone(), audit.clone()));
        }
        let options = castellan_server::ServeOptions { tls, audit };
        castellan_server::serve_with(listener, iam, config, options).await.map_err(|e| e.to_string())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The TLS settings `serve` was given: none (plain HTTP), the given certificate and key, or a
/// self-signed certificate, made and saved when its files do not exist yet.
fn tls_settings(args: &ServeArgs) -> Result<Option<castellan_server::Tls>, String> {
    let t = &args.tls;
    if !t.tls_self_signed {
        return match (&t.tls_cert, &t.tls_key) {
            (Some(cert), Some(key)) => castellan_server::Tls::from_pem_files(cert, key).map(Some),
            _ => Ok(None),
        };
    }
    let (cert, key) = match (&t.tls_cert, &t.tls_key) {
        (Some(cert), Some(key)) => (cert.clone(), key.clone()),
        _ if args.storage.in_memory => {
            return Err("--tls-self-signed with --in-memory: give --tls-cert FILE and --tls-key FILE, where the certificate is to be kept".into())
        }
        _ => (args.storage.data_dir.join("tls-cert.pem"), args.storage.data_dir.join("tls-key.pem")),
    };
    if !(cert.exists() && key.exists()) {
        let host = args.listen.rsplit_once(':').map_or("", |(h, _)| h.trim_start_matches('[').trim_end_matches(']'));
        let names: Vec<String> = [host].iter().filter(|h| !["", "0.0.0.0", "::"].contains(h)).map(|h| (*h).to_owned()).collect();
        let (cert_pem, key_pem) = castellan_server::self_signed(&names)?;
        write_private(&key, key_pem.as_bytes(), false)?;
        std::fs::write(&cert, cert_pem).map_err(|e| format!("cannot write {}: {e}", cert.display()))?;
        println!("Made a self-signed TLS certificate: {} (clients: --ca-bundle or AWS_CA_BUNDLE)", cert.display());
    } else {
        println!("TLS certificate: {} (clients: --ca-bundle or AWS_CA_BUNDLE)", cert.display());
    }
    castellan_server::Tls::from_pem_files(&cert, &key).map(Some)
}

/// Prints newly created root credentials once and saves them in the data directory.
/// Credentials that came from the environment are not echoed: their owner has them.
fn announce(creds: &RootCredentials, args: &ServeArgs, from_env: bool) -> Result<(), String> {
    if from_env {
        println!("account {} root access key {} (from the environment)", creds.account_id, creds.access_key_id);
    } else {
        println!("Created account {} and its root user's access key:", creds.account_id);
        println!("  aws_access_key_id     = {}", creds.access_key_id);
        println!("  aws_secret_access_key = {}", creds.secret_access_key);
    }
    if !args.storage.in_memory {
        let path = args.storage.data_dir.join(ROOT_CREDENTIALS_FILE);
        write_private(&path, credentials_block(creds, args.partition).as_bytes(), true)?;
        println!("Saved to {} (mode 0600). This is the only time the secret is shown.", path.display());
    }
    Ok(())
}

fn account_create(data_dir: &Path, id: Option<String>, database_url: Option<String>) -> Result<ExitCode, String> {
    let storage = StorageArgs { data_dir: data_dir.to_owned(), in_memory: false, database_url };
    let iam = open_iam(&storage)?;
    let creds = iam.create_account(id).map_err(|e| e.message().to_owned())?;
    println!("Created account {} and its root user's access key:", creds.account_id);
    println!("  aws_access_key_id     = {}", creds.access_key_id);
    println!("  aws_secret_access_key = {}", creds.secret_access_key);
    write_private(&data_dir.join(ROOT_CREDENTIALS_FILE), credentials_block(&creds, iam.partition()).as_bytes(), true)?;
    println!("Saved to {} (mode 0600).", data_dir.join(ROOT_CREDENTIALS_FILE).display());
    Ok(ExitCode::SUCCESS)
}

fn set_root_password(data_dir: &Path, id: Option<String>, database_url: Option<String>) -> Result<ExitCode, String> {
    let storage = StorageArgs { data_dir: data_dir.to_owned(), in_memory: false, database_url };
    let iam = open_iam(&storage)?;
    let account = match id {
        Some(id) => id,
        None => match iam.accounts().as_slice() {
            [only] => only.clone(),
            _ => return Err("there are several accounts: name one with --id".into()),
        },
    };
    let password = match std::env::var("CASTELLAN_ROOT_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| e.to_string())?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    iam.set_root_password(&account, &password).map_err(|e| e.message().to_owned())?;
    println!("The root user of account {account} can now sign in to the console.");
    Ok(ExitCode::SUCCESS)
}

fn policy_validate(file: &Path, kind: Kind) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let kind = match kind {
        Kind::Identity => castellan_policy::PolicyKind::Identity,
        Kind::Resource => castellan_policy::PolicyKind::Resource,
        Kind::Trust => castellan_policy::PolicyKind::Trust,
        Kind::PermissionsBoundary => castellan_policy::PolicyKind::PermissionsBoundary,
        Kind::Session => castellan_policy::PolicyKind::Session,
        Kind::ServiceControl => castellan_policy::PolicyKind::ServiceControl,
        Kind::ResourceControl => castellan_policy::PolicyKind::ResourceControl,
    };
    match castellan_policy::Policy::parse(&text, kind) {
        Ok(_) => {
            println!("valid");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("MalformedPolicyDocument: {}", e.message());
            Ok(ExitCode::from(1))
        }
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// What an ARN says about its principal: (type, id, account).
fn principal_of(arn: &str) -> (&'static str, String, String) {
    let account = arn.split(':').nth(4).unwrap_or_default().to_owned();
    let resource = arn.split(':').nth(5).unwrap_or_default();
    let kind = if resource == "root" {
        "Root"
    } else if resource.starts_with("user/") {
        "User"
    } else if resource.starts_with("assumed-role/") {
        "AssumedRole"
    } else if resource.starts_with("federated-user/") {
        "FederatedUser"
    } else {
        "User"
    };
    (kind, arn.rsplit('/').next().unwrap_or_default().to_owned(), account)
}

fn policy_evaluate(args: &EvaluateArgs) -> Result<ExitCode, String> {
    let policies = match &args.policies {
        Some(path) => read_json(path)?,
        None => {
            let mut groups = serde_json::Map::new();
            for (group, files) in [
                ("identity", &args.identity),
                ("resource", &args.resource_policy),
                ("boundary", &args.boundary),
                ("session", &args.session),
                ("scp", &args.scp),
            ] {
                let mut list = Vec::new();
                for f in files {
                    list.push(serde_json::json!({ "id": f.display().to_string(), "document": read_json(f)? }));
                }
                if !list.is_empty() {
                    groups.insert(group.to_owned(), serde_json::Value::Array(list));
                }
            }
            serde_json::Value::Object(groups)
        }
    };
    let request = match &args.request {
        Some(path) => read_json(path)?,
        None => {
            let principal = args.principal.as_deref().ok_or("give --request FILE, or --principal, --action and --resource")?;
            let action = args.action.as_deref().ok_or("--action is required without --request")?;
            let (kind, name, account) = principal_of(principal);
            let mut context = serde_json::Map::new();
            for kv in &args.context {
                let (k, v) = kv.split_once('=').ok_or_else(|| format!("--context `{kv}` is not KEY=VALUE"))?;
                let entry = context.entry(k.to_owned()).or_insert_with(|| serde_json::Value::Array(Vec::new()));
                if let serde_json::Value::Array(values) = entry {
                    values.push(serde_json::Value::String(v.to_owned()));
                }
            }
            let user_name = (kind == "User").then(|| name.clone());
            let p = serde_json::json!({ "type": kind, "arn": principal, "id": name, "account": account, "name": user_name });
            serde_json::json!({
                "principal": p,
                "action": action,
                "resource": args.resource.as_deref().unwrap_or("*"),
                "context": context,
            })
        }
    };
    let out = castellan_policy::evaluate_json(&policies, &request)?;
    println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    let allowed = out.get("decision").and_then(serde_json::Value::as_str) == Some("Allow");
    Ok(if allowed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn workload_common(c: WorkloadCommon) -> castellan_workload::run::Common {
    castellan_workload::run::Common { endpoint_url: c.endpoint_url, profile: c.profile, duration: c.duration_seconds, hop_limit: c.hop_limit }
}

/// `castellan workload run|serve`.
fn workload(command: WorkloadCommand) -> Result<ExitCode, String> {
    use castellan_workload::run;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| e.to_string())?;
    let code = runtime.block_on(async {
        match command {
            WorkloadCommand::Run { instance_profile, task_role, common, command } => {
                run::run(run::RunOptions { common: workload_common(common), instance_profile, task_role, command }).await
            }
            WorkloadCommand::Serve { instance_profiles, task_roles, listen_ip, token_dir, common } => {
                if instance_profiles.is_empty() && task_roles.is_empty() {
                    return Err("nothing to serve: give --instance-profile or --task-role".to_owned());
                }
                run::serve(run::ServeOptions { common: workload_common(common), instance_profiles, task_roles, listen_ip, token_dir }).await
            }
        }
    })?;
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn storage(dir: &Path) -> StorageArgs {
        StorageArgs { data_dir: dir.to_owned(), in_memory: false, database_url: None }
    }

    /// Finding 16: with `master.key` gone from a data directory that holds data, the server
    /// wrote a fresh key before refusing to start (the fresh key then stayed, and the old one
    /// could be lost for good by a careless restore). Now no key is created, and the refusal
    /// names the file.
    #[test]
    fn missing_master_key_next_to_existing_data_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let iam = open_iam(&storage(&data)).unwrap();
        iam.bootstrap(None).unwrap().unwrap();
        drop(iam);
        let key = data.join(MASTER_KEY_FILE);
        std::fs::remove_file(&key).unwrap();

        let err = open_iam(&storage(&data)).unwrap_err();
        assert!(err.contains(&key.display().to_string()) && err.contains("is missing"), "{err}");
        assert!(!key.exists(), "no new master key was written");
        // Still refused the next time.
        assert!(open_iam(&storage(&data)).is_err());
    }

    /// A first start in an existing, empty data directory still creates the key.
    #[test]
    fn a_fresh_data_directory_gets_a_master_key() {
        let dir = tempfile::tempdir().unwrap();
        open_iam(&storage(dir.path())).unwrap();
        assert!(dir.path().join(MASTER_KEY_FILE).is_file());
        // The database was created, but nothing was committed: a lost key can be replaced.
        std::fs::remove_file(dir.path().join(MASTER_KEY_FILE)).unwrap();
        open_iam(&storage(dir.path())).unwrap();
    }

    /// Finding 13, as the command line reports it: a database behind its acknowledged commits
    /// is refused with a message saying so (and `main` exits non-zero with it).
    #[test]
    fn a_database_behind_its_acknowledged_commits_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let iam = open_iam(&storage(dir.path())).unwrap();
        iam.bootstrap(None).unwrap().unwrap();
        drop(iam);
        // The marker says commit 1000 was acknowledged; the database has a handful.
        std::fs::write(dir.path().join("castellan.db-revision"), format!("{:020}\n", 1000)).unwrap();
        let err = open_iam(&storage(dir.path())).unwrap_err();
        assert!(err.starts_with("storage corrupt:"), "{err}");
        assert!(err.contains("commits up to revision 1000 were acknowledged"), "{err}");
    }
}
