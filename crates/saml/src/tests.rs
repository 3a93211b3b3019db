#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::expect_used)]
//! The fixtures were made by `tests/e2e/saml_idp.py` (signxml, an independent implementation):
//! `response.xml` has a signed assertion (valid 2026-01-01 to 2036-01-01), `response-signed.xml`
//! a signed Response around an unsigned assertion; `metadata.xml` is their IdP's,
//! `other-metadata.xml` another IdP's; `response-encrypted*.xml` are encrypted to `sp-key.pem`.

use super::*;

const RESPONSE: &str = include_str!("../tests/fixtures/response.xml");
const RESPONSE_SIGNED: &str = include_str!("../tests/fixtures/response-signed.xml");
const METADATA: &str = include_str!("../tests/fixtures/metadata.xml");
const OTHER_METADATA: &str = include_str!("../tests/fixtures/other-metadata.xml");
/// A signed assertion encrypted to `sp-key.pem` (a key made for these tests only).
const ENCRYPTED: &str = include_str!("../tests/fixtures/response-encrypted.xml");
/// An unsigned assertion encrypted to `sp-key.pem`, in a signed Response.
const ENCRYPTED_SIGNED_RESPONSE: &str = include_str!("../tests/fixtures/response-encrypted-signed-response.xml");
const SP_KEY: &str = include_str!("../tests/fixtures/sp-key.pem");

fn certs() -> Vec<Vec<u8>> {
    parse_metadata(METADATA).unwrap().signing_certificates
}

fn verify(xml: &str) -> Result<Assertion, Error> {
    verify_response_xml(xml, &certs())
}

/// The assertion element of the fixture, as text.
fn assertion_of(xml: &str) -> &str {
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    &xml[start..end]
}

#[test]
fn metadata_gives_entity_id_and_certificate() {
    let m = parse_metadata(METADATA).unwrap();
    assert_eq!(m.entity_id, "https://idp.example.com/saml");
    assert_eq!(m.signing_certificates.len(), 1);
    assert_eq!(m.valid_until, None);
}

