#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use ring::signature::{self as sig, KeyPair as _};

/// A 2048-bit RSA key made for these tests (PKCS#1 RSAPrivateKey, DER).
const RSA_DER: &[u8] = include_bytes!("../tests/fixtures/rsa2048.der");
const NOW: i64 = 1_800_000_000;

fn enc(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn rsa() -> sig::RsaKeyPair {
    sig::RsaKeyPair::from_der(RSA_DER).unwrap()
}

fn rsa_jwk(kid: &str) -> Value {
    let key = rsa();
    let c = sig::RsaPublicKeyComponents::<Vec<u8>>::from(key.public());
    let (n, e) = (c.n, c.e);
    serde_json::json!({"kty": "RSA", "kid": kid, "use": "sig", "n": enc(&n), "e": enc(&e)})
}

fn claims() -> Value {
    serde_json::json!({"iss": "https://idp.example.com", "sub": "repo:o/r", "aud": "sts.amazonaws.com", "iat": NOW - 10, "exp": NOW + 600})
}

fn input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", enc(header.to_string().as_bytes()), enc(claims.to_string().as_bytes()))
}

fn sign_rsa(alg: &str, kid: &str, claims: &Value) -> String {
    let input = input(&serde_json::json!({"alg": alg, "kid": kid, "typ": "JWT"}), claims);
    let params: &'static dyn sig::RsaEncoding = match alg {
        "RS256" => &sig::RSA_PKCS1_SHA256,
        "RS384" => &sig::RSA_PKCS1_SHA384,
        _ => &sig::RSA_PKCS1_SHA512,
    };
    let key = rsa();
    let mut out = vec![0; key.public().modulus_len()];
    key.sign(params, &ring::rand::SystemRandom::new(), input.as_bytes(), &mut out).unwrap();
    format!("{input}.{}", enc(&out))
}

fn ec_pair(alg: &'static sig::EcdsaSigningAlgorithm) -> sig::EcdsaKeyPair {
    let rng = ring::rand::SystemRandom::new();
    let doc = sig::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
    sig::EcdsaKeyPair::from_pkcs8(alg, doc.as_ref(), &rng).unwrap()
}

fn ec_jwk(pair: &sig::EcdsaKeyPair, crv: &str, kid: &str) -> Value {
    let p = pair.public_key().as_ref();
    let half = (p.len() - 1) / 2;
    serde_json::json!({"kty": "EC", "crv": crv, "kid": kid, "x": enc(&p[1..1 + half]), "y": enc(&p[1 + half..])})
}

fn sign_ec(pair: &sig::EcdsaKeyPair, alg: &str, kid: &str, claims: &Value) -> String {
    let input = input(&serde_json::json!({"alg": alg, "kid": kid}), claims);
    let s = pair.sign(&ring::rand::SystemRandom::new(), input.as_bytes()).unwrap();
    format!("{input}.{}", enc(s.as_ref()))
}

fn set(keys: &[Value]) -> JwkSet {
    JwkSet::parse(serde_json::json!({ "keys": keys }).to_string().as_bytes()).unwrap()
}

fn check(token: &str, keys: &JwkSet) -> Result<(), Error> {
    Token::parse(token)?.verify(keys, NOW, 300).map(|_| ())
}

#[test]
fn rsa_algorithms_verify() {
    let keys = set(&[rsa_jwk("r1")]);
    for alg in ["RS256", "RS384", "RS512"] {
        let t = sign_rsa(alg, "r1", &claims());
        let token = Token::parse(&t).unwrap();
        assert_eq!(token.alg().name(), alg);
        assert_eq!(token.issuer(), Some("https://idp.example.com"));
        assert_eq!(token.verify(&keys, NOW, 300).unwrap()["sub"], "repo:o/r");
    }
}

#[test]
fn ecdsa_algorithms_verify() {
    let p256 = ec_pair(&sig::ECDSA_P256_SHA256_FIXED_SIGNING);
    let p384 = ec_pair(&sig::ECDSA_P384_SHA384_FIXED_SIGNING);
    let keys = set(&[ec_jwk(&p256, "P-256", "e1"), ec_jwk(&p384, "P-384", "e2")]);
    assert_eq!(check(&sign_ec(&p256, "ES256", "e1", &claims()), &keys), Ok(()));
    assert_eq!(check(&sign_ec(&p384, "ES384", "e2", &claims()), &keys), Ok(()));
    // The P-256 key's kid on an ES384 token: the key does not fit the algorithm.
    assert_eq!(check(&sign_ec(&p384, "ES384", "e1", &claims()), &keys), Err(Error::UnknownKey));
}

