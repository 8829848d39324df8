//! The `struct` library Redis loads into its Lua (Roberto Ierusalimschy's struct 1.7, with
//! Redis's fixes): `struct.pack(fmt, ...)`, `struct.unpack(fmt, s [, pos])` and
//! `struct.size(fmt)`, as Redis 7.0.15 runs them on its 64-bit little-endian build.
//!
//! Formats: `>` big endian, `<` little endian, `![n]` alignment, `x` padding, `b/B` byte,
//! `h/H` short, `l/L` long (8), `T` size_t (8), `i/I[n]` integer of n bytes (default 4, at most
//! 32), `c[n]` n chars (`c0`: the whole string when packing, the previous number read as the
//! length when unpacking), `s` zero-terminated string, `f` float, `d` double, ` ` ignored.
//! Values outside what C converts (a float past `long`'s range) give the bytes x86-64 gives.
//!
//! Ref: Redis 7.0 `deps/lua/src/lua_struct.c`.

use mlua::{Lua, MultiValue, Table, Value};

use super::cmsgpack::c_long;
use super::env::{arg_error, plain_error, to_number, tostring_bytes};

/// Largest integer size in bytes (`MAXINTSIZE`).
const MAX_INT_SIZE: usize = 32;

/// Default `!` alignment: a double's (`MAXALIGN`).
const MAX_ALIGN: usize = 8;

/// Lua 5.1's `LUAI_MAXCSTACK`.
const MAX_CSTACK: usize = 8000;

/// Create the `struct` table.
pub(crate) fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lua.create_function(pack)?)?;
    t.set("unpack", lua.create_function(unpack)?)?;
    t.set("size", lua.create_function(size)?)?;
    Ok(t)
}

/// Byte order and alignment in effect.
struct Header {
    big: bool,
    align: usize,
}

impl Header {
    fn new() -> Self {
        Header {
            big: false,
            align: 1,
        }
    }
}

/// A format string being read (up to its first NUL, as C reads it).
struct Fmt<'a> {
    s: &'a [u8],
    pos: usize,
    fname: &'static str,
}

impl Fmt<'_> {
    fn next(&mut self) -> Option<u8> {
        let c = *self.s.get(self.pos)?;
        if c == 0 {
            return None;
        }
        self.pos += 1;
        Some(c)
    }

    /// `getnum`: the digits here, or `df`.
    fn num(&mut self, lua: &Lua, df: usize) -> mlua::Result<usize> {
        if !self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(df);
        }
        let mut a: i32 = 0;
        while let Some(&d) = self.s.get(self.pos).filter(|d| d.is_ascii_digit()) {
            let d = i32::from(d - b'0');
            if a > i32::MAX / 10 || a * 10 > i32::MAX - d {
                return Err(plain_error(lua, "integral size overflow"));
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a as usize)
    }

    /// `optsize`: the size of option `opt` (reading its digits).
    fn size(&mut self, lua: &Lua, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.num(lua, 1)?,
            b'i' | b'I' => {
                let sz = self.num(lua, 4)?;
                if sz > MAX_INT_SIZE {
                    return Err(plain_error(
                        lua,
                        &format!("integral size {sz} is larger than limit of {MAX_INT_SIZE}"),
                    ));
                }
                sz
            }
            _ => 0,
        })
    }

    /// `controloptions`: endianness, alignment, spaces; any other option is an error.
    fn control(&mut self, lua: &Lua, opt: u8, h: &mut Header) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => h.big = true,
            b'<' => h.big = false,
            b'!' => {
                let a = self.num(lua, MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return Err(plain_error(
                        lua,
                        &format!("alignment {} is not a power of 2", a as i32),
                    ));
                }
                h.align = a;
            }
            _ => {
                return Err(arg_error(
                    lua,
                    1,
                    self.fname,
                    &format!("invalid format option '{}'", char::from(opt)),
                ))
            }
        }
        Ok(())
    }
}

/// `gettoalign`: padding before an item of `size` at `len` (wrapping, as `size_t` does).
fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
}

fn check_fmt(lua: &Lua, args: &MultiValue, fname: &'static str) -> mlua::Result<Vec<u8>> {
    check_string(lua, args, 0, fname)
}

