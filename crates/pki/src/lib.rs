//! The public-key material IAM users upload, parsed and checked: X.509 certificates
//! (UploadSigningCertificate, UploadServerCertificate) and SSH public keys
//! (UploadSSHPublicKey).
//!
//! Invariant: pure — no I/O, no clock (a certificate's validity is returned, the caller
//! compares it with its time), no store. Every parser bounds its input before reading it and
//! answers bad input with an error value, never a panic; a fuzz target (`fuzz/`) drives them.

pub mod cert;
pub mod sshkey;
