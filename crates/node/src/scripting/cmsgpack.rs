//! The `cmsgpack` library Redis loads into its Lua (lua-cmsgpack 0.4.0): MessagePack
//! `pack(...)`, `unpack(s)`, `unpack_one(s [, offset])` and `unpack_limit(s, limit [, offset])`,
//! byte for byte as Redis 7.0.15 packs (on its 64-bit build) and with its error texts.
//!
//! What Redis's library does and this one does too:
//! - Numbers: an integral value in the `int64` range packs as the smallest MessagePack integer,
//!   any other as a 4-byte float when the float holds it exactly, else as an 8-byte double.
//! - Tables: an array (keys exactly 1..n, each a positive number that fits a C `int`) packs as
//!   a MessagePack array of its `#t` items, anything else as a map in `next` order; tables
//!   nested 16 deep pack as nil (a table holding itself ends).
//! - Strings pack as raw (`fixraw`, `str8`, `raw16`, `raw32`); booleans as such; every other
//!   type as nil.
//! - Unpacking reads what Redis reads (no `bin`/`ext` types: `Bad data format in input.`), and
//!   a 64-bit unsigned integer past `i64::MAX` comes back negative, as Redis's
//!   `lua_pushinteger` of it does.
//! - Values pushed on Lua's C stack are counted as Redis's `luaL_checkstack` counts them, so a
//!   stream of more than ~8,000 values fails with Redis's `stack overflow (…)` error (and
//!   nesting is bounded by the same count: decoding is iterative here, never deep recursion).
//!
//! Ref: Redis 7.0 `deps/lua/src/lua_cmsgpack.c`.

use mlua::{Lua, MultiValue, Table, Value};

use super::env::{arg_error, plain_error, tostring_bytes};

/// Tables nested deeper than this pack as nil (`LUACMSGPACK_MAX_NESTING`).
const MAX_NESTING: usize = 16;

/// 2^63: where `int64` ends.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// Lua 5.1's `LUAI_MAXCSTACK`: values a C function may have on its stack.
const MAX_CSTACK: usize = 8000;

/// Create the `cmsgpack` table.
pub(crate) fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lua.create_function(pack)?)?;
    t.set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| {
            let used = args.len();
            let s = check_string(lua, &args, 0, "unpack")?;
            unpack_full(lua, &s, 0, 0, used)
        })?,
    )?;
    t.set(
        "unpack_one",
        lua.create_function(|lua, args: MultiValue| {
            let offset = opt_integer(lua, &args, 1, "unpack_one", 0)?;
            let s = check_string(lua, &args, 0, "unpack_one")?;
            unpack_full(lua, &s, 1, offset, 1)
        })?,
    )?;
    t.set(
        "unpack_limit",
        lua.create_function(|lua, args: MultiValue| {
            let limit = check_integer(lua, &args, 1, "unpack_limit")?;
            let offset = opt_integer(lua, &args, 2, "unpack_limit", 0)?;
            let s = check_string(lua, &args, 0, "unpack_limit")?;
            unpack_full(lua, &s, limit, offset, 1)
        })?,
    )?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

/// `luaL_checklstring`: a string, or a number as its text.
fn check_string(lua: &Lua, args: &MultiValue, i: usize, fname: &str) -> mlua::Result<Vec<u8>> {
    match args.get(i).and_then(tostring_bytes) {
        Some(s) => Ok(s),
        None => {
            let got = args.get(i).map_or("no value", |v| v.type_name());
            Err(arg_error(
                lua,
                i + 1,
                fname,
                &format!("string expected, got {got}"),
            ))
        }
    }
}

/// `luaL_checkinteger`: a number (or numeric string) truncated to `lua_Integer`.
fn check_integer(lua: &Lua, args: &MultiValue, i: usize, fname: &str) -> mlua::Result<i64> {
    match args.get(i).and_then(super::env::to_number) {
        Some(n) => Ok(c_long(n)),
        None => {
            let got = args.get(i).map_or("no value", |v| v.type_name());
            Err(arg_error(
                lua,
                i + 1,
                fname,
                &format!("number expected, got {got}"),
            ))
        }
    }
}

/// `luaL_optinteger`: `default` for a missing or nil argument.
fn opt_integer(
    lua: &Lua,
    args: &MultiValue,
    i: usize,
    fname: &str,
    default: i64,
) -> mlua::Result<i64> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(default),
        Some(_) => check_integer(lua, args, i, fname),
    }
}

