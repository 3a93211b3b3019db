//! Scalar types of the AWS shapes that have no direct Rust counterpart: timestamps and blobs.
//!
//! Both are written by hand (no date or base64 crate): IAM needs one timestamp format, UTC with
//! seconds precision, and the standard base64 alphabet with padding.

use std::fmt;
use std::str::FromStr;

/// A point in time, UTC, with seconds precision — the precision IAM reports dates at.
///
/// On the wire it is `2026-11-23T19:02:51Z` (ISO 8601, as AWS IAM and STS write it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    secs: i64,
}

/// The error of [`Timestamp::from_str`]: the text is not an ISO 8601 date-time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampParseError;

impl fmt::Display for TimestampParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an ISO 8601 date-time such as `2026-11-23T19:02:51Z`")
    }
}

impl std::error::Error for TimestampParseError {}

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp { secs: 0 };

    /// The timestamp `secs` seconds after (or before, if negative) the Unix epoch.
    pub const fn from_unix_seconds(secs: i64) -> Timestamp {
        Timestamp { secs }
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// The timestamp `secs` seconds later (saturating).
    #[must_use]
    pub const fn plus_seconds(self, secs: i64) -> Timestamp {
        Timestamp { secs: self.secs.saturating_add(secs) }
    }

    /// The time of `t`, truncated to whole seconds (times before the epoch round down).
    pub fn from_system_time(t: std::time::SystemTime) -> Timestamp {
        let secs = match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => {
                let d = e.duration();
                let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                if d.subsec_nanos() > 0 {
                    whole.saturating_neg().saturating_sub(1)
                } else {
                    whole.saturating_neg()
                }
            }
        };
        Timestamp { secs }
    }

    /// `2026-11-23T19:02:51Z`.
    pub fn to_aws_string(self) -> String {
        let mut s = String::with_capacity(20);
        self.write_aws(&mut s);
        s
    }

    /// Appends `2026-11-23T19:02:51Z` to `out`.
    pub fn write_aws(self, out: &mut String) {
        use fmt::Write as _;
        let days = self.secs.div_euclid(86_400);
        let secs_of_day = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            y,
            m,
            d,
            secs_of_day / 3600,
            secs_of_day % 3600 / 60,
            secs_of_day % 60
        );
    }

    /// Parses `YYYY-MM-DDThh:mm:ss`, optionally followed by a fraction (dropped) and then `Z`, or
    /// a `+hh:mm`/`-hh:mm` offset, or nothing (taken as UTC). A lowercase `t`/`z` and a space for
    /// the `T` are accepted, as botocore and the other SDKs differ in what they send.
    pub fn parse_aws(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        let num = |from: usize, len: usize| -> Option<i64> {
            let digits = b.get(from..from.checked_add(len)?)?;
            let mut v: i64 = 0;
            for &c in digits {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + i64::from(c - b'0');
            }
            Some(v)
        };
        let sep = |at: usize, allowed: &[u8]| b.get(at).is_some_and(|c| allowed.contains(c));
        let year = num(0, 4)?;
        if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
            return None;
        }
        let month = num(5, 2)?;
        let day = num(8, 2)?;
        let hour = num(11, 2)?;
        let minute = num(14, 2)?;
        let second = num(17, 2)?;
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut rest = b.get(19..)?;
        if let Some((&b'.', frac)) = rest.split_first() {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            rest = frac.get(n..)?;
        }
        let offset = match rest {
            [] | [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let digit = |c: u8| c.is_ascii_digit().then(|| i64::from(c - b'0'));
                let h = digit(*h1)? * 10 + digit(*h2)?;
                let m = digit(*m1)? * 10 + digit(*m2)?;
                if h > 23 || m > 59 {
                    return None;
                }
                let off = h * 3600 + m * 60;
                if *sign == b'+' {
                    off
                } else {
                    -off
                }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        Some(Timestamp { secs: days * 86_400 + hour * 3600 + minute * 60 + second - offset })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(20);
        self.write_aws(&mut s);
        f.write_str(&s)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampParseError;
    fn from_str(s: &str) -> Result<Timestamp, TimestampParseError> {
        Timestamp::parse_aws(s).ok_or(TimestampParseError)
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day number since 1970-01-01 (Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Binary data; base64 (standard alphabet, padded) on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Blob(pub Vec<u8>);

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Blob {
    /// The standard, padded base64 encoding of the bytes.
    pub fn to_base64(&self) -> String {
        let mut out = String::with_capacity(self.0.len().div_ceil(3) * 4);
        self.write_base64(&mut out);
        out
    }

    /// Appends the standard, padded base64 encoding of the bytes to `out`.
    pub fn write_base64(&self, out: &mut String) {
        let sym = |v: u32| char::from(B64.get((v & 63) as usize).copied().unwrap_or(b'A'));
        for chunk in self.0.chunks(3) {
            let (a, b, c) = match *chunk {
                [a, b, c] => (a, Some(b), Some(c)),
                [a, b] => (a, Some(b), None),
                [a] => (a, None, None),
                _ => continue,
            };
            let n = (u32::from(a) << 16)
                | (u32::from(b.unwrap_or(0)) << 8)
                | u32::from(c.unwrap_or(0));
            out.push(sym(n >> 18));
            out.push(sym(n >> 12));
            out.push(if b.is_some() { sym(n >> 6) } else { '=' });
            out.push(if c.is_some() { sym(n) } else { '=' });
        }
    }

    /// Decodes standard base64; padding is optional, whitespace and anything else is refused.
    pub fn from_base64(s: &str) -> Option<Blob> {
        let s = s.trim_end_matches('=');
        if s.len() % 4 == 1 {
            return None;
        }
        let value = |c: u8| -> Option<u32> {
            Some(match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            } as u32)
        };
        let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
        for chunk in s.as_bytes().chunks(4) {
            let mut n: u32 = 0;
            for &c in chunk {
                n = (n << 6) | value(c)?;
            }
            match chunk.len() {
                4 => out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]),
                3 => {
                    if n & 0b11 != 0 {
                        return None;
                    }
                    out.extend_from_slice(&[(n >> 10) as u8, (n >> 2) as u8]);
                }
                2 => {
                    if n & 0b1111 != 0 {
                        return None;
                    }
                    out.push((n >> 4) as u8);
                }
                _ => return None,
            }
        }
        Some(Blob(out))
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Blob {
        Blob(v)
    }
}

/// The error of parsing a generated enum from a value it does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEnumValue(pub String);

impl fmt::Display for UnknownEnumValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown value `{}`", self.0)
    }
}

