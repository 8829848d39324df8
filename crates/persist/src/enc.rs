//! Writing RDB value bodies as Redis 7.0's `rdbSaveObject` does.

use hashslot_keyspace::{parse_i64, Object, StrRef, ValueRef};

use crate::consts::*;
use crate::error::SaveError;
use crate::listpack::{entry_size, ListpackBuilder};
use crate::lzf::Compressor;
use crate::{intset, score};

/// Reusable state for writing strings: the LZF table (when compression is on) and a scratch
/// buffer, so that saving many keys allocates nothing per key.
#[derive(Debug, Default)]
pub(crate) struct Enc {
    lzf: Option<Compressor>,
    scratch: Vec<u8>,
}

impl Enc {
    pub(crate) fn new(compression: bool) -> Self {
        Enc {
            lzf: compression.then(Compressor::new),
            scratch: Vec::new(),
        }
    }
}

/// `rdbSaveLen`.
pub(crate) fn put_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// `rdbEncodeInteger`: the int8/16/32 string encodings; `false` when `v` needs more.
fn put_int_encoded(out: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(b) = i8::try_from(v) {
        out.extend_from_slice(&[0xC0, b as u8]);
    } else if let Ok(b) = i16::try_from(v) {
        out.push(0xC1);
        out.extend_from_slice(&b.to_le_bytes());
    } else if let Ok(b) = i32::try_from(v) {
        out.push(0xC2);
        out.extend_from_slice(&b.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// `rdbSaveLongLongAsStringObject`: an integer-encoded string.
pub(crate) fn put_int_str(out: &mut Vec<u8>, v: i64) {
    if !put_int_encoded(out, v) {
        let s = v.to_string();
        put_len(out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
}

/// `rdbSaveRawString`: an integer encoding for short numeric strings, LZF for strings over 20
/// bytes when compression is on and it saves at least 5 bytes, else length + bytes.
pub(crate) fn put_str(out: &mut Vec<u8>, enc: &mut Enc, s: &[u8]) {
    if s.len() <= 11 {
        if let Some(v) = parse_i64(s) {
            if put_int_encoded(out, v) {
                return;
            }
        }
    }
    if s.len() > 20 {
        if let Some(lzf) = &mut enc.lzf {
            enc.scratch.clear();
            if let Some(n) = lzf.compress(s, &mut enc.scratch, s.len() - 4) {
                out.push(0xC3);
                put_len(out, n as u64);
                put_len(out, s.len() as u64);
                out.extend_from_slice(&enc.scratch);
                return;
            }
        }
    }
    put_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// A string given as a [`StrRef`].
pub(crate) fn put_strref(out: &mut Vec<u8>, enc: &mut Enc, s: StrRef<'_>) {
    match s {
        StrRef::Int(v) => put_int_str(out, v),
        StrRef::Bytes(b) => put_str(out, enc, b),
    }
}

fn is_listpack(o: &Object) -> bool {
    o.encoding().name() == "listpack"
}

/// The RDB type byte `rdbSaveObjectType` writes for `v`.
pub(crate) fn type_byte(v: ValueRef<'_>) -> Result<u8, SaveError> {
    Ok(match v {
        ValueRef::Str(..) => TYPE_STRING,
        ValueRef::Obj(o) => match o {
            Object::Str(_) => TYPE_STRING,
            Object::List(_) => TYPE_LIST_QUICKLIST_2,
            Object::Hash(_) if is_listpack(o) => TYPE_HASH_LISTPACK,
            Object::Hash(_) => TYPE_HASH,
            Object::Set(s) if s.encoding().name() == "intset" => TYPE_SET_INTSET,
            Object::Set(_) => TYPE_SET,
            Object::ZSet(_) if is_listpack(o) => TYPE_ZSET_LISTPACK,
            Object::ZSet(_) => TYPE_ZSET_2,
            Object::Stream(_) => TYPE_STREAM_LISTPACKS_2,
            other => return Err(SaveError::Unsupported(other.value_type().name())),
        },
    })
}

/// Write the body of `v` (what follows the key), as `rdbSaveObject`.
pub(crate) fn put_value(
    out: &mut Vec<u8>,
    enc: &mut Enc,
    v: ValueRef<'_>,
) -> Result<(), SaveError> {
    let o = match v {
        ValueRef::Str(s, _) => {
            put_strref(out, enc, s);
            return Ok(());
        }
        ValueRef::Obj(o) => o,
    };
    match o {
        Object::Str(s) => put_str(out, enc, s),
        Object::List(l) => {
            // Quicklist of listpack nodes, split as list-max-listpack-size -2 splits them.
            let mut nodes = Vec::new();
            let mut lp = ListpackBuilder::new();
            for e in l.iter() {
                if lp.count() > 0 && lp.size() + entry_size(e) > QUICKLIST_NODE_BYTES {
                    nodes.push(std::mem::take(&mut lp).finish());
                }
                lp.push(e);
            }
            if lp.count() > 0 {
                nodes.push(lp.finish());
            }
            put_len(out, nodes.len() as u64);
            for n in &nodes {
                put_len(out, QUICKLIST_PACKED);
                put_str(out, enc, n);
            }
        }
        Object::Hash(h) if is_listpack(o) => {
            let mut lp = ListpackBuilder::new();
            for (f, v) in h.iter() {
                lp.push_bytes(f);
                lp.push_bytes(v);
            }
            put_str(out, enc, &lp.finish());
        }
        Object::Hash(h) => {
            put_len(out, h.len() as u64);
            for (f, v) in h.iter() {
                put_str(out, enc, f);
                put_str(out, enc, v);
            }
        }
        Object::Set(s) if s.encoding().name() == "intset" => {
            let ints: Vec<i64> = s
                .iter()
                .map(|m| match m {
                    StrRef::Int(v) => v,
                    StrRef::Bytes(b) => parse_i64(b).expect("intset members are integers"),
                })
                .collect();
            put_str(out, enc, &intset::encode(&ints));
        }
        Object::Set(s) => {
            put_len(out, s.len() as u64);
            for m in s.iter() {
                put_strref(out, enc, m);
            }
        }
        Object::ZSet(z) if is_listpack(o) => {
            let mut lp = ListpackBuilder::new();
            let mut buf = Vec::new();
            for (m, sc) in z.iter() {
                lp.push_bytes(m);
                buf.clear();
                score::format(sc, &mut buf);
                lp.push_bytes(&buf);
            }
            put_str(out, enc, &lp.finish());
        }
        Object::ZSet(z) => {
            // Greatest first, so that loading appends in the cheap direction (as Redis does).
            put_len(out, z.len() as u64);
            for (m, sc) in z.iter_from(0, true) {
                put_str(out, enc, m);
                out.extend_from_slice(&sc.to_le_bytes());
            }
        }
        Object::Stream(s) => crate::stream::put_stream(out, enc, s),
        other => return Err(SaveError::Unsupported(other.value_type().name())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        for (n, want) in [
            (0u64, vec![0u8]),
            (63, vec![63]),
            (64, vec![0x40, 64]),
            (16383, vec![0x7f, 0xff]),
            (16384, vec![0x80, 0, 0, 0x40, 0]),
            (1 << 32, vec![0x81, 0, 0, 0, 1, 0, 0, 0, 0]),
        ] {
            let mut v = Vec::new();
            put_len(&mut v, n);
            assert_eq!(v, want, "{n}");
        }
    }

    #[test]
    fn strings() {
        let mut e = Enc::new(true);
        let mut v = Vec::new();
        put_str(&mut v, &mut e, b"-5");
        put_str(&mut v, &mut e, b"300");
        put_str(&mut v, &mut e, b"70000");
        put_str(&mut v, &mut e, b"007");
        assert_eq!(
            v,
            [0xC0, 0xFB, 0xC1, 0x2C, 0x01, 0xC2, 0x70, 0x11, 0x01, 0x00, 3, b'0', b'0', b'7']
        );
        v.clear();
        put_str(&mut v, &mut e, &[b'a'; 100]);
        assert_eq!(v[0], 0xC3);
        v.clear();
        put_str(&mut v, &mut Enc::new(false), &[b'a'; 100]);
        assert_eq!(v[..2], [0x40, 100]);
    }
}
