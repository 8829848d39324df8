//! The `cjson` library Redis loads into its Lua (lua-cjson 2.1.0 with Redis's defaults):
//! `cjson.encode`, `cjson.decode` and `cjson.null`, with lua-cjson's output (`%.14g` numbers,
//! `\/` escaped, empty tables as `{}`, sparse arrays refused) and its error texts (`Expected
//! value but found T_END at character 1`). The configuration functions (`encode_max_depth`…)
//! are not provided: Redis's defaults are fixed here.

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use super::convert::fmt_g;
use super::env::{arg_error, plain_error, tostring_bytes};

/// lua-cjson's default nesting limit for both directions.
const MAX_DEPTH: usize = 1000;
/// `encode_sparse_ratio` / `encode_sparse_safe` defaults.
const SPARSE_RATIO: f64 = 2.0;
const SPARSE_SAFE: f64 = 10.0;

/// `cjson.null`: a light userdata holding NULL, as lua-cjson's.
fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// Create the `cjson` table.
pub(crate) fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    t.set("null", null())?;
    t.set(
        "encode",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(arg_error(lua, 1, "encode", "expected 1 argument"));
            }
            let mut out = Vec::new();
            encode(lua, &args[0], &mut out, 0)?;
            lua.create_string(&out)
        })?,
    )?;
    t.set(
        "decode",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(arg_error(lua, 1, "decode", "expected 1 argument"));
            }
            let Some(text) = tostring_bytes(&args[0]) else {
                let got = args[0].type_name();
                return Err(arg_error(
                    lua,
                    1,
                    "decode",
                    &format!("string expected, got {got}"),
                ));
            };
            let mut d = Decoder {
                lua,
                s: &text,
                pos: 0,
                depth: 0,
            };
            let tok = d.next_token();
            let v = d.value(tok)?;
            let end = d.next_token();
            if end.kind != Kind::End {
                return Err(d.expected("the end", &end));
            }
            Ok(v)
        })?,
    )?;
    Ok(t)
}

fn fail(lua: &Lua, msg: &str) -> mlua::Error {
    plain_error(lua, msg)
}

fn encode_number(lua: &Lua, n: f64, out: &mut Vec<u8>) -> mlua::Result<()> {
    if n.is_nan() || n.is_infinite() {
        return Err(fail(lua, "Cannot serialise number: must not be NaN or Inf"));
    }
    out.extend_from_slice(fmt_g(n, 14).as_bytes());
    Ok(())
}

fn encode_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            8 => out.extend_from_slice(b"\\b"),
            9 => out.extend_from_slice(b"\\t"),
            10 => out.extend_from_slice(b"\\n"),
            12 => out.extend_from_slice(b"\\f"),
            13 => out.extend_from_slice(b"\\r"),
            c if c < 0x20 || c == 0x7f => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

fn encode(lua: &Lua, v: &Value, out: &mut Vec<u8>, depth: usize) -> mlua::Result<()> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => encode_number(lua, *i as f64, out)?,
        Value::Number(n) => encode_number(lua, *n, out)?,
        Value::String(s) => encode_string(&s.as_bytes(), out),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > MAX_DEPTH {
                return Err(fail(
                    lua,
                    &format!("Cannot serialise, excessive nesting ({depth})"),
                ));
            }
            let pairs: Vec<(Value, Value)> = t
                .clone()
                .pairs::<Value, Value>()
                .collect::<mlua::Result<_>>()?;
            match array_length(lua, &pairs)? {
                Some(max) if max > 0 => {
                    out.push(b'[');
                    for i in 1..=max {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item: Value = t.raw_get(i)?;
                        encode(lua, &item, out, depth)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    for (i, (k, val)) in pairs.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        match k {
                            Value::String(s) => encode_string(&s.as_bytes(), out),
                            Value::Integer(n) => {
                                out.push(b'"');
                                encode_number(lua, *n as f64, out)?;
                                out.push(b'"');
                            }
                            Value::Number(n) => {
                                out.push(b'"');
                                encode_number(lua, *n, out)?;
                                out.push(b'"');
                            }
                            other => {
                                return Err(fail(
                                    lua,
                                    &format!(
                                        "Cannot serialise {}: table key must be a number or string",
                                        other.type_name()
                                    ),
                                ))
                            }
                        }
                        out.push(b':');
                        encode(lua, val, out, depth)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => {
            let name = match other {
                Value::LightUserData(_) => "lightuserdata",
                o => o.type_name(),
            };
            return Err(fail(
                lua,
                &format!("Cannot serialise {name}: type not supported"),
            ));
        }
    }
    Ok(())
}

/// lua-cjson's `lua_array_length`: `Some(max index)` when every key is a positive integer,
/// `None` for an object; a too sparse array is an error.
fn array_length(lua: &Lua, pairs: &[(Value, Value)]) -> mlua::Result<Option<usize>> {
    let (mut max, mut items) = (0f64, 0f64);
    for (k, _) in pairs {
        let n = match k {
            Value::Integer(i) => *i as f64,
            Value::Number(n) => *n,
            _ => return Ok(None),
        };
        if n.floor() != n || n < 1.0 {
            return Ok(None);
        }
        max = max.max(n);
        items += 1.0;
    }
    if max > items * SPARSE_RATIO && max > SPARSE_SAFE {
        return Err(fail(
            lua,
            "Cannot serialise table: excessively sparse array",
        ));
    }
    Ok(Some(max as usize))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    String,
    Number,
    Boolean,
    Null,
    Colon,
    Comma,
    End,
    Error,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ObjBegin => "T_OBJ_BEGIN",
            Kind::ObjEnd => "T_OBJ_END",
            Kind::ArrBegin => "T_ARR_BEGIN",
            Kind::ArrEnd => "T_ARR_END",
            Kind::String => "T_STRING",
            Kind::Number => "T_NUMBER",
            Kind::Boolean => "T_BOOLEAN",
            Kind::Null => "T_NULL",
            Kind::Colon => "T_COLON",
            Kind::Comma => "T_COMMA",
            Kind::End => "T_END",
            Kind::Error => "T_ERROR",
        }
    }
}

