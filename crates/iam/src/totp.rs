//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, 6 digits, 30-second
//! steps, as virtual MFA apps compute them from the seed AWS hands out (`otpauth://totp/…`).
//!
//! Invariant: pure — no clock (the time step is an input), no store, no I/O. Codes are compared
//! in constant time; the seed is never formatted by `Debug`.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds per time step (RFC 6238's default, and what AWS's virtual devices use).
pub const STEP_SECONDS: i64 = 30;
/// Digits per code (AWS: "a string of six digits").
pub const DIGITS: usize = 6;
/// Seed length in bytes: 40 bytes are the 64 Base32 characters AWS's `Base32StringSeed` has.
pub const SEED_BYTES: usize = 40;

/// The time step of Unix time `secs`.
pub fn step_at(secs: i64) -> i64 {
    secs.div_euclid(STEP_SECONDS)
}

/// The HOTP value (RFC 4226 section 5.3) of `secret` at counter `step`, as `DIGITS` digits.
pub fn code(secret: &[u8], step: i64) -> String {
    let counter = u64::try_from(step).unwrap_or(0);
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else { return String::new() };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    // Dynamic truncation: the low nibble of the last byte picks four bytes.
    let offset = usize::from(digest.last().copied().unwrap_or(0) & 0x0f);
    let word = digest.get(offset..offset + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map_or(0, |b| u32::from_be_bytes(b) & 0x7fff_ffff);
    format!("{:06}", word % 1_000_000)
}

/// Is `candidate` a well-formed code (exactly six ASCII digits)?
pub fn well_formed(candidate: &str) -> bool {
    candidate.len() == DIGITS && candidate.bytes().all(|b| b.is_ascii_digit())
}

/// The step in `from..=to` (tried in order) whose code is `candidate`, compared in constant time.
pub fn find_step(secret: &[u8], candidate: &str, from: i64, to: i64) -> Option<i64> {
    if !well_formed(candidate) {
        return None;
    }
    let mut found = None;
    for step in from..=to {
        // Every step is computed and compared, found or not, so timing says nothing of which.
        let same: bool = code(secret, step).as_bytes().ct_eq(candidate.as_bytes()).into();
        if same && found.is_none() {
            found = Some(step);
        }
    }
    found
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 Base32 without padding (what `otpauth://` URIs and AWS's seed use).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET.get(((buffer >> bits) & 31) as usize).copied().unwrap_or(b'A')));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET.get(((buffer << (5 - bits)) & 31) as usize).copied().unwrap_or(b'A')));
    }
    out
}

/// Decodes unpadded RFC 4648 Base32 (upper case). `None` for any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)?;
        buffer = (buffer << 5) | u32::try_from(v).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
        buffer &= (1 << bits) - 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 column (8-digit values; the 6-digit code is the last six).
    #[test]
    fn rfc6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code(secret, step_at(time)), expected[2..], "T = {time}");
        }
    }

    /// RFC 4226 Appendix D: HOTP values for counters 0..9 (6 digits).
    #[test]
    fn rfc4226_test_vectors() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(code(b"12345678901234567890", counter as i64), *want);
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc4648() {
        // RFC 4648 section 10 (padding removed).
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_encode(b"fooba"), "MZXW6YTB");
        assert_eq!(base32_decode("MZXW6YTBOI").unwrap(), b"foobar");
        let seed: Vec<u8> = (0..SEED_BYTES as u8).collect();
        let text = base32_encode(&seed);
        assert_eq!(text.len(), 64);
        assert_eq!(base32_decode(&text).unwrap(), seed);
        assert_eq!(base32_decode("abc"), None);
    }

    #[test]
    fn find_step_accepts_only_six_digits_in_the_window() {
        let secret = b"12345678901234567890";
        let c = code(secret, 100);
        assert_eq!(find_step(secret, &c, 98, 102), Some(100));
        assert_eq!(find_step(secret, &c, 101, 105), None);
        assert_eq!(find_step(secret, "12345", 0, 10), None);
        assert_eq!(find_step(secret, "12345a", 0, 10), None);
        assert_eq!(find_step(secret, " 12345", 0, 10), None);
    }
}
