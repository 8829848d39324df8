//! FUNCTION libraries: `#!lua name=<lib>` code whose load registers functions with
//! `redis.register_function`. They live in their own interpreter (as in Redis, where the
//! function engine has its own Lua state), kept across SCRIPT FLUSH.
//! Ref: Redis 7.0 `functions.c` (`functionsCreateWithLibraryCtx`,
//! `functionExtractLibMetaData`, `functionLibCreateFunction`), `function_lua.c`
//! (`luaEngineCreate`, `luaRegisterFunction*`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::env::{error_text, raise_msg, take_pending, tostring_bytes, LuaEnv};
use super::shebang::{split_args, Flags};

/// One registered function.
#[derive(Clone)]
pub(crate) struct FunctionDef {
    /// Its name (FCALL's first argument).
    pub name: String,
    /// `description` given at registration.
    pub desc: Option<Vec<u8>>,
    /// Flags given at registration.
    pub flags: Flags,
    /// The callback.
    pub func: Function,
}

/// One library: its code and its functions.
#[derive(Clone)]
pub(crate) struct Library {
    /// `name=` of its shebang.
    pub name: String,
    /// The code as loaded, shebang included (FUNCTION LIST WITHCODE, DUMP).
    pub code: Vec<u8>,
    /// Its functions by name.
    pub functions: BTreeMap<String, FunctionDef>,
}

/// Every loaded library, and the interpreter they run in.
pub(crate) struct Libraries {
    /// The functions' interpreter.
    pub env: LuaEnv,
    /// Libraries by name (Redis lists them in hash order; here by name).
    pub libs: BTreeMap<String, Library>,
}

/// A library's code checked and run: what FUNCTION LOAD would add.
struct Loaded {
    lib: Library,
    logs: Vec<(i64, String)>,
}

impl Libraries {
    /// No libraries, a fresh interpreter.
    pub(crate) fn new(rand: Arc<AtomicU64>) -> Self {
        Libraries {
            env: LuaEnv::new(rand),
            libs: BTreeMap::new(),
        }
    }

    /// How many libraries are loaded.
    pub(crate) fn len(&self) -> usize {
        self.libs.len()
    }

    /// How many functions all libraries hold.
    pub(crate) fn function_count(&self) -> usize {
        self.libs.values().map(|l| l.functions.len()).sum()
    }

    /// Bytes of the libraries' code and names (`used_memory_functions`).
    pub(crate) fn code_memory(&self) -> usize {
        self.libs
            .values()
            .map(|l| l.code.len() + l.functions.keys().map(|k| k.len() + 64).sum::<usize>())
            .sum()
    }

    /// The function called `name`.
    pub(crate) fn function(&self, name: &str) -> Option<&FunctionDef> {
        self.libs.values().find_map(|l| l.functions.get(name))
    }

    /// FUNCTION LOAD [REPLACE]: the library's name, or the error text (`ERR …` included).
    /// Log lines the code wrote with `redis.log` are returned either way.
    pub(crate) fn load(
        &mut self,
        code: &[u8],
        replace: bool,
    ) -> (Result<String, String>, Vec<(i64, String)>) {
        match self.create(code) {
            Ok(loaded) => {
                let logs = loaded.logs.clone();
                (self.add(loaded.lib, replace), logs)
            }
            Err((e, logs)) => (Err(e), logs),
        }
    }

    /// Add `lib`: refused when its name is taken (unless `replace`) or one of its functions
    /// belongs to another library.
    fn add(&mut self, lib: Library, replace: bool) -> Result<String, String> {
        if self.libs.contains_key(&lib.name) && !replace {
            return Err(format!("ERR Library '{}' already exists", lib.name));
        }
        for f in lib.functions.keys() {
            let owner = self
                .libs
                .values()
                .find(|l| l.functions.contains_key(f))
                .map(|l| l.name.clone());
            if owner.is_some_and(|o| o != lib.name) {
                return Err(format!("ERR Function {f} already exists"));
            }
        }
        let name = lib.name.clone();
        self.libs.insert(name.clone(), lib);
        Ok(name)
    }