struct Token {
    kind: Kind,
    /// Where it starts (or where the error is), 0-based.
    index: usize,
    text: Vec<u8>,
    number: f64,
    boolean: bool,
    error: &'static str,
}

impl Token {
    fn new(kind: Kind, index: usize) -> Self {
        Token {
            kind,
            index,
            text: Vec::new(),
            number: 0.0,
            boolean: false,
            error: "",
        }
    }

    fn error(index: usize, error: &'static str) -> Self {
        Token {
            error,
            ..Token::new(Kind::Error, index)
        }
    }
}

struct Decoder<'a> {
    lua: &'a Lua,
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Decoder<'_> {
    fn expected(&self, what: &str, t: &Token) -> mlua::Error {
        let found = if t.kind == Kind::Error {
            t.error
        } else {
            t.kind.name()
        };
        fail(
            self.lua,
            &format!(
                "Expected {what} but found {found} at character {}",
                t.index + 1
            ),
        )
    }

    fn descend(&mut self, at: usize) -> mlua::Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(fail(
                self.lua,
                &format!(
                    "Found too many nested data structures ({}) at character {}",
                    self.depth,
                    at + 1
                ),
            ));
        }
        Ok(())
    }

    fn next_token(&mut self) -> Token {
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.pos += 1;
        }
        let at = self.pos;
        let Some(&c) = self.s.get(at) else {
            return Token::new(Kind::End, at);
        };
        let single = |k| Token::new(k, at);
        match c {
            b'{' => {
                self.pos += 1;
                single(Kind::ObjBegin)
            }
            b'}' => {
                self.pos += 1;
                single(Kind::ObjEnd)
            }
            b'[' => {
                self.pos += 1;
                single(Kind::ArrBegin)
            }
            b']' => {
                self.pos += 1;
                single(Kind::ArrEnd)
            }
            b':' => {
                self.pos += 1;
                single(Kind::Colon)
            }
            b',' => {
                self.pos += 1;
                single(Kind::Comma)
            }
            b'"' => self.string(at),
            b'-' | b'0'..=b'9' | b'i' | b'I' | b'n' | b'N' if !self.is_literal(b"null") => {
                self.number(at)
            }
            _ => {
                for (lit, kind, b) in [
                    (&b"true"[..], Kind::Boolean, true),
                    (b"false", Kind::Boolean, false),
                    (b"null", Kind::Null, false),
                ] {
                    if self.is_literal(lit) {
                        self.pos += lit.len();
                        return Token {
                            boolean: b,
                            ..Token::new(kind, at)
                        };
                    }
                }
                Token::error(at, "invalid token")
            }
        }
    }

    fn is_literal(&self, lit: &[u8]) -> bool {
        self.s[self.pos..].starts_with(lit)
    }

    /// strtod's longest prefix (decimal, hex, inf, nan), as lua-cjson reads numbers.
    fn number(&mut self, at: usize) -> Token {
        let rest = &self.s[at..];
        let mut i = 0;
        if matches!(rest.first(), Some(b'-' | b'+')) {
            i += 1;
        }
        let lower: Vec<u8> = rest[i..rest.len().min(i + 8)].to_ascii_lowercase();
        let len = if lower.starts_with(b"infinity") {
            i + 8
        } else if lower.starts_with(b"inf") || lower.starts_with(b"nan") {
            i + 3
        } else if lower.starts_with(b"0x") {
            let d = rest[i + 2..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            if d == 0 {
                i + 1
            } else {
                i + 2 + d
            }
        } else {
            let mut j = i;
            let digits = |j: &mut usize| {
                let s = *j;
                while rest.get(*j).is_some_and(u8::is_ascii_digit) {
                    *j += 1;
                }
                *j - s
            };
            let mut n = digits(&mut j);
            if rest.get(j) == Some(&b'.') {
                let mut k = j + 1;
                let f = digits(&mut k);
                if n + f > 0 {
                    j = k;
                    n += f;
                }
            }
            if n == 0 {
                return Token::error(at, "invalid number");
            }
            if matches!(rest.get(j), Some(b'e' | b'E')) {
                let mut k = j + 1;
                if matches!(rest.get(k), Some(b'-' | b'+')) {
                    k += 1;
                }
                if digits(&mut k) > 0 {
                    j = k;
                }
            }
            j
        };
        let text = String::from_utf8_lossy(&rest[..len]).to_ascii_lowercase();
        let value = parse_strtod(&text);
        match value {
            Some(v) => {
                self.pos = at + len;
                Token {
                    number: v,
                    ..Token::new(Kind::Number, at)
                }
            }
            None => Token::error(at, "invalid number"),
        }
    }

    fn string(&mut self, at: usize) -> Token {
        let mut out = Vec::new();
        let mut i = at + 1;
        loop {
            let Some(&c) = self.s.get(i) else {
                return Token::error(i, "unexpected end of string");
            };
            match c {
                b'"' => break,
                b'\\' => {
                    let esc = at_or_zero(self.s, i + 1);
                    let plain = match esc {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Token::error(i, "invalid escape code"),
                    };
                    match plain {
                        Some(p) => {
                            out.push(p);
                            i += 2;
                        }
                        None => match unicode_escape(self.s, i) {
                            Some((ch, used)) => {
                                let mut buf = [0u8; 4];
                                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                                i += used;
                            }
                            None => return Token::error(i, "invalid unicode escape code"),
                        },
                    }
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        self.pos = i + 1;
        Token {
            text: out,
            ..Token::new(Kind::String, at)
        }
    }

    fn value(&mut self, t: Token) -> mlua::Result<Value> {
        let lua = self.lua;
        Ok(match t.kind {
            Kind::String => Value::String(lua.create_string(&t.text)?),
            Kind::Number => Value::Number(t.number),
            Kind::Boolean => Value::Boolean(t.boolean),
            Kind::Null => null(),
            Kind::ObjBegin => {
                self.descend(t.index)?;
                let table = lua.create_table()?;
                let mut tok = self.next_token();
                if tok.kind != Kind::ObjEnd {
                    loop {
                        if tok.kind != Kind::String {
                            return Err(self.expected("object key string", &tok));
                        }
                        let key = lua.create_string(&tok.text)?;
                        let colon = self.next_token();
                        if colon.kind != Kind::Colon {
                            return Err(self.expected("colon", &colon));
                        }
                        let vt = self.next_token();
                        let v = self.value(vt)?;
                        table.raw_set(key, v)?;
                        let sep = self.next_token();
                        if sep.kind == Kind::ObjEnd {
                            break;
                        }
                        if sep.kind != Kind::Comma {
                            return Err(self.expected("comma or object end", &sep));
                        }
                        tok = self.next_token();
                    }
                }
                self.depth -= 1;
                Value::Table(table)
            }
            Kind::ArrBegin => {
                self.descend(t.index)?;
                let table = lua.create_table()?;
                let mut tok = self.next_token();
                if tok.kind != Kind::ArrEnd {
                    let mut i = 1;
                    loop {
                        let v = self.value(tok)?;
                        table.raw_set(i, v)?;
                        i += 1;
                        let sep = self.next_token();
                        if sep.kind == Kind::ArrEnd {
                            break;
                        }
                        if sep.kind != Kind::Comma {
                            return Err(self.expected("comma or array end", &sep));
                        }
                        tok = self.next_token();
                    }
                }
                self.depth -= 1;
                Value::Table(table)
            }
            _ => return Err(self.expected("value", &t)),
        })
    }
}

fn at_or_zero(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// `\uXXXX` at `i` (the backslash), with a following low surrogate when it is a high one:
/// the character and the bytes used.
fn unicode_escape(s: &[u8], i: usize) -> Option<(char, usize)> {
    let hex4 = |at: usize| -> Option<u32> {
        let h = s.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    };
    let hi = hex4(i + 2)?;
    if (0xD800..0xDC00).contains(&hi) {
        if s.get(i + 6) != Some(&b'\\') || s.get(i + 7) != Some(&b'u') {
            return None;
        }
        let lo = hex4(i + 8)?;
        if !(0xDC00..0xE000).contains(&lo) {
            return None;
        }
        let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        return Some((char::from_u32(cp)?, 12));
    }
    if (0xDC00..0xE000).contains(&hi) {
        return None;
    }
    Some((char::from_u32(hi)?, 6))
}

/// The value of a number token's text (lower-cased), as strtod reads it.
fn parse_strtod(t: &str) -> Option<f64> {
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let v = if let Some(hex) = body.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()? as f64
    } else if body.starts_with("inf") {
        f64::INFINITY
    } else if body == "nan" {
        f64::NAN
    } else {
        body.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}
