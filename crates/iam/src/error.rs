//! Every error an IAM or STS request can end in, and — in one place — its AWS error code and
//! HTTP status.

/// An error as AWS reports it: the code decides the `<Code>` and HTTP status, the message is
/// AWS's text. Messages never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    NoSuchEntity(String),
    EntityAlreadyExists(String),
    DeleteConflict(String),
    LimitExceeded(String),
    MalformedPolicyDocument(String),
    InvalidInput(String),
    Validation(String),
    PasswordPolicyViolation(String),
    UnmodifiableEntity(String),
    PolicyNotAttachable(String),
    ConcurrentModification(String),
    AccessDenied(String),
    /// EnableMFADevice, ResyncMFADevice: the one-time codes do not verify (HTTP 403, IAM model).
    InvalidAuthenticationCode(String),
    /// The request named an action this endpoint does not know.
    InvalidAction(String),
    /// A modeled operation Castellan does not implement yet: never a wrong success.
    NotImplemented(String),
    MissingAuthenticationToken(String),
    InvalidClientTokenId(String),
    IncompleteSignature(String),
    SignatureDoesNotMatch(String),
    ExpiredToken(String),
    /// STS: a session policy and tags too large once packed.
    PackedPolicyTooLarge(String),
    /// STS: session tags that conflict (duplicate keys, transitive keys): 400.
    InvalidParameterValue(String),
    /// STS DecodeAuthorizationMessage: not a message this service encoded.
    InvalidAuthorizationMessage(String),
    /// A query-protocol request that cannot be decoded at all.
    MalformedQueryString(String),
    /// A query parameter appears more than once.
    InvalidQueryParameter(String),
    /// A request whose signature could not be verified; the code and status are AWS's for
    /// the particular failure (decided by the SigV4 crate).
    Authentication { code: &'static str, status: u16, message: String },
    /// Too much work is waiting (the password pool's queue is full): IAM's `Throttling`,
    /// "Rate exceeded", HTTP 400 (botocore's retry rules treat exactly that as a throttle).
    Throttling,
    /// The store failed; the message is generic so that no internal detail leaks.
    ServiceFailure,
    // SSH public keys and certificates (codes and statuses: the IAM model's error shapes).
    DuplicateSSHPublicKey(String),
    InvalidPublicKey(String),
    UnrecognizedPublicKeyEncoding(String),
    MalformedCertificate(String),
    InvalidCertificate(String),
    DuplicateCertificate(String),
    KeyPairMismatch(String),
    /// ServiceNotSupportedException (service-specific credentials): HTTP 404.
    NotSupportedService(String),
    // The credential report's states (IAM model: 410, 404, 410).
    ReportNotPresent(String),
    ReportInProgress(String),
    ReportExpired(String),
    /// OrganizationNotFoundException (the IAM model gives it no code of its own: the shape
    /// name is the code, HTTP 400).
    OrganizationNotFound(String),
    // Web identity federation (STS model: AssumeRoleWithWebIdentity, GetWebIdentityToken;
    // IAM model: the outbound federation switches).
    /// The web identity token is not one AWS can validate (400).
    InvalidIdentityToken(String),
    /// The identity provider could not be reached for its keys (400).
    IdpCommunicationError(String),
    /// The web identity token has expired: `ExpiredTokenException` (400), not the 403
    /// `ExpiredToken` of an expired session.
    ExpiredIdentityToken(String),
    /// EnableOutboundWebIdentityFederation when it is enabled: `FeatureEnabled` (409).
    FeatureEnabled(String),
    /// The outbound federation information while it is disabled: `FeatureDisabled` (404).
    FeatureDisabled(String),
    /// GetWebIdentityToken while outbound federation is disabled (403).
    OutboundFederationDisabled(String),
    /// GetWebIdentityToken: the token would outlive the calling session (403).
    SessionDurationEscalation(String),
    /// GetWebIdentityToken: the payload is too large (400).
    JwtPayloadSizeExceeded(String),
    /// AssumeRoleWithSAML: the IdP reported that authentication failed (403, STS model).
    IdpRejectedClaim(String),
}

