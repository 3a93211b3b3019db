//! The AWS query protocol's request side: form-encoded parameters and the decoder the generated
//! shapes use to read themselves from them, checking the model's constraints as they go.
//!
//! Nested members are flattened into dotted names: `Tags.member.1.Key=k`, `Tags.member.1.Value=v`;
//! an empty list is sent as `Tags=`; maps as `Name.entry.1.key` / `Name.entry.1.value`. Indices
//! start at 1 and the decoder stops at the first missing one.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::{DecodeError, ShownValue, ValidationError, ValidationErrors};
use crate::types::{Blob, Timestamp};

/// The parameters of one request, each name at most once, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Decodes an `application/x-www-form-urlencoded` POST body or GET query string (without the
    /// `?`). `+` is a space; `%XX` must be a valid escape and the result valid UTF-8. A name given
    /// twice is refused with [`DecodeError::DuplicateParameter`].
    pub fn from_urlencoded(bytes: &[u8]) -> Result<QueryParams, DecodeError> {
        let mut pairs = Vec::new();
        for part in bytes.split(|&b| b == b'&') {
            if part.is_empty() {
                continue;
            }
            let (name, value) = match part.iter().position(|&b| b == b'=') {
                Some(i) => (part.get(..i).unwrap_or_default(), part.get(i + 1..).unwrap_or_default()),
                None => (part, &b""[..]),
            };
            pairs.push((percent_decode(name)?, percent_decode(value)?));
        }
        QueryParams::from_vec(pairs)
    }

    /// Builds the parameters from already-decoded pairs; a name given twice is refused.
    pub fn from_pairs<I>(pairs: I) -> Result<QueryParams, DecodeError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        QueryParams::from_vec(pairs.into_iter().collect())
    }

    fn from_vec(mut pairs: Vec<(String, String)>) -> Result<QueryParams, DecodeError> {
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for w in pairs.windows(2) {
            if let [a, b] = w {
                if a.0 == b.0 {
                    return Err(DecodeError::DuplicateParameter(a.0.clone()));
                }
            }
        }
        Ok(QueryParams { pairs })
    }

    /// The value of parameter `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .and_then(|i| self.pairs.get(i))
            .map(|(_, v)| v.as_str())
    }

    /// The `Action` parameter: the operation's name.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// The `Version` parameter: the API version.
    pub fn version(&self) -> Option<&str> {
        self.get("Version")
    }

    /// All parameters, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many parameters.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Whether `key` is a parameter or the prefix of one followed by a dot (`Tags` for
    /// `Tags.member.1.Key`).
    fn has(&self, key: &str) -> bool {
        let start = self.pairs.partition_point(|(k, _)| k.as_str() < key);
        self.pairs.get(start..).unwrap_or_default().iter().take_while(|(k, _)| k.starts_with(key)).any(
            |(k, _)| matches!(k.as_bytes().get(key.len()), None | Some(b'.')),
        )
    }
}

fn percent_decode(raw: &[u8]) -> Result<String, DecodeError> {
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return String::from_utf8(raw.to_vec()).map_err(|_| DecodeError::MalformedQueryString);
    }
    let hex = |b: Option<&u8>| -> Result<u8, DecodeError> {
        match b {
            Some(c @ b'0'..=b'9') => Ok(c - b'0'),
            Some(c @ b'a'..=b'f') => Ok(c - b'a' + 10),
            Some(c @ b'A'..=b'F') => Ok(c - b'A' + 10),
            _ => Err(DecodeError::MalformedQueryString),
        }
    };
    let mut out = Vec::with_capacity(raw.len());
    let mut it = raw.iter();
    while let Some(&b) = it.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex(it.next())?;
                let lo = hex(it.next())?;
                out.push(hi << 4 | lo);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).map_err(|_| DecodeError::MalformedQueryString)
}

/// Decodes a whole input shape from the request's parameters.
pub(crate) fn decode<T: Decode>(params: &QueryParams) -> Result<T, DecodeError> {
    let mut d = Decoder { params, key: String::with_capacity(64), errors: ValidationErrors::new() };
    let value = T::decode(&mut d);
    if d.errors.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::Validation(d.errors))
    }
}

