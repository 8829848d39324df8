//! Conversions between command replies and Lua values, as Redis 7.0 makes them.
//!
//! Reply → Lua (`redisProtocolToLuaType`): integer → number, bulk → string, null bulk / null
//! array → `false`, array → table, status → `{ok=…}`, error → `{err=…}`; RESP3 (after
//! `redis.setresp(3)`): map → `{map={…}}`, set → `{set={…}}`, null → `nil`, boolean →
//! boolean, double → `{double=…}`, big number → `{big_number=…}`, verbatim →
//! `{verbatim_string={format=…, string=…}}`.
//!
//! Lua → reply (`luaReplyToRedisReply`): string → bulk, number → integer (truncated),
//! boolean → `:1` / null in RESP2 scripts, a boolean in RESP3 ones, table → error / status /
//! double / big number / verbatim / map / set when it has that field, otherwise an array of
//! `t[1]`, `t[2]`… up to the first `nil`; anything else → null.

use hashslot_resp::Reply;
use mlua::{Lua, Table, Value};

/// Tables nested deeper than this reply an error element instead of recursing on (Redis
/// stops on its Lua C-stack limit at a similar depth; a table holding itself would loop).
const MAX_DEPTH: usize = 1000;

/// `printf("%.{prec}g", v)`.
pub(crate) fn fmt_g(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.to_owned();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let prec = prec.max(1);
    let sci = format!("{:.*e}", prec - 1, v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let mant = strip_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, v)).to_owned()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// How Lua 5.1 prints a number (`%.14g`), e.g. in `tostring` and string coercion.
pub(crate) fn lua_number_text(v: f64) -> String {
    fmt_g(v, 14)
}

/// A command argument from a Lua number: `%.17g`, so that no precision is lost (Redis's
/// `luaArgsToRedisArgv`).
pub(crate) fn arg_number_text(v: f64) -> String {
    fmt_g(v, 17)
}

/// Redis's `luaPushErrorBuff`: `-CODE msg` keeps its code, anything else gets `ERR`; the
/// message loses leading and trailing CR/LF. Returns the `err` text.
pub(crate) fn error_text(buf: &[u8]) -> Vec<u8> {
    let (code, msg): (&[u8], &[u8]) = match buf.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(sp) => (&rest[..sp], &rest[sp + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", buf),
    };
    let is_crlf = |b: &u8| *b == b'\r' || *b == b'\n';
    let start = msg.iter().position(|b| !is_crlf(b)).unwrap_or(msg.len());
    let end = msg
        .iter()
        .rposition(|b| !is_crlf(b))
        .map_or(start, |e| e + 1);
    let mut out = code.to_vec();
    out.push(b' ');
    out.extend_from_slice(&msg[start..end]);
    // lua_pushstring stops at a NUL byte.
    if let Some(nul) = out.iter().position(|&b| b == 0) {
        out.truncate(nul);
    }
    out
}

/// The `{err=…}` table for `buf` (see [`error_text`]).
pub(crate) fn error_table(lua: &Lua, buf: &[u8]) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("err", lua.create_string(error_text(buf))?)?;
    Ok(t)
}

/// A command's whole reply (RESP2 or RESP3) as a Lua value.
pub(crate) fn reply_to_lua(lua: &Lua, reply: &[u8]) -> mlua::Result<Value> {
    let mut p = Parser { buf: reply, pos: 0 };
    p.value(lua)
}

struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn line(&mut self) -> &[u8] {
        let rest = &self.buf[self.pos.min(self.buf.len())..];
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(rest.len());
        self.pos += end + 2;
        &rest[..end]
    }

    fn int(line: &[u8]) -> i64 {
        std::str::from_utf8(line)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    fn bulk(&mut self, len: i64) -> &[u8] {
        let len = usize::try_from(len).unwrap_or(0);
        let start = self.pos.min(self.buf.len());
        let end = (start + len).min(self.buf.len());
        self.pos = end + 2;
        &self.buf[start..end]
    }

    /// Parse one value; `lua` `None` skips it (attributes are not shown to scripts).
    fn value(&mut self, lua: &Lua) -> mlua::Result<Value> {
        if self.pos >= self.buf.len() {
            return Ok(Value::Boolean(false));
        }
        let kind = self.buf[self.pos];
        self.pos += 1;
        let line = self.line().to_vec();
        Ok(match kind {
            b':' => Value::Number(Self::int(&line) as f64),
            b'$' => {
                let n = Self::int(&line);
                if n < 0 {
                    Value::Boolean(false)
                } else {
                    Value::String(lua.create_string(self.bulk(n))?)
                }
            }
            b'+' => {
                let t = lua.create_table()?;
                t.set("ok", lua.create_string(&line)?)?;
                Value::Table(t)
            }
            b'-' => {
                let mut e = b"-".to_vec();
                e.extend_from_slice(&line);
                Value::Table(error_table(lua, &e)?)
            }
            b'*' | b'>' => {
                let n = Self::int(&line);
                if n < 0 {
                    return Ok(Value::Boolean(false));
                }
                let t = lua.create_table()?;
                for i in 0..n {
                    let v = self.value(lua)?;
                    t.raw_set(i + 1, v)?;
                }
                Value::Table(t)
            }
            b'%' => {
                let inner = lua.create_table()?;
                for _ in 0..Self::int(&line) {
                    let k = self.value(lua)?;
                    let v = self.value(lua)?;
                    if !k.is_nil() {
                        inner.raw_set(k, v)?;
                    }
                }
                let t = lua.create_table()?;
                t.set("map", inner)?;
                Value::Table(t)
            }
            b'~' => {
                let inner = lua.create_table()?;
                for _ in 0..Self::int(&line) {
                    let k = self.value(lua)?;
                    if !k.is_nil() {
                        inner.raw_set(k, true)?;
                    }
                }
                let t = lua.create_table()?;
                t.set("set", inner)?;
                Value::Table(t)
            }
            b'_' => Value::Nil,
            b'#' => Value::Boolean(line.first() == Some(&b't')),
            b',' => {
                let d = std::str::from_utf8(&line)
                    .ok()
                    .and_then(|s| match s {
                        "inf" => Some(f64::INFINITY),
                        "-inf" => Some(f64::NEG_INFINITY),
                        _ => s.parse().ok(),
                    })
                    .unwrap_or(0.0);
                let t = lua.create_table()?;
                t.set("double", d)?;
                Value::Table(t)
            }
            b'(' => {
                let t = lua.create_table()?;
                t.set("big_number", lua.create_string(&line)?)?;
                Value::Table(t)
            }
            b'=' => {
                let body = self.bulk(Self::int(&line)).to_vec();
                let (fmt, s) = if body.len() >= 4 {
                    (&body[..3], &body[4..])
                } else {
                    (&body[..], &b""[..])
                };
                let inner = lua.create_table()?;
                inner.set("format", lua.create_string(fmt)?)?;
                inner.set("string", lua.create_string(s)?)?;
                let t = lua.create_table()?;
                t.set("verbatim_string", inner)?;
                Value::Table(t)
            }
            b'|' => {
                for _ in 0..Self::int(&line) * 2 {
                    self.value(lua)?;
                }
                self.value(lua)?
            }
            _ => Value::Boolean(false),
        })
    }
}

/// Write `v` as the script's reply to its caller. `script_resp3`: the script ran
/// `redis.setresp(3)` (booleans are then booleans, not `:1`/null).
pub(crate) fn lua_to_reply(v: &Value, r: &mut Reply<'_>, script_resp3: bool) -> mlua::Result<()> {
    write_value(v, r, script_resp3, 0)
}

fn sanitize(b: &[u8]) -> Vec<u8> {
    b.iter()
        .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
        .collect()
}

fn write_value(v: &Value, r: &mut Reply<'_>, resp3: bool, depth: usize) -> mlua::Result<()> {
    match v {
        Value::String(s) => r.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if resp3 {
                r.boolean(*b);
            } else if *b {
                r.int(1);
            } else {
                r.null();
            }
        }
        Value::Integer(i) => r.int(*i),
        Value::Number(n) => r.int(truncate(*n)),
        Value::Table(t) => {
            if depth >= MAX_DEPTH {
                r.raw(b"-ERR reached lua stack limit\r\n");
                return Ok(());
            }
            write_table(t, r, resp3, depth)?;
        }
        _ => r.null(),
    }
    Ok(())
}

