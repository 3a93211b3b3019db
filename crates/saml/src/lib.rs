//! SAML 2.0 for AssumeRoleWithSAML: an identity provider's metadata (its entity id and signing
//! certificates) and a signed `samlp:Response` verified against those certificates.
//!
//! XML signature verification is bergshamra's (`bergshamra-dsig`: XML-DSig with exclusive
//! canonicalization, tested against xmlsec1's interoperability suites, configured for SAML:
//! only the keys given here are trusted, never a key carried in `KeyInfo`, and reference targets
//! must be the signature's parent). Around it this crate holds the response to a narrow profile
//! before any signature is looked at, so that what is verified is exactly what is read:
//!
//! - the input is bounded (`MAX_RESPONSE`, `MAX_DEPTH`); a DTD (so any entity, internal or
//!   external) is refused by the parser;
//! - the document element is a `samlp:Response` and it holds exactly one `saml:Assertion`
//!   anywhere, as its direct child (moved, duplicated or nested assertions are refused);
//! - every `ID` attribute is unique; every `ds:Signature` is a direct child of the Response or
//!   the Assertion, with one `Reference` whose URI is `#` + its parent's ID, transforms only
//!   enveloped-signature and (exclusive) canonicalization, no comments variants;
//! - every signature present must verify with one of the given certificates, and the
//!   assertion must be covered by one (its own, or the Response's);
//! - the assertion's contents are then read from the same parsed tree that was verified, text
//!   as canonicalization sees it (a comment inside a `NameID` does not cut it short).
//!
//! Pure: no I/O, no clock. Times are returned as Unix seconds for the caller to check.

#![forbid(unsafe_code)]

use base64::Engine as _;
use bergshamra_dsig::{DsigContext, VerifyResult};
use bergshamra_keys::KeysManager;
use uppsala::{Document, NodeId, NodeKind};

/// The largest decoded response accepted, in bytes. (STS limits the base64 `SAMLAssertion`
/// to 100,000 characters, which decodes to at most 75,000.)
pub const MAX_RESPONSE: usize = 100_000;
/// The largest metadata document (CreateSAMLProvider: `SAMLMetadataDocument`, at most
/// 10,000,000 characters).
pub const MAX_METADATA: usize = 10_000_000;
/// The deepest element nesting accepted in either document.
pub const MAX_DEPTH: u32 = 48;
/// At most this many signing certificates are taken from a metadata document.
pub const MAX_CERTIFICATES: usize = 16;

const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// Canonicalization methods accepted (never the `WithComments` variants).
const C14N: &[&str] = &["http://www.w3.org/2001/10/xml-exc-c14n#", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"];
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// Signature methods accepted: RSA PKCS#1 v1.5 with SHA-1 (which AWS still accepts) or
/// SHA-2, and ECDSA with SHA-2.
const SIGNATURE_METHODS: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
];
const DIGEST_METHODS: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#sha1",
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];

/// Why a document was refused. The messages name no secret and no certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not a well-formed, bounded SAML document of the expected shape.
    Malformed(String),
    /// No valid signature by a trusted certificate covers the assertion.
    Signature(String),
    /// The response's status is not Success: the IdP refused the sign-in.
    Rejected(String),
    /// The assertion is encrypted.
    Encrypted,
}

impl Error {
    pub fn message(&self) -> String {
        match self {
            Self::Malformed(m) | Self::Signature(m) | Self::Rejected(m) => m.clone(),
            Self::Encrypted => "The SAML assertion is encrypted.".into(),
        }
    }
}

fn malformed(m: &str) -> Error {
    Error::Malformed(m.to_owned())
}

fn bad_signature() -> Error {
    Error::Signature("Response signature invalid".into())
}