#[test]
fn metadata_refusals() {
    assert!(parse_metadata("<x/>").is_err());
    assert!(parse_metadata("not xml").is_err());
    // No IDPSSODescriptor.
    assert!(parse_metadata(r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>"#).is_err());
    // A certificate that is not one.
    let broken = METADATA.replacen("<ds:X509Certificate>MII", "<ds:X509Certificate>AAAA", 1);
    assert!(parse_metadata(&broken).is_err());
    // Only an encryption key.
    let enc = METADATA.replace(r#"use="signing""#, r#"use="encryption""#);
    assert!(parse_metadata(&enc).is_err());
    // A DTD, even a harmless one.
    let dtd = format!("<!DOCTYPE x [<!ENTITY e \"e\">]>{}", METADATA.split_once("?>").unwrap().1);
    assert!(parse_metadata(&dtd).is_err());
}

#[test]
fn signed_assertion_verifies_and_is_read() {
    let a = verify(RESPONSE).unwrap();
    assert_eq!(a.issuer, "https://idp.example.com/saml");
    assert_eq!(a.name_id.value, "alice@example.com");
    assert_eq!(a.name_id.format.as_deref(), Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"));
    assert_eq!(a.audience_restrictions, vec![vec!["urn:amazon:webservices".to_owned()]]);
    assert_eq!(a.confirmations.len(), 1);
    assert_eq!(a.confirmations[0].recipient.as_deref(), Some("https://signin.aws.amazon.com/saml"));
    assert_eq!(a.not_on_or_after, Some(2_082_758_400));
    assert_eq!(a.issue_instant, 1_767_225_600);
    assert_eq!(
        a.attribute("https://aws.amazon.com/SAML/Attributes/Role"),
        vec!["arn:aws:iam::123456789012:role/Admin,arn:aws:iam::123456789012:saml-provider/Okta".to_owned()]
    );
    assert_eq!(a.attribute("https://aws.amazon.com/SAML/Attributes/PrincipalTag:Team"), vec!["blue".to_owned()]);
    assert_eq!(a.destination.as_deref(), Some("https://signin.aws.amazon.com/saml"));
}

#[test]
fn signed_response_covers_its_assertion() {
    let a = verify(RESPONSE_SIGNED).unwrap();
    assert_eq!(a.name_id.value, "alice@example.com");
}

#[test]
fn base64_entry_point() {
    let b64 = base64::engine::general_purpose::STANDARD.encode(RESPONSE);
    assert!(verify_response(&b64, &certs()).is_ok());
    assert!(matches!(verify_response("!!!", &certs()), Err(Error::Malformed(_))));
}

#[test]
fn another_idps_certificate_is_refused() {
    let other = parse_metadata(OTHER_METADATA).unwrap().signing_certificates;
    assert!(matches!(verify_response_xml(RESPONSE, &other), Err(Error::Signature(_))));
    assert!(matches!(verify_response_xml(RESPONSE, &[]), Err(Error::Signature(_))));
}

#[test]
fn tampered_contents_are_refused() {
    let t = RESPONSE.replace("alice@example.com", "admin@example.com");
    assert!(matches!(verify(&t), Err(Error::Signature(_))));
    let t = RESPONSE.replace("role/Admin", "role/Root");
    assert!(matches!(verify(&t), Err(Error::Signature(_))));
    // The Response around a signed assertion is not signed: changing it is allowed, and not read.
    let t = RESPONSE.replacen("<saml:Issuer>https://idp.example.com/saml</saml:Issuer>", "<saml:Issuer>https://evil</saml:Issuer>", 1);
    assert_eq!(verify(&t).unwrap().issuer, "https://idp.example.com/saml");
}

#[test]
fn unsigned_assertion_is_refused() {
    let start = RESPONSE.find("<ds:Signature").unwrap();
    let end = RESPONSE.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let unsigned = format!("{}{}", &RESPONSE[..start], &RESPONSE[end..]);
    assert!(matches!(verify(&unsigned), Err(Error::Signature(_))));
}

#[test]
fn comment_in_name_id_does_not_truncate_it() {
    // A comment is not part of the canonical form, so the signature still verifies: the value
    // read must be the whole signed text, not the part before the comment.
    let t = RESPONSE.replace(">alice@example.com<", ">alice@example.com<!---->.evil.test<");
    assert!(matches!(verify(&t), Err(Error::Signature(_))), "changes the signed text");
    let t = RESPONSE.replace(">alice@example.com<", ">alice@exa<!-- x -->mple.com<");
    assert_eq!(verify(&t).unwrap().name_id.value, "alice@example.com");
}

#[test]
fn wrapping_duplicate_assertion_is_refused() {
    // A forged assertion beside the signed one (same ID, or another).
    let signed = assertion_of(RESPONSE);
    let forged = signed.replace("alice@example.com", "admin@example.com");
    let t = RESPONSE.replace(signed, &format!("{forged}{signed}"));
    assert!(matches!(verify(&t), Err(Error::Malformed(_))));
    let forged_new_id = forged.replacen("ID=\"_", "ID=\"_x", 1);
    let t = RESPONSE.replace(signed, &format!("{forged_new_id}{signed}"));
    assert!(matches!(verify(&t), Err(Error::Malformed(_))));
}

#[test]
fn wrapping_moved_or_nested_assertion_is_refused() {
    let signed = assertion_of(RESPONSE);
    let forged = signed.replace("alice@example.com", "admin@example.com").replacen("ID=\"_", "ID=\"_x", 1);
    // The signed assertion hidden in an Extensions element, the forged one in its place.
    let t = RESPONSE.replace(signed, &format!("<samlp:Extensions>{signed}</samlp:Extensions>{forged}"));
    assert!(verify(&t).is_err());
    // The signed assertion nested inside the forged one.
    let nested = forged.replacen("</saml:Issuer>", &format!("</saml:Issuer>{signed}"), 1);
    let t = RESPONSE.replace(signed, &nested);
    assert!(verify(&t).is_err());
    // The signature moved to the Response, pointing at the assertion.
    let sig_start = RESPONSE.find("<ds:Signature").unwrap();
    let sig_end = RESPONSE.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let sig = &RESPONSE[sig_start..sig_end];
    let without = RESPONSE.replace(sig, "");
    let moved = without.replacen("<samlp:Status>", &format!("{sig}<samlp:Status>"), 1);
    assert!(matches!(verify(&moved), Err(Error::Signature(_))));
}

#[test]
fn dtds_and_entities_are_refused() {
    let body = RESPONSE;
    let xxe = format!("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{body}");
    assert!(matches!(verify(&xxe), Err(Error::Malformed(_))));
    let laughs = format!(
        "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>{}",
        body.replace(">alice@example.com<", ">&c;<")
    );
    assert!(matches!(verify(&laughs), Err(Error::Malformed(_))));
}

#[test]
fn oversized_and_deep_documents_are_refused() {
    let big = RESPONSE.replace("</samlp:Response>", &format!("<!--{}--></samlp:Response>", "x".repeat(MAX_RESPONSE)));
    assert!(matches!(verify(&big), Err(Error::Malformed(_))));
    let deep = format!("{}{}", "<a>".repeat(200), "</a>".repeat(200));
    assert!(matches!(verify(&deep), Err(Error::Malformed(_))));
}

#[test]
fn failed_status_is_a_rejection() {
    let t = RESPONSE.replace("status:Success", "status:Responder");
    assert!(matches!(verify(&t), Err(Error::Rejected(_))));
}

#[test]
fn encrypted_assertion_is_reported() {
    let t = RESPONSE.replace(assertion_of(RESPONSE), "<saml:EncryptedAssertion/>");
    assert_eq!(verify(&t), Err(Error::Encrypted));
    assert!(verify_response_xml_decrypting(&t, &certs(), &[SP_KEY.to_owned()]).is_err());
}

#[test]
fn datetimes() {
    assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_datetime("2026-01-01T00:00:00.123Z"), Some(1_767_225_600));
    assert_eq!(parse_datetime("2026-01-01T01:00:00+01:00"), Some(1_767_225_600));
    assert_eq!(parse_datetime("2026-01-01"), None);
    assert_eq!(parse_datetime("2026-13-01T00:00:00Z"), None);
}

#[test]
fn name_qualifier_is_awss_hash() {
    // base64(SHA-1("https://example.com/saml" + "123456789012" + "/MySAMLIdP")), computed by
    // `printf %s https://example.com/saml123456789012/MySAMLIdP | openssl sha1 -binary | base64`.
    assert_eq!(name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP"), NQ);
}

const NQ: &str = "1uAJanUnBc2XeUkHURMht+xam2c=";


#[test]
fn encrypted_signed_assertion_is_decrypted_and_verified() {
    let keys = vec![SP_KEY.to_owned()];
    let a = verify_response_xml_decrypting(ENCRYPTED, &certs(), &keys).unwrap();
    assert_eq!(a.name_id.value, "enc@example.com");
    assert!(a.encrypted);
    // Without the key: reported as encrypted.
    assert_eq!(verify_response_xml(ENCRYPTED, &certs()), Err(Error::Encrypted));
    // With another IdP's certificate the decrypted assertion's signature does not verify.
    let other = parse_metadata(OTHER_METADATA).unwrap().signing_certificates;
    assert!(matches!(verify_response_xml_decrypting(ENCRYPTED, &other, &keys), Err(Error::Signature(_))));
}

#[test]
fn encrypted_assertion_in_signed_response_is_covered() {
    let keys = vec![SP_KEY.to_owned()];
    let a = verify_response_xml_decrypting(ENCRYPTED_SIGNED_RESPONSE, &certs(), &keys).unwrap();
    assert_eq!(a.name_id.value, "enc2@example.com");
    // The Response's signature covers the ciphertext: changing it breaks the signature.
    let start = ENCRYPTED_SIGNED_RESPONSE.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
    let mut t = ENCRYPTED_SIGNED_RESPONSE.to_owned();
    let c = if &t[start..=start] == "A" { "B" } else { "A" };
    t.replace_range(start..=start, c);
    assert!(matches!(verify_response_xml_decrypting(&t, &certs(), &keys), Err(Error::Signature(_))));
}

#[test]
fn encrypted_unsigned_assertion_without_signed_response_is_refused() {
    // Strip the Response's signature: the decrypted assertion is then signed by nothing.
    let start = ENCRYPTED_SIGNED_RESPONSE.find("<ds:Signature").unwrap();
    let end = ENCRYPTED_SIGNED_RESPONSE.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let t = format!("{}{}", &ENCRYPTED_SIGNED_RESPONSE[..start], &ENCRYPTED_SIGNED_RESPONSE[end..]);
    assert!(matches!(verify_response_xml_decrypting(&t, &certs(), &[SP_KEY.to_owned()]), Err(Error::Signature(_))));
}

#[test]
fn wrong_private_key_cannot_decrypt() {
    let wrong = SP_KEY.replacen("MII", "MIJ", 1);
    assert!(verify_response_xml_decrypting(ENCRYPTED, &certs(), &[wrong]).is_err());
}
