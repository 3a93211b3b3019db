//! Dates in condition values and request contexts: ISO 8601 as AWS accepts it, or epoch
//! seconds. The result is milliseconds since the Unix epoch.

/// Parses a date condition value. `None` when AWS would refuse it (its "legacy parsing").
/// Accepted: an integer of seconds since the epoch (0 ..= i64::MAX), or
/// `[-]Y[-M[-D]][T[h[:m[:s[.fraction]]]][Z|±hh[:mm]]]`, case-insensitive (moto reproduces
/// the live service's rules in `_validate_iso_8601_datetime`).
pub(crate) fn parse(text: &str) -> Option<i64> {
    let lower = text.to_ascii_lowercase();
    if !lower.contains('t') && !lower.contains('-') {
        let secs: u64 = lower.parse().ok()?;
        let secs = i64::try_from(secs).ok()?;
        return Some(secs.saturating_mul(1000));
    }
    iso(&lower)
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn iso(text: &str) -> Option<i64> {
    let (date, time) = match text.split_once('t') {
        Some((d, t)) => (d, t),
        None => (text, ""),
    };
    let (negative, date) = match date.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, date),
    };
    let mut parts = date.split('-');
    let year = num(parts.next()?)?;
    let year = if negative { -year } else { year };
    if !(-292_275_054..=292_278_993).contains(&year) {
        return None;
    }
    let month = match parts.next() {
        Some(m) => num(m)?,
        None => 1,
    };
    let day = match parts.next() {
        Some(d) => num(d)?,
        None => 1,
    };
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut hour = 0;
    let mut minute = 0;
    let mut second = 0;
    let mut millis = 0;
    let mut offset_minutes = 0i64;
    if !time.is_empty() {
        let mut t = time.splitn(3, ':');
        let h = t.next().unwrap_or("");
        if !h.is_empty() {
            hour = num(h)?;
        }
        if let Some(m) = t.next() {
            minute = num(m)?;
        }
        if let Some(rest) = t.next() {
            let (secs, zone) = split_zone(rest)?;
            let (whole, frac) = match secs.split_once('.') {
                Some((w, f)) => (w, Some(f)),
                None => (secs, None),
            };
            second = num(whole)?;
            if let Some(f) = frac {
                let n = num(f)?;
                if n > 999_999_999 {
                    return None;
                }
                let digits: String = f.chars().chain(std::iter::repeat('0')).take(3).collect();
                millis = num(&digits)?;
            }
            offset_minutes = zone;
        }
        if !(0..=23).contains(&hour) || !(0..=59).contains(&minute) || !(0..=59).contains(&second) {
            return None;
        }
    }
    let days = days_from_civil(year, month, day);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(hour * 3600 + minute * 60 + second)?
        .checked_sub(offset_minutes * 60)?;
    secs.checked_mul(1000)?.checked_add(millis)
}

/// Splits `ss[.fff][z|±hh[:mm]]` into the seconds text and the zone offset in minutes.
fn split_zone(rest: &str) -> Option<(&str, i64)> {
    if let Some((secs, after)) = rest.split_once('z') {
        return after.is_empty().then_some((secs, 0));
    }
    for (sign, ch) in [(1, '+'), (-1, '-')] {
        if let Some((secs, zone)) = rest.split_once(ch) {
            let (h, m) = match zone.split_once(':') {
                Some((h, m)) => (h, Some(m)),
                None => (zone, None),
            };
            if h.len() != 2 {
                return None;
            }
            let h = num(h)?;
            if !(0..=23).contains(&h) {
                return None;
            }
            let m = match m {
                Some(m) if m.len() == 2 => num(m)?,
                Some(_) => return None,
                None => 0,
            };
            if !(0..=59).contains(&m) {
                return None;
            }
            return Some((secs, sign * (h * 60 + m)));
        }
    }
    Some((rest, 0))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn dates() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("2019-07-01T13:20:15Z"), Some(1_561_987_215_000));
        assert_eq!(parse("1561987215"), Some(1_561_987_215_000));
        assert_eq!(parse("2019-07-01T15:20:15+02:00"), Some(1_561_987_215_000));
        assert_eq!(
            parse("2016-12-13T21:20:37.593194+00:00"),
            Some(1_481_664_037_593)
        );
        assert!(parse("01T").is_some());
        assert!(parse("2016-12-13t2:00:00.593194+23").is_some());
        assert!(parse("-292275054").is_some());
        assert!(parse("sdfdsf").is_none());
        assert!(parse("234-13").is_none());
        assert!(parse("2016-12-13t2:00:00.593194+1").is_none());
        assert!(parse("2016-12-13t2:00:00.1999999999+10:59").is_none());
        assert!(parse("9223372036854775808").is_none());
    }
}

/// Formats milliseconds since the epoch as `YYYY-MM-DDThh:mm:ssZ` (aws:CurrentTime).
pub(crate) fn format(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The inverse of `days_from_civil` (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod format_tests {
    #[test]
    fn round_trip() {
        for t in [0i64, 1_561_987_215_000, 951_782_400_000, -86_400_000] {
            assert_eq!(super::parse(&super::format(t)), Some(t));
        }
        assert_eq!(super::format(1_561_987_215_000), "2019-07-01T13:20:15Z");
    }
}
