//! Wildcard patterns with policy variables, matched without allocating in the common case.

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A literal character (already lowercased when the pattern is case-insensitive).
    Ch(char),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, possibly empty.
    Many,
    /// `${key}` or `${key, 'default'}` (an index into the pattern's variables): replaced
    /// by the key's value at evaluation. An index keeps a piece at 8 bytes.
    Var(u32),
}

/// A policy variable reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    /// The context key, lowercased (keys compare case-insensitively).
    pub key: String,
    /// The default from `${key, 'default'}`.
    pub default: Option<String>,
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pieces: Vec<Piece>,
    vars: Vec<Variable>,
    has_vars: bool,
    has_wild: bool,
}

/// How to read a pattern's text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards.
    pub wildcards: bool,
    /// `${...}` is a policy variable (Version 2012-10-17 only).
    pub variables: bool,
    /// Fold to lowercase (actions; the IgnoreCase operators).
    pub fold: bool,
}

/// Looks a policy variable's key up: the first value of the key, if present.
pub(crate) trait Resolve {
    fn resolve(&self, key: &str) -> Option<&str>;
}

impl Pattern {
    pub(crate) fn compile(text: &str, syntax: Syntax) -> Pattern {
        let mut pieces = Vec::with_capacity(text.len());
        let mut vars = Vec::new();
        let mut has_vars = false;
        let mut has_wild = false;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables && rest.starts_with("${") {
                if let Some((piece, used)) = parse_variable(rest) {
                    match piece {
                        Ok(var) => {
                            has_vars = true;
                            pieces.push(Piece::Var(u32::try_from(vars.len()).unwrap_or(u32::MAX)));
                            vars.push(var);
                        }
                        Err(ch) => pieces.push(Piece::Ch(ch)),
                    }
                    rest = rest.get(used..).unwrap_or("");
                    continue;
                }
            }
            let piece = match c {
                '*' if syntax.wildcards => {
                    has_wild = true;
                    Piece::Many
                }
                '?' if syntax.wildcards => {
                    has_wild = true;
                    Piece::One
                }
                c if syntax.fold => {
                    for l in c.to_lowercase() {
                        pieces.push(Piece::Ch(l));
                    }
                    rest = rest.get(c.len_utf8()..).unwrap_or("");
                    continue;
                }
                c => Piece::Ch(c),
            };
            pieces.push(piece);
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
        Pattern {
            pieces,
            vars,
            has_vars,
            has_wild,
        }
    }

    /// Replaces variables by their values. `None` when a variable has no value and no
    /// default: AWS then treats the element as not matching.
    pub(crate) fn resolved<'a>(
        &'a self,
        ctx: &dyn Resolve,
        fold: bool,
    ) -> Option<std::borrow::Cow<'a, [Piece]>> {
        if !self.has_vars {
            return Some(std::borrow::Cow::Borrowed(&self.pieces));
        }
        let mut out = Vec::with_capacity(self.pieces.len() + 16);
        for p in &self.pieces {
            match p {
                Piece::Var(i) => {
                    let v = self.vars.get(*i as usize)?;
                    let value = match ctx.resolve(&v.key) {
                        Some(value) => value,
                        None => v.default.as_deref()?,
                    };
                    for c in value.chars() {
                        if fold {
                            out.extend(c.to_lowercase().map(Piece::Ch));
                        } else {
                            out.push(Piece::Ch(c));
                        }
                    }
                }
                other => out.push(other.clone()),
            }
        }
        Some(std::borrow::Cow::Owned(out))
    }

    #[cfg(test)]
    /// Matches the whole of `input`. When the pattern folds case, `fold` must be true so the
    /// input is folded too.
    pub(crate) fn matches(&self, input: &str, ctx: &dyn Resolve, fold: bool) -> bool {
        match self.resolved(ctx, fold) {
            Some(pieces) => glob(&pieces, input, fold),
            None => false,
        }
    }

    pub(crate) fn pieces(&self) -> &[Piece] {
        &self.pieces
    }
}

/// Parses `${...}` at the start of `text`: a variable, or one of the escapes `${*}`, `${?}`,
/// `${$}` (a literal character). Returns it and the bytes used; `None` when this is not a
/// variable.
fn parse_variable(text: &str) -> Option<(Result<Variable, char>, usize)> {
    let body_start = 2;
    let end = text.find('}')?;
    let body = text.get(body_start..end)?;
    let used = end + 1;
    match body {
        "*" => return Some((Err('*'), used)),
        "?" => return Some((Err('?'), used)),
        "$" => return Some((Err('$'), used)),
        _ => {}
    }
    let (key, default) = match body.split_once(',') {
        Some((key, default)) => {
            let d = default.trim();
            let d = d.strip_prefix('\'')?.strip_suffix('\'')?;
            (key.trim(), Some(d.to_owned()))
        }
        None => (body.trim(), None),
    };
    if key.is_empty() || key.contains('{') || key.contains('$') {
        return None;
    }
    Some((
        Ok(Variable {
            key: key.to_ascii_lowercase(),
            default,
        }),
        used,
    ))
}

