//! Condition operators and compiled condition values.

use crate::date;
use crate::ip::Cidr;
use crate::pattern::{Pattern, Syntax};

/// The operator family, without `IfExists` and set qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const OPERATORS: [(&str, BaseOperator); 27] = [
    ("StringEquals", BaseOperator::StringEquals),
    ("StringNotEquals", BaseOperator::StringNotEquals),
    (
        "StringEqualsIgnoreCase",
        BaseOperator::StringEqualsIgnoreCase,
    ),
    (
        "StringNotEqualsIgnoreCase",
        BaseOperator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", BaseOperator::StringLike),
    ("StringNotLike", BaseOperator::StringNotLike),
    ("NumericEquals", BaseOperator::NumericEquals),
    ("NumericNotEquals", BaseOperator::NumericNotEquals),
    ("NumericLessThan", BaseOperator::NumericLessThan),
    ("NumericLessThanEquals", BaseOperator::NumericLessThanEquals),
    ("NumericGreaterThan", BaseOperator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        BaseOperator::NumericGreaterThanEquals,
    ),
    ("DateEquals", BaseOperator::DateEquals),
    ("DateNotEquals", BaseOperator::DateNotEquals),
    ("DateLessThan", BaseOperator::DateLessThan),
    ("DateLessThanEquals", BaseOperator::DateLessThanEquals),
    ("DateGreaterThan", BaseOperator::DateGreaterThan),
    ("DateGreaterThanEquals", BaseOperator::DateGreaterThanEquals),
    ("Bool", BaseOperator::Bool),
    ("BinaryEquals", BaseOperator::BinaryEquals),
    ("IpAddress", BaseOperator::IpAddress),
    ("NotIpAddress", BaseOperator::NotIpAddress),
    ("ArnEquals", BaseOperator::ArnEquals),
    ("ArnLike", BaseOperator::ArnLike),
    ("ArnNotEquals", BaseOperator::ArnNotEquals),
    ("ArnNotLike", BaseOperator::ArnNotLike),
    ("Null", BaseOperator::Null),
];

impl BaseOperator {
    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("", |(n, _)| n)
    }

    fn from_name(name: &str) -> Option<BaseOperator> {
        OPERATORS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, op)| *op)
    }

    /// Negated operators: true when the key's value matches none of the policy's values.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            BaseOperator::StringNotEquals
                | BaseOperator::StringNotEqualsIgnoreCase
                | BaseOperator::StringNotLike
                | BaseOperator::NumericNotEquals
                | BaseOperator::DateNotEquals
                | BaseOperator::NotIpAddress
                | BaseOperator::ArnNotEquals
                | BaseOperator::ArnNotLike
        )
    }
}

/// `ForAllValues:` / `ForAnyValue:`, or neither (a single-valued comparison).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    None,
    ForAllValues,
    ForAnyValue,
}

/// A condition operator as written: base, set qualifier and `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    pub base: BaseOperator,
    pub qualifier: SetQualifier,
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name; `None` for an unknown operator. Names are case-sensitive;
    /// one qualifier prefix and one `IfExists` suffix may be present (`Null` takes no
    /// `IfExists`: "NullIfExists" is unknown).
    pub fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, r)
        } else {
            (SetQualifier::None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let base = BaseOperator::from_name(base)?;
        if if_exists && base == BaseOperator::Null {
            return None;
        }
        Some(Operator {
            base,
            qualifier,
            if_exists,
        })
    }
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.qualifier {
            SetQualifier::None => {}
            SetQualifier::ForAllValues => f.write_str("ForAllValues:")?,
            SetQualifier::ForAnyValue => f.write_str("ForAnyValue:")?,
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// One policy value of a condition, compiled for its operator. A value the operator cannot
/// read (`Invalid`) never matches, so it can never make a statement apply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Compiled {
    /// String and Arn operators: a pattern (wildcards for the Like/Arn operators, variables
    /// under 2012-10-17).
    Pattern(Pattern),
    Number(f64),
    /// Milliseconds since the epoch.
    Date(i64),
    Bool(bool),
    Binary(String),
    Cidr(Cidr),
    Invalid,
}

/// One condition: an operator applied to one context key with one or more values
/// (OR across the values).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub(crate) operator: Operator,
    pub(crate) key: String,
    pub(crate) key_text: String,
    pub(crate) values: Vec<String>,
    pub(crate) compiled: Vec<Compiled>,
}

impl Condition {
    pub(crate) fn new(
        operator: Operator,
        key_text: &str,
        values: Vec<String>,
        variables: bool,
    ) -> Condition {
        let compiled = values
            .iter()
            .map(|v| compile_value(operator.base, v, variables))
            .collect();
        Condition {
            operator,
            key: key_text.to_ascii_lowercase(),
            key_text: key_text.to_owned(),
            values,
            compiled,
        }
    }

    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The context key, lowercased.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The context key as written.
    pub fn key_text(&self) -> &str {
        &self.key_text
    }

    /// The policy's values as written (numbers and booleans in their JSON text).
    pub fn values(&self) -> &[String] {
        &self.values
    }
}

pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn compile_value(base: BaseOperator, value: &str, variables: bool) -> Compiled {
    use BaseOperator as B;
    match base {
        B::StringEquals | B::StringNotEquals => Compiled::Pattern(Pattern::compile(
            value,
            Syntax {
                wildcards: false,
                variables,
                fold: false,
            },
        )),
        B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase => {
            Compiled::Pattern(Pattern::compile(
                value,
                Syntax {
                    wildcards: false,
                    variables,
                    fold: true,
                },
            ))
        }
        B::StringLike
        | B::StringNotLike
        | B::ArnEquals
        | B::ArnLike
        | B::ArnNotEquals
        | B::ArnNotLike => Compiled::Pattern(Pattern::compile(
            value,
            Syntax {
                wildcards: true,
                variables,
                fold: false,
            },
        )),
        B::NumericEquals
        | B::NumericNotEquals
        | B::NumericLessThan
        | B::NumericLessThanEquals
        | B::NumericGreaterThan
        | B::NumericGreaterThanEquals => {
            parse_number(value).map_or(Compiled::Invalid, Compiled::Number)
        }
        B::DateEquals
        | B::DateNotEquals
        | B::DateLessThan
        | B::DateLessThanEquals
        | B::DateGreaterThan
        | B::DateGreaterThanEquals => date::parse(value).map_or(Compiled::Invalid, Compiled::Date),
        // Bool takes policy variables; Null does not (IAM User Guide, "IAM JSON policy
        // elements: Condition operators": Boolean and Null check sections).
        B::Bool if variables && value.contains("${") => Compiled::Pattern(Pattern::compile(
            value,
            Syntax {
                wildcards: false,
                variables,
                fold: false,
            },
        )),
        B::Bool | B::Null => parse_bool(value).map_or(Compiled::Invalid, Compiled::Bool),
        B::BinaryEquals => Compiled::Binary(value.to_owned()),
        B::IpAddress | B::NotIpAddress => {
            Cidr::parse(value).map_or(Compiled::Invalid, Compiled::Cidr)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.base, BaseOperator::StringLike);
        assert_eq!(op.qualifier, SetQualifier::ForAnyValue);
        assert!(op.if_exists);
        assert_eq!(op.to_string(), "ForAnyValue:StringLikeIfExists");
        assert!(Operator::parse("ForAnyValue::StringEqualsIfExists").is_none());
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("NullIfExists").is_none());
        for (name, _) in OPERATORS {
            assert_eq!(Operator::parse(name).unwrap().to_string(), name);
        }
    }
}