/// C's `(long)d` on x86-64: truncation, and the "integer indefinite" value outside the range.
pub(crate) fn c_long(d: f64) -> i64 {
    if d.is_nan() || !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// `pack(...)`: every argument packed, end to end.
fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    if args.is_empty() {
        return Err(arg_error(lua, 0, "pack", "MessagePack pack needs input."));
    }
    // `lua_checkstack(L, nargs)` with the arguments already on the stack.
    if 2 * args.len() > MAX_CSTACK {
        return Err(arg_error(
            lua,
            0,
            "pack",
            "Too many arguments for MessagePack pack.",
        ));
    }
    let mut out = Vec::new();
    for v in &args {
        encode(v, &mut out, 0)?;
    }
    lua.create_string(&out)
}

fn encode(v: &Value, out: &mut Vec<u8>, level: usize) -> mlua::Result<()> {
    match v {
        Value::String(s) => encode_bytes(out, &s.as_bytes()),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_number(out, *i as f64),
        Value::Number(n) => encode_number(out, *n),
        Value::Table(t) if level < MAX_NESTING => encode_table(t, out, level)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// An integral number in the `int64` range as an integer, anything else as a float or double
/// (`IS_INT64_EQUIVALENT`).
fn encode_number(out: &mut Vec<u8>, n: f64) {
    let in_range = (-TWO_63..TWO_63).contains(&n);
    if in_range && (n as i64) as f64 == n {
        encode_int(out, n as i64);
    } else {
        let f = n as f32;
        if f64::from(f) == n {
            out.push(0xca);
            out.extend_from_slice(&f.to_be_bytes());
        } else {
            out.push(0xcb);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn encode_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_table(t: &Table, out: &mut Vec<u8>, level: usize) -> mlua::Result<()> {
    if is_array(t)? {
        let len = t.raw_len();
        encode_len(out, len as u64, 0x90, 0xdc, 0xdd);
        for j in 1..=len {
            let v = exact(t.get(j)?, || t.get::<f64>(j))?;
            encode(&v, out, level + 1)?;
        }
    } else {
        let mut pairs = Vec::new();
        for kv in t.clone().pairs::<Value, Value>() {
            let (k, v) = kv?;
            let v = exact(v, || t.raw_get::<f64>(k.clone()))?;
            pairs.push((k, v));
        }
        encode_len(out, pairs.len() as u64, 0x80, 0xde, 0xdf);
        for (k, v) in &pairs {
            encode(k, out, level + 1)?;
            encode(v, out, level + 1)?;
        }
    }
    Ok(())
}

/// `v` with its exact number: mlua gives a Lua 5.1 number within `f64::EPSILON` of an
/// integer as that integer (`1e-300` reads as 0, `0.9999999999999999` as 1), which would
/// pack as an integer where Redis packs a double; `read` reads the number again as an `f64`.
fn exact(v: Value, read: impl FnOnce() -> mlua::Result<f64>) -> mlua::Result<Value> {
    match v {
        Value::Integer(i) if (-1..=1).contains(&i) => Ok(Value::Number(read()?)),
        v => Ok(v),
    }
}

/// An array or map header: the fix form (`fix | n` up to 15), 16 or 32 bits.
fn encode_len(out: &mut Vec<u8>, n: u64, fix: u8, b16: u8, b32: u8) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// `table_is_an_array`: every key a positive number that fits an `int`, and the largest key
/// equal to the number of keys.
fn is_array(t: &Table) -> mlua::Result<bool> {
    let (mut count, mut max) = (0i64, 0i64);
    for kv in t.clone().pairs::<Value, Value>() {
        let (k, _) = kv?;
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(false),
        };
        if n <= 0.0 || n > f64::from(i32::MAX) || (n as i32) as f64 != n {
            return Ok(false);
        }
        max = max.max(n as i64);
        count += 1;
    }
    Ok(max == count)
}

/// Why decoding stopped.
enum DecodeError {
    /// `Missing bytes in input.`
    Eof,
    /// `Bad data format in input.`
    BadFormat,
    /// A Lua error (a nil or NaN map key, the stack limit).
    Lua(mlua::Error),
}

impl From<mlua::Error> for DecodeError {
    fn from(e: mlua::Error) -> Self {
        DecodeError::Lua(e)
    }
}

/// The input being decoded and the values Redis would hold on its Lua stack.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    /// Values on the C function's stack (the stack limit check).
    used: usize,
}

impl Cursor<'_> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next `n` bytes, consumed.
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        if self.left() < n {
            return Err(DecodeError::Eof);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// `luaL_checkstack(L, 1, msg)`.
    fn check_stack(&self, lua: &Lua, msg: &str) -> Result<(), DecodeError> {
        if self.used + 1 > MAX_CSTACK {
            return Err(DecodeError::Lua(plain_error(
                lua,
                &format!("stack overflow ({msg})"),
            )));
        }
        Ok(())
    }
}

/// A container being filled.
enum Frame {
    Array {
        t: Table,
        len: u64,
        next: u64,
    },
    Map {
        t: Table,
        left: u64,
        key: Option<Value>,
    },
}

/// One scalar, or the start of a container (`None` when the container is open).
fn decode_head(lua: &Lua, c: &mut Cursor<'_>) -> Result<Result<Value, Frame>, DecodeError> {
    c.check_stack(
        lua,
        "too many return values at once; use unpack_one or unpack_limit instead.",
    )?;
    let b = c.take(1)?[0];
    let num = |n: f64| Ok(Ok(Value::Number(n)));
    match b {
        0xcc => num(f64::from(c.take(1)?[0])),
        0xd0 => num(f64::from(c.take(1)?[0] as i8)),
        0xcd => num(c.be(2)? as f64),
        0xd1 => num(f64::from(c.be(2)? as u16 as i16)),
        0xce => num(c.be(4)? as f64),
        0xd2 => num(f64::from(c.be(4)? as u32 as i32)),
        // `lua_pushinteger` of the unsigned value: past i64::MAX it wraps negative.
        0xcf => num(c.be(8)? as i64 as f64),
        0xd3 => num(c.be(8)? as i64 as f64),
        0xc0 => Ok(Ok(Value::Nil)),
        0xc3 => Ok(Ok(Value::Boolean(true))),
        0xc2 => Ok(Ok(Value::Boolean(false))),
        0xca => num(f64::from(f32::from_bits(c.be(4)? as u32))),
        0xcb => num(f64::from_bits(c.be(8)?)),
        0xd9 => {
            let l = c.be(1)? as usize;
            raw(lua, c, l)
        }
        0xda => {
            let l = c.be(2)? as usize;
            raw(lua, c, l)
        }
        0xdb => {
            let l = c.be(4)? as usize;
            raw(lua, c, l)
        }
        0xdc => {
            let l = c.be(2)?;
            open_array(lua, c, l)
        }
        0xdd => {
            let l = c.be(4)?;
            open_array(lua, c, l)
        }
        0xde => {
            let l = c.be(2)?;
            open_map(lua, c, l)
        }
        0xdf => {
            let l = c.be(4)?;
            open_map(lua, c, l)
        }
        _ if b & 0x80 == 0 => num(f64::from(b)),
        _ if b & 0xe0 == 0xe0 => num(f64::from(b as i8)),
        _ if b & 0xe0 == 0xa0 => raw(lua, c, usize::from(b & 0x1f)),
        _ if b & 0xf0 == 0x90 => open_array(lua, c, u64::from(b & 0x0f)),
        _ if b & 0xf0 == 0x80 => open_map(lua, c, u64::from(b & 0x0f)),
        _ => Err(DecodeError::BadFormat),
    }
}

fn raw(lua: &Lua, c: &mut Cursor<'_>, len: usize) -> Result<Result<Value, Frame>, DecodeError> {
    let s = c.take(len)?;
    Ok(Ok(Value::String(lua.create_string(s)?)))
}

fn open_array(
    lua: &Lua,
    c: &mut Cursor<'_>,
    len: u64,
) -> Result<Result<Value, Frame>, DecodeError> {
    // No capacity from the announced length: the input may lie about it.
    let t = lua.create_table()?;
    c.used += 1;
    c.check_stack(lua, "in function mp_decode_to_lua_array")?;
    Ok(Err(Frame::Array { t, len, next: 1 }))
}

fn open_map(lua: &Lua, c: &mut Cursor<'_>, len: u64) -> Result<Result<Value, Frame>, DecodeError> {
    let t = lua.create_table()?;
    c.used += 1;
    Ok(Err(Frame::Map {
        t,
        left: len,
        key: None,
    }))
}

/// Decode one whole value (`mp_decode_to_lua_type`), containers included, without recursion.
fn decode_value(lua: &Lua, c: &mut Cursor<'_>) -> Result<Value, DecodeError> {
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        // Before an array element, Redis pushes its index.
        if let Some(Frame::Array { .. }) = stack.last() {
            c.used += 1;
        }
        let mut value = match decode_head(lua, c)? {
            Ok(v) => {
                c.used += 1;
                v
            }
            Err(frame) => {
                stack.push(frame);
                match close_empty(&mut stack, c) {
                    Some(v) => v,
                    None => continue,
                }
            }
        };
        // Put the value in its container; a container that is now full is the next value.
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok(value);
            };
            let full = match top {
                Frame::Array { t, len, next } => {
                    t.raw_set(*next, value)?;
                    c.used -= 2;
                    *next += 1;
                    *next > *len
                }
                Frame::Map { t, left, key } => match key.take() {
                    None => {
                        *key = Some(value);
                        false
                    }
                    Some(k) => {
                        match &k {
                            Value::Nil => {
                                return Err(mlua::Error::RuntimeError(
                                    "table index is nil".to_owned(),
                                )
                                .into())
                            }
                            Value::Number(n) if n.is_nan() => {
                                return Err(mlua::Error::RuntimeError(
                                    "table index is NaN".to_owned(),
                                )
                                .into())
                            }
                            _ => {}
                        }
                        t.raw_set(k, value)?;
                        c.used -= 2;
                        *left -= 1;
                        *left == 0
                    }
                },
            };
            if !full {
                break;
            }
            value = match stack.pop() {
                Some(Frame::Array { t, .. }) | Some(Frame::Map { t, .. }) => Value::Table(t),
                None => unreachable!("a frame was on the stack"),
            };
        }
    }
}