/// `alg: none` (RFC 7519 §6, "Unsecured JWTs") is never accepted, with or without a signature.
#[test]
fn alg_none_is_refused() {
    let keys = set(&[rsa_jwk("r1")]);
    let unsigned = format!("{}.", input(&serde_json::json!({"alg": "none"}), &claims()));
    assert_eq!(check(&unsigned, &keys), Err(Error::UnsupportedAlgorithm("none".into())));
    let with_sig = format!("{}.AAAA", input(&serde_json::json!({"alg": "none", "kid": "r1"}), &claims()));
    assert_eq!(check(&with_sig, &keys), Err(Error::UnsupportedAlgorithm("none".into())));
}

/// Key confusion: an HS256 token whose HMAC key is the RSA public key (the classic attack on
/// verifiers that take the algorithm from the token) is refused before any key is used.
#[test]
fn hmac_with_the_public_key_is_refused() {
    let jwk = rsa_jwk("r1");
    let keys = set(std::slice::from_ref(&jwk));
    let input = input(&serde_json::json!({"alg": "HS256", "kid": "r1"}), &claims());
    let secret = jwk.to_string();
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes()), input.as_bytes());
    let token = format!("{input}.{}", enc(tag.as_ref()));
    assert_eq!(check(&token, &keys), Err(Error::UnsupportedAlgorithm("HS256".into())));
    // An `oct` (symmetric) key in the set is never used.
    let with_oct = set(&[serde_json::json!({"kty": "oct", "kid": "r1", "k": enc(secret.as_bytes())})]);
    assert!(with_oct.keys.is_empty());
}

/// An RS256 token checked against an EC key of the same kid, and an ES256 token against an
/// RSA key: the key type must belong to the algorithm.
#[test]
fn key_type_must_fit_the_algorithm() {
    let p256 = ec_pair(&sig::ECDSA_P256_SHA256_FIXED_SIGNING);
    let keys = set(&[ec_jwk(&p256, "P-256", "k")]);
    assert_eq!(check(&sign_rsa("RS256", "k", &claims()), &keys), Err(Error::UnknownKey));
    let keys = set(&[rsa_jwk("k")]);
    assert_eq!(check(&sign_ec(&p256, "ES256", "k", &claims()), &keys), Err(Error::UnknownKey));
    // A key whose own alg is another one is not used for this one.
    let mut jwk = rsa_jwk("k");
    jwk["alg"] = "RS512".into();
    assert_eq!(check(&sign_rsa("RS256", "k", &claims()), &set(&[jwk])), Err(Error::UnknownKey));
}

#[test]
fn tampering_breaks_the_signature() {
    let keys = set(&[rsa_jwk("r1")]);
    let t = sign_rsa("RS256", "r1", &claims());
    let parts: Vec<&str> = t.split('.').collect();
    let mut forged = claims();
    forged["sub"] = "repo:attacker/r".into();
    let tampered = format!("{}.{}.{}", parts[0], enc(forged.to_string().as_bytes()), parts[2]);
    assert_eq!(check(&tampered, &keys), Err(Error::BadSignature));
    // Another RSA key with the same kid (the issuer's key was replaced by someone else's).
    let other = sig::RsaKeyPair::from_der(RSA_DER).unwrap();
    let mut wrong = rsa_jwk("r1");
    let mut n = sig::RsaPublicKeyComponents::<Vec<u8>>::from(other.public()).n;
    n[10] ^= 1;
    wrong["n"] = enc(&n).into();
    assert_eq!(check(&t, &set(&[wrong])), Err(Error::BadSignature));
}

#[test]
fn unknown_kid() {
    let keys = set(&[rsa_jwk("r1")]);
    let t = sign_rsa("RS256", "rotated", &claims());
    let token = Token::parse(&t).unwrap();
    assert!(!token.key_known(&keys));
    assert_eq!(token.verify(&keys, NOW, 300).unwrap_err(), Error::UnknownKey);
    assert!(Token::parse(&sign_rsa("RS256", "r1", &claims())).unwrap().key_known(&keys));
}

