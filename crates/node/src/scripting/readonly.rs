//! `rawset` and `setmetatable` that respect the read-only tables, as Redis 7.0's patched Lua
//! does: the globals table and the library tables (`string`, `redis`, `cjson`…) refuse them
//! with `Attempt to modify a readonly table`, so that no script can leave a global or change
//! a library for the scripts after it. Other tables behave as Lua's own functions.
//!
//! They are Rust functions, not Lua wrappers, so that their own argument errors carry the
//! script's position (`user_script:1: bad argument #1 to 'rawset' …`) as Lua's do.

use mlua::{Lua, MultiValue, Table, Value};

use super::env::{arg_error, plain_error};

/// Redis's error for a write to a read-only table (raised without a position).
const READONLY: &str = "Attempt to modify a readonly table";

/// Put Redis's `rawset` and `setmetatable` in `globals`; `backing` maps each read-only front
/// table (and `_G`) to the table behind it.
pub(crate) fn install(lua: &Lua, globals: &Table, backing: &Table) -> mlua::Result<()> {
    let ro = backing.clone();
    globals.raw_set(
        "rawset",
        lua.create_function(move |lua, args: MultiValue| {
            let t = table_arg(lua, &args, "rawset")?;
            for i in [1, 2] {
                if args.len() <= i {
                    return Err(arg_error(lua, i + 1, "rawset", "value expected"));
                }
            }
            if is_readonly(&ro, &t)? {
                return Err(mlua::Error::RuntimeError(READONLY.to_owned()));
            }
            match &args[1] {
                Value::Nil => {
                    return Err(mlua::Error::RuntimeError("table index is nil".to_owned()))
                }
                Value::Number(n) if n.is_nan() => {
                    return Err(mlua::Error::RuntimeError("table index is NaN".to_owned()))
                }
                _ => {}
            }
            t.raw_set(args[1].clone(), args[2].clone())?;
            Ok(t)
        })?,
    )?;
    let ro = backing.clone();
    globals.raw_set(
        "setmetatable",
        lua.create_function(move |lua, args: MultiValue| {
            let t = table_arg(lua, &args, "setmetatable")?;
            let mt = match args.get(1) {
                Some(Value::Nil) => None,
                Some(Value::Table(m)) => Some(m.clone()),
                _ => return Err(arg_error(lua, 2, "setmetatable", "nil or table expected")),
            };
            if is_readonly(&ro, &t)? {
                return Err(mlua::Error::RuntimeError(READONLY.to_owned()));
            }
            if let Some(old) = t.metatable() {
                if !matches!(old.raw_get::<Value>("__metatable")?, Value::Nil) {
                    return Err(plain_error(lua, "cannot change a protected metatable"));
                }
            }
            t.set_metatable(mt);
            Ok(t)
        })?,
    )?;
    Ok(())
}

/// `luaL_checktype(L, 1, LUA_TTABLE)`.
fn table_arg(lua: &Lua, args: &MultiValue, fname: &str) -> mlua::Result<Table> {
    match args.front() {
        Some(Value::Table(t)) => Ok(t.clone()),
        other => {
            let got = other.map_or("no value", |v| v.type_name());
            Err(arg_error(
                lua,
                1,
                fname,
                &format!("table expected, got {got}"),
            ))
        }
    }
}

fn is_readonly(backing: &Table, t: &Table) -> mlua::Result<bool> {
    Ok(!matches!(backing.raw_get::<Value>(t.clone())?, Value::Nil))
}
