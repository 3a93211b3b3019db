//! The workload edge: Castellan's stand-in for the EC2 instance metadata service and the ECS
//! container credentials endpoint.
//!
//! A thin edge like `castellan-server`, without IAM semantics: it registers workloads with a
//! Castellan server and fetches their credentials from it (`client`, SigV4-signed
//! `CastellanRegisterWorkload` / `CastellanGetWorkloadCredentials` requests made with the
//! operator's own credentials, found as an AWS client finds them: `config`), caches them and
//! refreshes them before they expire (`provider`), and serves them to the workload's SDK in
//! AWS's formats: IMDSv2 (`imds`) and the container endpoint (`container`). `run` and `serve`
//! are `castellan workload run|serve`.

pub mod client;
pub mod config;
pub mod container;
pub mod imds;
pub mod provider;
pub mod run;

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