#[test]
fn time_claims() {
    let keys = set(&[rsa_jwk("r1")]);
    let with = |k: &str, v: Value| {
        let mut c = claims();
        c[k] = v;
        sign_rsa("RS256", "r1", &c)
    };
    assert_eq!(check(&with("exp", NOW.into()), &keys), Err(Error::Expired));
    assert_eq!(check(&with("exp", (NOW + 1).into()), &keys), Ok(()));
    assert_eq!(check(&with("nbf", (NOW + 301).into()), &keys), Err(Error::NotYetValid));
    assert_eq!(check(&with("nbf", (NOW + 300).into()), &keys), Ok(()));
    assert_eq!(check(&with("iat", (NOW + 3600).into()), &keys), Err(Error::NotYetValid));
    assert_eq!(check(&with("exp", "soon".into()), &keys), Err(Error::Malformed("a time claim is not a number")));
    let mut c = claims();
    c.as_object_mut().unwrap().remove("exp");
    assert_eq!(check(&sign_rsa("RS256", "r1", &c), &keys), Err(Error::Malformed("the token has no exp claim")));
}

#[test]
fn malformed_and_oversized_tokens() {
    let keys = set(&[rsa_jwk("r1")]);
    let t = sign_rsa("RS256", "r1", &claims());
    assert_eq!(check(&"a".repeat(MAX_TOKEN_LEN + 1), &keys), Err(Error::TooLarge));
    let mut big = claims();
    big["pad"] = "x".repeat(MAX_TOKEN_LEN).into();
    assert_eq!(check(&sign_rsa("RS256", "r1", &big), &keys), Err(Error::TooLarge));
    for bad in ["", ".", "..", "a.b", "a.b.c.d", "e30.e30.", "e30.e30.AA", "W10.e30.AA", "eyJhbGciOiJSUzI1NiJ9.W10.AA"] {
        assert!(matches!(check(bad, &keys), Err(Error::Malformed(_) | Error::UnsupportedAlgorithm(_))), "{bad}");
    }
    // Padding is not base64url as JWS uses it.
    let padded = format!("{t}=");
    assert!(matches!(check(&padded, &keys), Err(Error::Malformed(_))));
    let crit = input(&serde_json::json!({"alg": "RS256", "kid": "r1", "crit": ["exp"]}), &claims());
    assert!(matches!(check(&format!("{crit}.AAAA"), &keys), Err(Error::Malformed(_))));
}

#[test]
fn key_sets() {
    assert_eq!(JwkSet::parse(b"[]"), Err(Error::Malformed("the key set has no keys")));
    assert_eq!(JwkSet::parse(&vec![b' '; MAX_JWKS_LEN + 1]), Err(Error::TooLarge));
    let enc_key = {
        let mut k = rsa_jwk("r1");
        k["use"] = "enc".into();
        k
    };
    assert!(set(&[enc_key]).keys.is_empty());
    let bad_ec = serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"});
    assert!(JwkSet::parse(serde_json::json!({ "keys": [bad_ec] }).to_string().as_bytes()).is_err());
    let many: Vec<Value> = (0..=MAX_KEYS).map(|i| rsa_jwk(&i.to_string())).collect();
    assert_eq!(JwkSet::parse(serde_json::json!({ "keys": many }).to_string().as_bytes()), Err(Error::TooLarge));
}

#[test]
fn signed_tokens_verify_with_the_published_key() {
    for alg in [Alg::ES384, Alg::RS256] {
        let (key, pkcs8) = SigningKey::generate(alg, "k1").unwrap();
        let again = SigningKey::from_pkcs8(alg, "k1", &pkcs8).unwrap();
        assert_eq!(again.alg(), alg);
        let keys = set(&[again.public_jwk()]);
        let c = claims();
        let t = key.sign(c.as_object().unwrap()).unwrap();
        assert_eq!(Token::parse(&t).unwrap().alg(), alg);
        assert_eq!(check(&t, &keys), Ok(()));
    }
    assert!(SigningKey::generate(Alg::ES256, "k").is_err());
}