/// A structure shape that reads itself from query parameters.
pub(crate) trait Decode: Sized {
    /// Reads the members under the decoder's current key. Broken constraints are recorded in the
    /// decoder; the value returned then is only a placeholder.
    fn decode(d: &mut Decoder<'_>) -> Self;
}

/// A string enum shape.
pub(crate) trait WireEnum: Sized {
    /// `[a, b, c]`, as in AWS's message.
    const VALUE_SET: &'static str;
    fn from_wire(s: &str) -> Option<Self>;
}

/// A regular expression from the model: its text as AWS prints it, and its compiled form
/// (anchored, translated from Java syntax by the code generator).
#[derive(Debug)]
pub(crate) struct Pattern {
    pub(crate) source: &'static str,
    pub(crate) regex: LazyLock<Regex>,
    /// A regex the value must not contain: stands in for a Java lookahead the `regex` crate lacks.
    pub(crate) forbidden: Option<LazyLock<Regex>>,
}

impl Pattern {
    pub(crate) fn is_match(&self, s: &str) -> bool {
        self.regex.is_match(s) && !self.forbidden.as_ref().is_some_and(|f| f.is_match(s))
    }
}

/// Compiles a regex the code generator translated; a test compiles every one of them.
#[expect(clippy::expect_used, reason = "the generated patterns are all compiled by a test")]
pub(crate) fn compile(re: &str) -> Regex {
    Regex::new(re).expect("generated pattern compiles")
}

/// Constraints of a string shape.
#[derive(Debug)]
pub(crate) struct StringRule {
    pub(crate) min: Option<usize>,
    pub(crate) max: Option<usize>,
    pub(crate) pattern: Option<&'static Pattern>,
    pub(crate) sensitive: bool,
}

/// A string without constraints.
pub(crate) static ANY_STRING: StringRule = StringRule { min: None, max: None, pattern: None, sensitive: false };

/// Constraints of an integer or long shape.
#[derive(Debug)]
pub(crate) struct NumberRule {
    pub(crate) min: Option<i64>,
    pub(crate) max: Option<i64>,
}

/// A number without constraints.
#[cfg_attr(not(test), expect(dead_code, reason = "no input shape of the current models has this type; kept for model updates and tested"))]
pub(crate) static ANY_NUMBER: NumberRule = NumberRule { min: None, max: None };

/// Constraints and wire form of a list or map shape.
#[derive(Debug)]
pub(crate) struct ListRule {
    pub(crate) min: Option<usize>,
    pub(crate) max: Option<usize>,
    /// `member` for lists, `entry` for maps; unused when flattened.
    pub(crate) member: &'static str,
    pub(crate) flattened: bool,
}

/// Reads members from [`QueryParams`] under a current key (`Tags.member.1`), collecting
/// validation errors instead of stopping at the first.
#[derive(Debug)]
pub(crate) struct Decoder<'p> {
    params: &'p QueryParams,
    key: String,
    errors: ValidationErrors,
}

impl<'p> Decoder<'p> {
    fn push(&mut self, segment: &str) -> usize {
        let len = self.key.len();
        if len > 0 {
            self.key.push('.');
        }
        self.key.push_str(segment);
        len
    }

    fn push_index(&mut self, i: usize) -> usize {
        use std::fmt::Write as _;
        let len = self.key.len();
        // Writing to a String cannot fail.
        let _ = write!(self.key, ".{i}");
        len
    }