fn check_string(
    lua: &Lua,
    args: &MultiValue,
    i: usize,
    fname: &'static str,
) -> mlua::Result<Vec<u8>> {
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

fn check_number(lua: &Lua, args: &MultiValue, i: usize, fname: &'static str) -> mlua::Result<f64> {
    match args.get(i).and_then(to_number) {
        Some(n) => Ok(n),
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

/// C's `(unsigned long)n` for `n >= 0` and `(unsigned long)(long)n` below, on x86-64.
fn c_ulong(n: f64) -> u64 {
    if n < 0.0 {
        c_long(n) as u64
    } else if n < 18_446_744_073_709_551_616.0 {
        n as u64
    } else if n.is_nan() {
        1 << 63
    } else {
        0
    }
}

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    let fmt_bytes = check_fmt(lua, &args, "pack")?;
    let mut fmt = Fmt {
        s: &fmt_bytes,
        pos: 0,
        fname: "pack",
    };
    let mut h = Header::new();
    let mut arg = 1; // index into `args` of the next value (Lua's argument 2)
    let mut total: usize = 0;
    let mut out = Vec::new();
    while let Some(opt) = fmt.next() {
        let mut size = fmt.size(lua, opt)?;
        let pad = to_align(total, &h, opt, size);
        total = total.wrapping_add(pad);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let mut value = c_ulong(check_number(lua, &args, arg, "pack")?);
                arg += 1;
                let mut buf = [0u8; MAX_INT_SIZE];
                for b in buf.iter_mut().take(size) {
                    *b = (value & 0xff) as u8;
                    value >>= 8;
                }
                let bytes = &mut buf[..size];
                if h.big {
                    bytes.reverse();
                }
                out.extend_from_slice(bytes);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = check_number(lua, &args, arg, "pack")? as f32;
                arg += 1;
                if h.big {
                    out.extend_from_slice(&f.to_be_bytes());
                } else {
                    out.extend_from_slice(&f.to_le_bytes());
                }
            }
            b'd' => {
                let d = check_number(lua, &args, arg, "pack")?;
                arg += 1;
                if h.big {
                    out.extend_from_slice(&d.to_be_bytes());
                } else {
                    out.extend_from_slice(&d.to_le_bytes());
                }
            }
            b'c' | b's' => {
                let s = check_string(lua, &args, arg, "pack")?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // Redis names the argument after the string (its counter moved on).
                    return Err(arg_error(lua, arg + 1, "pack", "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => fmt.control(lua, opt, &mut h)?,
        }
        total = total.wrapping_add(size);
    }
    lua.create_string(&out)
}

/// `getinteger`: `size` bytes in the given order, sign-extended for a signed format (the
/// shift of the sign mask taken modulo 64, as x86 does).
fn get_integer(b: &[u8], big: bool, signed: bool) -> f64 {
    let mut l: u64 = 0;
    if big {
        for &x in b {
            l = (l << 8) | u64::from(x);
        }
    } else {
        for &x in b.iter().rev() {
            l = (l << 8) | u64::from(x);
        }
    }
    if !signed {
        return l as f64;
    }
    let shift = ((b.len() as i64) * 8 - 1) as u32 & 63;
    let mask = u64::MAX << shift;
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let fmt_bytes = check_fmt(lua, &args, "unpack")?;
    let data = check_string(lua, &args, 1, "unpack")?;
    let ld = data.len();
    let start = match args.get(2) {
        None | Some(Value::Nil) => 1,
        Some(_) => c_long(check_number(lua, &args, 2, "unpack")?),
    };
    if start == 0 {
        return Err(arg_error(lua, 3, "unpack", "offset must be 1 or greater"));
    }
    let mut pos = (start as u64 as usize).wrapping_sub(1);
    let mut fmt = Fmt {
        s: &fmt_bytes,
        pos: 0,
        fname: "unpack",
    };
    let mut h = Header::new();
    let mut out = MultiValue::new();
    let base = args.len().max(2);
    let too_short = |lua: &Lua| arg_error(lua, 2, "unpack", "data string too short");
    while let Some(opt) = fmt.next() {
        let mut size = fmt.size(lua, opt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if size > ld || pos > ld - size {
            return Err(too_short(lua));
        }
        if base + out.len() + 2 > MAX_CSTACK {
            return Err(plain_error(lua, "stack overflow (too many results)"));
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                let v = get_integer(&data[pos..pos + size], h.big, signed);
                out.push_back(Value::Number(v));
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = data[pos..pos + 4].try_into().expect("4 bytes checked");
                let f = if h.big {
                    f32::from_be_bytes(b)
                } else {
                    f32::from_le_bytes(b)
                };
                out.push_back(Value::Number(f64::from(f)));
            }
            b'd' => {
                let b: [u8; 8] = data[pos..pos + 8].try_into().expect("8 bytes checked");
                let d = if h.big {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                };
                out.push_back(Value::Number(d));
            }
            b'c' => {
                if size == 0 {
                    let prev = out.back().and_then(to_number);
                    let Some(n) = prev else {
                        return Err(plain_error(lua, "format 'c0' needs a previous size"));
                    };
                    out.pop_back();
                    size = c_ulong(n) as usize;
                    if size > ld || pos > ld - size {
                        return Err(too_short(lua));
                    }
                }
                out.push_back(Value::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(end) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(plain_error(lua, "unfinished string in data"));
                };
                size = end + 1;
                out.push_back(Value::String(lua.create_string(&data[pos..pos + end])?));
            }
            _ => fmt.control(lua, opt, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    out.push_back(Value::Number(pos.wrapping_add(1) as i64 as f64));
    Ok(out)
}

fn size(lua: &Lua, args: MultiValue) -> mlua::Result<f64> {
    let fmt_bytes = check_fmt(lua, &args, "size")?;
    let mut fmt = Fmt {
        s: &fmt_bytes,
        pos: 0,
        fname: "size",
    };
    let mut h = Header::new();
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next() {
        let size = fmt.size(lua, opt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if opt == b's' {
            return Err(arg_error(lua, 1, "size", "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(arg_error(lua, 1, "size", "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            fmt.control(lua, opt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(pos as i64 as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_integers_extend_their_sign() {
        assert_eq!(get_integer(&[0xff, 0xfe], true, true), -2.0);
        assert_eq!(get_integer(&[0xfe, 0xff], false, true), -2.0);
        assert_eq!(get_integer(&[0xfe, 0xff], false, false), 65534.0);
    }

    #[test]
    fn alignment_pads_to_the_item_size() {
        let h = Header {
            big: false,
            align: 8,
        };
        assert_eq!(to_align(1, &h, b'i', 4), 3);
        assert_eq!(to_align(4, &h, b'i', 4), 0);
        assert_eq!(to_align(1, &h, b'c', 4), 0);
    }
}
