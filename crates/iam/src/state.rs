//! The in-memory IAM state served on the request path, and its derived indexes.
//!
//! Invariant: the state changes only through [`State::apply`], with changes the store has
//! already committed, so memory never holds what the store does not.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::{
    AccessHistory, AccessKey, Account, Change, CredentialReport, DeletionTask, Group, InstanceProfile, ManagedPolicy, MfaDevice, OidcProvider, OutboundFederation, Record,
    Role, SamlProvider, ServerCertificate, User, UserCredentials,
};

/// (account id, lowercase name): the order every listing walks.
pub type NameKey = (String, String);

pub fn name_key(account: &str, name: &str) -> NameKey {
    (account.to_owned(), name.to_lowercase())
}

/// The entity a unique id belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdOwner {
    User(NameKey),
    Role(NameKey),
}

#[derive(Debug, Default)]
pub struct State {
    /// The partition of every ARN built and accepted (`castellan serve --partition`).
    pub partition: crate::arn::Partition,
    pub accounts: BTreeMap<String, Account>,
    pub users: BTreeMap<NameKey, User>,
    pub groups: BTreeMap<NameKey, Group>,
    pub roles: BTreeMap<NameKey, Role>,
    pub policies: BTreeMap<NameKey, ManagedPolicy>,
    pub access_keys: BTreeMap<String, AccessKey>,
    pub instance_profiles: BTreeMap<NameKey, InstanceProfile>,
    /// Virtual MFA devices by (account, lowercase path + name).
    pub mfa_devices: BTreeMap<NameKey, MfaDevice>,
    /// SSH keys and certificates of users, by (account, lowercase user id).
    pub user_credentials: BTreeMap<NameKey, UserCredentials>,
    pub server_certificates: BTreeMap<NameKey, ServerCertificate>,
    /// Each account's latest credential report, by account id.
    pub credential_reports: BTreeMap<String, CredentialReport>,
    /// (account, URL without `https://`, as registered) → OIDC provider.
    pub oidc_providers: BTreeMap<(String, String), OidcProvider>,
    /// Account → its outbound identity federation (issuer and signing keys).
    pub outbound: BTreeMap<String, OutboundFederation>,
    /// Service-linked role deletion tasks, by (account, lowercase task uuid).
    pub deletion_tasks: BTreeMap<NameKey, DeletionTask>,
    /// SAML providers by (account, lowercase name).
    pub saml_providers: BTreeMap<NameKey, SamlProvider>,
    /// Service last accessed data by (account, lowercase principal id).
    pub access_history: BTreeMap<NameKey, AccessHistory>,
    // Derived indexes, maintained by `apply`.
    /// Group → its members' lowercase names.
    pub group_members: HashMap<NameKey, BTreeSet<String>>,
    /// (account, lowercase user name, or "" for root) → access key ids.
    pub keys_by_user: HashMap<NameKey, BTreeSet<String>>,
    /// (account, policy ARN) → number of users, groups and roles it is attached to.
    pub attachment_counts: HashMap<(String, String), u32>,
    /// (account, policy ARN) → number of users and roles it is the permissions boundary of.
    pub boundary_counts: HashMap<(String, String), u32>,
    /// Unique id → the user or role that has it: principals are matched by id, not by a
    /// name someone can re-create.
    pub by_id: HashMap<String, IdOwner>,
    /// Role → lowercase names of the instance profiles it is in.
    pub profiles_by_role: HashMap<NameKey, BTreeSet<String>>,
    /// Store key → the revision of the commit that last wrote it, for the records memory holds:
    /// for compare-and-swap writes and to skip this node's own writes in the change feed.
    pub revisions: HashMap<String, u64>,
}

fn bump(map: &mut HashMap<(String, String), u32>, account: &str, arn: &str, up: bool) {
    let key = (account.to_owned(), arn.to_owned());
    if up {
        *map.entry(key).or_insert(0) += 1;
    } else if let Some(n) = map.get_mut(&key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(&key);
        }
    }
}