fn next_char(s: &str, at: usize) -> Option<char> {
    s.get(at..).and_then(|r| r.chars().next())
}

fn char_eq(p: char, c: char, fold: bool) -> bool {
    if p == c {
        return true;
    }
    if !fold {
        return false;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l == p,
        _ => false,
    }
}

/// Matches `input` against `pieces` (which contain no `Var`): `*` any run, `?` one char.
/// Linear-time two-pointer match with backtracking to the last `*`.
pub(crate) fn glob(pieces: &[Piece], input: &str, fold: bool) -> bool {
    let mut p = 0usize;
    let mut s = 0usize;
    let mut star: Option<(usize, usize)> = None;
    while let Some(c) = next_char(input, s) {
        match pieces.get(p) {
            Some(Piece::Many) => {
                star = Some((p, s));
                p += 1;
                continue;
            }
            Some(Piece::One) => {
                p += 1;
                s += c.len_utf8();
                continue;
            }
            Some(Piece::Ch(pc)) if char_eq(*pc, c, fold) => {
                p += 1;
                s += c.len_utf8();
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, ss)) => {
                let skipped = next_char(input, ss).map_or(1, char::len_utf8);
                let ss = ss + skipped;
                star = Some((sp, ss));
                p = sp + 1;
                s = ss;
            }
            None => return false,
        }
    }
    while let Some(Piece::Many) = pieces.get(p) {
        p += 1;
    }
    p == pieces.len()
}

/// Matches an ARN as AWS matches the Arn condition operators: the colon-separated
/// components are matched one by one (a wildcard never spans a colon in the first five),
/// and the pattern's last component takes the rest of the input, so `*` alone,
/// `arn:aws:s3:::bucket/*` and `arn:aws:iam::*` all work as written (IAM User Guide,
/// "Condition operators": ARN condition operators).
pub(crate) fn arn_glob(pieces: &[Piece], input: &str) -> bool {
    let (segments, count) = arn_segments(pieces);
    let mut parts = input.splitn(count, ':');
    for seg in segments.iter().take(count) {
        match parts.next() {
            Some(part) if glob(seg, part, false) => {}
            _ => return false,
        }
    }
    true
}

/// Matches an ARN as AWS matches Resource and NotResource entries: as [`arn_glob`], except
/// that a `*` that ends one of the first components may also span colons ("If the wildcard
/// (*) is the last character of a resource ARN segment, it can expand to match beyond
/// colon boundaries": IAM User Guide, "IAM JSON policy elements: Resource"). So
/// `arn:aws:sqs:*:queue1`, an ARN with fewer components than the resource needs, still
/// names `arn:aws:sqs:us-east-1:123456789012:queue1`.
pub(crate) fn resource_arn_glob(pieces: &[Piece], input: &str) -> bool {
    // The aligned match decides almost every request without allocating; only a miss with a
    // component that ends in `*` needs the spanning one.
    if arn_glob(pieces, input) {
        return true;
    }
    let (segments, count) = arn_segments(pieces);
    let inner = segments.get(..count.saturating_sub(1)).unwrap_or(&[]);
    if !inner.iter().any(|seg| seg.last() == Some(&Piece::Many)) {
        return false;
    }
    // Which input component each pattern component may start at, one pass per component:
    // at most six passes over the input's colons, so the cost stays linear in the colons
    // times the input's length whatever the input holds.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(input.match_indices(':').map(|(i, _)| i + 1))
        .collect();
    let part = |j: usize| -> &str {
        let from = starts.get(j).copied().unwrap_or(input.len());
        let to = starts.get(j + 1).map_or(input.len(), |e| e - 1);
        input.get(from..to).unwrap_or("")
    };
    let mut reach = vec![false; starts.len()];
    if let Some(first) = reach.first_mut() {
        *first = true;
    }
    for (i, seg) in segments.iter().take(count).enumerate() {
        if i + 1 == count {
            return starts.iter().zip(&reach).any(|(from, r)| {
                *r && glob(seg, input.get(*from..).unwrap_or(""), false)
            });
        }
        let spans = seg.last() == Some(&Piece::Many);
        let mut next = vec![false; starts.len()];
        let mut lowest: Option<usize> = None;
        for (j, r) in reach.iter().enumerate() {
            if !*r || !glob(seg, part(j), false) {
                continue;
            }
            if spans {
                // Every later component may start the next pattern component.
                lowest = Some(lowest.map_or(j + 1, |l| l.min(j + 1)));
            } else if let Some(n) = next.get_mut(j + 1) {
                *n = true;
            }
        }
        if let Some(l) = lowest {
            next.iter_mut().skip(l).for_each(|n| *n = true);
        }
        reach = next;
    }
    false
}