    fn raw(&self) -> Option<&'p str> {
        self.params.get(&self.key)
    }

    fn error(&mut self, value: ShownValue, constraint: String) {
        self.errors.push(ValidationError { path: member_path(&self.key), value, constraint });
    }

    fn shown(&self, value: &str, sensitive: bool) -> ShownValue {
        if sensitive {
            ShownValue::Hidden
        } else {
            ShownValue::Shown(value.to_owned())
        }
    }

    /// An optional member.
    pub(crate) fn member<T>(&mut self, name: &str, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let len = self.push(name);
        let v = f(self);
        self.key.truncate(len);
        v
    }

    /// A required member: when absent, records `Member must not be null`.
    pub(crate) fn required<T: Default>(&mut self, name: &str, f: impl FnOnce(&mut Self) -> Option<T>) -> T {
        let len = self.push(name);
        let v = f(self);
        let v = match v {
            Some(v) => v,
            None => {
                self.error(ShownValue::Null, "Member must not be null".to_owned());
                T::default()
            }
        };
        self.key.truncate(len);
        v
    }

    pub(crate) fn string(&mut self, rule: &StringRule) -> Option<String> {
        let v = self.raw()?;
        match list_of(&self.key) {
            Some(list) => self.check_list_string(list.to_owned(), v, rule),
            None => self.check_string(v, rule),
        }
        Some(v.to_owned())
    }

    /// An element of a list of strings that breaks its shape's constraints is reported at the
    /// list, with every constraint of the element shape: "Value at 'tagKeys' failed to satisfy
    /// constraint: Member must satisfy constraint: [Member must have length less than or equal
    /// to 128, Member must have length greater than or equal to 1, Member must satisfy regular
    /// expression pattern: ..., Member must not be null]" (UntagPolicy, recorded from AWS in
    /// LocalStack's tests/aws/services/iam/test_iam_policies.snapshot.json, "err-untag-large-key").
    fn check_list_string(&mut self, list: String, v: &str, rule: &StringRule) {
        let n = v.chars().count();
        let breaks = rule.min.is_some_and(|min| n < min)
            || rule.max.is_some_and(|max| n > max)
            || rule.pattern.is_some_and(|p| !p.is_match(v));
        if !breaks {
            return;
        }
        let mut all = Vec::new();
        if let Some(max) = rule.max {
            all.push(format!("Member must have length less than or equal to {max}"));
        }
        if let Some(min) = rule.min {
            all.push(format!("Member must have length greater than or equal to {min}"));
        }
        if let Some(p) = rule.pattern {
            all.push(format!("Member must satisfy regular expression pattern: {}", p.source));
        }
        // AWS ends the list with "Member must not be null" for a shape with a pattern (tagKeys)
        // and not for one without (clientIDList, thumbprintList: LocalStack's
        // tests/aws/services/iam/test_iam_oidc.snapshot.json, "multiple-validation-errors").
        if rule.pattern.is_some() {
            all.push("Member must not be null".to_owned());
        }
        let constraint = format!("Member must satisfy constraint: [{}]", all.join(", "));
        let path = member_path(&list);
        // One error for the list, however many of its elements break the constraints.
        if self.errors.errors().iter().any(|e| e.path == path && e.constraint == constraint) {
            return;
        }
        let shown = if rule.sensitive { ShownValue::Hidden } else { ShownValue::Shown(self.java_list(&list)) };
        self.errors.push(ValidationError { path, value: shown, constraint });
    }

    /// The list of strings under `list` (`Name.member.N`) as Java's `List.toString` shows it.
    fn java_list(&self, list: &str) -> String {
        let items: Vec<&str> = (1..).map_while(|i| self.params.get(&format!("{list}.member.{i}"))).collect();
        format!("[{}]", items.join(", "))
    }

    fn check_string(&mut self, v: &str, rule: &StringRule) {
        if rule.min.is_some() || rule.max.is_some() {
            let n = v.chars().count();
            if let Some(min) = rule.min.filter(|&min| n < min) {
                let shown = self.shown(v, rule.sensitive);
                self.error(shown, format!("Member must have length greater than or equal to {min}"));
            }
            if let Some(max) = rule.max.filter(|&max| n > max) {
                let shown = self.shown(v, rule.sensitive);
                self.error(shown, format!("Member must have length less than or equal to {max}"));
            }
        }
        if let Some(p) = rule.pattern {
            if !p.is_match(v) {
                let shown = self.shown(v, rule.sensitive);
                self.error(shown, format!("Member must satisfy regular expression pattern: {}", p.source));
            }
        }
    }

    pub(crate) fn enumeration<E: WireEnum + Default>(&mut self, rule: &StringRule) -> Option<E> {
        let v = self.raw()?;
        self.check_string(v, rule);
        Some(match E::from_wire(v) {
            Some(e) => e,
            None => {
                let shown = self.shown(v, rule.sensitive);
                self.error(shown, format!("Member must satisfy enum value set: {}", E::VALUE_SET));
                E::default()
            }
        })
    }

    fn number<T>(&mut self, rule: &NumberRule) -> Option<T>
    where
        T: std::str::FromStr + Copy + Default + Into<i64>,
    {
        let v = self.raw()?;
        let Ok(n) = v.parse::<T>() else {
            self.error(ShownValue::Shown(v.to_owned()), "Member must be an integer".to_owned());
            return Some(T::default());
        };
        let wide: i64 = n.into();
        if let Some(min) = rule.min.filter(|&min| wide < min) {
            self.error(ShownValue::Shown(v.to_owned()), format!("Member must have value greater than or equal to {min}"));
        }
        if let Some(max) = rule.max.filter(|&max| wide > max) {
            self.error(ShownValue::Shown(v.to_owned()), format!("Member must have value less than or equal to {max}"));
        }
        Some(n)
    }

    pub(crate) fn integer(&mut self, rule: &NumberRule) -> Option<i32> {
        self.number(rule)
    }

    #[cfg_attr(not(test), expect(dead_code, reason = "no input shape of the current models has this type; kept for model updates and tested"))]
    pub(crate) fn long(&mut self, rule: &NumberRule) -> Option<i64> {
        self.number(rule)
    }

    pub(crate) fn boolean(&mut self) -> Option<bool> {
        let v = self.raw()?;
        if v.eq_ignore_ascii_case("true") {
            Some(true)
        } else if v.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            self.error(ShownValue::Shown(v.to_owned()), "Member must be true or false".to_owned());
            Some(false)
        }
    }

    #[cfg_attr(not(test), expect(dead_code, reason = "no input shape of the current models has this type; kept for model updates and tested"))]
    pub(crate) fn timestamp(&mut self) -> Option<Timestamp> {
        let v = self.raw()?;
        Some(Timestamp::parse_aws(v).unwrap_or_else(|| {
            self.error(
                ShownValue::Shown(v.to_owned()),
                "Member must be an ISO 8601 date-time such as 2026-11-23T19:02:51Z".to_owned(),
            );
            Timestamp::default()
        }))
    }

    #[cfg_attr(not(test), expect(dead_code, reason = "no input shape of the current models has this type; kept for model updates and tested"))]
    pub(crate) fn blob(&mut self, sensitive: bool) -> Option<Blob> {
        let v = self.raw()?;
        Some(Blob::from_base64(v).unwrap_or_else(|| {
            let shown = self.shown(v, sensitive);
            self.error(shown, "Member must be base64-encoded".to_owned());
            Blob::default()
        }))
    }

    /// A nested structure: present when any parameter lies under the current key.
    pub(crate) fn structure<T: Decode>(&mut self) -> Option<T> {
        if self.params.has(&self.key) {
            Some(T::decode(self))
        } else {
            None
        }
    }

    /// Counts the elements of a list or map (`Name.member.1`, `Name.member.2`, ...), calling `f`
    /// with the key set to each element in turn. `None` when there is no element and no empty
    /// `Name=`.
    fn elements(&mut self, rule: &ListRule, mut f: impl FnMut(&mut Self)) -> Option<usize> {
        let len = self.key.len();
        if !rule.flattened {
            self.push(rule.member);
        }
        let mut n = 0;
        loop {
            let before = self.push_index(n + 1);
            if !self.params.has(&self.key) {
                self.key.truncate(before);
                break;
            }
            f(self);
            self.key.truncate(before);
            n += 1;
        }
        self.key.truncate(len);
        if n == 0 && self.raw().is_none() {
            return None;
        }
        if let Some(min) = rule.min.filter(|&min| n < min) {
            let shown = self.shown_list(rule, n);
            self.error(shown, format!("Member must have length greater than or equal to {min}"));
        }
        if let Some(max) = rule.max.filter(|&max| n > max) {
            let shown = self.shown_list(rule, n);
            self.error(shown, format!("Member must have length less than or equal to {max}"));
        }
        Some(n)
    }

    /// A list as Java's `List.toString` would show it, `[a, b]`, when its elements are strings;
    /// hidden otherwise (we do not know how AWS prints structures).
    fn shown_list(&mut self, rule: &ListRule, n: usize) -> ShownValue {
        let len = self.key.len();
        if !rule.flattened {
            self.push(rule.member);
        }
        let mut shown = String::from("[");
        let mut all_scalars = true;
        for i in 1..=n {
            let before = self.push_index(i);
            match self.raw() {
                Some(v) => {
                    if i > 1 {
                        shown.push_str(", ");
                    }
                    shown.push_str(v);
                }
                None => all_scalars = false,
            }
            self.key.truncate(before);
        }
        shown.push(']');
        self.key.truncate(len);
        if all_scalars {
            ShownValue::Shown(shown)
        } else {
            ShownValue::Hidden
        }
    }

    pub(crate) fn list<T: Default>(
        &mut self,
        rule: &ListRule,
        mut element: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut out = Vec::new();
        self.elements(rule, |d| {
            let v = element(d).unwrap_or_else(|| {
                d.error(ShownValue::Null, "Member must not be null".to_owned());
                T::default()
            });
            out.push(v);
        })?;
        Some(out)
    }

    #[cfg_attr(not(test), expect(dead_code, reason = "no input shape of the current models has this type; kept for model updates and tested"))]
    pub(crate) fn map<K: Default, V: Default>(
        &mut self,
        rule: &ListRule,
        mut key: impl FnMut(&mut Self) -> Option<K>,
        mut value: impl FnMut(&mut Self) -> Option<V>,
    ) -> Option<Vec<(K, V)>> {
        let mut out = Vec::new();
        self.elements(rule, |d| {
            let k = d.required("key", &mut key);
            let v = d.required("value", &mut value);
            out.push((k, v));
        })?;
        Some(out)
    }
}

