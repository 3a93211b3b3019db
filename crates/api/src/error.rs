//! Why a request could not be decoded: the one error type of this crate.

use std::fmt;

/// A request that could not be turned into a [`crate::Request`].
///
/// Every variant is the client's fault (HTTP 400); [`DecodeError::aws_code`] names the AWS error
/// code to answer with and `Display` gives the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The parameters break the model's constraints (AWS code `ValidationError`).
    Validation(ValidationErrors),
    /// A parameter name appears more than once. AWS does not document this case; we refuse it so
    /// that a repeated parameter can never make us act on a value other than the one that was
    /// signed or checked.
    DuplicateParameter(String),
    /// The body or query string is not valid `application/x-www-form-urlencoded` UTF-8 text.
    MalformedQueryString,
}

impl DecodeError {
    /// The AWS error code for this error.
    pub fn aws_code(&self) -> &'static str {
        match self {
            DecodeError::Validation(_) => "ValidationError",
            DecodeError::DuplicateParameter(_) => "InvalidQueryParameter",
            DecodeError::MalformedQueryString => "MalformedQueryString",
        }
    }

    /// The HTTP status to answer with: always 400.
    pub fn http_status(&self) -> u16 {
        400
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Validation(v) => fmt::Display::fmt(v, f),
            DecodeError::DuplicateParameter(name) => {
                write!(f, "The parameter {name} must not appear more than once.")
            }
            DecodeError::MalformedQueryString => {
                f.write_str("The query string is not valid application/x-www-form-urlencoded UTF-8 text.")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// The error as `service` words it: IAM's validation messages do not echo the offending
    /// value (`Value at 'versionId' failed to satisfy constraint: ...`, recorded from AWS in
    /// localstack's tests/aws/services/iam/test_iam_policies.snapshot.json, 2026), STS's do
    /// (`Value 'Session1:2' at 'roleSessionName' ...`, tests/aws/services/sts/test_sts.snapshot.json).
    pub fn worded_for(self, service: crate::Service) -> DecodeError {
        match self {
            DecodeError::Validation(mut v) if service == crate::Service::Iam => {
                v.values_hidden = true;
                DecodeError::Validation(v)
            }
            other => other,
        }
    }
}

impl From<ValidationErrors> for DecodeError {
    fn from(v: ValidationErrors) -> DecodeError {
        DecodeError::Validation(v)
    }
}

/// What a validation message shows of the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShownValue {
    /// The member is absent: `Value null at ...`.
    Null,
    /// The member is sensitive (a password, a secret): `Value at ...`, as AWS does.
    Hidden,
    /// `Value '...' at ...`.
    Shown(String),
}

/// One broken constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The member path as AWS prints it: `userName`, `tags.1.member.value`.
    pub path: String,
    /// The value, as it appears in the message.
    pub value: ShownValue,
    /// The constraint, e.g. `Member must have length less than or equal to 64`.
    pub constraint: String,
}

impl ValidationError {
    /// AWS's sentence for this error; `hide_value` leaves out a given value (IAM's wording).
    fn write(&self, f: &mut fmt::Formatter<'_>, hide_value: bool) -> fmt::Result {
        match &self.value {
            ShownValue::Null => f.write_str("Value null")?,
            ShownValue::Hidden => f.write_str("Value")?,
            ShownValue::Shown(_) if hide_value => f.write_str("Value")?,
            ShownValue::Shown(v) => write!(f, "Value '{v}'")?,
        }
        write!(f, " at '{}' failed to satisfy constraint: {}", self.path, self.constraint)
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

/// All the constraints a request breaks, in the order of the model's members.
///
/// `Display` gives AWS's message: `2 validation errors detected: Value ...; Value ...`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationErrors {
    errors: Vec<ValidationError>,
    /// Worded as IAM words them: no value is echoed (see [`DecodeError::worded_for`]).
    values_hidden: bool,
}

impl ValidationErrors {
    /// No errors yet.
    pub fn new() -> ValidationErrors {
        ValidationErrors::default()
    }

    /// Adds one.
    pub fn push(&mut self, e: ValidationError) {
        self.errors.push(e);
    }

    /// The errors, in order.
    pub fn errors(&self) -> &[ValidationError] {
        &self.errors
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "{n} validation error{} detected: ", if n == 1 { "" } else { "s" })?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            e.write(f, self.values_hidden)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}