fn parse(xml: &str, max: usize) -> Result<Document<'_>, Error> {
    if xml.len() > max {
        return Err(malformed("The document is too large."));
    }
    uppsala::Parser::new()
        .with_forbid_dtd(true)
        .with_forbid_entities(true)
        .with_max_entity_expansion(0)
        .with_max_depth(MAX_DEPTH)
        .parse(xml)
        .map_err(|_| malformed("The document is not well-formed XML (DTDs and entities are not accepted)."))
}

fn is(doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> bool {
    doc.element(id).is_some_and(|e| e.matches_name_ns(ns, local))
}

fn attr<'d>(doc: &'d Document<'_>, id: NodeId, name: &str) -> Option<&'d str> {
    doc.element(id).and_then(|e| e.attributes.iter().find(|a| a.name.namespace_uri.is_none() && *a.name.local_name == *name)).map(|a| &*a.value)
}

fn child_elements(doc: &Document<'_>, id: NodeId) -> Vec<NodeId> {
    doc.children(id).into_iter().filter(|c| doc.element(*c).is_some()).collect()
}

fn children_named(doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> Vec<NodeId> {
    child_elements(doc, id).into_iter().filter(|c| is(doc, *c, ns, local)).collect()
}

fn only_child(doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> Result<Option<NodeId>, Error> {
    let all = children_named(doc, id, ns, local);
    if all.len() > 1 {
        return Err(Error::Malformed(format!("More than one {local} element.")));
    }
    Ok(all.first().copied())
}

/// An element's text as canonicalization sees it: its text and CDATA children joined
/// (comments dropped, never a cut-off point); an element child is refused.
fn text(doc: &Document<'_>, id: NodeId) -> Result<String, Error> {
    let mut out = String::new();
    for c in doc.children(id) {
        match doc.node_kind(c) {
            Some(NodeKind::Text(t) | NodeKind::CData(t)) => out.push_str(t),
            Some(NodeKind::Comment(_) | NodeKind::ProcessingInstruction(_)) => {}
            _ => return Err(malformed("An element that holds a value has element content.")),
        }
    }
    Ok(out.trim().to_owned())
}

fn descendants_named(doc: &Document<'_>, ns: &str, local: &str) -> Vec<NodeId> {
    doc.root_descendants().into_iter().filter(|n| is(doc, *n, ns, local)).collect()
}

trait Descend {
    fn root_descendants(&self) -> Vec<NodeId>;
}

impl Descend for Document<'_> {
    fn root_descendants(&self) -> Vec<NodeId> {
        self.descendants(self.root())
    }
}

/// An xs:dateTime (`2026-12-06T10:05:00Z`, with optional fraction and offset) as Unix seconds.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_once('T')?;
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) || rest.len() < 8 {
        return None;
    }
    let (time, zone) = match rest.find(['Z', '+', '-']) {
        Some(i) => (rest.get(..i)?, rest.get(i..)?),
        None => (rest, ""),
    };
    let time = time.split('.').next()?;
    let mut t = time.split(':');
    let (h, mi, sec): (i64, i64, i64) = (t.next()?.parse().ok()?, t.next()?.parse().ok()?, t.next()?.parse().ok()?);
    if t.next().is_some() || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let offset = match zone {
        "" | "Z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let (oh, om) = z.get(1..)?.split_once(':')?;
            sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// What a metadata document says about an identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// The `entityID`: the issuer of its assertions.
    pub entity_id: String,
    /// DER certificates of its signing keys (`KeyDescriptor` with `use="signing"` or no use).
    pub signing_certificates: Vec<Vec<u8>>,
    /// `validUntil`, as Unix seconds.
    pub valid_until: Option<i64>,
}

/// Parses an IdP's metadata: one `md:EntityDescriptor` with an `IDPSSODescriptor` and at least
/// one signing certificate that parses as X.509 with a key bergshamra can verify with.
pub fn parse_metadata(xml: &str) -> Result<Metadata, Error> {
    let doc = parse(xml, MAX_METADATA)?;
    let root = doc.document_element().ok_or_else(|| malformed("Could not parse metadata"))?;
    if !is(&doc, root, MD, "EntityDescriptor") {
        return Err(malformed("Could not parse metadata: the document element is not an md:EntityDescriptor."));
    }
    let entity_id = attr(&doc, root, "entityID").filter(|e| !e.trim().is_empty()).ok_or_else(|| malformed("Could not parse metadata: no entityID."))?;
    let idps = children_named(&doc, root, MD, "IDPSSODescriptor");
    if idps.is_empty() {
        return Err(malformed("Could not parse metadata: no IDPSSODescriptor."));
    }
    let mut certs: Vec<Vec<u8>> = Vec::new();
    for idp in idps {
        for kd in children_named(&doc, idp, MD, "KeyDescriptor") {
            if attr(&doc, kd, "use").is_some_and(|u| u != "signing") {
                continue;
            }
            for ki in children_named(&doc, kd, DS, "KeyInfo") {
                for xd in children_named(&doc, ki, DS, "X509Data") {
                    for xc in children_named(&doc, xd, DS, "X509Certificate") {
                        let b64: String = text(&doc, xc)?.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                        let der = base64::engine::general_purpose::STANDARD
                            .decode(b64)
                            .map_err(|_| malformed("Could not parse metadata: a certificate is not base64."))?;
                        bergshamra_keys::loader::load_x509_cert_der(&der)
                            .map_err(|_| malformed("Could not parse metadata: a signing certificate is not a supported X.509 certificate."))?;
                        if !certs.contains(&der) {
                            certs.push(der);
                        }
                    }
                }
            }
        }
    }
    if certs.is_empty() {
        return Err(malformed("Could not parse metadata: no signing certificate."));
    }
    if certs.len() > MAX_CERTIFICATES {
        return Err(malformed("Could not parse metadata: too many signing certificates."));
    }
    let valid_until = match attr(&doc, root, "validUntil") {
        Some(v) => Some(parse_datetime(v).ok_or_else(|| malformed("Could not parse metadata: validUntil is not a date."))?),
        None => None,
    };
    Ok(Metadata { entity_id: entity_id.trim().to_owned(), signing_certificates: certs, valid_until })
}

/// The subject's name identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameId {
    pub value: String,
    pub format: Option<String>,
}