/// A pattern's colon-separated components: at most six, the last one taking the rest.
fn arn_segments(pieces: &[Piece]) -> ([&[Piece]; 6], usize) {
    let mut segments: [&[Piece]; 6] = [&[]; 6];
    let mut count = 0usize;
    let mut start = 0usize;
    for (i, p) in pieces.iter().enumerate() {
        if count == 5 {
            break;
        }
        if *p == Piece::Ch(':') {
            if let (Some(slot), Some(seg)) = (segments.get_mut(count), pieces.get(start..i)) {
                *slot = seg;
            }
            count += 1;
            start = i + 1;
        }
    }
    if let (Some(slot), Some(seg)) = (segments.get_mut(count), pieces.get(start..)) {
        *slot = seg;
    }
    (segments, count + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoVars;
    impl Resolve for NoVars {
        fn resolve(&self, _: &str) -> Option<&str> {
            None
        }
    }

    fn m(pat: &str, input: &str) -> bool {
        let syn = Syntax {
            wildcards: true,
            variables: true,
            fold: false,
        };
        Pattern::compile(pat, syn).matches(input, &NoVars, false)
    }

    #[test]
    fn globs() {
        assert!(m("*", ""));
        assert!(m("*", "abc"));
        assert!(m("a*c", "abbbc"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("${*}", "*"));
        assert!(!m("${*}", "x"));
        assert!(m("x${aws:username, 'd'}y", "xdy"));
        assert!(!m("x${aws:username}y", "xdy"));
        assert!(m("é*", "éa"));
    }

    fn arn(pat: &str, input: &str) -> bool {
        let syn = Syntax {
            wildcards: true,
            variables: false,
            fold: false,
        };
        arn_glob(Pattern::compile(pat, syn).pieces(), input)
    }

    fn resource(pat: &str, input: &str) -> bool {
        let syn = Syntax {
            wildcards: true,
            variables: false,
            fold: false,
        };
        resource_arn_glob(Pattern::compile(pat, syn).pieces(), input)
    }

    #[test]
    fn resource_wildcards_span_colons_at_a_component_end() {
        // IAM User Guide, "IAM JSON policy elements: Resource".
        let queue = "arn:aws:sqs:us-east-1:123456789012:queue1";
        assert!(resource("arn:aws:sqs:*:queue1", queue));
        assert!(resource("arn:aws:sqs:us-*:queue1", queue));
        assert!(!resource("arn:aws:sqs:*:queue2", queue));
        assert!(!resource("arn:aws:sqs:eu-*:queue1", queue));
        // A wildcard inside a component still stops at a colon.
        assert!(!resource("arn:aws:sqs:u*1:queue1", queue));
        // Fewer components and no wildcard: names no resource.
        assert!(!resource("arn:aws:sqs", queue));
        assert!(!resource("arn:aws:iam::123456789012", "arn:aws:iam::123456789012:user/x"));
        assert!(resource("arn:aws:iam::123456789012:*", "arn:aws:iam::123456789012:user/x"));
        assert!(resource("arn:aws:iam::*:user/x", "arn:aws:iam::1:user/x"));
        assert!(!resource("arn:aws:iam::*:user/x", "arn:aws:iam::1:user/y"));
        // Many colons cost one pass per component, never a blow-up.
        let long = format!("arn:aws:s3:::{}", ":".repeat(2000));
        assert!(!resource("arn:*:*:*:*:x", &long));
    }

    #[test]
    fn arns() {
        assert!(arn("*", "arn:aws:s3:::b/k"));
        assert!(arn("arn:aws:s3:::b/*", "arn:aws:s3:::b/k:with:colons"));
        assert!(arn("arn:aws:iam::*", "arn:aws:iam::123456789012:user/x"));
        assert!(arn(
            "arn:aws:iam::*:user/*",
            "arn:aws:iam::123456789012:user/x"
        ));
        assert!(!arn(
            "arn:aws:iam::*:user/*",
            "arn:aws:iam::123456789012:role/x"
        ));
        assert!(!arn("arn:aws:*:user/x", "arn:aws:iam::1:user/x"));
        assert!(!arn("arn:aws:s3:::b", "*"));
        assert!(arn(
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:us-east-1:1:instance/i-1"
        ));
    }
}
