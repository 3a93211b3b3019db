//! JSON Web Tokens (RFC 7519) in their signed compact form (RFC 7515), verified against a
//! JSON Web Key set (RFC 7517), and signed (RS256 or ES384, for tokens Castellan issues).
//!
//! **Invariant:** pure — no I/O, no clock, no store: the token, the keys and the time are
//! inputs (signing takes its randomness from the system's generator, which ECDSA needs).
//!
//! What is refused, whatever the keys: a token over [`MAX_TOKEN_LEN`] bytes; anything but three
//! base64url (unpadded) segments; a header that is not a JSON object with a string `alg`, or
//! that has `crit` (no extension is understood); every algorithm but RS256, RS384, RS512,
//! ES256 and ES384 — so `none` and the HMAC algorithms (`HS256`, with which an RSA public key
//! could be used as a shared secret: "key confusion") never verify; a key whose type or curve
//! does not belong to the token's algorithm, or whose own `alg` differs from it; RSA keys
//! under 2048 bits. Signatures are checked before any claim is believed; then `exp` (required),
//! `nbf` and `iat` against the time given.
//!
//! Order of checks in [`Token::verify`]: key selection by `kid` ([`Error::UnknownKey`] when
//! no key of the set has it), signature, `exp`, `nbf`, `iat`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

/// The longest token accepted, in bytes (STS's `WebIdentityToken`: at most 20,000 characters).
pub const MAX_TOKEN_LEN: usize = 20_000;
/// The largest JWK set accepted, in bytes.
pub const MAX_JWKS_LEN: usize = 256 * 1024;
/// The most keys a JWK set may hold.
pub const MAX_KEYS: usize = 100;

/// A signature algorithm this crate verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    ES256,
    ES384,
}

