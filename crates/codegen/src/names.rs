//! Rust names for AWS names.

/// `UserName` → `user_name`, `SAMLProviderArn` → `saml_provider_arn`,
/// `OpenIDConnectProviderArn` → `open_id_connect_provider_arn`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                Some(_) => false,
            };
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// A field name: snake case, with a trailing underscore after a Rust keyword (`type_`).
pub fn field_name(member: &str) -> String {
    let s = snake_case(member);
    if KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// `SCREAMING_SNAKE` for statics.
pub fn upper_snake(name: &str) -> String {
    snake_case(name).to_ascii_uppercase()
}

/// A type name: the shape name with its first letter uppercased (`statusType` → `StatusType`).
pub fn type_name(shape: &str) -> String {
    let mut chars = shape.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// An enum variant for a wire value: `SERVICE_LEVEL` → `ServiceLevel`, `text/csv` → `TextCsv`,
/// `aws-managed` → `AwsManaged`, `explicitDeny` → `ExplicitDeny`, `MFADevices` → `MFADevices`.
pub fn variant_name(value: &str) -> String {
    let mut out = String::new();
    for word in value.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let all_caps = !word.chars().any(|c| c.is_ascii_lowercase());
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            if all_caps {
                out.extend(chars.map(|c| c.to_ascii_lowercase()));
            } else {
                out.push_str(chars.as_str());
            }
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do",
    "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "union",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    #[test]
    fn snake() {
        for (aws, rust) in [
            ("UserName", "user_name"),
            ("SAMLProviderArn", "saml_provider_arn"),
            ("OpenIDConnectProviderArn", "open_id_connect_provider_arn"),
            ("MaxItems", "max_items"),
            ("MFADevices", "mfa_devices"),
            ("Base32StringSeed", "base32_string_seed"),
            ("QRCodePNG", "qr_code_png"),
            ("AuthenticationCode1", "authentication_code1"),
            ("message", "message"),
            ("ClientIDList", "client_id_list"),
            ("AWSServiceName", "aws_service_name"),
        ] {
            assert_eq!(snake_case(aws), rust);
        }
        assert_eq!(field_name("Type"), "type_");
        assert_eq!(upper_snake("userNameType"), "USER_NAME_TYPE");
    }

    #[test]
    fn variants() {
        for (wire, rust) in [
            ("SERVICE_LEVEL", "ServiceLevel"),
            ("text/csv", "TextCsv"),
            ("aws-managed", "AwsManaged"),
            ("explicitDeny", "ExplicitDeny"),
            ("MFADevices", "MFADevices"),
            ("v1Token", "V1Token"),
            ("SSH", "Ssh"),
            ("INPROGRESS", "Inprogress"),
            ("1x", "V1x"),
        ] {
            assert_eq!(variant_name(wire), rust);
        }
    }

    #[test]
    fn type_names() {
        assert_eq!(type_name("statusType"), "StatusType");
        assert_eq!(type_name("User"), "User");
    }
}
