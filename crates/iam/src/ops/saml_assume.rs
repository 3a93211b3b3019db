//! AssumeRoleWithSAML: a SAML response signed by a registered identity provider, exchanged
//! for role credentials. The request is unsigned (as on AWS); the signed assertion is the
//! authentication.
//!
//! Order of checks: the provider (`PrincipalArn`) exists in the role's account → the response
//! verifies against the provider's metadata certificates (`castellan-saml`: bounded, no DTD,
//! one assertion, every signature valid and the assertion covered; only the verified
//! assertion is read) → its issuer is the provider's entity id → audience, recipient and
//! destination are AWS's sign-in endpoint → NotBefore/NotOnOrAfter → the Role attribute pairs
//! this role with this provider → RoleSessionName, session tags, source identity → duration and
//! session policies → the role's trust policy with the `saml:` keys
//! (`authz::authorize_saml`) → credentials. Errors are AWS's (STS API Reference,
//! AssumeRoleWithSAML; IAM User Guide, "Troubleshooting SAML 2.0 federation").

use castellan_api::sts;
use castellan_policy::PrincipalType;
use castellan_saml::Assertion;

use super::web_identity::federated_role;
use crate::authz::{Federated, RequestInfo};
use crate::error::{ApiError, ApiResult};
use crate::messages;
use crate::state::name_key;
use crate::Iam;

/// How far NotBefore and IssueInstant may be ahead of Castellan's clock, in seconds (clock
/// skew between the IdP and Castellan). NotOnOrAfter gets no tolerance.
pub const CLOCK_SKEW: i64 = 300;
const ATTR: &str = "https://aws.amazon.com/SAML/Attributes/";

/// IAM User Guide, "Configure SAML assertions for the authentication response": the
/// SubjectConfirmationData Recipient (and Response Destination) is the AWS sign-in endpoint,
/// global or regional.
fn is_aws_signin(url: &str) -> bool {
    if matches!(url, "https://signin.aws.amazon.com/saml" | "https://signin.amazonaws-us-gov.com/saml" | "https://signin.amazonaws.cn/saml") {
        return true;
    }
    url.strip_prefix("https://")
        .and_then(|r| r.strip_suffix(".signin.aws.amazon.com/saml"))
        .is_some_and(is_region)
}

fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// The audience AWS requires: `urn:amazon:webservices`, or a regional variant
/// (`urn:amazon:webservices:govcloud`, `urn:amazon:webservices:cn-north-1`, …).
fn is_aws_audience(a: &str) -> bool {
    a == "urn:amazon:webservices"
        || a.strip_prefix("urn:amazon:webservices:").is_some_and(|r| r == "govcloud" || is_region(r))
}

fn invalid(message: &str) -> ApiError {
    ApiError::InvalidIdentityToken(message.to_owned())
}

fn not_authorized() -> ApiError {
    messages::saml_not_authorized()
}

/// The IAM User Guide's mapping of SAML attributes to `saml:` keys ("Available keys for
/// SAML-based AWS STS federation"): eduPerson and eduOrg attributes and a few common ones,
/// by their OID names (`urn:oid:…`).
const ATTRIBUTE_KEYS: &[(&str, &str)] = &[
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "saml:edupersonaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "saml:edupersonnickname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "saml:edupersonorgdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.4", "saml:edupersonorgunitdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.5", "saml:edupersonprimaryaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "saml:edupersonprincipalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "saml:edupersonentitlement"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.8", "saml:edupersonprimaryorgunitdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.9", "saml:edupersonscopedaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.10", "saml:edupersontargetedid"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "saml:edupersonassurance"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "saml:eduorghomepageuri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.3", "saml:eduorgidentityauthnpolicyuri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.4", "saml:eduorglegalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.5", "saml:eduorgsuperioruri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.6", "saml:eduorgwhitepagesuri"),
    ("urn:oid:2.5.4.3", "saml:cn"),
    ("urn:oid:2.5.4.4", "saml:sn"),
    ("urn:oid:2.5.4.42", "saml:givenName"),
    ("urn:oid:0.9.2342.19200300.100.1.1", "saml:uid"),
    ("urn:oid:0.9.2342.19200300.100.1.3", "saml:mail"),
    ("urn:oid:2.16.840.1.113730.3.1.241", "saml:displayName"),
    ("urn:oid:2.16.840.1.113730.3.1.39", "saml:preferredLanguage"),
];