impl ApiError {
    /// AWS's error code, as `<Code>` carries it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoSuchEntity(_) => "NoSuchEntity",
            Self::EntityAlreadyExists(_) => "EntityAlreadyExists",
            Self::DeleteConflict(_) => "DeleteConflict",
            Self::LimitExceeded(_) => "LimitExceeded",
            Self::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            Self::InvalidInput(_) => "InvalidInput",
            Self::Validation(_) => "ValidationError",
            Self::PasswordPolicyViolation(_) => "PasswordPolicyViolation",
            Self::UnmodifiableEntity(_) => "UnmodifiableEntity",
            Self::PolicyNotAttachable(_) => "PolicyNotAttachable",
            Self::ConcurrentModification(_) => "ConcurrentModification",
            Self::AccessDenied(_) => "AccessDenied",
            Self::InvalidAuthenticationCode(_) => "InvalidAuthenticationCode",
            Self::InvalidAction(_) => "InvalidAction",
            Self::NotImplemented(_) => "NotImplemented",
            Self::MissingAuthenticationToken(_) => "MissingAuthenticationToken",
            Self::InvalidClientTokenId(_) => "InvalidClientTokenId",
            Self::IncompleteSignature(_) => "IncompleteSignature",
            Self::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            Self::ExpiredToken(_) => "ExpiredToken",
            Self::MalformedQueryString(_) => "MalformedQueryString",
            Self::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            Self::InvalidParameterValue(_) => "InvalidParameterValue",
            Self::InvalidAuthorizationMessage(_) => "InvalidAuthorizationMessageException",
            Self::InvalidQueryParameter(_) => "InvalidQueryParameter",
            Self::Authentication { code, .. } => code,
            Self::Throttling => "Throttling",
            Self::ServiceFailure => "ServiceFailure",
            Self::DuplicateSSHPublicKey(_) => "DuplicateSSHPublicKey",
            Self::InvalidPublicKey(_) => "InvalidPublicKey",
            Self::UnrecognizedPublicKeyEncoding(_) => "UnrecognizedPublicKeyEncoding",
            Self::MalformedCertificate(_) => "MalformedCertificate",
            Self::InvalidCertificate(_) => "InvalidCertificate",
            Self::DuplicateCertificate(_) => "DuplicateCertificate",
            Self::KeyPairMismatch(_) => "KeyPairMismatch",
            Self::NotSupportedService(_) => "NotSupportedService",
            Self::ReportNotPresent(_) => "ReportNotPresent",
            Self::ReportInProgress(_) => "ReportInProgress",
            Self::ReportExpired(_) => "ReportExpired",
            Self::OrganizationNotFound(_) => "OrganizationNotFoundException",
            Self::InvalidIdentityToken(_) => "InvalidIdentityToken",
            Self::IdpCommunicationError(_) => "IDPCommunicationError",
            Self::ExpiredIdentityToken(_) => "ExpiredTokenException",
            Self::FeatureEnabled(_) => "FeatureEnabled",
            Self::FeatureDisabled(_) => "FeatureDisabled",
            Self::OutboundFederationDisabled(_) => "OutboundWebIdentityFederationDisabledException",
            Self::SessionDurationEscalation(_) => "SessionDurationEscalationException",
            Self::JwtPayloadSizeExceeded(_) => "JWTPayloadSizeExceededException",
            Self::IdpRejectedClaim(_) => "IDPRejectedClaim",
        }
    }

    /// The HTTP status AWS answers with (the IAM model's `httpStatusCode` where it has one).
    pub fn status(&self) -> u16 {
        match self {
            Self::NoSuchEntity(_) | Self::NotSupportedService(_) | Self::ReportInProgress(_) => 404,
            Self::ReportNotPresent(_) | Self::ReportExpired(_) => 410,
            Self::EntityAlreadyExists(_)
            | Self::DeleteConflict(_)
            | Self::LimitExceeded(_)
            | Self::ConcurrentModification(_)
            | Self::DuplicateCertificate(_) => 409,
            Self::MalformedPolicyDocument(_)
            | Self::InvalidInput(_)
            | Self::Validation(_)
            | Self::PasswordPolicyViolation(_)
            | Self::UnmodifiableEntity(_)
            | Self::PolicyNotAttachable(_)
            | Self::InvalidAction(_)
            | Self::IncompleteSignature(_)
            | Self::MalformedQueryString(_)
            | Self::PackedPolicyTooLarge(_)
            | Self::InvalidParameterValue(_)
            | Self::InvalidAuthorizationMessage(_)
            | Self::InvalidQueryParameter(_)
            | Self::Throttling
            | Self::DuplicateSSHPublicKey(_)
            | Self::InvalidPublicKey(_)
            | Self::UnrecognizedPublicKeyEncoding(_)
            | Self::MalformedCertificate(_)
            | Self::InvalidCertificate(_)
            | Self::KeyPairMismatch(_)
            | Self::OrganizationNotFound(_) => 400,
            Self::AccessDenied(_)
            | Self::InvalidAuthenticationCode(_)
            | Self::MissingAuthenticationToken(_)
            | Self::InvalidClientTokenId(_)
            | Self::SignatureDoesNotMatch(_)
            | Self::ExpiredToken(_) => 403,
            Self::NotImplemented(_) => 501,
            Self::InvalidIdentityToken(_)
            | Self::IdpCommunicationError(_)
            | Self::ExpiredIdentityToken(_)
            | Self::JwtPayloadSizeExceeded(_) => 400,
            Self::FeatureEnabled(_) => 409,
            Self::FeatureDisabled(_) => 404,
            Self::OutboundFederationDisabled(_) | Self::SessionDurationEscalation(_) => 403,
            Self::IdpRejectedClaim(_) => 403,
            Self::Authentication { status, .. } => *status,
            Self::ServiceFailure => 500,
        }
    }

    /// `Sender` for a client fault, `Receiver` for ours — the `<Type>` element.
    pub fn fault(&self) -> &'static str {
        if self.status() >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Self::NoSuchEntity(m)
            | Self::EntityAlreadyExists(m)
            | Self::DeleteConflict(m)
            | Self::LimitExceeded(m)
            | Self::MalformedPolicyDocument(m)
            | Self::InvalidInput(m)
            | Self::Validation(m)
            | Self::PasswordPolicyViolation(m)
            | Self::UnmodifiableEntity(m)
            | Self::PolicyNotAttachable(m)
            | Self::ConcurrentModification(m)
            | Self::AccessDenied(m)
            | Self::InvalidAuthenticationCode(m)
            | Self::InvalidAction(m)
            | Self::NotImplemented(m)
            | Self::MissingAuthenticationToken(m)
            | Self::InvalidClientTokenId(m)
            | Self::IncompleteSignature(m)
            | Self::SignatureDoesNotMatch(m)
            | Self::ExpiredToken(m)
            | Self::MalformedQueryString(m)
            | Self::InvalidQueryParameter(m)
            | Self::PackedPolicyTooLarge(m)
            | Self::InvalidParameterValue(m)
            | Self::InvalidAuthorizationMessage(m)
            | Self::Authentication { message: m, .. }
            | Self::DuplicateSSHPublicKey(m)
            | Self::InvalidPublicKey(m)
            | Self::UnrecognizedPublicKeyEncoding(m)
            | Self::MalformedCertificate(m)
            | Self::InvalidCertificate(m)
            | Self::DuplicateCertificate(m)
            | Self::KeyPairMismatch(m)
            | Self::NotSupportedService(m)
            | Self::ReportNotPresent(m)
            | Self::ReportInProgress(m)
            | Self::ReportExpired(m)
            | Self::OrganizationNotFound(m) => m,
            Self::InvalidIdentityToken(m)
            | Self::IdpCommunicationError(m)
            | Self::ExpiredIdentityToken(m)
            | Self::FeatureEnabled(m)
            | Self::FeatureDisabled(m)
            | Self::OutboundFederationDisabled(m)
            | Self::SessionDurationEscalation(m)
            | Self::JwtPayloadSizeExceeded(m)
            | Self::IdpRejectedClaim(m) => m,
            Self::Throttling => "Rate exceeded",
            Self::ServiceFailure => "The request processing has failed because of an unknown error, exception or failure.",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for ApiError {}

