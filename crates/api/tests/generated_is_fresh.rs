//! The committed `generated.rs` must be what the generator makes of the vendored models.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

use std::path::PathBuf;

#[test]
fn generated_rs_is_fresh() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
    let expected = castellan_codegen::generate(
        &read("data/aws/iam-2010-05-08.json"),
        &read("data/aws/sts-2011-06-15.json"),
    )
    .unwrap_or_else(|e| panic!("the generator failed: {e}"));
    let committed = read("crates/api/src/generated.rs");
    if committed != expected {
        let line = committed
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| committed.lines().count().min(expected.lines().count()), |i| i + 1);
        panic!("generated.rs is stale: run `cargo run -p castellan-codegen` (first difference at line {line})");
    }
}