/// One `SubjectConfirmationData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub method: Option<String>,
    pub recipient: Option<String>,
    pub not_on_or_after: Option<i64>,
    pub not_before: Option<i64>,
}

/// The contents of the verified assertion (and the Response's `Destination`, which is only
/// ever checked, never trusted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub issuer: String,
    pub issue_instant: i64,
    pub name_id: NameId,
    pub confirmations: Vec<Confirmation>,
    /// `Conditions`' `NotBefore` and `NotOnOrAfter`.
    pub not_before: Option<i64>,
    pub not_on_or_after: Option<i64>,
    /// Every `AudienceRestriction`'s audiences (each restriction must be met: see
    /// `audience_restrictions`).
    pub audience_restrictions: Vec<Vec<String>>,
    /// The earliest `AuthnStatement` `SessionNotOnOrAfter`: when the IdP wants the session to end.
    pub session_not_on_or_after: Option<i64>,
    /// Attributes by `Name`, in document order, each with its values.
    pub attributes: Vec<(String, Vec<String>)>,
    pub destination: Option<String>,
    /// It came encrypted (and was decrypted with one of the given private keys).
    pub encrypted: bool,
}

impl Assertion {
    /// The values of the attribute `name` (empty when absent).
    pub fn attribute(&self, name: &str) -> Vec<String> {
        self.attributes.iter().filter(|(n, _)| n == name).flat_map(|(_, v)| v.clone()).collect()
    }
}