impl State {
    /// The record stored under `key`, if memory holds it.
    pub fn record_at(&self, key: &str) -> Option<Record> {
        let mut parts = key.splitn(3, '/');
        let kind = parts.next()?;
        let first = parts.next()?;
        let rest = parts.next();
        let nk = |name: &str| (first.to_owned(), name.to_owned());
        Some(match (kind, rest) {
            ("account", None) => Record::Account(self.accounts.get(first)?.clone()),
            ("accesskey", None) => Record::AccessKey(self.access_keys.get(first)?.clone()),
            ("credreport", None) => Record::CredentialReport(self.credential_reports.get(first)?.clone()),
            ("outboundfederation", None) => Record::OutboundFederation(self.outbound.get(first)?.clone()),
            ("user", Some(n)) => Record::User(self.users.get(&nk(n))?.clone()),
            ("group", Some(n)) => Record::Group(self.groups.get(&nk(n))?.clone()),
            ("role", Some(n)) => Record::Role(self.roles.get(&nk(n))?.clone()),
            ("policy", Some(n)) => Record::Policy(self.policies.get(&nk(n))?.clone()),
            ("instanceprofile", Some(n)) => Record::InstanceProfile(self.instance_profiles.get(&nk(n))?.clone()),
            ("mfa", Some(n)) => Record::MfaDevice(self.mfa_devices.get(&nk(n))?.clone()),
            ("usercreds", Some(n)) => Record::UserCredentials(self.user_credentials.get(&nk(n))?.clone()),
            ("servercert", Some(n)) => Record::ServerCertificate(self.server_certificates.get(&nk(n))?.clone()),
            ("oidcprovider", Some(n)) => Record::OidcProvider(self.oidc_providers.get(&nk(n))?.clone()),
            ("deletiontask", Some(n)) => Record::DeletionTask(self.deletion_tasks.get(&nk(n))?.clone()),
            ("samlprovider", Some(n)) => Record::SamlProvider(self.saml_providers.get(&nk(n))?.clone()),
            ("access", Some(n)) => Record::AccessHistory(self.access_history.get(&nk(n))?.clone()),
            _ => return None,
        })
    }

