//! Hex and URI percent-encoding exactly as SigV4 wants them: lowercase hex for hashes and
//! signatures, RFC 3986 percent-encoding with uppercase hex for URIs.

/// Appends `bytes` as lowercase hex.
pub(crate) fn push_hex_lower(bytes: &[u8], out: &mut String) {
    // Hex digits are ASCII; building them as bytes and appending once is several times faster
    // than pushing chars one at a time.
    let mut buffer = [0_u8; 64];
    for chunk in bytes.chunks(32) {
        let mut len = 0;
        for (&b, pair) in chunk.iter().zip(buffer.chunks_exact_mut(2)) {
            if let [hi, lo] = pair {
                *hi = nibble_lower(b >> 4);
                *lo = nibble_lower(b & 0x0f);
            }
            len += 2;
        }
        out.push_str(
            buffer
                .get(..len)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .unwrap_or_default(),
        );
    }
}

/// `bytes` as lowercase hex.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex_lower(bytes, &mut out);
    out
}

/// Decodes exactly 64 lowercase hex digits. Uppercase is refused: AWS compares the signature as
/// the lowercase string it computes.
pub(crate) fn decode_hex32_lower(text: &str) -> Option<[u8; 32]> {
    let bytes: &[u8; 64] = text.as_bytes().try_into().ok()?;
    let mut out = [0_u8; 32];
    for (pair, slot) in bytes.chunks_exact(2).zip(out.iter_mut()) {
        let [hi, lo] = pair else { return None };
        *slot = (lower_hex_value(*hi)? << 4) | lower_hex_value(*lo)?;
    }
    Some(out)
}

fn lower_hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn any_hex_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => lower_hex_value(b),
    }
}

fn nibble_lower(n: u8) -> u8 {
    if n < 10 {
        b'0' + n
    } else {
        b'a' + n - 10
    }
}

fn nibble_upper(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
}

/// RFC 3986 unreserved characters, which SigV4 never escapes.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `bytes` percent-encoded: every byte but the unreserved ones (and `/` when
/// `keep_slash`) becomes `%XX` with uppercase hex.
pub(crate) fn push_uri_encoded(bytes: &[u8], keep_slash: bool, out: &mut String) {
    let plain = |b: &u8| is_unreserved(*b) || (keep_slash && *b == b'/');
    if bytes.iter().all(plain) {
        // Nothing to escape (the usual case): one copy. All plain bytes are ASCII.
        out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
        return;
    }
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(nibble_upper(b >> 4));
            out.push(nibble_upper(b & 0x0f));
        }
    }
}

/// Why a query component could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// `%` followed by something that is not two hex digits.
    IllegalHex,
    /// `%` or `%X` at the end.
    IncompleteTrailingEscape,
}

impl DecodeError {
    /// AWS's `MalformedQueryString` text for this problem.
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::IllegalHex => "Illegal hex character in escape % pattern",
            Self::IncompleteTrailingEscape => "Incomplete trailing escape % sequence",
        }
    }
}

/// Decodes one raw query component (key or value) into bytes: `%XX` (either case) becomes the
/// byte, and `+` becomes a space — as the form decoder that reads the parameters does, so that
/// `a+b` and `a%20b` sign alike and mean alike, while `a%2Bb` signs and means something else.
pub(crate) fn decode_query_component(raw: &str, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    out.clear();
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let (Some(hi), Some(lo)) = (bytes.next(), bytes.next()) else {
                    return Err(DecodeError::IncompleteTrailingEscape);
                };
                let (Some(hi), Some(lo)) = (any_hex_value(hi), any_hex_value(lo)) else {
                    return Err(DecodeError::IllegalHex);
                };
                out.push((hi << 4) | lo);
            }
            b'+' => out.push(b' '),
            _ => out.push(b),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let bytes: Vec<u8> = (0..32).map(|i| i * 7 + 3).collect();
        let text = hex_lower(&bytes);
        assert_eq!(decode_hex32_lower(&text).unwrap().to_vec(), bytes);
        assert_eq!(decode_hex32_lower(&text.to_uppercase()), None);
        assert_eq!(decode_hex32_lower(&text[..63]), None);
        assert_eq!(decode_hex32_lower(&format!("{text}0")), None);
    }

    #[test]
    fn uri_encoding() {
        let mut out = String::new();
        push_uri_encoded(b"a b/c~d-_.e%\xe1\x88\xb4+=", false, &mut out);
        assert_eq!(out, "a%20b%2Fc~d-_.e%25%E1%88%B4%2B%3D");
        out.clear();
        push_uri_encoded(b"/a b/", true, &mut out);
        assert_eq!(out, "/a%20b/");
    }

    #[test]
    fn query_decoding() {
        let mut out = Vec::new();
        decode_query_component("a+b%2b%2Bc%e1%88%B4", &mut out).unwrap();
        assert_eq!(out, b"a b++c\xe1\x88\xb4");
        assert_eq!(
            decode_query_component("a%zz", &mut out),
            Err(DecodeError::IllegalHex)
        );
        assert_eq!(
            decode_query_component("a%2", &mut out),
            Err(DecodeError::IncompleteTrailingEscape)
        );
        assert_eq!(
            decode_query_component("%", &mut out),
            Err(DecodeError::IncompleteTrailingEscape)
        );
    }
}