fn time_attr(doc: &Document<'_>, id: NodeId, name: &str) -> Result<Option<i64>, Error> {
    match attr(doc, id, name) {
        None => Ok(None),
        Some(v) => parse_datetime(v).map(Some).ok_or_else(|| Error::Malformed(format!("{name} is not a valid dateTime."))),
    }
}

/// Checks one `ds:Signature` against the profile; returns nothing but refusals.
fn check_signature_shape(doc: &Document<'_>, sig: NodeId) -> Result<(), Error> {
    let parent = doc.parent(sig).ok_or_else(bad_signature)?;
    let parent_id = attr(doc, parent, "ID").ok_or_else(bad_signature)?;
    let signed_info = only_child(doc, sig, DS, "SignedInfo")?.ok_or_else(bad_signature)?;
    let c14n = only_child(doc, signed_info, DS, "CanonicalizationMethod")?.and_then(|c| attr(doc, c, "Algorithm")).ok_or_else(bad_signature)?;
    if !C14N.contains(&c14n) {
        return Err(Error::Signature(format!("Canonicalization method {c14n} is not accepted.")));
    }
    let method = only_child(doc, signed_info, DS, "SignatureMethod")?.and_then(|c| attr(doc, c, "Algorithm")).ok_or_else(bad_signature)?;
    if !SIGNATURE_METHODS.contains(&method) {
        return Err(Error::Signature(format!("Signature method {method} is not accepted.")));
    }
    let refs = children_named(doc, signed_info, DS, "Reference");
    let [reference] = refs.as_slice() else { return Err(Error::Signature("A signature must have exactly one Reference.".into())) };
    if attr(doc, *reference, "URI") != Some(&format!("#{parent_id}")) {
        return Err(Error::Signature("The signature does not reference the element that holds it.".into()));
    }
    let digest = only_child(doc, *reference, DS, "DigestMethod")?.and_then(|c| attr(doc, c, "Algorithm")).ok_or_else(bad_signature)?;
    if !DIGEST_METHODS.contains(&digest) {
        return Err(Error::Signature(format!("Digest method {digest} is not accepted.")));
    }
    if let Some(transforms) = only_child(doc, *reference, DS, "Transforms")? {
        for t in child_elements(doc, transforms) {
            let alg = if is(doc, t, DS, "Transform") { attr(doc, t, "Algorithm") } else { None };
            match alg {
                Some(a) if a == ENVELOPED || C14N.contains(&a) => {}
                _ => return Err(Error::Signature("Only the enveloped-signature and canonicalization transforms are accepted.".into())),
            }
        }
    }
    Ok(())
}

/// Verifies a base64 `samlp:Response` (as AssumeRoleWithSAML's `SAMLAssertion` carries it)
/// against the trusted signing certificates (DER) and returns its assertion.
pub fn verify_response(b64: &str, certificates: &[Vec<u8>]) -> Result<Assertion, Error> {
    verify_response_decrypting(b64, certificates, &[])
}

/// `verify_response`, decrypting an `EncryptedAssertion` with one of `private_keys` (PEM).
pub fn verify_response_decrypting(b64: &str, certificates: &[Vec<u8>], private_keys: &[String]) -> Result<Assertion, Error> {
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() > MAX_RESPONSE / 3 * 4 + 4 {
        return Err(malformed("The SAML response is too large."));
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| malformed("The SAML response is not base64."))?;
    let xml = String::from_utf8(bytes).map_err(|_| malformed("The SAML response is not UTF-8."))?;
    verify_response_xml_decrypting(&xml, certificates, private_keys)
}

/// `verify_response` on the decoded XML.
pub fn verify_response_xml(xml: &str, certificates: &[Vec<u8>]) -> Result<Assertion, Error> {
    verify_response_xml_decrypting(xml, certificates, &[])
}