/// A container announced with no items is complete at once: its table.
fn close_empty(stack: &mut Vec<Frame>, _c: &mut Cursor<'_>) -> Option<Value> {
    let empty = match stack.last() {
        Some(Frame::Array { len, .. }) => *len == 0,
        Some(Frame::Map { left, .. }) => *left == 0,
        None => false,
    };
    if !empty {
        return None;
    }
    match stack.pop() {
        Some(Frame::Array { t, .. }) | Some(Frame::Map { t, .. }) => Some(Value::Table(t)),
        None => None,
    }
}

/// `mp_unpack_full`: up to `limit` values from `offset` (both 0: every value, and no offset
/// in front). `used` is what is on Redis's stack before the first value.
fn unpack_full(
    lua: &Lua,
    s: &[u8],
    limit: i64,
    offset: i64,
    used: usize,
) -> mlua::Result<MultiValue> {
    let len = s.len();
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return Err(plain_error(
            lua,
            &format!(
                "Invalid request to unpack with offset of {} and limit of {}.",
                offset as i32, len as i32
            ),
        ));
    }
    if offset as u64 > len as u64 {
        return Err(plain_error(
            lua,
            &format!(
                "Start offset {} greater than input length {}.",
                offset as i32, len as i32
            ),
        ));
    }
    let limit = if decode_all {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let mut c = Cursor {
        data: s,
        pos: offset as usize,
        used,
    };
    let mut out = MultiValue::new();
    let mut cnt = 0;
    while c.left() > 0 && cnt < limit {
        match decode_value(lua, &mut c) {
            Ok(v) => out.push_back(v),
            Err(DecodeError::Eof) => return Err(plain_error(lua, "Missing bytes in input.")),
            Err(DecodeError::BadFormat) => {
                return Err(plain_error(lua, "Bad data format in input."))
            }
            Err(DecodeError::Lua(e)) => return Err(e),
        }
        cnt += 1;
    }
    if !decode_all {
        let next = if c.left() == 0 { -1 } else { c.pos as i64 };
        out.push_front(Value::Integer(next));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(lua: &Lua, code: &str) -> Vec<u8> {
        let lib = library(lua).unwrap();
        lua.globals().set("cmsgpack", lib).unwrap();
        let s: mlua::String = lua.load(code).eval().unwrap();
        s.as_bytes().to_vec()
    }

    #[test]
    fn numbers_pick_the_smallest_encoding() {
        let lua = Lua::new();
        assert_eq!(packed(&lua, "return cmsgpack.pack(1)"), [0x01]);
        assert_eq!(packed(&lua, "return cmsgpack.pack(-1)"), [0xff]);
        assert_eq!(packed(&lua, "return cmsgpack.pack(200)"), [0xcc, 200]);
        assert_eq!(
            packed(&lua, "return cmsgpack.pack(-200)"),
            [0xd1, 0xff, 0x38]
        );
        assert_eq!(
            packed(&lua, "return cmsgpack.pack(0.5)"),
            [0xca, 0x3f, 0, 0, 0]
        );
        assert_eq!(packed(&lua, "return cmsgpack.pack(0.1)")[0], 0xcb);
    }

    #[test]
    fn deep_input_is_bounded_by_the_stack_count() {
        let lua = Lua::new();
        lua.globals()
            .set("cmsgpack", library(&lua).unwrap())
            .unwrap();
        // 100,000 nested one-item arrays: an error, not a deep recursion.
        let data = vec![0x91u8; 100_000];
        let f: mlua::Function = lua
            .load("return function(s) return cmsgpack.unpack(s) end")
            .eval()
            .unwrap();
        let e = f
            .call::<MultiValue>(lua.create_string(&data).unwrap())
            .unwrap_err();
        assert!(e.to_string().contains("stack overflow"), "{e}");
    }
}
