//! The IAM and STS APIs as AWS's query protocol carries them.
//!
//! The shapes (`iam::CreateUserRequest`, `sts::Credentials`, ...), the [`Operation`] list and the
//! [`Request`]/[`Response`] enums are generated from botocore's models by `castellan-codegen`
//! into `generated.rs`; the runtime they use is written by hand:
//!
//! - [`query`]: form-encoded parameters in, with the models' validation (AWS's exact
//!   `ValidationError` messages);
//! - [`xml`]: AWS's response and error documents out;
//! - [`types`]: timestamps and blobs;
//! - [`error`]: the one error type, [`DecodeError`].
//!
//! Architecture invariant: this is the only crate that knows the wire format. It knows nothing
//! of storage, authorization or the clock.
//!
//! ```
//! use castellan_api::{Operation, QueryParams, Request, Response, Service, iam};
//!
//! let params = QueryParams::from_urlencoded(b"Action=CreateUser&Version=2010-05-08&UserName=alice").unwrap();
//! let op = Operation::from_name(Service::Iam, params.action().unwrap()).unwrap();
//! let Request::CreateUser(req) = Request::parse(op, &params).unwrap() else { unreachable!() };
//! assert_eq!(req.user_name, "alice");
//! let xml = Response::CreateUser(iam::CreateUserResponse::default()).to_xml("req-1");
//! assert!(xml.starts_with("<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"));
//! ```

pub mod error;
mod generated;
pub mod query;
pub mod types;
pub mod xml;

pub use error::{DecodeError, ValidationError, ValidationErrors};
pub use generated::{error_sender_fault, error_status, iam, sts, Operation, Request, Response, Service};
pub use query::QueryParams;
pub use types::{Blob, Timestamp};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

    #[test]
    fn every_model_pattern_compiles_and_is_anchored() {
        assert!(!crate::generated::patterns::ALL.is_empty());
        for p in crate::generated::patterns::ALL {
            // Forces the lazy compilation; `compile` panics on a bad pattern.
            let _ = p.is_match("");
            assert!(p.regex.as_str().starts_with('^') && p.regex.as_str().ends_with('$'), "{}", p.source);
        }
    }

    #[test]
    fn patterns_match_like_java() {
        use crate::generated::patterns::ALL;
        let find = |src: &str| ALL.iter().find(|p| p.source == src).copied().unwrap();
        let name = find(r"[\w+=,.@-]+");
        assert!(name.is_match("alice+bob=x,y.z@w-1_"));
        assert!(!name.is_match("a b"));
        assert!(!name.is_match("é"));
        assert!(!name.is_match("alice\n"));
        let label = find(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$");
        assert!(label.is_match("a-b-c"));
        assert!(!label.is_match("a--b"));
        assert!(!label.is_match("-ab"));
        assert!(!label.is_match("ab"));
        let saml = ALL.iter().find(|p| p.source.contains(r"\u10000")).unwrap();
        assert!(saml.is_match("PHNhbWw+😀"));
    }
}