/// `verify_response_decrypting` on the decoded XML. An encrypted assertion is handled so: the
/// document holds exactly one `EncryptedAssertion`, the Response's child, and no plain one; a
/// signature on the Response (over the ciphertext) is verified first; the assertion is
/// decrypted (bergshamra-enc; no `CipherReference`, so nothing outside the document is read)
/// and put in its place, the Response's signature dropped as already verified; the result is
/// then verified as a plain response, the assertion counting as covered when the Response's
/// signature was valid.
pub fn verify_response_xml_decrypting(xml: &str, certificates: &[Vec<u8>], private_keys: &[String]) -> Result<Assertion, Error> {
    let doc = parse(xml, MAX_RESPONSE)?;
    let response = response_of(&doc)?;
    let encrypted = descendants_named(&doc, SAML, "EncryptedAssertion");
    if encrypted.is_empty() {
        return verify_plain(xml, certificates, false);
    }
    if private_keys.is_empty() {
        return Err(Error::Encrypted);
    }
    let [ea] = encrypted.as_slice() else { return Err(malformed("Invalid SAML Response: it must hold exactly one EncryptedAssertion.")) };
    if doc.parent(*ea) != Some(response) || !descendants_named(&doc, SAML, "Assertion").is_empty() {
        return Err(malformed("Invalid SAML Response: the EncryptedAssertion is not the Response's only assertion."));
    }
    unique_ids(&doc)?;
    let signatures = descendants_named(&doc, DS, "Signature");
    if signatures.iter().any(|s| doc.parent(*s) != Some(response)) {
        return Err(bad_signature());
    }
    let response_signed = !signatures.is_empty();
    if response_signed {
        check_signatures(&doc, xml, &signatures, certificates)?;
    }
    let mut keys = KeysManager::new();
    for pem in private_keys {
        if let Ok(key) = bergshamra_keys::loader::load_pem_auto(pem.as_bytes(), None) {
            keys.add_key(key);
        }
    }
    let ctx = bergshamra_enc::EncContext::new(keys).with_disable_cipher_reference(true);
    let cannot = || Error::Signature("The encrypted assertion could not be decrypted with the provider's private keys.".into());
    let decrypted = bergshamra_enc::decrypt::decrypt(&ctx, xml).map_err(|_| cannot())?;
    let ddoc = parse(&decrypted, MAX_RESPONSE.saturating_mul(2))?;
    let dresponse = response_of(&ddoc)?;
    let deas = descendants_named(&ddoc, SAML, "EncryptedAssertion");
    let [dea] = deas.as_slice() else { return Err(cannot()) };
    let children = child_elements(&ddoc, *dea);
    let [assertion] = children.as_slice() else { return Err(cannot()) };
    if !is(&ddoc, *assertion, SAML, "Assertion") {
        return Err(cannot());
    }
    // Splice, last first: the assertion in place of its EncryptedAssertion, the Response's
    // own signatures out.
    let plain = ddoc.node_source(*assertion).ok_or_else(cannot)?;
    let mut edits: Vec<(std::ops::Range<usize>, &str)> = vec![(ddoc.node_range(*dea).ok_or_else(cannot)?, plain)];
    for sig in children_named(&ddoc, dresponse, DS, "Signature") {
        edits.push((ddoc.node_range(sig).ok_or_else(cannot)?, ""));
    }
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut text = decrypted.clone();
    for (range, with) in edits {
        if range.end > text.len() || !text.is_char_boundary(range.start) || !text.is_char_boundary(range.end) {
            return Err(cannot());
        }
        text.replace_range(range, with);
    }
    let assertion = verify_plain(&text, certificates, response_signed)?;
    Ok(Assertion { encrypted: true, ..assertion })
}

fn response_of(doc: &Document<'_>) -> Result<NodeId, Error> {
    let response = doc.document_element().ok_or_else(|| malformed("Invalid SAML Response"))?;
    if !is(doc, response, SAMLP, "Response") {
        return Err(malformed("Invalid SAML Response: the document element is not a samlp:Response."));
    }
    Ok(response)
}

