//! Vendor-style id generation, deterministic from the estate seed.
//!
//! Each id is drawn from a ChaCha8 stream selected by `(seed, counter)`, so
//! the same seed gives the same ids in the same order, and an estate loaded
//! from a file continues its id sequence where it stopped. Each provider has
//! an id function (a hook frontends may replace) that turns the random
//! stream into the vendor's format (`ins-` + 8 characters for Tencent, `i-` +
//! 17 hex digits for AWS, UUIDs for Huawei and OpenStack, ...).

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::model::ResourceKind;

/// Random source handed to id functions.
pub struct IdRng {
    rng: ChaCha8Rng,
}

const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const UPPER_ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const MIXED_ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl IdRng {
    /// The stream for `(seed, counter)`.
    pub fn new(seed: u64, counter: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(counter);
        IdRng { rng }
    }

    fn pick(&mut self, n: usize, set: &[u8]) -> String {
        (0..n)
            .map(|_| set[self.rng.random_range(0..set.len())] as char)
            .collect()
    }

    /// `n` characters of `[0-9a-z]`.
    pub fn lower_alnum(&mut self, n: usize) -> String {
        self.pick(n, LOWER_ALNUM)
    }

    /// `n` characters of `[0-9A-Z]`.
    pub fn upper_alnum(&mut self, n: usize) -> String {
        self.pick(n, UPPER_ALNUM)
    }

    /// `n` characters of `[0-9A-Za-z]`.
    pub fn mixed_alnum(&mut self, n: usize) -> String {
        self.pick(n, MIXED_ALNUM)
    }

    /// `n` lower-case hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        self.pick(n, b"0123456789abcdef")
    }

    /// `n` decimal digits, the first not zero.
    pub fn digits(&mut self, n: usize) -> String {
        let mut s = self.pick(1, b"123456789");
        s.push_str(&self.pick(n.saturating_sub(1), b"0123456789"));
        s
    }

    /// A random (version 4) UUID, hyphenated, lower case.
    pub fn uuid(&mut self) -> String {
        let mut b: [u8; 16] = self.rng.random();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex::encode(b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        self.rng.random_range(lo..hi)
    }
}

/// An id function: resource kind and random source to an id string.
pub type IdFn = Arc<dyn Fn(ResourceKind, &mut IdRng) -> String + Send + Sync>;

/// An id function that writes `prefix` + `len` characters of `charset` for
/// every kind listed, and falls back to `fallback` for the rest.
pub fn prefixed(
    prefixes: &'static [(ResourceKind, &'static str)],
    charset: &'static [u8],
    len: usize,
    fallback: IdFn,
) -> IdFn {
    Arc::new(
        move |kind, rng| match prefixes.iter().find(|(k, _)| *k == kind) {
            Some((_, p)) => format!("{p}{}", rng.pick(len, charset)),
            None => fallback(kind, rng),
        },
    )
}

