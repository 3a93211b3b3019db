//! Feeds arbitrary text to the parser as every kind of policy; whatever it accepts is
//! evaluated against a few requests. Nothing may panic, and an accepted document keeps its
//! text verbatim.

#![no_main]

use castellan_policy::{
    Policy, PolicyKind, PolicySet, PrincipalType, RequestContext, RequestPrincipal,
};
use libfuzzer_sys::fuzz_target;

const KINDS: [PolicyKind; 7] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::PermissionsBoundary,
    PolicyKind::Session,
    PolicyKind::ServiceControl,
    PolicyKind::ResourceControl,
];

fn requests() -> Vec<RequestContext> {
    let mut user = RequestPrincipal::new(
        PrincipalType::User,
        "arn:aws:iam::111122223333:user/alice",
        "AIDAX",
        "111122223333",
    );
    user.name = Some("alice".into());
    user.tags.push(("team".into(), "blue".into()));
    let mut role = RequestPrincipal::new(
        PrincipalType::AssumedRole,
        "arn:aws:sts::111122223333:assumed-role/dev/s",
        "AROAX:s",
        "111122223333",
    );
    role.role_arn = Some("arn:aws:iam::111122223333:role/dev".into());
    let mut a = RequestContext::new(user, "s3:GetObject", "arn:aws:s3:::b/home/alice/k")
        .with_time(1_700_000_000_000);
    a.set("aws:SourceIp", vec!["10.1.2.3".into()]);
    a.set("aws:TagKeys", vec!["a".into(), "b".into()]);
    a.set("s3:max-keys", vec!["7".into()]);
    let b = RequestContext::new(
        role,
        "sts:AssumeRole",
        "arn:aws:iam::111122223333:role/target",
    )
    .with_resource_account("444455556666");
    vec![a, b]
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = castellan_policy::policy_size(text);
    for kind in KINDS {
        if let Ok(policy) = Policy::parse(text, kind) {
            assert_eq!(policy.text(), text);
            let mut set = PolicySet::new();
            set.add("fuzz", policy);
            for ctx in requests() {
                let eval = set.evaluate(&ctx);
                let _ = eval.access_denied_message(&ctx);
            }
        }
    }
});
