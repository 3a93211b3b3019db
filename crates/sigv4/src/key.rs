//! Signing-key derivation and the cache of derived keys.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::{Credential, TERMINATOR};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 keyed with `key`.
pub(crate) fn hmac(key: &[u8]) -> HmacSha256 {
    #[expect(
        clippy::expect_used,
        reason = "HMAC takes keys of any length (RFC 2104 hashes long ones); new_from_slice never fails for it"
    )]
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

fn hmac_bytes(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = hmac(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The SigV4 signing key of `secret` for one day, region and service:
/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
/// It is as sensitive as the secret for that day, region and service.
pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut secret_key = Vec::with_capacity(4 + secret.len());
    secret_key.extend_from_slice(b"AWS4");
    secret_key.extend_from_slice(secret.as_bytes());
    let k_date = hmac_bytes(&secret_key, date.as_bytes());
    let k_region = hmac_bytes(&k_date, region.as_bytes());
    let k_service = hmac_bytes(&k_region, service.as_bytes());
    hmac_bytes(&k_service, TERMINATOR.as_bytes())
}

const SHARDS: usize = 8;

/// The entries of one shard: the keyed HMAC state (so a hit skips the key setup too) and when it
/// was last used.
#[derive(Default)]
struct Shard {
    entries: HashMap<CacheId, (HmacSha256, u64), BuildHasherDefault<IdHasher>>,
}

/// Derived signing keys, so that each (access key, date, region, service) costs four HMACs
/// once a day rather than on every request.
///
/// Entries are found by a SHA-256 over the access key id, the scope *and the secret*, so a
/// rotated or different secret never meets a key derived from another, and a colliding entry
/// cannot be used for another access key. A key enters the cache only after it verified a
/// signature, so requests that guess at access key ids cannot fill it. The cache holds at most
/// `capacity` keys (rounded up to a multiple of its 8 shards); when a shard is full its least
/// recently used key goes. `Debug` shows only the sizes.
pub struct SigningKeyCache {
    shards: [Mutex<Shard>; SHARDS],
    per_shard: usize,
    clock: AtomicU64,
}

impl SigningKeyCache {
    /// The capacity of [`SigningKeyCache::default`].
    pub const DEFAULT_CAPACITY: usize = 4096;

    /// A cache of at most `capacity` keys (at least one per shard).
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: std::array::from_fn(|_| Mutex::new(Shard::default())),
            per_shard: capacity.div_ceil(SHARDS).max(1),
            clock: AtomicU64::new(0),
        }
    }

    /// How many keys the cache holds.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| lock(shard).entries.len())
            .sum()
    }

    /// Whether the cache holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most keys the cache holds.
    pub fn capacity(&self) -> usize {
        self.per_shard * SHARDS
    }

    /// Forgets every key (for example after a bulk key rotation; not needed for correctness).
    pub fn clear(&self) {
        for shard in &self.shards {
            lock(shard).entries.clear();
        }
    }

    fn shard(&self, id: &CacheId) -> &Mutex<Shard> {
        let index = usize::from(id.0.first().copied().unwrap_or(0)) % SHARDS;
        // `index < SHARDS` by construction.
        self.shards.get(index).unwrap_or(&self.shards[0])
    }

    /// The keyed HMAC for `id`, if cached.
    pub(crate) fn get(&self, id: &CacheId) -> Option<HmacSha256> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut shard = lock(self.shard(id));
        let (mac, last_used) = shard.entries.get_mut(id)?;
        *last_used = now;
        Some(mac.clone())
    }

    /// Remembers the keyed HMAC for `id`, evicting the shard's least recently used key if full.
    pub(crate) fn insert(&self, id: &CacheId, mac: HmacSha256) {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut shard = lock(self.shard(id));
        if shard.entries.len() >= self.per_shard && !shard.entries.contains_key(id) {
            let oldest = shard
                .entries
                .iter()
                .min_by_key(|(_, (_, last_used))| *last_used)
                .map(|(key, _)| *key);
            if let Some(oldest) = oldest {
                shard.entries.remove(&oldest);
            }
        }
        shard.entries.insert(*id, (mac, now));
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

/// A shard's lock. A panic while holding it cannot leave an entry half-written in a way that
/// matters (the worst is a missing entry), so a poisoned lock is used as is.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a cached key is filed under: SHA-256 over the access key id, the scope and the secret,
/// each length-prefixed so no two tuples share an encoding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheId([u8; 32]);

impl Hash for CacheId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already a uniformly random digest that no requester can predict (the secret is in
        // it): its first eight bytes are as good a hash as any.
        let mut first = [0_u8; 8];
        first.copy_from_slice(self.0.get(..8).unwrap_or(&[0; 8]));
        state.write_u64(u64::from_le_bytes(first));
    }
}

