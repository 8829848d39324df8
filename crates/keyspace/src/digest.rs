//! Redis's value and dataset digests (`DEBUG DIGEST-VALUE`, `DEBUG DIGEST`), bit for bit, so
//! that `redis-cli --cluster fix` can compare a key's copies on our node and on a Redis node.
//! Ref: debug.c (7.0) `xorDigest`, `mixDigest`, `xorObjectDigest`, `computeDatasetDigest`.
//!
//! Two ways to fold data into a 20-byte digest, both built on SHA-1:
//! - *xor* (`d ^= SHA1(data)`): order-free, for set members, hash pairs, zset pairs and keys;
//! - *mix* (`d = SHA1(d ^ SHA1(data))`): order-sensitive, for list elements and for the fields
//!   inside one element.
//!
//! Every element is digested as the text Redis would hold for it (integers in decimal, zset
//! scores as `%.17g`), so the encoding we chose does not change the result.
//!
//! SHA-1 is implemented here (about 60 lines, checked against the FIPS 180 vectors) rather than
//! taken as a dependency: the digest is a compatibility checksum, not a security function, and
//! the crate must stay dependency-light and sans-IO.

use crate::stream::StreamId;
use crate::value::{StrRef, ValueRef};
use crate::{Db, Object};

/// A 20-byte digest; all zeros for a missing key or an empty dataset.
pub type Digest = [u8; 20];

/// The digest of `key`'s value in `db` as Redis's `DEBUG DIGEST-VALUE` computes it: type, value
/// and whether the key has a TTL (not the TTL itself, nor the key's name). A missing key gives
/// all zeros. Logically expired keys still present are digested, as in Redis (a debug command
/// must see them).
pub fn value_digest(db: &Db, key: &[u8]) -> Digest {
    let mut d = [0u8; 20];
    if let Some(v) = db.peek(key) {
        xor_object(&mut d, v, db.expire_time(key).is_some());
    }
    d
}

/// The digest of every database, as Redis's `DEBUG DIGEST`: for each non-empty database its
/// index is mixed in, then each key's digest (name, type, value, TTL flag) is xored in, so key
/// order does not matter. No keys at all gives all zeros.
pub fn dataset_digest(dbs: &[Db]) -> Digest {
    let mut out = [0u8; 20];
    for (j, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        // Ref: computeDatasetDigest: `htonl(j)`, so a dataset moved to another db differs.
        mix(&mut out, &(j as u32).to_be_bytes());
        for (key, v, expire) in db.iter() {
            let mut d = [0u8; 20];
            mix(&mut d, key);
            xor_object(&mut d, v, expire.is_some());
            xor(&mut out, &d);
        }
    }
    out
}

/// The lowercase hex text of a digest, as Redis replies it.
pub fn digest_hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Redis's `OBJ_*` type numbers, mixed in as a big-endian u32.
fn type_code(v: &ValueRef<'_>) -> u32 {
    match v {
        ValueRef::Str(..) => 0,
        ValueRef::Obj(Object::Str(_)) => 0,
        ValueRef::Obj(Object::List(_)) => 1,
        ValueRef::Obj(Object::Set(_)) => 2,
        ValueRef::Obj(Object::ZSet(_)) => 3,
        ValueRef::Obj(Object::Hash(_)) => 4,
        ValueRef::Obj(Object::Stream(_)) => 6,
    }
}