/// Every ID is unique, so a reference resolves to one element only.
fn unique_ids(doc: &Document<'_>) -> Result<(), Error> {
    let mut ids = std::collections::HashSet::new();
    for n in doc.root_descendants() {
        if let Some(e) = doc.element(n) {
            for a in &e.attributes {
                if matches!(&*a.name.local_name, "ID" | "Id" | "id" | "AssertionID") && !ids.insert(a.value.to_string()) {
                    return Err(malformed("Invalid SAML Response: duplicate ID."));
                }
            }
        }
    }
    Ok(())
}

/// Checks the shape of `signatures` (each the child of the element it signs) and verifies
/// every one of them with the trusted certificates; returns the elements they cover.
fn check_signatures(doc: &Document<'_>, xml: &str, signatures: &[NodeId], certificates: &[Vec<u8>]) -> Result<Vec<NodeId>, Error> {
    for sig in signatures {
        check_signature_shape(doc, *sig)?;
    }
    let mut keys = KeysManager::new();
    for der in certificates {
        if let Ok(key) = bergshamra_keys::loader::load_x509_cert_der(der) {
            keys.add_key(key);
        }
    }
    if keys.is_empty() {
        return Err(bad_signature());
    }
    let ctx = DsigContext::new(keys);
    let results = bergshamra_dsig::verify::verify_all_document_with_source(&ctx, doc, Some(xml)).map_err(|_| bad_signature())?;
    if results.len() != signatures.len() {
        return Err(bad_signature());
    }
    let mut covered = Vec::new();
    for result in &results {
        let VerifyResult::Valid { signature_node, references, .. } = result else { return Err(bad_signature()) };
        if !result.all_reference_digests_verified() || !signatures.contains(signature_node) {
            return Err(bad_signature());
        }
        let parent = doc.parent(*signature_node).ok_or_else(bad_signature)?;
        if references.iter().any(|r| r.resolved_node != Some(parent)) {
            return Err(bad_signature());
        }
        covered.push(parent);
    }
    Ok(covered)
}

/// A response with a plain assertion; `pre_covered`: the assertion was covered by a signature
/// verified before decryption.
fn verify_plain(xml: &str, certificates: &[Vec<u8>], pre_covered: bool) -> Result<Assertion, Error> {
    let doc = parse(xml, MAX_RESPONSE.saturating_mul(2))?;
    let response = response_of(&doc)?;
    if !descendants_named(&doc, SAML, "EncryptedAssertion").is_empty() {
        return Err(Error::Encrypted);
    }
    let assertions = descendants_named(&doc, SAML, "Assertion");
    let [assertion] = assertions.as_slice() else {
        return Err(malformed("Invalid SAML Response: it must hold exactly one Assertion."));
    };
    let assertion = *assertion;
    if doc.parent(assertion) != Some(response) {
        return Err(malformed("Invalid SAML Response: the Assertion is not a child of the Response."));
    }
    unique_ids(&doc)?;
    // Status first: a refusal by the IdP is reported as such (after the document's shape).
    let status = only_child(&doc, response, SAMLP, "Status")?
        .and_then(|s| only_child(&doc, s, SAMLP, "StatusCode").ok().flatten())
        .and_then(|c| attr(&doc, c, "Value"));
    if status != Some(SUCCESS) {
        return Err(Error::Rejected("The identity provider did not report a successful authentication.".into()));
    }
    // Signatures: where they are, their shape, then the cryptography.
    let signatures = descendants_named(&doc, DS, "Signature");
    if signatures.iter().any(|s| doc.parent(*s) != Some(response) && doc.parent(*s) != Some(assertion)) {
        return Err(bad_signature());
    }
    let covered = if signatures.is_empty() { Vec::new() } else { check_signatures(&doc, xml, &signatures, certificates)? };
    if !pre_covered && !covered.iter().any(|c| *c == assertion || *c == response) {
        return Err(bad_signature());
    }
    read_assertion(&doc, response, assertion)
}

