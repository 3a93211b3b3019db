//! Identifiers and secrets in AWS's formats.

use rand::Rng;

/// The characters AWS uses in unique ids and access key ids (base32: A–Z, 2–7).
const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_from(chars: &[u8], n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| {
            let i = rng.gen_range(0..chars.len());
            chars.get(i).map_or('A', |&c| char::from(c))
        })
        .collect()
}

/// The unique-id prefixes AWS documents (IAM identifiers, "Unique identifiers").
#[derive(Debug, Clone, Copy)]
pub enum IdPrefix {
    User,
    Group,
    Role,
    ManagedPolicy,
    InstanceProfile,
}

/// A 21-character unique id such as `AIDAJQABLZS4A3QDU576Q`.
pub fn unique_id(prefix: IdPrefix) -> String {
    let p = match prefix {
        IdPrefix::User => "AIDA",
        IdPrefix::Group => "AGPA",
        IdPrefix::Role => "AROA",
        IdPrefix::ManagedPolicy => "ANPA",
        IdPrefix::InstanceProfile => "AIPA",
    };
    format!("{p}{}", random_from(ID_CHARS, 17))
}

/// A 20-character long-term access key id: `AKIA` and 16 characters.
pub fn access_key_id() -> String {
    format!("AKIA{}", random_from(ID_CHARS, 16))
}

/// A 20-character SSH public key id: `APKA` and 16 characters (UploadSSHPublicKey's example,
/// `APKAEIBAERJR2EXAMPLE`).
pub fn ssh_public_key_id() -> String {
    format!("APKA{}", random_from(ID_CHARS, 16))
}

/// A 28-character signing certificate id (UploadSigningCertificate's example,
/// `TA7SMP42TDN5Z26OBPJE7EXAMPLE`: upper-case base32).
pub fn signing_certificate_id() -> String {
    random_from(ID_CHARS, 28)
}

/// A 21-character server certificate id: `ASCA` and 17 characters (UploadServerCertificate's
/// example, `ASCACKCEVSQ6C2EXAMPLE`).
pub fn server_certificate_id() -> String {
    format!("ASCA{}", random_from(ID_CHARS, 17))
}

/// A 21-character service-specific credential id: `ACCA` and 17 characters
/// (CreateServiceSpecificCredential's example, `ACCAQFODXMPL4YFHP7DZE`).
pub fn service_credential_id() -> String {
    format!("ACCA{}", random_from(ID_CHARS, 17))
}

/// A service-specific password: 32 random bytes in base64, 44 characters, as the passwords in
/// CreateServiceSpecificCredential's example.
pub fn service_password() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::thread_rng().gen();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A 20-character temporary access key id: `ASIA`, the account id in 8 base32 characters
/// (so GetAccessKeyInfo can name the account of any session key), and 8 random ones.
pub fn session_access_key_id(account: &str) -> String {
    let n: u64 = account.parse().unwrap_or(0);
    let encoded: String = (0..8)
        .rev()
        .map(|i| {
            let digit = usize::try_from((n >> (i * 5)) & 31).unwrap_or(0);
            ID_CHARS.get(digit).map_or('A', |&c| char::from(c))
        })
        .collect();
    format!("ASIA{encoded}{}", random_from(ID_CHARS, 8))
}

/// The account a session key id from [`session_access_key_id`] names.
pub fn account_of_session_key(key: &str) -> Option<String> {
    let encoded = key.strip_prefix("ASIA")?.get(..8)?;
    let mut n: u64 = 0;
    for c in encoded.bytes() {
        let digit = ID_CHARS.iter().position(|&x| x == c)?;
        n = (n << 5) | u64::try_from(digit).ok()?;
    }
    (key.len() == 20 && n < 1_000_000_000_000).then(|| format!("{n:012}"))
}

/// A 40-character secret access key.
pub fn secret_access_key() -> String {
    random_from(SECRET_CHARS, 40)
}

/// A 12-digit account id that does not start with 0.
pub fn account_id() -> String {
    let mut rng = rand::thread_rng();
    format!("{}{:011}", rng.gen_range(1..=9), rng.gen_range(0..100_000_000_000_u64))
}

/// A request id in AWS's UUID form.
pub fn request_id() -> String {
    let b: [u8; 16] = rand::thread_rng().gen();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        h.get(0..8).unwrap_or(""),
        h.get(8..12).unwrap_or(""),
        h.get(13..16).unwrap_or(""),
        h.get(17..20).unwrap_or(""),
        h.get(20..32).unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let id = unique_id(IdPrefix::User);
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        let k = access_key_id();
        assert_eq!(k.len(), 20);
        assert!(k.starts_with("AKIA") && k.bytes().all(|c| ID_CHARS.contains(&c)));
        assert_eq!(secret_access_key().len(), 40);
        assert_eq!(account_id().len(), 12);
        assert_eq!(request_id().len(), 36);
        let s = session_access_key_id("123456789012");
        assert_eq!(s.len(), 20);
        assert_eq!(account_of_session_key(&s).as_deref(), Some("123456789012"));
        assert_eq!(account_of_session_key(&session_access_key_id("000000000001")).as_deref(), Some("000000000001"));
    }
}