    /// Applies a committed change and remembers the revision that wrote a live record. A
    /// deleted record's revision is forgotten, so memory does not grow with every record ever
    /// deleted (why that is safe: `Iam::catch_up`).
    pub fn apply_at(&mut self, change: Change, revision: u64) {
        match change {
            Change::Put(r) => {
                let key = r.key();
                self.apply(Change::Put(r));
                self.revisions.insert(key, revision);
            }
            Change::Delete(r) => {
                self.revisions.remove(&r.key());
                self.apply(Change::Delete(r));
            }
        }
    }

    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Put(record) => {
                self.remove(&record);
                self.insert(record);
            }
            Change::Delete(record) => self.remove(&record),
        }
    }

    /// Removes whatever is stored under `record`'s key, with its index entries.
    fn remove(&mut self, record: &Record) {
        match record {
            Record::Account(a) => {
                self.accounts.remove(&a.id);
            }
            Record::User(u) => {
                let key = name_key(&u.account, &u.name);
                if let Some(old) = self.users.remove(&key) {
                    // A rename puts the new name and deletes the old one in one commit, in
                    // either order: the id is forgotten only if it still points here.
                    if self.by_id.get(&old.id) == Some(&IdOwner::User(key)) {
                        self.by_id.remove(&old.id);
                    }
                    self.index_user(&old, false);
                }
            }
            Record::Group(g) => {
                if let Some(old) = self.groups.remove(&name_key(&g.account, &g.name)) {
                    for arn in &old.attached_policies {
                        bump(&mut self.attachment_counts, &old.account, arn, false);
                    }
                }
            }
            Record::Role(r) => {
                let key = name_key(&r.account, &r.name);
                if let Some(old) = self.roles.remove(&key) {
                    if self.by_id.get(&old.id) == Some(&IdOwner::Role(key)) {
                        self.by_id.remove(&old.id);
                    }
                    self.index_role(&old, false);
                }
            }
            Record::Policy(p) => {
                self.policies.remove(&name_key(&p.account, &p.name));
            }
            Record::AccessKey(k) => {
                if let Some(old) = self.access_keys.remove(&k.id) {
                    let owner = name_key(&old.account, old.user.as_deref().unwrap_or(""));
                    if let Some(set) = self.keys_by_user.get_mut(&owner) {
                        set.remove(&old.id);
                        if set.is_empty() {
                            self.keys_by_user.remove(&owner);
                        }
                    }
                }
            }
            Record::OidcProvider(p) => {
                self.oidc_providers.remove(&(p.account.clone(), p.resource.clone()));
            }
            Record::OutboundFederation(o) => {
                self.outbound.remove(&o.account);
            }
            Record::SamlProvider(p) => {
                self.saml_providers.remove(&name_key(&p.account, &p.name));
            }
            Record::AccessHistory(h) => {
                self.access_history.remove(&name_key(&h.account, &h.principal_id));
            }
            Record::InstanceProfile(p) => {
                if let Some(old) = self.instance_profiles.remove(&name_key(&p.account, &p.name)) {
                    for role in &old.roles {
                        let rk = name_key(&old.account, role);
                        if let Some(set) = self.profiles_by_role.get_mut(&rk) {
                            set.remove(&old.name.to_lowercase());
                            if set.is_empty() {
                                self.profiles_by_role.remove(&rk);
                            }
                        }
                    }
                }
            }
            Record::MfaDevice(d) => {
                self.mfa_devices.remove(&name_key(&d.account, &format!("{}{}", d.path, d.name)));
            }
            Record::UserCredentials(c) => {
                self.user_credentials.remove(&name_key(&c.account, &c.user_id));
            }
            Record::ServerCertificate(c) => {
                self.server_certificates.remove(&name_key(&c.account, &c.name));
            }
            Record::CredentialReport(r) => {
                self.credential_reports.remove(&r.account);
            }
            Record::DeletionTask(t) => {
                self.deletion_tasks.remove(&name_key(&t.account, DeletionTask::uuid(&t.id)));
            }
        }
    }

    fn insert(&mut self, record: Record) {
        match record {
            Record::Account(a) => {
                self.accounts.insert(a.id.clone(), a);
            }
            Record::User(u) => {
                self.index_user(&u, true);
                self.by_id.insert(u.id.clone(), IdOwner::User(name_key(&u.account, &u.name)));
                self.users.insert(name_key(&u.account, &u.name), u);
            }
            Record::Group(g) => {
                for arn in &g.attached_policies {
                    bump(&mut self.attachment_counts, &g.account, arn, true);
                }
                self.groups.insert(name_key(&g.account, &g.name), g);
            }
            Record::Role(r) => {
                self.index_role(&r, true);
                self.by_id.insert(r.id.clone(), IdOwner::Role(name_key(&r.account, &r.name)));
                self.roles.insert(name_key(&r.account, &r.name), r);
            }
            Record::Policy(p) => {
                self.policies.insert(name_key(&p.account, &p.name), p);
            }
            Record::AccessKey(k) => {
                let owner = name_key(&k.account, k.user.as_deref().unwrap_or(""));
                self.keys_by_user.entry(owner).or_default().insert(k.id.clone());
                self.access_keys.insert(k.id.clone(), k);
            }
            Record::OidcProvider(p) => {
                self.oidc_providers.insert((p.account.clone(), p.resource.clone()), p);
            }
            Record::OutboundFederation(o) => {
                self.outbound.insert(o.account.clone(), o);
            }
            Record::SamlProvider(p) => {
                self.saml_providers.insert(name_key(&p.account, &p.name), p);
            }
            Record::AccessHistory(h) => {
                self.access_history.insert(name_key(&h.account, &h.principal_id), h);
            }
            Record::InstanceProfile(p) => {
                for role in &p.roles {
                    self.profiles_by_role
                        .entry(name_key(&p.account, role))
                        .or_default()
                        .insert(p.name.to_lowercase());
                }
                self.instance_profiles.insert(name_key(&p.account, &p.name), p);
            }
            Record::MfaDevice(d) => {
                self.mfa_devices.insert(name_key(&d.account, &format!("{}{}", d.path, d.name)), d);
            }
            Record::UserCredentials(c) => {
                self.user_credentials.insert(name_key(&c.account, &c.user_id), c);
            }
            Record::ServerCertificate(c) => {
                self.server_certificates.insert(name_key(&c.account, &c.name), c);
            }
            Record::CredentialReport(r) => {
                self.credential_reports.insert(r.account.clone(), r);
            }
            Record::DeletionTask(t) => {
                self.deletion_tasks.insert(name_key(&t.account, DeletionTask::uuid(&t.id)), t);
            }
        }
    }

    fn index_user(&mut self, u: &User, add: bool) {
        for arn in &u.attached_policies {
            bump(&mut self.attachment_counts, &u.account, arn, add);
        }
        if let Some(b) = &u.permissions_boundary {
            bump(&mut self.boundary_counts, &u.account, b, add);
        }
        let lower = u.name.to_lowercase();
        for g in &u.groups {
            let gk = name_key(&u.account, g);
            if add {
                self.group_members.entry(gk).or_default().insert(lower.clone());
            } else if let Some(set) = self.group_members.get_mut(&gk) {
                set.remove(&lower);
                if set.is_empty() {
                    self.group_members.remove(&gk);
                }
            }
        }
    }

    fn index_role(&mut self, r: &Role, add: bool) {
        for arn in &r.attached_policies {
            bump(&mut self.attachment_counts, &r.account, arn, add);
        }
        if let Some(b) = &r.permissions_boundary {
            bump(&mut self.boundary_counts, &r.account, b, add);
        }
    }

    /// The virtual MFA device with serial number (ARN) `serial` in `account`.
    pub fn mfa_device(&self, account: &str, serial: &str) -> Option<&MfaDevice> {
        let rest = serial.strip_prefix(self.partition.iam_prefix())?.strip_prefix(account)?.strip_prefix(":mfa")?;
        self.mfa_devices.get(&name_key(account, rest)).filter(|d| d.serial(self.partition) == serial)
    }

    /// The MFA devices enabled for the user with unique id `user_id`, oldest first.
    pub fn mfa_devices_of(&self, account: &str, user_id: &str) -> Vec<&MfaDevice> {
        let mut out: Vec<&MfaDevice> = self.account_mfa_devices(account).filter(|d| d.user_id.as_deref() == Some(user_id)).collect();
        out.sort_by_key(|d| (d.enable_date, d.serial(self.partition)));
        out
    }

    /// Every virtual MFA device of `account`, in serial-number order.
    pub fn account_mfa_devices<'a>(&'a self, account: &str) -> impl Iterator<Item = &'a MfaDevice> + 'a {
        let start = (account.to_owned(), String::new());
        let account = account.to_owned();
        self.mfa_devices.range(start..).take_while(move |((a, _), _)| *a == account).map(|(_, d)| d)
    }

    /// The SSH keys and certificates of the user with unique id `user_id`, if it has any.
    pub fn credentials_of(&self, account: &str, user_id: &str) -> Option<&UserCredentials> {
        self.user_credentials.get(&name_key(account, user_id))
    }

    pub fn user(&self, account: &str, name: &str) -> Option<&User> {
        self.users.get(&name_key(account, name))
    }
    /// The user with unique id `id`.
    pub fn user_by_id(&self, id: &str) -> Option<&User> {
        match self.by_id.get(id)? {
            IdOwner::User(key) => self.users.get(key),
            IdOwner::Role(_) => None,
        }
    }
    pub fn group(&self, account: &str, name: &str) -> Option<&Group> {
        self.groups.get(&name_key(account, name))
    }
    pub fn role(&self, account: &str, name: &str) -> Option<&Role> {
        self.roles.get(&name_key(account, name))
    }
    pub fn instance_profile(&self, account: &str, name: &str) -> Option<&InstanceProfile> {
        self.instance_profiles.get(&name_key(account, name))
    }

    /// Completes records written before unique ids were kept beside names: an access key's
    /// owner id, a trust policy's principal ids. Runs once the whole state is loaded (roles
    /// load before the users they name), and fills in only what still resolves. Returns the
    /// store keys of the records it completed, to be written back once.
    pub fn upgrade_legacy_records(&mut self) -> Vec<String> {
        let mut upgraded = Vec::new();
        let keys: Vec<(String, String)> = self
            .access_keys
            .values()
            .filter(|k| k.user_id.is_none())
            .filter_map(|k| Some((k.id.clone(), self.user(&k.account, k.user.as_deref()?)?.id.clone())))
            .collect();
        for (key, user_id) in keys {
            if let Some(k) = self.access_keys.get_mut(&key) {
                k.user_id = Some(user_id);
                upgraded.push(Record::AccessKey(k.clone()).key());
            }
        }
        let roles: Vec<(NameKey, BTreeMap<String, String>)> = self
            .roles
            .iter()
            .filter(|(_, r)| r.principal_ids.is_none())
            .map(|(key, r)| {
                let ids = castellan_policy::Policy::parse(&r.assume_role_policy, castellan_policy::PolicyKind::Trust)
                    .map(|p| crate::arn::resolve_principals_leniently(self, &p))
                    .unwrap_or_default();
                (key.clone(), ids)
            })
            .collect();
        for (key, ids) in roles {
            if let Some(r) = self.roles.get_mut(&key) {
                r.principal_ids = Some(ids);
                upgraded.push(Record::Role(r.clone()).key());
            }
        }
        upgraded
    }

    pub fn attachment_count(&self, account: &str, arn: &str) -> u32 {
        self.attachment_counts.get(&(account.to_owned(), arn.to_owned())).copied().unwrap_or(0)
    }
    pub fn boundary_count(&self, account: &str, arn: &str) -> u32 {
        self.boundary_counts.get(&(account.to_owned(), arn.to_owned())).copied().unwrap_or(0)
    }

    /// The access keys of a user (`None` = the account's root user), in id order.
    pub fn keys_of(&self, account: &str, user: Option<&str>) -> Vec<&AccessKey> {
        self.keys_by_user
            .get(&name_key(account, user.unwrap_or("")))
            .map(|ids| ids.iter().filter_map(|id| self.access_keys.get(id)).collect())
            .unwrap_or_default()
    }

    pub fn members_of(&self, account: &str, group: &str) -> Vec<&User> {
        self.group_members
            .get(&name_key(account, group))
            .map(|names| names.iter().filter_map(|n| self.users.get(&(account.to_owned(), n.clone()))).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod oidc_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::OidcProvider;

    /// An OIDC provider record goes through the store as every record does: its key finds it
    /// in memory (`record_at`), JSON round-trips it, and a delete removes it.
    #[test]
    fn oidc_provider_records_round_trip() {
        let p = OidcProvider {
            account: "123456789012".into(),
            resource: "token.example.com/path/x".into(),
            created: 1,
            client_ids: vec!["sts.amazonaws.com".into()],
            thumbprints: vec!["a".repeat(40)],
            tags: vec![("k".into(), "v".into())],
        };
        let record = Record::OidcProvider(p.clone());
        let json = serde_json::to_vec(&record).unwrap();
        assert_eq!(serde_json::from_slice::<Record>(&json).unwrap(), record);
        let mut st = State::default();
        st.apply_at(Change::Put(record.clone()), 7);
        assert_eq!(record.key(), "oidcprovider/123456789012/token.example.com/path/x");
        assert_eq!(st.record_at(&record.key()), Some(record.clone()));
        assert_eq!(st.revisions.get(&record.key()), Some(&7));
        st.apply_at(Change::Delete(record.clone()), 8);
        assert_eq!(st.record_at(&record.key()), None);
        assert!(st.oidc_providers.is_empty());
    }

    #[test]
    fn outbound_federation_records_round_trip() {
        let o = OutboundFederation {
            account: "123456789012".into(),
            enabled: true,
            issuer_id: "id".into(),
            keys: vec![crate::model::SealedSigningKey { kid: "k".into(), alg: "ES384".into(), created: 1, sealed_pkcs8: "sealed".into(), public_jwk: "{}".into() }],
        };
        let record = Record::OutboundFederation(o);
        let json = serde_json::to_vec(&record).unwrap();
        assert_eq!(serde_json::from_slice::<Record>(&json).unwrap(), record);
        let mut st = State::default();
        st.apply_at(Change::Put(record.clone()), 3);
        assert_eq!(record.key(), "outboundfederation/123456789012");
        assert_eq!(st.record_at(&record.key()), Some(record.clone()));
        st.apply_at(Change::Delete(record.clone()), 4);
        assert!(st.outbound.is_empty());
    }
}

#[cfg(test)]
mod saml_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::{SamlPrivateKey, SamlProvider};

    /// A SAML provider record goes through the store as every record does: its key finds it
    /// in memory (`record_at`), JSON round-trips it, and a delete removes it.
    #[test]
    fn saml_provider_records_round_trip() {
        let p = SamlProvider {
            account: "123456789012".into(),
            name: "Okta".into(),
            uuid: "u".into(),
            created: 1,
            metadata: "<md/>".into(),
            entity_id: "https://idp".into(),
            certificates: vec!["MII".into()],
            valid_until: Some(2),
            encryption_mode: Some("Allowed".into()),
            private_keys: vec![SamlPrivateKey { key_id: "K".repeat(22), created: 3, sealed_pem: "s".into() }],
            tags: vec![("k".into(), "v".into())],
        };
        let record = Record::SamlProvider(p);
        let json = serde_json::to_vec(&record).unwrap();
        assert_eq!(serde_json::from_slice::<Record>(&json).unwrap(), record);
        let mut st = State::default();
        st.apply_at(Change::Put(record.clone()), 7);
        assert_eq!(record.key(), "samlprovider/123456789012/okta");
        assert_eq!(st.record_at(&record.key()), Some(record.clone()));
        st.apply_at(Change::Delete(record.clone()), 8);
        assert_eq!(st.record_at(&record.key()), None);
        assert!(st.saml_providers.is_empty());
    }
}
