//! Java regular expressions from the models, translated for the `regex` crate.
//!
//! AWS checks patterns with Java's `String.matches`, so the whole value must match: we anchor with
//! `^(?:...)$`. Java's `\w` and `\d` are ASCII-only, the `regex` crate's are Unicode, so they are
//! spelled out. `\uXXXX` becomes `\x{XXXX}`. The `regex` crate has no lookaround: the one model
//! pattern with a lookahead is rewritten by hand into a pattern plus a forbidden substring.

/// A translated pattern: what must match, and optionally what must not occur anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    pub regex: String,
    pub forbidden: Option<String>,
}

/// Patterns with constructs the `regex` crate lacks, rewritten by hand.
const REWRITTEN: &[(&str, &str, &str)] = &[(
    // A DNS-like label of 3 to 63 characters with no `--`: the lookahead forbids a dash followed by
    // a dash; the last character is never a dash, so "no `--` anywhere" is the same thing.
    r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
    r"^(?:[a-z0-9][a-z0-9-]{1,61}[a-z0-9])$",
    "--",
)];

pub fn translate(java: &str) -> Result<Translated, String> {
    if let Some((_, regex, forbidden)) = REWRITTEN.iter().find(|(j, _, _)| *j == java) {
        return Ok(Translated { regex: (*regex).to_owned(), forbidden: Some((*forbidden).to_owned()) });
    }
    let chars: Vec<char> = java.chars().collect();
    let mut out = String::with_capacity(java.len() + 16);
    let mut in_class = false;
    // Inside a class: whether the last item was a single character that a `-` could extend into
    // a range, and whether a `-` range operator is waiting for its end.
    let mut can_start_range = false;
    let mut pending_range = false;
    let mut i = 0;
    let err = |what: &str| Err(format!("pattern `{java}`: {what}"));
    while let Some(&c) = chars.get(i) {
        i += 1;
        // What this token is inside a class: a single character (Some(true)), a set (Some(false)).
        let mut atom: Option<bool> = Some(true);
        match c {
            '\\' => {
                let Some(&e) = chars.get(i) else { return err("trailing backslash") };
                i += 1;
                match e {
                    'w' => {
                        out.push_str(if in_class { "a-zA-Z0-9_" } else { "[a-zA-Z0-9_]" });
                        atom = Some(false);
                    }
                    'd' => {
                        out.push_str(if in_class { "0-9" } else { "[0-9]" });
                        atom = Some(false);
                    }
                    's' => {
                        out.push_str(if in_class { r" \t\n\x0B\f\r" } else { r"[ \t\n\x0B\f\r]" });
                        atom = Some(false);
                    }
                    'p' | 'P' => {
                        out.push('\\');
                        out.push(e);
                        if chars.get(i) == Some(&'{') {
                            while let Some(&ch) = chars.get(i) {
                                out.push(ch);
                                i += 1;
                                if ch == '}' {
                                    break;
                                }
                            }
                        } else if let Some(&ch) = chars.get(i) {
                            out.push(ch);
                            i += 1;
                        }
                        atom = Some(false);
                    }
                    'u' => {
                        let hex: String = chars.iter().skip(i).take(6).take_while(|c| c.is_ascii_hexdigit()).collect();
                        if hex.len() < 4 {
                            return err("short \\u escape");
                        }
                        // Java reads exactly four digits, but `\u10000-\u10FFFF` in the STS model
                        // means the supplementary planes; take the longer reading when the digits
                        // run on and still name a code point.
                        let long = u32::from_str_radix(&hex, 16).ok().filter(|&v| v <= 0x10_FFFF && hex.len() > 4);
                        let (value, used) = match long {
                            Some(v) => (v, hex.len()),
                            None => match hex.get(..4).and_then(|h| u32::from_str_radix(h, 16).ok()) {
                                Some(v) => (v, 4),
                                None => return err("bad \\u escape"),
                            },
                        };
                        i += used;
                        out.push_str(&format!("\\x{{{value:X}}}"));
                    }
                    'Q' | 'E' | 'b' | 'B' | 'A' | 'z' | 'Z' | 'G' | 'k' | 'h' | 'H' | 'v' | 'V' | 'R' | 'X' | 'W' | 'D' | 'S' => {
                        return err(&format!("unsupported escape \\{e}"));
                    }
                    'n' | 't' | 'r' | 'f' => {
                        out.push('\\');
                        out.push(e);
                    }
                    e if e.is_ascii_alphanumeric() => return err(&format!("unsupported escape \\{e}")),
                    e => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if in_class => return err("nested character class"),
            '[' => {
                in_class = true;
                can_start_range = false;
                pending_range = false;
                out.push('[');
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                continue;
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
                continue;
            }
            '-' if in_class => {
                if can_start_range && chars.get(i) != Some(&']') {
                    out.push('-');
                    pending_range = true;
                    can_start_range = false;
                    continue;
                }
                out.push_str(r"\-");
                atom = Some(false);
            }
            '&' | '~' if in_class => {
                // Set operators when doubled in the `regex` crate; literal in Java.
                out.push('\\');
                out.push(c);
            }
            '(' if !in_class && chars.get(i) == Some(&'?') => {
                if matches!(chars.get(i + 1), Some('=' | '!' | '<')) {
                    return err("lookaround is not supported");
                }
                out.push('(');
                atom = None;
            }
            c => {
                out.push(c);
                if !in_class {
                    atom = None;
                }
            }
        }
        if in_class {
            match atom {
                Some(true) if pending_range => {
                    pending_range = false;
                    can_start_range = false;
                }
                Some(true) => can_start_range = true,
                _ => can_start_range = false,
            }
        }
    }
    if in_class {
        return err("unterminated character class");
    }
    Ok(Translated { regex: format!("^(?:{out})$"), forbidden: None })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    fn t(java: &str) -> String {
        translate(java).unwrap().regex
    }

    #[test]
    fn translations() {
        assert_eq!(t(r"[\w+=,.@-]+"), r"^(?:[a-zA-Z0-9_+=,.@\-]+)$");
        assert_eq!(t(r"\d{12}"), r"^(?:[0-9]{12})$");
        assert_eq!(t(r"[\u0009\u000A\u000D\u0020-\u00FF]+"), r"^(?:[\x{9}\x{A}\x{D}\x{20}-\x{FF}]+)$");
        assert_eq!(t(r"[\uE000-\uFFFD\u10000-\u10FFFF]+"), r"^(?:[\x{E000}-\x{FFFD}\x{10000}-\x{10FFFF}]+)$");
        assert_eq!(t(r"[0-9a-z-\/]*"), r"^(?:[0-9a-z\-\/]*)$");
        assert_eq!(t(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"), r"^(?:[\p{L}\p{Z}\p{N}_.:/=+\-@]*)$");
        assert_eq!(t(r"[ -~]+"), r"^(?:[ -\~]+)$");
        assert!(translate(r"a(?=b)").is_err());
        let r = translate(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$").unwrap();
        assert_eq!(r.forbidden.as_deref(), Some("--"));
    }
}
