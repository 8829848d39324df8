//! `coroutine.resume` and `coroutine.wrap` that keep the script time limit on coroutines.
//!
//! mlua runs its hook in one thread only: the hook a coroutine inherits from its creator is
//! removed at its first event, so a loop inside a coroutine was never stopped (the node hung
//! for good on `coroutine.wrap(function() while true do end end)()`). These functions move
//! the hook onto the coroutine before resuming it and back onto the resumer afterwards, and
//! check the deadline at each switch (moving a hook restarts its instruction count, so a
//! script switching threads forever would otherwise never be counted out).
//!
//! They are Rust functions, not Lua wrappers, so that `return coroutine.wrap(f)()` keeps the
//! script's frame (a Lua callee would replace it) and errors carry the script's position as
//! Lua's own functions give it. Errors a coroutine raised come back as Redis's do: a
//! `redis.call` error as its `{err=…}` table.

use mlua::{Function, Lua, MultiValue, Table, Thread, Value};

use super::env::{arg_error, error_text, raise_table, take_pending, TimeLimit, HOOK_EVERY, KILLED};

/// Put `co_resume` and `co_wrap` in the hidden table `h` (the node's Lua code installs them
/// as `coroutine.resume` and `coroutine.wrap`).
pub(crate) fn install(lua: &Lua, h: &Table, limit: &TimeLimit) -> mlua::Result<()> {
    let coroutine: Table = lua.globals().get("coroutine")?;
    let raw_resume: Function = coroutine.get("resume")?;
    let (resume, l) = (raw_resume.clone(), limit.clone());
    h.set(
        "co_resume",
        lua.create_function(move |lua, mut args: MultiValue| {
            let Some(Value::Thread(co)) = args.pop_front() else {
                return Err(arg_error(lua, 1, "resume", "coroutine expected"));
            };
            let mut out = switch(lua, &l, &resume, &co, args)?;
            if let Some(Value::Boolean(false)) = out.front() {
                if let Some(Value::Error(e)) = out.get(1) {
                    let v = error_value(lua, e)?;
                    out[1] = v;
                }
            }
            Ok(out)
        })?,
    )?;
    let l = limit.clone();
    h.set(
        "co_wrap",
        lua.create_function(move |lua, args: MultiValue| {
            let f = match args.front() {
                Some(Value::Function(f)) if f.info().what != "C" => f.clone(),
                _ => return Err(arg_error(lua, 1, "wrap", "Lua function expected")),
            };
            let co = lua.create_thread(f)?;
            let (resume, l) = (raw_resume.clone(), l.clone());
            lua.create_function(move |lua, args: MultiValue| {
                let mut out = switch(lua, &l, &resume, &co, args)?;
                match out.pop_front() {
                    Some(Value::Boolean(true)) => Ok(out),
                    _ => Err(wrap_error(lua, out.pop_front().unwrap_or(Value::Nil))),
                }
            })
        })?,
    )?;
    Ok(())
}

/// Resume `co` with its hook, then hook the resumer again: `(ok, values…)` as Lua's resume.
fn switch(
    lua: &Lua,
    limit: &TimeLimit,
    resume: &Function,
    co: &Thread,
    args: MultiValue,
) -> mlua::Result<MultiValue> {
    if limit.expired() {
        return Err(mlua::Error::RuntimeError(KILLED.to_owned()));
    }
    co.set_hook(HOOK_EVERY, limit.hook());
    let out: mlua::Result<MultiValue> = resume.call((co, args));
    lua.current_thread().set_hook(HOOK_EVERY, limit.hook());
    let out = out?;
    if limit.expired() {
        return Err(mlua::Error::RuntimeError(KILLED.to_owned()));
    }
    Ok(out)
}

/// The value of an error raised from Rust inside the coroutine: the `{err=…}` table it
/// stands for, or its message.
fn error_value(lua: &Lua, e: &mlua::Error) -> mlua::Result<Value> {
    Ok(match take_pending(lua, e) {
        Some(t) => Value::Table(t),
        None => Value::String(lua.create_string(error_text(e))?),
    })
}

/// Lua's `auxwrap`: the coroutine's error raised again in the caller, a string (or number)
/// with the caller's position in front.
fn wrap_error(lua: &Lua, e: Value) -> mlua::Error {
    let e = match e {
        Value::Error(err) => match error_value(lua, &err) {
            Ok(v) => v,
            Err(other) => return other,
        },
        other => other,
    };
    let text = match &e {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(i.to_string().into_bytes()),
        Value::Number(n) => Some(super::convert::lua_number_text(*n).into_bytes()),
        _ => None,
    };
    match (text, e) {
        (Some(t), _) => super::env::plain_error(lua, &String::from_utf8_lossy(&t)),
        (None, Value::Table(t)) => raise_table(lua, t),
        (None, other) => mlua::Error::RuntimeError(other.type_name().to_owned()),
    }
}