/// SubjectType as AWS returns it: the NameID format without
/// `urn:oasis:names:tc:SAML:2.0:nameid-format:` (so `persistent`, `transient`), other formats
/// whole; no format is `unspecified`'s SAML 1.1 URI.
fn subject_type(format: Option<&str>) -> String {
    let f = format.unwrap_or("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified");
    f.strip_prefix("urn:oasis:names:tc:SAML:2.0:nameid-format:").unwrap_or(f).to_owned()
}

/// The session tags (`PrincipalTag:KEY`), transitive keys and source identity the assertion asks for.
fn session_attributes(a: &Assertion) -> ApiResult<(crate::model::Tags, Vec<String>, Option<String>)> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for (name, values) in &a.attributes {
        let Some(key) = name.strip_prefix(ATTR).and_then(|n| n.strip_prefix("PrincipalTag:")) else { continue };
        let [value] = values.as_slice() else { return Err(messages::saml_session_tag_values(key)) };
        // IAM tag rules: key 1..128, value 0..256 characters, `aws:` reserved.
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 || key.to_ascii_lowercase().starts_with("aws:") {
            return Err(messages::saml_session_tag_invalid(key));
        }
        if tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(messages::session_tag_keys_duplicate());
        }
        tags.push((key.to_owned(), value.clone()));
    }
    if tags.len() > 50 {
        return Err(messages::session_tags_limit());
    }
    let transitive = a.attribute(&format!("{ATTR}TransitiveTagKeys"));
    for key in &transitive {
        if !tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(messages::transitive_tag_key_not_in_tags());
        }
    }
    let source_identity = match a.attribute(&format!("{ATTR}SourceIdentity")).as_slice() {
        [] => None,
        [s] if (2..=64).contains(&s.chars().count()) && s.chars().all(|c| c.is_alphanumeric() || "+=,.@-_".contains(c)) => Some(s.clone()),
        _ => return Err(messages::saml_source_identity_invalid()),
    };
    Ok((tags, transitive, source_identity))
}

/// RoleSessionName: one value of 2 to 64 characters of `[\w+=,.@-]`.
fn session_name(a: &Assertion) -> ApiResult<String> {
    match a.attribute(&format!("{ATTR}RoleSessionName")).as_slice() {
        [] => Err(messages::saml_session_name_missing()),
        [s] if (2..=64).contains(&s.chars().count()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)) => Ok(s.clone()),
        _ => Err(messages::saml_session_name_invalid()),
    }
}

/// The assertion's Role attribute names `role_arn` paired with `provider_arn` (in either order
/// in one value, as AWS accepts).
fn role_pair_matches(a: &Assertion, role_arn: &str, provider_arn: &str) -> bool {
    a.attribute(&format!("{ATTR}Role")).iter().any(|v| {
        let parts: Vec<&str> = v.split(',').map(str::trim).collect();
        matches!(parts.as_slice(), [x, y] if (*x == role_arn && *y == provider_arn) || (*y == role_arn && *x == provider_arn))
    })
}