fn read_assertion(doc: &Document<'_>, response: NodeId, assertion: NodeId) -> Result<Assertion, Error> {
    let issuer = only_child(doc, assertion, SAML, "Issuer")?.ok_or_else(|| malformed("The assertion has no Issuer."))?;
    let issuer = text(doc, issuer)?;
    let issue_instant = time_attr(doc, assertion, "IssueInstant")?.ok_or_else(|| malformed("The assertion has no IssueInstant."))?;
    let subject = only_child(doc, assertion, SAML, "Subject")?.ok_or_else(|| malformed("The assertion has no Subject."))?;
    let name_id = only_child(doc, subject, SAML, "NameID")?.ok_or_else(|| malformed("The assertion's Subject has no NameID."))?;
    let name_id = NameId { value: text(doc, name_id)?, format: attr(doc, name_id, "Format").map(str::to_owned) };
    let mut confirmations = Vec::new();
    for sc in children_named(doc, subject, SAML, "SubjectConfirmation") {
        let method = attr(doc, sc, "Method").map(str::to_owned);
        match only_child(doc, sc, SAML, "SubjectConfirmationData")? {
            Some(d) => confirmations.push(Confirmation {
                method,
                recipient: attr(doc, d, "Recipient").map(str::to_owned),
                not_on_or_after: time_attr(doc, d, "NotOnOrAfter")?,
                not_before: time_attr(doc, d, "NotBefore")?,
            }),
            None => confirmations.push(Confirmation { method, recipient: None, not_on_or_after: None, not_before: None }),
        }
    }
    let (mut not_before, mut not_on_or_after, mut audience_restrictions) = (None, None, Vec::new());
    if let Some(c) = only_child(doc, assertion, SAML, "Conditions")? {
        not_before = time_attr(doc, c, "NotBefore")?;
        not_on_or_after = time_attr(doc, c, "NotOnOrAfter")?;
        for ar in children_named(doc, c, SAML, "AudienceRestriction") {
            let mut list = Vec::new();
            for a in children_named(doc, ar, SAML, "Audience") {
                list.push(text(doc, a)?);
            }
            audience_restrictions.push(list);
        }
    }
    let mut session_not_on_or_after: Option<i64> = None;
    for st in children_named(doc, assertion, SAML, "AuthnStatement") {
        if let Some(t) = time_attr(doc, st, "SessionNotOnOrAfter")? {
            session_not_on_or_after = Some(session_not_on_or_after.map_or(t, |u| u.min(t)));
        }
    }
    let mut attributes = Vec::new();
    for st in children_named(doc, assertion, SAML, "AttributeStatement") {
        for a in children_named(doc, st, SAML, "Attribute") {
            let name = attr(doc, a, "Name").ok_or_else(|| malformed("An Attribute has no Name."))?.to_owned();
            let mut values = Vec::new();
            for v in children_named(doc, a, SAML, "AttributeValue") {
                values.push(text(doc, v)?);
            }
            attributes.push((name, values));
        }
    }
    Ok(Assertion {
        issuer,
        issue_instant,
        name_id,
        confirmations,
        not_before,
        not_on_or_after,
        audience_restrictions,
        session_not_on_or_after,
        attributes,
        destination: attr(doc, response, "Destination").map(str::to_owned),
        encrypted: false,
    })
}

/// AssumeRoleWithSAML's `NameQualifier` and the `saml:namequalifier` key: base64 of the SHA-1
/// of the issuer, the account id, `/` and the provider's name (STS API Reference,
/// AssumeRoleWithSAML; IAM User Guide, "Available keys for SAML-based AWS STS federation").
pub fn name_qualifier(issuer: &str, account: &str, provider_name: &str) -> String {
    use sha1::Digest as _;
    let digest = sha1::Sha1::digest(format!("{issuer}{account}/{provider_name}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

#[cfg(test)]
mod tests;