impl Alg {
    /// The algorithm a header's `alg` names, if it is one accepted.
    pub fn from_name(name: &str) -> Option<Alg> {
        Some(match name {
            "RS256" => Alg::RS256,
            "RS384" => Alg::RS384,
            "RS512" => Alg::RS512,
            "ES256" => Alg::ES256,
            "ES384" => Alg::ES384,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
        }
    }
}

/// Why a token or key set was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Longer than [`MAX_TOKEN_LEN`] (or a key set over [`MAX_JWKS_LEN`]).
    TooLarge,
    /// Not a well-formed signed JWT (or JWK set); the text says what is wrong.
    Malformed(&'static str),
    /// The header's `alg` is not one accepted (`none`, `HS256`, …).
    UnsupportedAlgorithm(String),
    /// No key of the set has the token's `kid` (or, without one, fits its algorithm).
    UnknownKey,
    /// No key the token could be signed with verifies its signature.
    BadSignature,
    /// `exp` is not after the time given.
    Expired,
    /// `nbf` or `iat` is later than the time given plus the allowed skew.
    NotYetValid,
}

impl Error {
    /// A message for the caller, never containing the token or a key.
    pub fn message(&self) -> String {
        match self {
            Error::TooLarge => "The token is too large.".into(),
            Error::Malformed(what) => format!("The token is malformed: {what}."),
            Error::UnsupportedAlgorithm(alg) => {
                let alg: String = alg.chars().filter(|c| c.is_ascii_alphanumeric()).take(16).collect();
                format!("The signing algorithm {alg} is not supported.")
            }
            Error::UnknownKey => "No key of the issuer's key set matches the token's key id.".into(),
            Error::BadSignature => "The token's signature is invalid.".into(),
            Error::Expired => "Token expired.".into(),
            Error::NotYetValid => "The token is not valid yet.".into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

/// One public key of a JWK set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    pub kid: Option<String>,
    /// The key's own `alg`, when it names one.
    pub alg: Option<String>,
    pub key: PublicKey,
}

/// The key material of a [`Jwk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// Modulus and exponent, big-endian.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// An uncompressed point (`0x04 || x || y`) on P-256.
    P256(Vec<u8>),
    /// An uncompressed point on P-384.
    P384(Vec<u8>),
}

/// A JWK set: the signature keys of an issuer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

fn b64(s: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD.decode(s).map_err(|_| Error::Malformed("bad base64url"))
}

fn field<'a>(o: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    o.get(name).and_then(Value::as_str)
}

impl JwkSet {
    /// Parses a JWK set document. Keys of other types (`oct` among them), other curves, or
    /// marked for another `use` than `sig` are left out; a key that claims a supported type
    /// but is malformed makes the whole set malformed.
    pub fn parse(bytes: &[u8]) -> Result<JwkSet, Error> {
        if bytes.len() > MAX_JWKS_LEN {
            return Err(Error::TooLarge);
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(|_| Error::Malformed("the key set is not JSON"))?;
        let keys = doc.get("keys").and_then(Value::as_array).ok_or(Error::Malformed("the key set has no keys"))?;
        if keys.len() > MAX_KEYS {
            return Err(Error::TooLarge);
        }
        let mut out = Vec::new();
        for k in keys {
            let Some(o) = k.as_object() else { return Err(Error::Malformed("a key is not an object")) };
            if field(o, "use").is_some_and(|u| u != "sig") {
                continue;
            }
            let key = match (field(o, "kty"), field(o, "crv")) {
                (Some("RSA"), _) => {
                    let n = b64(field(o, "n").ok_or(Error::Malformed("an RSA key has no n"))?)?;
                    let e = b64(field(o, "e").ok_or(Error::Malformed("an RSA key has no e"))?)?;
                    PublicKey::Rsa { n, e }
                }
                (Some("EC"), Some(crv @ ("P-256" | "P-384"))) => {
                    let len = if crv == "P-256" { 32 } else { 48 };
                    let x = b64(field(o, "x").ok_or(Error::Malformed("an EC key has no x"))?)?;
                    let y = b64(field(o, "y").ok_or(Error::Malformed("an EC key has no y"))?)?;
                    if x.len() != len || y.len() != len {
                        return Err(Error::Malformed("an EC key's coordinates have the wrong length"));
                    }
                    let mut point = Vec::with_capacity(1 + 2 * len);
                    point.push(4);
                    point.extend_from_slice(&x);
                    point.extend_from_slice(&y);
                    if crv == "P-256" {
                        PublicKey::P256(point)
                    } else {
                        PublicKey::P384(point)
                    }
                }
                _ => continue,
            };
            out.push(Jwk { kid: field(o, "kid").map(str::to_owned), alg: field(o, "alg").map(str::to_owned), key });
        }
        Ok(JwkSet { keys: out })
    }

    /// Whether any key has this `kid`.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}

/// A signed JWT, parsed but not yet verified: nothing in it is to be believed until
/// [`Token::verify`] succeeds, except as a hint of where to find the keys (`iss`, `kid`).
#[derive(Debug, Clone)]
pub struct Token<'a> {
    alg: Alg,
    kid: Option<String>,
    claims: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl<'a> Token<'a> {
    /// Parses a compact JWS whose payload is a JSON object of claims.
    pub fn parse(token: &'a str) -> Result<Token<'a>, Error> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Error::TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(Error::Malformed("a signed JWT has three parts"));
        };
        let signing_input = token.get(..h.len() + 1 + p.len()).ok_or(Error::Malformed("bad structure"))?;
        let header: Value = serde_json::from_slice(&b64(h)?).map_err(|_| Error::Malformed("the header is not JSON"))?;
        let header = header.as_object().ok_or(Error::Malformed("the header is not an object"))?;
        let alg_name = field(header, "alg").ok_or(Error::Malformed("the header has no alg"))?;
        let alg = Alg::from_name(alg_name).ok_or_else(|| Error::UnsupportedAlgorithm(alg_name.to_owned()))?;
        if header.contains_key("crit") {
            return Err(Error::Malformed("critical header extensions are not supported"));
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.clone()),
            Some(_) => return Err(Error::Malformed("kid is not a string")),
        };
        let claims: Value = serde_json::from_slice(&b64(p)?).map_err(|_| Error::Malformed("the payload is not JSON"))?;
        let Value::Object(claims) = claims else { return Err(Error::Malformed("the payload is not an object")) };
        let signature = b64(s)?;
        if signature.is_empty() {
            return Err(Error::Malformed("the signature is empty"));
        }
        Ok(Token { alg, kid, claims, signing_input, signature })
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
    /// The claims as the token states them (unverified until [`Token::verify`] succeeds).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }
    /// The `iss` claim, unverified: which issuer's keys to verify with.
    pub fn issuer(&self) -> Option<&str> {
        field(&self.claims, "iss")
    }

    /// Whether a key of `keys` could have signed this token: its `kid` is in the set (or the
    /// token has none). `false` means the set is out of date, or the token is not the issuer's.
    pub fn key_known(&self, keys: &JwkSet) -> bool {
        self.kid.as_deref().is_none_or(|kid| keys.has_kid(kid))
    }

    /// Verifies the signature with `keys` and the time claims at `now` (Unix seconds):
    /// `exp` is required and must be after `now`; `nbf` and `iat` may be at most `skew`
    /// seconds after `now`.
    pub fn verify(&self, keys: &JwkSet, now: i64, skew: i64) -> Result<&Map<String, Value>, Error> {
        let candidates: Vec<&Jwk> = keys
            .keys
            .iter()
            .filter(|k| self.kid.is_none() || k.kid == self.kid)
            .filter(|k| k.alg.as_deref().is_none_or(|a| a == self.alg.name()))
            .filter(|k| fits(self.alg, &k.key))
            .collect();
        if candidates.is_empty() {
            return Err(Error::UnknownKey);
        }
        if !candidates.iter().any(|k| verify_signature(self.alg, &k.key, self.signing_input.as_bytes(), &self.signature)) {
            return Err(Error::BadSignature);
        }
        let time = |name: &str| -> Result<Option<i64>, Error> {
            match self.claims.get(name) {
                None => Ok(None),
                Some(v) => v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)).map(Some).ok_or(Error::Malformed("a time claim is not a number")),
            }
        };
        let exp = time("exp")?.ok_or(Error::Malformed("the token has no exp claim"))?;
        if now >= exp {
            return Err(Error::Expired);
        }
        for name in ["nbf", "iat"] {
            if time(name)?.is_some_and(|t| t > now.saturating_add(skew)) {
                return Err(Error::NotYetValid);
            }
        }
        Ok(&self.claims)
    }
}

