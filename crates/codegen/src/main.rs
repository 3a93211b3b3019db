//! Regenerates `crates/api/src/generated.rs` from the vendored models.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |rel: &str| {
        std::fs::read_to_string(root.join(rel)).map_err(|e| format!("cannot read {rel}: {e}"))
    };
    let result = read("data/aws/iam-2010-05-08.json")
        .and_then(|iam| read("data/aws/sts-2011-06-15.json").map(|sts| (iam, sts)))
        .and_then(|(iam, sts)| castellan_codegen::generate(&iam, &sts))
        .and_then(|text| {
            let out = root.join("crates/api/src/generated.rs");
            std::fs::write(&out, &text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            Ok(text.lines().count())
        });
    match result {
        Ok(lines) => {
            println!("wrote crates/api/src/generated.rs ({lines} lines)");
            ExitCode::SUCCESS
        }
        Err(e) => {
            #[expect(clippy::print_stderr, reason = "a command-line tool reports its failure")]
            {
                eprintln!("castellan-codegen: {e}");
            }
            ExitCode::FAILURE
        }
    }
}