impl From<castellan_store::StoreError> for ApiError {
    fn from(e: castellan_store::StoreError) -> Self {
        match e {
            castellan_store::StoreError::Conflict { .. } => crate::messages::concurrent_modification(),
            castellan_store::StoreError::Unavailable(detail) | castellan_store::StoreError::Corrupt(detail) => {
                tracing::error!(%detail, "store unavailable");
                Self::ServiceFailure
            }
            castellan_store::StoreError::Compacted { floor } => {
                tracing::error!(floor, "the store's change feed was compacted past this node");
                Self::ServiceFailure
            }
        }
    }
}

impl From<castellan_api::error::DecodeError> for ApiError {
    fn from(e: castellan_api::error::DecodeError) -> Self {
        use castellan_api::error::DecodeError;
        let message = e.to_string();
        match e {
            DecodeError::Validation(v) => Self::Validation(iam_validation_message(&v).unwrap_or(message)),
            DecodeError::DuplicateParameter(_) => Self::InvalidQueryParameter(message),
            DecodeError::MalformedQueryString => Self::MalformedQueryString(message),
        }
    }
}

/// IAM words a broken name or path pattern its own way rather than with the generic
/// "failed to satisfy constraint" text (observed AWS responses; see tests/e2e/test_validation.py).
fn iam_validation_message(v: &castellan_api::ValidationErrors) -> Option<String> {
    const NAME_PATTERN: &str = "Member must satisfy regular expression pattern: [\\w+=,.@-]+";
    v.errors().iter().find_map(|e| {
        if e.constraint == NAME_PATTERN {
            Some(crate::messages::name_pattern_invalid(&e.path))
        } else if matches!(e.path.as_str(), "path" | "newPath")
            && e.constraint.starts_with("Member must satisfy regular expression pattern")
        {
            Some(crate::messages::path_pattern_invalid(&e.path))
        } else {
            None
        }
    })
}

pub type ApiResult<T> = Result<T, ApiError>;