/// C's `(long long)` of a double: toward zero, saturating (NaN → the minimum, as x86 gives).
fn truncate(n: f64) -> i64 {
    if n.is_nan() {
        i64::MIN
    } else {
        n as i64
    }
}

fn write_table(t: &Table, r: &mut Reply<'_>, resp3: bool, depth: usize) -> mlua::Result<()> {
    if let Value::String(e) = t.raw_get::<Value>("err")? {
        let mut line = b"-".to_vec();
        line.extend_from_slice(&sanitize(&e.as_bytes()));
        line.extend_from_slice(b"\r\n");
        r.raw(&line);
        return Ok(());
    }
    if let Value::String(s) = t.raw_get::<Value>("ok")? {
        r.simple(&sanitize(&s.as_bytes()));
        return Ok(());
    }
    match t.raw_get::<Value>("double")? {
        Value::Number(d) => {
            r.double(d);
            return Ok(());
        }
        Value::Integer(d) => {
            r.double(d as f64);
            return Ok(());
        }
        _ => {}
    }
    if let Value::String(s) = t.raw_get::<Value>("big_number")? {
        let s = sanitize(&s.as_bytes());
        if r.proto() == hashslot_resp::Proto::Resp3 {
            let mut line = b"(".to_vec();
            line.extend_from_slice(&s);
            line.extend_from_slice(b"\r\n");
            r.raw(&line);
        } else {
            r.bulk(&s);
        }
        return Ok(());
    }
    if let Value::Table(vt) = t.raw_get::<Value>("verbatim_string")? {
        if let (Value::String(f), Value::String(s)) = (
            vt.raw_get::<Value>("format")?,
            vt.raw_get::<Value>("string")?,
        ) {
            let f = f.as_bytes();
            let mut fmt = [b' '; 3];
            for (d, s) in fmt.iter_mut().zip(f.iter()) {
                *d = *s;
            }
            r.verbatim(&fmt, &s.as_bytes());
            return Ok(());
        }
    }
    if let Value::Table(m) = t.raw_get::<Value>("map")? {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().collect::<mlua::Result<_>>()?;
        r.map_len(pairs.len());
        for (k, v) in &pairs {
            write_value(k, r, resp3, depth + 1)?;
            write_value(v, r, resp3, depth + 1)?;
        }
        return Ok(());
    }
    if let Value::Table(s) = t.raw_get::<Value>("set")? {
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .map(|p| p.map(|(k, _)| k))
            .collect::<mlua::Result<_>>()?;
        r.set_len(keys.len());
        for k in &keys {
            write_value(k, r, resp3, depth + 1)?;
        }
        return Ok(());
    }
    let mut items = Vec::new();
    loop {
        let v: Value = t.raw_get(items.len() + 1)?;
        if v.is_nil() {
            break;
        }
        items.push(v);
    }
    r.array_len(items.len());
    for v in &items {
        write_value(v, r, resp3, depth + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_formats() {
        assert_eq!(arg_number_text(1.0), "1");
        assert_eq!(arg_number_text(0.1), "0.10000000000000001");
        assert_eq!(arg_number_text(1e20), "1e+20");
        assert_eq!(arg_number_text(-2.5), "-2.5");
        assert_eq!(lua_number_text(0.1), "0.1");
        assert_eq!(lua_number_text(1e-5), "1e-05");
        assert_eq!(lua_number_text(123456789012345.0), "1.2345678901234e+14");
    }

    #[test]
    fn error_texts() {
        assert_eq!(error_text(b"-WRONGTYPE Operation"), b"WRONGTYPE Operation");
        assert_eq!(error_text(b"-foo"), b"ERR foo");
        assert_eq!(error_text(b"plain text\r\n"), b"ERR plain text");
    }
}