/// Ref: xorObjectDigest. Folds one value into `d`.
fn xor_object(d: &mut Digest, v: ValueRef<'_>, has_ttl: bool) {
    mix(d, &type_code(&v).to_be_bytes());
    let mut text = Vec::new();
    match v {
        ValueRef::Str(s, _) => mix(d, str_text(s, &mut text)),
        ValueRef::Obj(Object::Str(s)) => mix(d, s),
        ValueRef::Obj(Object::List(l)) => {
            for e in l.iter() {
                mix(d, str_text(e, &mut text));
            }
        }
        ValueRef::Obj(Object::Set(s)) => {
            for e in s.iter() {
                xor(d, str_text(e, &mut text));
            }
        }
        ValueRef::Obj(Object::ZSet(z)) => {
            for (member, score) in z.iter() {
                let mut e = [0u8; 20];
                mix(&mut e, member);
                text.clear();
                // Ref: debug.c (7.0) formats the score with `%.17g`, whatever the encoding.
                hashslot_resp::format_double(score, &mut text);
                mix(&mut e, &text);
                xor(d, &e);
            }
        }
        ValueRef::Obj(Object::Hash(h)) => {
            for (field, value) in h.iter() {
                let mut e = [0u8; 20];
                mix(&mut e, field);
                mix(&mut e, value);
                xor(d, &e);
            }
        }
        // Ref: debug.c: each entry's `<ms>.<seq>`, then its fields and values, mixed in order.
        ValueRef::Obj(Object::Stream(s)) => {
            for e in s.range(StreamId::MIN, StreamId::MAX, false) {
                mix(d, format!("{}.{}", e.id.ms, e.id.seq).as_bytes());
                for (f, v) in e.pairs() {
                    mix(d, &f.to_vec());
                    mix(d, &v.to_vec());
                }
            }
        }
    }
    if has_ttl {
        xor(d, b"!!expire!!");
    }
}

/// The text of a string element: its bytes, or the decimal form of an integer-encoded one.
fn str_text<'a>(s: StrRef<'a>, buf: &'a mut Vec<u8>) -> &'a [u8] {
    match s {
        StrRef::Bytes(b) => b,
        StrRef::Int(n) => {
            buf.clear();
            buf.extend_from_slice(n.to_string().as_bytes());
            buf
        }
    }
}

/// Ref: xorDigest: `d ^= SHA1(data)`.
fn xor(d: &mut Digest, data: &[u8]) {
    for (a, b) in d.iter_mut().zip(sha1(data)) {
        *a ^= b;
    }
}

/// Ref: mixDigest: `d = SHA1(d ^ SHA1(data))`.
fn mix(d: &mut Digest, data: &[u8]) {
    xor(d, data);
    *d = sha1(&d[..]);
}

