//! The `bit` library Redis loads into its Lua (LuaBitOp 1.0): 32-bit operations on numbers,
//! results as signed 32-bit integers. Numbers are first rounded half-to-even and wrapped to 32
//! bits (BitOp's `tobit`).

use mlua::{Lua, MultiValue, Table};

use super::env::{arg_error, to_number};

/// BitOp's `barg`: the argument at `i` as 32 bits.
fn barg(lua: &Lua, args: &MultiValue, i: usize, fname: &str) -> mlua::Result<u32> {
    match args.get(i).and_then(to_number) {
        Some(n) => Ok(tobit(n)),
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

/// Round half to even, keep the low 32 bits.
fn tobit(n: f64) -> u32 {
    n.round_ties_even() as i64 as u32
}

fn num(v: u32) -> f64 {
    f64::from(v as i32)
}

/// Create the `bit` table.
pub(crate) fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let unary = |name: &'static str, f: fn(u32) -> u32| -> mlua::Result<mlua::Function> {
        lua.create_function(move |lua, args: MultiValue| Ok(num(f(barg(lua, &args, 0, name)?))))
    };
    t.set("tobit", unary("tobit", |x| x)?)?;
    t.set("bnot", unary("bnot", |x| !x)?)?;
    t.set("bswap", unary("bswap", u32::swap_bytes)?)?;
    let fold = |name: &'static str, f: fn(u32, u32) -> u32| -> mlua::Result<mlua::Function> {
        lua.create_function(move |lua, args: MultiValue| {
            let mut acc = barg(lua, &args, 0, name)?;
            for i in 1..args.len() {
                acc = f(acc, barg(lua, &args, i, name)?);
            }
            Ok(num(acc))
        })
    };
    t.set("band", fold("band", |a, b| a & b)?)?;
    t.set("bor", fold("bor", |a, b| a | b)?)?;
    t.set("bxor", fold("bxor", |a, b| a ^ b)?)?;
    let shift = |name: &'static str, f: fn(u32, u32) -> u32| -> mlua::Result<mlua::Function> {
        lua.create_function(move |lua, args: MultiValue| {
            let x = barg(lua, &args, 0, name)?;
            let n = barg(lua, &args, 1, name)? & 31;
            Ok(num(f(x, n)))
        })
    };
    t.set("lshift", shift("lshift", |x, n| x << n)?)?;
    t.set("rshift", shift("rshift", |x, n| x >> n)?)?;
    t.set(
        "arshift",
        shift("arshift", |x, n| ((x as i32) >> n) as u32)?,
    )?;
    t.set("rol", shift("rol", u32::rotate_left)?)?;
    t.set("ror", shift("ror", u32::rotate_right)?)?;
    t.set(
        "tohex",
        lua.create_function(|lua, args: MultiValue| {
            let x = barg(lua, &args, 0, "tohex")?;
            let n = if args.len() > 1 {
                barg(lua, &args, 1, "tohex")? as i32
            } else {
                8
            };
            let upper = n < 0;
            let n = n.unsigned_abs().min(8) as usize;
            let masked = if n == 8 {
                x
            } else {
                x & ((1u32 << (4 * n)) - 1)
            };
            let s = if upper {
                format!("{masked:08X}")
            } else {
                format!("{masked:08x}")
            };
            Ok(s[8 - n..].to_owned())
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::tobit;

    #[test]
    fn tobit_rounds_half_even_and_wraps() {
        assert_eq!(tobit(2.5) as i32, 2);
        assert_eq!(tobit(-1.5) as i32, -2);
        assert_eq!(tobit(4294967301.0), 5);
    }
}
