//! The AWS query protocol's response side: XML.
//!
//! AWS IAM and STS answer without an XML declaration:
//! `<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateUserResult>...
//! </CreateUserResult><ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>
//! </CreateUserResponse>`. Absent members are left out, lists are `<Name><member>..</member>
//! </Name>` (`<Name/>` when empty), maps `<Name><entry><key>..</key><value>..</value></entry>
//! </Name>`. We write no whitespace between elements.

use crate::types::{Blob, Timestamp};
use crate::Service;

/// Something that can be the content of an XML element.
pub(crate) trait XmlValue {
    fn write_xml(&self, out: &mut String);

    /// Whether the value writes nothing at all.
    fn is_empty_value(&self) -> bool {
        false
    }
}

/// Members the model calls required that AWS leaves out when it has no value for them:
/// GetUser for the root user answers without `UserName`.
const OMITTED_WHEN_EMPTY: &[&str] = &["UserName"];

impl XmlValue for String {
    fn write_xml(&self, out: &mut String) {
        escape_into(out, self);
    }

    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

impl XmlValue for i32 {
    fn write_xml(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(out, "{self}");
    }
}

impl XmlValue for i64 {
    fn write_xml(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(out, "{self}");
    }
}

impl XmlValue for bool {
    fn write_xml(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl XmlValue for Timestamp {
    fn write_xml(&self, out: &mut String) {
        self.write_aws(out);
    }
}

impl XmlValue for Blob {
    fn write_xml(&self, out: &mut String) {
        self.write_base64(out);
    }
}

/// Appends `s` with `&`, `<`, `>`, `"` and `'` escaped; a carriage return and the other control
/// characters become character references so that an XML parser hands them back unchanged.
pub fn escape_into(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || (c.is_control() && c != '\n' && c != '\t')) {
        let (plain, tail) = rest.split_at(i);
        out.push_str(plain);
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                c => {
                    use std::fmt::Write as _;
                    let _ = write!(out, "&#x{:X};", u32::from(c));
                }
            }
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
}

/// `s` with XML's special characters escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// `<name>value</name>`, or `<name/>` when the value writes nothing.
pub(crate) fn element<T: XmlValue + ?Sized>(out: &mut String, name: &str, value: &T) {
    if value.is_empty_value() && OMITTED_WHEN_EMPTY.contains(&name) {
        return;
    }
    open(out, name);
    let start = out.len();
    value.write_xml(out);
    if out.len() == start {
        out.pop();
        out.push_str("/>");
    } else {
        close(out, name);
    }
}

/// `<name>value</name>` if present.
pub(crate) fn opt_element<T: XmlValue>(out: &mut String, name: &str, value: Option<&T>) {
    if let Some(v) = value {
        element(out, name, v);
    }
}

/// `<name><member>a</member><member>b</member></name>`, `<name/>` when empty.
pub(crate) fn list<T: XmlValue>(out: &mut String, name: &str, member: &str, items: &[T]) {
    if items.is_empty() {
        out.push('<');
        out.push_str(name);
        out.push_str("/>");
        return;
    }
    open(out, name);
    for item in items {
        element(out, member, item);
    }
    close(out, name);
}

/// A flattened list: `<name>a</name><name>b</name>`.
#[cfg_attr(not(test), expect(dead_code, reason = "no input shape of the current models has this type; kept for model updates and tested"))]
pub(crate) fn flat_list<T: XmlValue>(out: &mut String, name: &str, items: &[T]) {
    for item in items {
        element(out, name, item);
    }
}

/// `<name><entry><key>k</key><value>v</value></entry>...</name>`, `<name/>` when empty.
pub(crate) fn map<K: XmlValue, V: XmlValue>(out: &mut String, name: &str, entries: &[(K, V)]) {
    if entries.is_empty() {
        out.push('<');
        out.push_str(name);
        out.push_str("/>");
        return;
    }
    open(out, name);
    for (k, v) in entries {
        open(out, "entry");
        element(out, "key", k);
        element(out, "value", v);
        close(out, "entry");
    }
    close(out, name);
}

/// `<{op}Response xmlns="...">`.
pub(crate) fn open_response(out: &mut String, service: Service, operation: &str) {
    out.push('<');
    out.push_str(operation);
    out.push_str("Response xmlns=\"");
    out.push_str(service.xml_namespace());
    out.push_str("\">");
}

/// `<ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></{op}Response>`.
pub(crate) fn close_response(out: &mut String, operation: &str, request_id: &str) {
    out.push_str("<ResponseMetadata><RequestId>");
    escape_into(out, request_id);
    out.push_str("</RequestId></ResponseMetadata></");
    out.push_str(operation);
    out.push_str("Response>");
}

/// AWS's query-protocol error document:
/// `<ErrorResponse xmlns="..."><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>..
/// </Message></Error><RequestId>..</RequestId></ErrorResponse>`.
///
/// `sender_fault` picks `Sender` (the client's fault) or `Receiver`; see
/// [`crate::error_sender_fault`] for the modeled codes.
pub fn error_response(service: Service, sender_fault: bool, code: &str, message: &str, request_id: &str) -> String {
    let mut out = String::with_capacity(256 + message.len());
    out.push_str("<ErrorResponse xmlns=\"");
    out.push_str(service.xml_namespace());
    out.push_str("\"><Error><Type>");
    out.push_str(if sender_fault { "Sender" } else { "Receiver" });
    out.push_str("</Type><Code>");
    escape_into(&mut out, code);
    out.push_str("</Code><Message>");
    escape_into(&mut out, message);
    out.push_str("</Message></Error><RequestId>");
    escape_into(&mut out, request_id);
    out.push_str("</RequestId></ErrorResponse>");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
        assert_eq!(escape("line\r\nnext\ttab\u{1}"), "line&#xD;\nnext\ttab&#x1;");
        assert_eq!(escape("plain €"), "plain €");
    }

    #[test]
    fn collections() {
        let mut out = String::new();
        flat_list(&mut out, "A", &["x".to_owned(), String::new()]);
        list(&mut out, "L", "member", &[1, 2]);
        list::<i32>(&mut out, "E", "member", &[]);
        map::<String, bool>(&mut out, "M", &[]);
        element(&mut out, "T", &Timestamp::from_unix_seconds(0));
        element(&mut out, "B", &Blob(b"hi".to_vec()));
        element(&mut out, "N", &-5_i64);
        assert_eq!(
            out,
            "<A>x</A><A/><L><member>1</member><member>2</member></L><E/><M/>\
             <T>1970-01-01T00:00:00Z</T><B>aGk=</B><N>-5</N>"
        );
    }

    #[test]
    fn error_document() {
        assert_eq!(
            error_response(Service::Iam, true, "NoSuchEntity", "The user with name a<b cannot be found.", "rid"),
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
             <Code>NoSuchEntity</Code><Message>The user with name a&lt;b cannot be found.</Message></Error>\
             <RequestId>rid</RequestId></ErrorResponse>"
        );
    }
}