/// The built-in id style of a provider name (any name gets a generic style).
pub fn default_id_fn(provider: &str) -> IdFn {
    use ResourceKind as K;
    match provider {
        "tencent" => Arc::new(|kind, rng| match kind {
            K::Instance => format!("ins-{}", rng.lower_alnum(8)),
            K::Volume => format!("disk-{}", rng.lower_alnum(8)),
            K::Image => format!("img-{}", rng.lower_alnum(8)),
            K::Vpc => format!("vpc-{}", rng.lower_alnum(8)),
            K::Subnet => format!("subnet-{}", rng.lower_alnum(8)),
            K::SecurityGroup => format!("sg-{}", rng.lower_alnum(8)),
            K::SecurityRule => format!("sgr-{}", rng.lower_alnum(8)),
            K::PublicIp => format!("eip-{}", rng.lower_alnum(8)),
            K::Account | K::User | K::Group => rng.digits(10),
            K::Role => rng.digits(19),
            K::Policy => rng.digits(9),
            K::AccessKey => format!("AKID{}", rng.mixed_alnum(32)),
            K::Upload => format!("{}{}", rng.digits(10), rng.hex(30)),
            _ => rng.uuid(),
        }),
        "alibaba" => Arc::new(|kind, rng| match kind {
            K::Instance => format!("i-{}", rng.lower_alnum(20)),
            K::Volume => format!("d-{}", rng.lower_alnum(20)),
            K::Image => format!("m-{}", rng.lower_alnum(20)),
            K::Vpc => format!("vpc-{}", rng.lower_alnum(21)),
            K::Subnet => format!("vsw-{}", rng.lower_alnum(21)),
            K::SecurityGroup => format!("sg-{}", rng.lower_alnum(20)),
            K::SecurityRule => format!("sgr-{}", rng.lower_alnum(20)),
            K::PublicIp => format!("eip-{}", rng.lower_alnum(21)),
            K::Account | K::User => rng.digits(16),
            K::Group => format!("g-{}", rng.lower_alnum(20)),
            K::Role => rng.digits(19),
            K::Policy => rng.lower_alnum(20),
            K::AccessKey => format!("LTAI{}", rng.mixed_alnum(20)),
            K::Upload => rng.hex(32).to_uppercase(),
            _ => rng.uuid().to_uppercase(),
        }),
        "aws" => Arc::new(|kind, rng| match kind {
            K::Instance => format!("i-{}", rng.hex(17)),
            K::Volume => format!("vol-{}", rng.hex(17)),
            K::Image => format!("ami-{}", rng.hex(17)),
            K::Vpc => format!("vpc-{}", rng.hex(17)),
            K::Subnet => format!("subnet-{}", rng.hex(17)),
            K::SecurityGroup => format!("sg-{}", rng.hex(17)),
            K::SecurityRule => format!("sgr-{}", rng.hex(17)),
            K::PublicIp => format!("eipalloc-{}", rng.hex(17)),
            K::Account => rng.digits(12),
            K::User => format!("AIDA{}", rng.upper_alnum(17)),
            K::Group => format!("AGPA{}", rng.upper_alnum(17)),
            K::Role => format!("AROA{}", rng.upper_alnum(17)),
            K::Policy => format!("ANPA{}", rng.upper_alnum(17)),
            K::AccessKey => format!("AKIA{}", rng.upper_alnum(16)),
            K::Upload => rng.mixed_alnum(64),
            _ => rng.uuid(),
        }),
        "huawei" | "openstack" | "azure" => Arc::new(|kind, rng| match kind {
            K::AccessKey => rng.upper_alnum(20),
            K::Account => rng.hex(32),
            _ => rng.uuid(),
        }),
        _ => Arc::new(|kind, rng| match kind {
            K::AccessKey => format!("AK{}", rng.upper_alnum(18)),
            K::Account => rng.digits(12),
            other => format!("{}-{}", short(other), rng.hex(12)),
        }),
    }
}

fn short(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Instance => "ins",
        ResourceKind::Volume => "vol",
        ResourceKind::Image => "img",
        ResourceKind::Vpc => "vpc",
        ResourceKind::Subnet => "subnet",
        ResourceKind::SecurityGroup => "sg",
        ResourceKind::SecurityRule => "sgr",
        ResourceKind::PublicIp => "ip",
        other => other.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_stream_same_id_and_styles() {
        let f = default_id_fn("tencent");
        let a = f(ResourceKind::Instance, &mut IdRng::new(1, 5));
        let b = f(ResourceKind::Instance, &mut IdRng::new(1, 5));
        let c = f(ResourceKind::Instance, &mut IdRng::new(1, 6));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("ins-") && a.len() == 12, "{a}");
        let aws = default_id_fn("aws")(ResourceKind::Instance, &mut IdRng::new(1, 1));
        assert!(aws.starts_with("i-") && aws.len() == 19, "{aws}");
        let u = default_id_fn("openstack")(ResourceKind::Instance, &mut IdRng::new(1, 1));
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        let g = default_id_fn("whatever")(ResourceKind::Vpc, &mut IdRng::new(1, 1));
        assert!(g.starts_with("vpc-"), "{g}");
        let p = prefixed(
            &[(ResourceKind::Instance, "x-")],
            b"ab",
            4,
            default_id_fn("aws"),
        );
        let x = p(ResourceKind::Instance, &mut IdRng::new(1, 1));
        assert!(x.starts_with("x-") && x.len() == 6, "{x}");
        assert!(p(ResourceKind::Vpc, &mut IdRng::new(1, 1)).starts_with("vpc-"));
    }
}