/// The hasher for [`CacheId`]s: takes the `u64` it is given.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by `CacheId`; a plain FNV-1a for completeness.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// `n` as unsigned LEB128 (one byte below 128).
fn leb128(mut n: u64, out: &mut [u8; 10]) -> &[u8] {
    let mut len = 0;
    for slot in out.iter_mut() {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        len += 1;
        if n == 0 {
            *slot = byte;
            break;
        }
        *slot = byte | 0x80;
    }
    out.get(..len).unwrap_or_default()
}

impl CacheId {
    pub(crate) fn new(credential: &Credential, secret: &str) -> Self {
        // Kept short so a typical tuple hashes in two SHA-256 blocks.
        let mut hasher = Sha256::new();
        hasher.update(b"sigv4key");
        for part in [
            credential.access_key_id.as_str(),
            credential.date.as_str(),
            credential.region.as_str(),
            credential.service.as_str(),
            secret,
        ] {
            let mut len = [0_u8; 10];
            hasher.update(leb128(part.len() as u64, &mut len));
            hasher.update(part.as_bytes());
        }
        Self(hasher.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::hex_lower;

    #[test]
    fn derivation_matches_aws_example() {
        // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex_lower(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    fn credential(akid: &str) -> Credential {
        Credential {
            access_key_id: akid.to_owned(),
            date: "20261123".to_owned(),
            region: "us-east-1".to_owned(),
            service: "iam".to_owned(),
        }
    }

    #[test]
    fn leb128_lengths() {
        let mut buf = [0_u8; 10];
        assert_eq!(leb128(0, &mut buf), &[0]);
        assert_eq!(leb128(127, &mut buf), &[127]);
        assert_eq!(leb128(128, &mut buf), &[0x80, 1]);
        assert_eq!(leb128(300, &mut buf), &[0xac, 0x02]);
        assert_eq!(leb128(u64::MAX, &mut buf).len(), 10);
    }

    #[test]
    fn secret_is_part_of_the_id() {
        let a = CacheId::new(&credential("AKID"), "one");
        let b = CacheId::new(&credential("AKID"), "two");
        assert_ne!(a.0, b.0);
        let c = CacheId::new(&credential("AKIDo"), "ne");
        assert_ne!(a.0, c.0);
    }

    #[test]
    fn bounded_and_least_recently_used_goes() {
        let cache = SigningKeyCache::new(64);
        assert_eq!(cache.capacity(), 64);
        let ids: Vec<CacheId> = (0..1000)
            .map(|i| CacheId::new(&credential(&format!("AKID{i}")), "s"))
            .collect();
        for id in &ids {
            cache.insert(id, hmac(b"k"));
            assert!(cache.get(&ids[0]).is_some());
            assert!(cache.len() <= 64);
        }
        assert_eq!(cache.len(), 64);
        // ids[0] was used after every insert, so it is never the least recently used.
        assert!(cache.get(&ids[0]).is_some());
        cache.clear();
        assert!(cache.is_empty());
        assert!(format!("{cache:?}").contains("capacity: 64"));
    }
}