impl std::error::Error for UnknownEnumValue {}

/// Stands in for a secret in `Debug` output of the generated shapes.
#[derive(Clone, Copy)]
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    #[test]
    fn timestamp_round_trips_through_the_aws_format() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (1_795_460_571, "2026-11-23T19:02:51Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ] {
            let t = Timestamp::from_unix_seconds(secs);
            assert_eq!(t.to_aws_string(), text);
            assert_eq!(t.to_string(), text);
            assert_eq!(Timestamp::parse_aws(text), Some(t), "{text}");
        }
    }

    #[test]
    fn timestamp_civil_conversion_agrees_day_by_day() {
        let mut expected = (1600_i64, 1_i64, 1_i64);
        let start = days_from_civil(1600, 1, 1);
        for day in start..start + 366 * 800 {
            assert_eq!(civil_from_days(day), expected);
            assert_eq!(days_from_civil(expected.0, expected.1, expected.2), day);
            let (y, m, d) = expected;
            expected = if d < days_in_month(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn timestamp_parses_what_sdks_send() {
        let t = Timestamp::from_unix_seconds(1_795_460_571);
        assert_eq!(Timestamp::parse_aws("2026-11-23T19:02:51.123456Z"), Some(t));
        assert_eq!(Timestamp::parse_aws("2026-11-23T19:02:51"), Some(t));
        assert_eq!(Timestamp::parse_aws("2026-11-23T20:02:51+01:00"), Some(t));
        assert_eq!(Timestamp::parse_aws("2026-11-23T18:32:51-00:30"), Some(t));
        for bad in [
            "",
            "2026-11-23",
            "2026-13-23T19:02:51Z",
            "2026-02-29T19:02:51Z",
            "2026-11-23T24:02:51Z",
            "2026-11-23T19:02:51.Z",
            "2026-11-23T19:02:51Zjunk",
            "2026-11-23T19:02:51+1:00",
            "+026-11-23T19:02:51Z",
        ] {
            assert_eq!(Timestamp::parse_aws(bad), None, "{bad}");
        }
    }

    #[test]
    fn base64_round_trips() {
        for (raw, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"\xff\xfe\x00", "//4A"),
        ] {
            let blob = Blob(raw.to_vec());
            assert_eq!(blob.to_base64(), text);
            assert_eq!(Blob::from_base64(text), Some(blob.clone()));
            assert_eq!(Blob::from_base64(text.trim_end_matches('=')), Some(blob));
        }
        for bad in ["Z", "Zg=a", "Zh==", "Zm9 v", "Zm9v\n"] {
            assert_eq!(Blob::from_base64(bad), None, "{bad}");
        }
    }
}