/// Whether `key` is of the type and curve `alg` signs with.
fn fits(alg: Alg, key: &PublicKey) -> bool {
    matches!(
        (alg, key),
        (Alg::RS256 | Alg::RS384 | Alg::RS512, PublicKey::Rsa { .. }) | (Alg::ES256, PublicKey::P256(_)) | (Alg::ES384, PublicKey::P384(_))
    )
}

fn verify_signature(alg: Alg, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    use ring::signature as sig;
    match (alg, key) {
        (Alg::RS256 | Alg::RS384 | Alg::RS512, PublicKey::Rsa { n, e }) => {
            let params = match alg {
                Alg::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
                Alg::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
                _ => &sig::RSA_PKCS1_2048_8192_SHA512,
            };
            sig::RsaPublicKeyComponents { n: n.as_slice(), e: e.as_slice() }.verify(params, message, signature).is_ok()
        }
        (Alg::ES256, PublicKey::P256(point)) => {
            sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point).verify(message, signature).is_ok()
        }
        (Alg::ES384, PublicKey::P384(point)) => {
            sig::UnparsedPublicKey::new(&sig::ECDSA_P384_SHA384_FIXED, point).verify(message, signature).is_ok()
        }
        _ => false,
    }
}

/// A signing key for tokens Castellan issues (RS256 or ES384): its PKCS#8 document is what is
/// kept (sealed) at rest.
#[derive(Debug)]
pub struct SigningKey {
    pair: KeyPair,
    kid: String,
}