    /// FUNCTION DELETE.
    pub(crate) fn delete(&mut self, name: &str) -> bool {
        self.libs.remove(name).is_some()
    }

    /// FUNCTION FLUSH: no libraries, and a fresh interpreter (its memory back).
    pub(crate) fn flush(&mut self, rand: Arc<AtomicU64>) {
        self.libs.clear();
        self.env = LuaEnv::new(rand);
    }

    /// FUNCTION RESTORE of the libraries' `codes` with `policy` (`FLUSH`, `APPEND`, `REPLACE`).
    /// All or nothing.
    pub(crate) fn restore(
        &mut self,
        codes: &[Vec<u8>],
        policy: &str,
        rand: Arc<AtomicU64>,
    ) -> Result<(), String> {
        let mut staged = Vec::new();
        for code in codes {
            match self.create(code) {
                Ok(l) => staged.push(l.lib),
                Err((e, _)) => return Err(e),
            }
        }
        let before = self.libs.clone();
        if policy == "flush" {
            self.libs.clear();
            if staged.is_empty() {
                self.flush(rand);
                return Ok(());
            }
        }
        for lib in staged {
            // Ref: functions.c libraryJoin: this message names the library without quotes.
            if policy != "replace" && self.libs.contains_key(&lib.name) {
                let e = format!("ERR Library {} already exists", lib.name);
                self.libs = before;
                return Err(e);
            }
            if let Err(e) = self.add(lib, policy == "replace") {
                self.libs = before;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Check the metadata, compile and run `code` so that it registers its functions.
    fn create(&self, code: &[u8]) -> Result<Loaded, (String, Vec<(i64, String)>)> {
        let fail = |e: String| (e, Vec::new());
        let (name, start) = metadata(code).map_err(fail)?;
        if !valid_name(&name) {
            return Err(fail(
                "ERR Library names can only contain letters, numbers, or underscores(_) and \
                 must be at least one character long"
                    .to_owned(),
            ));
        }
        let func = self
            .env
            .compile_named(&code[start..], "@user_function")
            .map_err(|e| fail(format!("ERR Error compiling function: {e}")))?;
        let (registered, logs) = self.register(&func).map_err(fail)?;
        let (registered, logs) = match registered {
            Ok(r) => (r, logs),
            Err(e) => return Err((format!("ERR Error registering functions: {e}"), logs)),
        };
        if registered.is_empty() {
            return Err(("ERR No functions registered".to_owned(), logs));
        }
        Ok(Loaded {
            lib: Library {
                name,
                code: code.to_vec(),
                functions: registered
                    .into_iter()
                    .map(|f| (f.name.clone(), f))
                    .collect(),
            },
            logs,
        })
    }

    /// Run the library's main chunk with the load-time globals and a live
    /// `redis.register_function`; the functions it registered, or the error text.
    #[allow(clippy::type_complexity)]
    fn register(
        &self,
        func: &Function,
    ) -> Result<(Result<Vec<FunctionDef>, String>, Vec<(i64, String)>), String> {
        let env = &self.env;
        let lua = env.lua.clone();
        let lerr = |e: mlua::Error| e.to_string();
        let gmeta: Table = env.hidden.get("gmeta").map_err(lerr)?;
        let normal: Table = env.hidden.get("globals").map_err(lerr)?;
        let load_globals: Table = env.hidden.get("load_globals").map_err(lerr)?;
        let load_redis: Table = env.hidden.get("load_redis").map_err(lerr)?;
        let found: RefCell<Vec<FunctionDef>> = RefCell::new(Vec::new());
        let logs: RefCell<Vec<(i64, String)>> = RefCell::new(Vec::new());
        env.clear_pending();
        gmeta.raw_set("__index", load_globals).map_err(lerr)?;
        let result = lua.scope(|scope| {
            let reg = scope.create_function_mut(|lua, args: MultiValue| {
                let def = register_args(lua, &args)?;
                if !valid_name(&def.name) {
                    return Err(raise_msg(
                        lua,
                        "Library names can only contain letters, numbers, or underscores(_) and \
                         must be at least one character long",
                    ));
                }
                let mut found = found.borrow_mut();
                if found.iter().any(|f| f.name == def.name) {
                    return Err(raise_msg(lua, "Function already exists in the library"));
                }
                found.push(def);
                Ok(())
            })?;
            let log = scope.create_function_mut(|lua, args: MultiValue| {
                if args.len() < 2 {
                    return Err(raise_msg(
                        lua,
                        "redis.log() requires two arguments or more.",
                    ));
                }
                let Some(level) = super::env::to_number(&args[0]) else {
                    return Err(raise_msg(
                        lua,
                        "First argument must be a number (log level).",
                    ));
                };
                let level = level as i64;
                if !(0..=3).contains(&level) {
                    return Err(raise_msg(lua, "Invalid debug level."));
                }
                let parts: Vec<Vec<u8>> = args.iter().skip(1).filter_map(tostring_bytes).collect();
                logs.borrow_mut().push((
                    level,
                    String::from_utf8_lossy(&parts.join(&b' ')).into_owned(),
                ));
                Ok(())
            })?;
            load_redis.raw_set("register_function", reg)?;
            load_redis.raw_set("log", log)?;
            Ok(func.call::<()>(()))
        });
        let _ = gmeta.raw_set("__index", normal);
        let run = result.map_err(lerr)?;
        let logs = logs.into_inner();
        Ok(match run {
            Ok(()) => (Ok(found.into_inner()), logs),
            Err(e) => (Err(load_error_text(&lua, &e)), logs),
        })
    }
}

/// What a failed library load says (Redis's `luaExtractErrorInformation` of the error
/// object: a table's `err`, or `ERR <message>`).
fn load_error_text(lua: &Lua, e: &mlua::Error) -> String {
    if let Some(t) = take_pending(lua, e) {
        if let Ok(Value::String(s)) = t.raw_get::<Value>("err") {
            return s.to_string_lossy();
        }
    }
    format!("ERR {}", error_text(e))
}

/// `redis.register_function(name, callback)` or `redis.register_function{function_name=…,
/// callback=…, flags={…}, description=…}`. Ref: function_lua.c `luaRegisterFunctionReadArgs`.
fn register_args(lua: &Lua, args: &MultiValue) -> mlua::Result<FunctionDef> {
    let name_of = |v: &Value| tostring_bytes(v).map(|b| String::from_utf8_lossy(&b).into_owned());
    match args.len() {
        1 => {
            let Value::Table(t) = &args[0] else {
                return Err(raise_msg(
                    lua,
                    "calling redis.register_function with a single argument is only applicable \
                     to Lua table (representing named arguments).",
                ));
            };
            let (mut name, mut desc, mut func, mut flags) = (None, None, None, Flags::default());
            for pair in t.clone().pairs::<Value, Value>() {
                let (k, v) = pair?;
                let Some(key) = tostring_bytes(&k) else {
                    return Err(raise_msg(
                        lua,
                        "named argument key given to redis.register_function is not a string",
                    ));
                };
                match key.to_ascii_lowercase().as_slice() {
                    b"function_name" => match name_of(&v) {
                        Some(n) => name = Some(n),
                        None => {
                            return Err(raise_msg(
                                lua,
                                "function_name argument given to redis.register_function must \
                                 be a string",
                            ))
                        }
                    },
                    b"description" => {
                        match tostring_bytes(&v) {
                            Some(d) => desc = Some(d),
                            None => return Err(raise_msg(
                                lua,
                                "description argument given to redis.register_function must be \
                                 a string",
                            )),
                        }
                    }
                    b"callback" => match v {
                        Value::Function(f) => func = Some(f),
                        _ => {
                            return Err(raise_msg(
                                lua,
                                "callback argument given to redis.register_function must be a \
                                 function",
                            ))
                        }
                    },
                    b"flags" => {
                        let Value::Table(ft) = v else {
                            return Err(raise_msg(
                                lua,
                                "flags argument to redis.register_function must be a table \
                                 representing function flags",
                            ));
                        };
                        for i in 1.. {
                            let f: Value = ft.get(i)?;
                            if f.is_nil() {
                                break;
                            }
                            let ok = tostring_bytes(&f)
                                .is_some_and(|b| flags.set(&b.to_ascii_lowercase()));
                            if !ok {
                                return Err(raise_msg(lua, "unknown flag given"));
                            }
                        }
                    }
                    _ => {
                        return Err(raise_msg(
                            lua,
                            "unknown argument given to redis.register_function",
                        ))
                    }
                }
            }
            let Some(name) = name else {
                return Err(raise_msg(
                    lua,
                    "redis.register_function must get a function name argument",
                ));
            };
            let Some(func) = func else {
                return Err(raise_msg(
                    lua,
                    "redis.register_function must get a callback argument",
                ));
            };
            Ok(FunctionDef {
                name,
                desc,
                flags,
                func,
            })
        }
        2 => {
            let Some(name) = name_of(&args[0]) else {
                return Err(raise_msg(
                    lua,
                    "first argument to redis.register_function must be a string",
                ));
            };
            let Value::Function(func) = &args[1] else {
                return Err(raise_msg(
                    lua,
                    "second argument to redis.register_function must be a function",
                ));
            };
            Ok(FunctionDef {
                name,
                desc: None,
                flags: Flags::default(),
                func: func.clone(),
            })
        }
        _ => Err(raise_msg(
            lua,
            "wrong number of arguments to redis.register_function",
        )),
    }
}

/// Letters, digits and `_`, at least one. Ref: functions.c `functionsVerifyName`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The library name of `code`'s `#!<engine> name=<lib> …` first line and where the code
/// after it starts (at its newline, so line numbers stay). Ref: `functionExtractLibMetaData`.
fn metadata(code: &[u8]) -> Result<(String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".to_owned());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid library metadata".to_owned());
    };
    let Some(parts) = split_args(&code[2..end]) else {
        return Err("ERR Invalid library metadata".to_owned());
    };
    let Some(engine) = parts.first() else {
        return Err("ERR Invalid library metadata".to_owned());
    };
    let mut name = None;
    for p in &parts[1..] {
        match p.strip_prefix(b"name=") {
            Some(n) => name = Some(String::from_utf8_lossy(n).into_owned()),
            None => {
                return Err(format!(
                    "ERR Invalid metadata value given: {}",
                    String::from_utf8_lossy(p)
                ))
            }
        }
    }
    let Some(name) = name else {
        return Err("ERR Library name was not given".to_owned());
    };
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(format!(
            "ERR Engine '{}' not found",
            String::from_utf8_lossy(engine)
        ));
    }
    Ok((name, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_lines() {
        assert_eq!(
            metadata(b"#!lua name=lib\nx").unwrap(),
            ("lib".to_owned(), 14)
        );
        assert_eq!(
            metadata(b"return 1").unwrap_err(),
            "ERR Missing library metadata"
        );
        assert_eq!(
            metadata(b"#!lua").unwrap_err(),
            "ERR Invalid library metadata"
        );
        assert_eq!(
            metadata(b"#!py name=x\n").unwrap_err(),
            "ERR Engine 'py' not found"
        );
        assert_eq!(
            metadata(b"#!lua name=a foo=bar\n").unwrap_err(),
            "ERR Invalid metadata value given: foo=bar"
        );
    }

    #[test]
    fn load_registers_and_refuses_collisions() {
        let mut libs = Libraries::new(super::super::env::rand48_initial());
        let code = b"#!lua name=l1\nredis.register_function('f', function() return 1 end)";
        assert_eq!(libs.load(code, false).0, Ok("l1".to_owned()));
        assert_eq!(
            libs.load(code, false).0,
            Err("ERR Library 'l1' already exists".to_owned())
        );
        let other = b"#!lua name=l2\nredis.register_function('f', function() return 1 end)";
        assert_eq!(
            libs.load(other, false).0,
            Err("ERR Function f already exists".to_owned())
        );
        assert_eq!(libs.load(code, true).0, Ok("l1".to_owned()));
        assert_eq!(libs.function_count(), 1);
        assert!(libs.function("f").is_some());
    }
}