/// SHA-1 (FIPS 180-4) of `data`.
pub(crate) fn sha1(data: &[u8]) -> Digest {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    // The message, then 0x80, zeros to 56 mod 64, and the bit length; only the last one or two
    // blocks are built in a buffer, the rest are read in place.
    let full = data.len() / 64 * 64;
    for block in data[..full].chunks_exact(64) {
        sha1_block(&mut h, block);
    }
    let mut tail = [0u8; 128];
    let rest = &data[full..];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let tail_len = if rest.len() < 56 { 64 } else { 128 };
    tail[tail_len - 8..tail_len].copy_from_slice(&bit_len.to_be_bytes());
    for block in tail[..tail_len].chunks_exact(64) {
        sha1_block(&mut h, block);
    }
    let mut out = [0u8; 20];
    for (o, w) in out.chunks_exact_mut(4).zip(h) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

fn sha1_block(h: &mut [u32; 5], block: &[u8]) {
    let mut w = [0u32; 80];
    for (i, c) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *h;
    for (i, wi) in w.iter().enumerate() {
        let (f, k) = match i {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*wi);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    for (x, v) in h.iter_mut().zip([a, b, c, d, e]) {
        *x = x.wrapping_add(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: &Digest) -> String {
        digest_hex(d)
    }

    #[test]
    fn sha1_fips_vectors() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        let two_blocks = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            hex(&sha1(two_blocks)),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        let million = vec![b'a'; 1_000_000];
        assert_eq!(
            hex(&sha1(&million)),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
        // Lengths around the padding boundaries (55, 56, 63, 64 bytes) must not panic and
        // must differ from each other.
        let ds: Vec<Digest> = [55, 56, 63, 64, 119, 120]
            .iter()
            .map(|&n| sha1(&vec![0; n]))
            .collect();
        for i in 0..ds.len() {
            for j in i + 1..ds.len() {
                assert_ne!(ds[i], ds[j]);
            }
        }
    }

    #[test]
    fn missing_key_and_empty_dataset_are_zero() {
        let db = Db::new();
        assert_eq!(value_digest(&db, b"nokey"), [0; 20]);
        assert_eq!(dataset_digest(&[db]), [0; 20]);
    }

    fn run(dbs: &mut [Db], argv: &[&[u8]]) {
        use crate::{commands, Ctx, KeyspaceStats};
        use hashslot_resp::{Proto, Reply};
        use hashslot_types::{Instant, Now, Rng, UnixMillis};
        let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
        let name = String::from_utf8_lossy(argv[0]).to_lowercase();
        let spec = commands().iter().find(|c| c.name == name).unwrap();
        let (mut rng, mut stats, mut out) =
            (Rng::from_seed(1), KeyspaceStats::default(), Vec::new());
        let mut ctx = Ctx::new(
            dbs,
            0,
            now,
            Reply::new(&mut out, Proto::Resp2),
            &mut rng,
            &mut stats,
        );
        (spec.handler.unwrap())(&mut ctx, argv);
        assert!(!out.starts_with(b"-"), "{}", String::from_utf8_lossy(&out));
    }

    /// Digests Redis 7.0.15 gave for the same commands (DEBUG DIGEST-VALUE / DEBUG DIGEST).
    #[test]
    fn every_type_matches_redis() {
        let mut dbs = vec![Db::new()];
        run(&mut dbs, &[b"SET", b"str", b"abc"]);
        run(
            &mut dbs,
            &[
                b"ZADD", b"z", b"0.1", b"a", b"1", b"b", b"1e300", b"c", b"-2.5", b"d",
            ],
        );
        run(&mut dbs, &[b"ZADD", b"z1", b"1", b"a"]);
        run(&mut dbs, &[b"SADD", b"st", b"a"]);
        run(&mut dbs, &[b"HSET", b"h", b"a", b"1"]);
        run(&mut dbs, &[b"RPUSH", b"l", b"a", b"b"]);
        let db = &dbs[0];
        for (key, want) in [
            (&b"str"[..], "21ffcd2d36aebffca02995acb412bcb827d4c1db"),
            (b"z", "feb92303bef8a43d633882bcb1470834edab7fe4"),
            (b"z1", "430190c6ed5abafff87d97b4f51a92796ed05895"),
            (b"st", "344e2dce84032272e136053b2083009290148e5e"),
            (b"h", "626a7b57a269f8f179a44902458ecb2f5920d35d"),
            (b"l", "62f55a532623cf6c3d81081db480b6fd8461eb3f"),
        ] {
            assert_eq!(
                hex(&value_digest(db, key)),
                want,
                "{}",
                String::from_utf8_lossy(key)
            );
        }
    }

    #[test]
    fn order_and_ttl() {
        let mut a = vec![Db::new()];
        let mut b = vec![Db::new()];
        run(&mut a, &[b"SADD", b"s", b"x", b"y"]);
        run(&mut a, &[b"SET", b"k", b"v"]);
        run(&mut b, &[b"SET", b"k", b"v"]);
        run(&mut b, &[b"SADD", b"s", b"y", b"x"]);
        assert_eq!(dataset_digest(&a), dataset_digest(&b));
        run(&mut b, &[b"EXPIRE", b"k", b"100"]);
        assert_ne!(dataset_digest(&a), dataset_digest(&b));
        assert_ne!(value_digest(&a[0], b"k"), value_digest(&b[0], b"k"));
        let (mut l1, mut l2) = (vec![Db::new()], vec![Db::new()]);
        run(&mut l1, &[b"RPUSH", b"l", b"1", b"2"]);
        run(&mut l2, &[b"RPUSH", b"l", b"2", b"1"]);
        assert_ne!(value_digest(&l1[0], b"l"), value_digest(&l2[0], b"l"));
    }
}