/// Audience, recipient, destination and validity period (AWS's checks of the assertion).
fn check_assertion(a: &Assertion, now: i64) -> ApiResult<String> {
    if a.audience_restrictions.is_empty() || !a.audience_restrictions.iter().all(|list| list.iter().any(|x| is_aws_audience(x))) {
        return Err(messages::saml_audience_wrong());
    }
    let bearer: Vec<_> = a.confirmations.iter().filter(|c| c.method.as_deref() == Some("urn:oasis:names:tc:SAML:2.0:cm:bearer")).collect();
    let [confirmation] = bearer.as_slice() else {
        return Err(messages::saml_bearer_confirmation());
    };
    let recipient = confirmation.recipient.clone().ok_or_else(messages::saml_no_recipient)?;
    if !is_aws_signin(&recipient) {
        return Err(messages::saml_recipient_wrong());
    }
    if a.destination.as_deref().is_some_and(|d| !is_aws_signin(d)) {
        return Err(messages::saml_destination_wrong());
    }
    let scd_expiry = confirmation.not_on_or_after.ok_or_else(messages::saml_no_not_on_or_after)?;
    for end in [Some(scd_expiry), a.not_on_or_after].into_iter().flatten() {
        if now >= end {
            return Err(messages::saml_assertion_expired());
        }
    }
    let starts = [a.not_before, confirmation.not_before, Some(a.issue_instant)];
    if starts.into_iter().flatten().any(|t| t > now.saturating_add(CLOCK_SKEW)) {
        return Err(messages::saml_not_yet_valid());
    }
    Ok(recipient)
}