#[derive(Debug)]
enum KeyPair {
    Rsa(ring::signature::RsaKeyPair),
    Ec(ring::signature::EcdsaKeyPair),
}

impl SigningKey {
    /// A new key for `alg` (RS256: 2048-bit RSA; ES384: P-384); returns it with its PKCS#8
    /// document.
    pub fn generate(alg: Alg, kid: &str) -> Result<(SigningKey, Vec<u8>), Error> {
        let bytes = match alg {
            Alg::RS256 => {
                use rsa::pkcs8::EncodePrivateKey as _;
                let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|_| Error::Malformed("cannot generate a key"))?;
                key.to_pkcs8_der().map_err(|_| Error::Malformed("cannot encode a key"))?.as_bytes().to_vec()
            }
            Alg::ES384 => {
                let rng = ring::rand::SystemRandom::new();
                let alg = &ring::signature::ECDSA_P384_SHA384_FIXED_SIGNING;
                let doc = ring::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).map_err(|_| Error::Malformed("cannot generate a key"))?;
                doc.as_ref().to_vec()
            }
            other => return Err(Error::UnsupportedAlgorithm(other.name().to_owned())),
        };
        Ok((SigningKey::from_pkcs8(alg, kid, &bytes)?, bytes))
    }

    pub fn from_pkcs8(alg: Alg, kid: &str, pkcs8: &[u8]) -> Result<SigningKey, Error> {
        let pair = match alg {
            Alg::RS256 => KeyPair::Rsa(ring::signature::RsaKeyPair::from_pkcs8(pkcs8).map_err(|_| Error::Malformed("not an RSA key"))?),
            Alg::ES384 => {
                let rng = ring::rand::SystemRandom::new();
                let alg = &ring::signature::ECDSA_P384_SHA384_FIXED_SIGNING;
                KeyPair::Ec(ring::signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8, &rng).map_err(|_| Error::Malformed("not an ES384 key"))?)
            }
            other => return Err(Error::UnsupportedAlgorithm(other.name().to_owned())),
        };
        Ok(SigningKey { pair, kid: kid.to_owned() })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Alg {
        match self.pair {
            KeyPair::Rsa(_) => Alg::RS256,
            KeyPair::Ec(_) => Alg::ES384,
        }
    }

    /// The public key as a JWK (`use` sig, with its `alg` and `kid`).
    pub fn public_jwk(&self) -> Value {
        use ring::signature::KeyPair as _;
        match &self.pair {
            KeyPair::Rsa(k) => {
                let c = ring::signature::RsaPublicKeyComponents::<Vec<u8>>::from(k.public());
                serde_json::json!({
                    "kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
                    "n": URL_SAFE_NO_PAD.encode(&c.n), "e": URL_SAFE_NO_PAD.encode(&c.e),
                })
            }
            KeyPair::Ec(k) => {
                let point = k.public_key().as_ref();
                let (x, y) = point.get(1..).map(|xy| xy.split_at(xy.len() / 2)).unwrap_or_default();
                serde_json::json!({
                    "kty": "EC", "crv": "P-384", "alg": "ES384", "use": "sig", "kid": self.kid,
                    "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
                })
            }
        }
    }

    /// A signed token carrying `claims`, with `typ` JWT and this key's `kid`.
    pub fn sign(&self, claims: &Map<String, Value>) -> Result<String, Error> {
        let header = serde_json::json!({ "alg": self.alg().name(), "typ": "JWT", "kid": self.kid });
        let payload = serde_json::to_vec(claims).map_err(|_| Error::Malformed("claims"))?;
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload));
        let rng = ring::rand::SystemRandom::new();
        let cannot = |_| Error::Malformed("cannot sign");
        let sig = match &self.pair {
            KeyPair::Rsa(k) => {
                let mut out = vec![0; k.public().modulus_len()];
                k.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut out).map_err(cannot)?;
                out
            }
            KeyPair::Ec(k) => k.sign(&rng, input.as_bytes()).map_err(cannot)?.as_ref().to_vec(),
        };
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

#[cfg(test)]
mod tests;