/// The list a key names an element of (`TagKeys.member.3` → `TagKeys`), if it does.
fn list_of(key: &str) -> Option<&str> {
    let (rest, index) = key.rsplit_once('.')?;
    let list = rest.strip_suffix(".member")?;
    (!index.is_empty() && index.bytes().all(|b| b.is_ascii_digit())).then_some(list)
}

/// The member path of a parameter name as AWS prints it in validation messages: each name with
/// its first letter lowercased, and the index moved before the list's member name
/// (`Tags.member.1.Value` → `tags.1.member.value`).
fn member_path(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut segments = key.split('.').peekable();
    let push = |out: &mut String, seg: &str| {
        if !out.is_empty() {
            out.push('.');
        }
        let mut chars = seg.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_lowercase());
            out.push_str(chars.as_str());
        }
    };
    while let Some(seg) = segments.next() {
        if seg == "member" || seg == "entry" {
            if let Some(index) = segments.next_if(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())) {
                push(&mut out, index);
            }
        }
        push(&mut out, seg);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    #[test]
    fn urlencoded_decoding() {
        let p = QueryParams::from_urlencoded(b"Action=CreateUser&UserName=a%2Bb+c&Path=%2F&Empty=&Bare&&")
            .unwrap();
        assert_eq!(p.action(), Some("CreateUser"));
        assert_eq!(p.version(), None);
        assert_eq!(p.get("UserName"), Some("a+b c"));
        assert_eq!(p.get("Path"), Some("/"));
        assert_eq!(p.get("Empty"), Some(""));
        assert_eq!(p.get("Bare"), Some(""));
        assert_eq!(p.len(), 5);
        assert_eq!(p.get("Missing"), None);
        let p = QueryParams::from_urlencoded(b"K=%E2%82%AC%c3%a9").unwrap();
        assert_eq!(p.get("K"), Some("€é"));
    }

    #[test]
    fn duplicate_parameter_is_refused() {
        assert_eq!(
            QueryParams::from_urlencoded(b"UserName=a&Action=CreateUser&UserName=b"),
            Err(DecodeError::DuplicateParameter("UserName".to_owned()))
        );
        // The same name spelled with an escape is still the same name.
        assert_eq!(
            QueryParams::from_urlencoded(b"UserName=a&User%4Eame=a"),
            Err(DecodeError::DuplicateParameter("UserName".to_owned()))
        );
        assert_eq!(
            QueryParams::from_pairs([("A".to_owned(), "1".to_owned()), ("A".to_owned(), "1".to_owned())]),
            Err(DecodeError::DuplicateParameter("A".to_owned()))
        );
    }

    #[test]
    fn malformed_encoding_is_refused() {
        for bad in [&b"A=%"[..], b"A=%4", b"A=%zz", b"A=%ff", b"A=\xff"] {
            assert_eq!(QueryParams::from_urlencoded(bad), Err(DecodeError::MalformedQueryString));
        }
    }

    #[test]
    fn prefix_presence() {
        let p = QueryParams::from_urlencoded(b"Tags.member.1-x=1&Tags.member.10.Key=k&X=1").unwrap();
        assert!(p.has("Tags"));
        assert!(p.has("Tags.member.10"));
        assert!(!p.has("Tags.member.1"));
        assert!(!p.has("Tag"));
        assert!(p.has("X"));
    }

    #[derive(Debug, Default, PartialEq)]
    struct Sample {
        n: Option<i64>,
        t: Option<Timestamp>,
        b: Option<Blob>,
        m: Option<Vec<(String, i64)>>,
        flat: Option<Vec<String>>,
    }

    static MAP: ListRule = ListRule { min: None, max: Some(2), member: "entry", flattened: false };
    static FLAT: ListRule = ListRule { min: Some(1), max: None, member: "member", flattened: true };

    impl Decode for Sample {
        fn decode(d: &mut Decoder<'_>) -> Sample {
            Sample {
                n: d.member("N", |d| d.long(&ANY_NUMBER)),
                t: d.member("T", |d| d.timestamp()),
                b: d.member("B", |d| d.blob(false)),
                m: d.member("M", |d| d.map(&MAP, |d| d.string(&ANY_STRING), |d| d.long(&ANY_NUMBER))),
                flat: d.member("F", |d| d.list(&FLAT, |d| d.string(&ANY_STRING))),
            }
        }
    }

    fn sample(body: &str) -> Result<Sample, DecodeError> {
        decode(&QueryParams::from_urlencoded(body.as_bytes()).unwrap())
    }

    #[test]
    fn maps_longs_timestamps_blobs_and_flattened_lists() {
        let s = sample(
            "N=-9000000000&T=2026-11-23T19%3A02%3A51Z&B=Zm9v&M.entry.1.key=a&M.entry.1.value=1\
             &M.entry.2.key=b&M.entry.2.value=2&F.1=x&F.2=y",
        )
        .unwrap();
        assert_eq!(
            s,
            Sample {
                n: Some(-9_000_000_000),
                t: Some(Timestamp::from_unix_seconds(1_795_460_571)),
                b: Some(Blob(b"foo".to_vec())),
                m: Some(vec![("a".to_owned(), 1), ("b".to_owned(), 2)]),
                flat: Some(vec!["x".to_owned(), "y".to_owned()]),
            }
        );
        assert_eq!(sample("M=").unwrap(), Sample { m: Some(vec![]), ..Sample::default() });
        assert_eq!(sample("").unwrap(), Sample::default());
    }

    #[test]
    fn map_and_scalar_errors() {
        let e = sample("T=yesterday&B=%21&M.entry.1.key=a&M.entry.2.value=2&M.entry.3.key=c&M.entry.3.value=3")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "5 validation errors detected: \
             Value 'yesterday' at 't' failed to satisfy constraint: Member must be an ISO 8601 date-time such as 2026-11-23T19:02:51Z; \
             Value '!' at 'b' failed to satisfy constraint: Member must be base64-encoded; \
             Value null at 'm.1.entry.value' failed to satisfy constraint: Member must not be null; \
             Value null at 'm.2.entry.key' failed to satisfy constraint: Member must not be null; \
             Value at 'm' failed to satisfy constraint: Member must have length less than or equal to 2"
        );
        let e = sample("F=").unwrap_err();
        assert_eq!(
            e.to_string(),
            "1 validation error detected: Value '[]' at 'f' failed to satisfy constraint: \
             Member must have length greater than or equal to 1"
        );
    }

    #[test]
    fn member_paths() {
        assert_eq!(member_path("UserName"), "userName");
        assert_eq!(member_path("Tags.member.1.Value"), "tags.1.member.value");
        assert_eq!(member_path("ClientIDList.member.12"), "clientIDList.12.member");
        assert_eq!(member_path("SAMLProviderArn"), "sAMLProviderArn");
        assert_eq!(member_path("M.entry.2.key"), "m.2.entry.key");
    }
}