pub fn assume_role_with_saml(iam: &Iam, info: &RequestInfo, r: sts::AssumeRoleWithSAMLRequest) -> ApiResult<sts::AssumeRoleWithSAMLResponse> {
    let now = iam.now();
    let role_account = crate::arn::iam_arn_account(iam.partition(), &r.role_arn).ok_or_else(not_authorized)?.to_owned();
    let provider = {
        let st = iam.read();
        let name = super::saml::name_of_arn(iam.partition(), &role_account, &r.principal_arn).ok_or_else(not_authorized)?;
        st.saml_providers.get(&name_key(&role_account, name)).cloned().ok_or_else(messages::saml_provider_missing)?
    };
    // Metadata past its validUntil no longer vouches for the IdP's certificates (review finding).
    if provider.valid_until.is_some_and(|until| now >= until) {
        return Err(messages::saml_metadata_expired());
    }
    let certificates: Vec<Vec<u8>> = provider
        .certificates
        .iter()
        .filter_map(|c| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, c).ok())
        .collect();
    // The provider's private keys are unsealed only for an encrypted assertion: a plain one
    // (the common case) never needs them.
    let assertion = match castellan_saml::verify_response(&r.saml_assertion, &certificates) {
        Err(castellan_saml::Error::Encrypted) if !provider.private_keys.is_empty() => {
            castellan_saml::verify_response_decrypting(&r.saml_assertion, &certificates, &super::saml::private_keys(iam, &provider)?)
        }
        verified => verified,
    };
    let assertion = assertion.map_err(|e| match e {
        castellan_saml::Error::Rejected(m) => ApiError::IdpRejectedClaim(m),
        castellan_saml::Error::Encrypted => messages::saml_cannot_decrypt(),
        castellan_saml::Error::Signature(m) | castellan_saml::Error::Malformed(m) => invalid(&m),
    })?;
    if provider.encryption_mode.as_deref() == Some("Required") && !assertion.encrypted {
        return Err(messages::saml_encryption_required());
    }
    if assertion.issuer != provider.entity_id {
        return Err(messages::saml_issuer_not_in_provider());
    }
    let recipient = check_assertion(&assertion, now)?;
    let provider_arn = provider.arn(iam.partition());
    if !role_pair_matches(&assertion, &r.role_arn, &r.principal_arn) {
        return Err(not_authorized());
    }
    let session_name = session_name(&assertion)?;
    // SessionDuration (IAM User Guide: 900 to 43200 seconds) bounds console sessions; an API
    // session's length is DurationSeconds. A malformed value is still refused.
    match assertion.attribute(&format!("{ATTR}SessionDuration")).as_slice() {
        [] => {}
        [d] if d.parse::<i64>().is_ok_and(|d| (900..=43_200).contains(&d)) => {}
        _ => return Err(messages::saml_session_duration_invalid()),
    }
    let (tags, transitive, source_identity) = session_attributes(&assertion)?;
    let mut granted = federated_role(
        iam,
        &r.role_arn,
        r.duration_seconds,
        r.policy.as_deref(),
        r.policy_arns.as_deref().unwrap_or_default(),
        &tags,
        not_authorized,
    )?;
    // "Your role session lasts for the duration that you specify with the DurationSeconds
    // parameter, or until the time specified in the SAML authentication response's
    // SessionNotOnOrAfter value, whichever is shorter." (STS API Reference, AssumeRoleWithSAML)
    if let Some(end) = assertion.session_not_on_or_after {
        let left = end.saturating_sub(now);
        if left <= 0 {
            return Err(messages::saml_session_expired());
        }
        granted.duration = granted.duration.min(i32::try_from(left).unwrap_or(i32::MAX));
    }
    let name_qualifier = castellan_saml::name_qualifier(&assertion.issuer, &granted.role.account, &provider.name);
    let sub_type = subject_type(assertion.name_id.format.as_deref());
    let mut keys: Vec<(String, Vec<String>)> = vec![
        ("saml:aud".into(), vec![recipient.clone()]),
        ("saml:iss".into(), vec![assertion.issuer.clone()]),
        ("saml:sub".into(), vec![assertion.name_id.value.clone()]),
        ("saml:sub_type".into(), vec![sub_type.clone()]),
        ("saml:namequalifier".into(), vec![name_qualifier.clone()]),
        ("saml:doc".into(), vec![format!("{}/{}", granted.role.account, provider.name)]),
    ];
    for (oid, key) in ATTRIBUTE_KEYS {
        let values = assertion.attribute(oid);
        if !values.is_empty() {
            keys.push(((*key).to_owned(), values));
        }
    }
    let federated = Federated {
        action: "sts:AssumeRoleWithSAML",
        principal_type: PrincipalType::Saml,
        provider_arn: &provider_arn,
        role: &granted.role,
        session_name: &session_name,
        tags: &tags,
        transitive_tag_keys: &transitive,
        source_identity: source_identity.as_deref(),
    };
    crate::authz::authorize_saml(iam, info, &federated, &keys)?;
    let packed = granted.packed;
    let (creds, user) = granted.issue(iam, now, &session_name, (tags, transitive, source_identity.clone()), provider_arn)?;
    Ok(sts::AssumeRoleWithSAMLResponse {
        credentials: Some(creds),
        assumed_role_user: Some(user),
        packed_policy_size: packed,
        subject: Some(assertion.name_id.value.clone()),
        subject_type: Some(sub_type),
        issuer: Some(assertion.issuer.clone()),
        audience: Some(recipient),
        name_qualifier: Some(name_qualifier),
        source_identity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_endpoints_and_audiences() {
        assert!(is_aws_signin("https://signin.aws.amazon.com/saml"));
        assert!(is_aws_signin("https://eu-west-1.signin.aws.amazon.com/saml"));
        assert!(!is_aws_signin("https://evil.example/saml"));
        assert!(!is_aws_signin("https://evil.signin.aws.amazon.com/saml"));
        assert!(is_aws_audience("urn:amazon:webservices"));
        assert!(is_aws_audience("urn:amazon:webservices:govcloud"));
        assert!(is_aws_audience("urn:amazon:webservices:cn-north-1"));
        assert!(!is_aws_audience("urn:amazon:webservicesx"));
        assert!(!is_aws_audience("https://sp.example"));
    }

    #[test]
    fn subject_types() {
        assert_eq!(subject_type(Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")), "persistent");
        assert_eq!(subject_type(Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")), "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
    }
}
