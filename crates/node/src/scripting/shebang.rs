//! `#!lua …` first lines: script flags for EVAL, the library name for FUNCTION LOAD.
//! Ref: Redis 7.0 `eval.c` `evalExtractShebangFlags`, `function_lua.c` / `functions.c`
//! `functionExtractLibMetaData`.

/// Flags a script or function declares (Redis's `SCRIPT_FLAG_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    /// `no-writes`
    pub no_writes: bool,
    /// `allow-oom`
    pub allow_oom: bool,
    /// `allow-stale`
    pub allow_stale: bool,
    /// `no-cluster`
    pub no_cluster: bool,
    /// `allow-cross-slot-keys`
    pub allow_cross_slot: bool,
}

impl Flags {
    /// Set the flag named `name`; false when there is no such flag.
    pub(crate) fn set(&mut self, name: &[u8]) -> bool {
        match name {
            b"no-writes" => self.no_writes = true,
            b"allow-oom" => self.allow_oom = true,
            b"allow-stale" => self.allow_stale = true,
            b"no-cluster" => self.no_cluster = true,
            b"allow-cross-slot-keys" => self.allow_cross_slot = true,
            _ => return false,
        }
        true
    }

    /// The flag names set, in Redis's order (FUNCTION LIST shows them so).
    pub(crate) fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        for (on, name) in [
            (self.no_writes, "no-writes"),
            (self.allow_oom, "allow-oom"),
            (self.allow_stale, "allow-stale"),
            (self.no_cluster, "no-cluster"),
            (self.allow_cross_slot, "allow-cross-slot-keys"),
        ] {
            if on {
                v.push(name);
            }
        }
        v
    }
}

/// What the shebang of an EVAL script says: `Ok(None)` without one (compatibility mode),
/// else its flags and the length of the line (kept out of the compiled code, its newline
/// kept so line numbers stay the user's).
pub(crate) fn eval_flags(body: &[u8]) -> Result<Option<(Flags, usize)>, String> {
    if !body.starts_with(b"#!") {
        return Ok(None);
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".to_owned());
    };
    let parts = split_args(&body[..end]).ok_or("Invalid engine in script shebang")?;
    let Some(engine) = parts.first() else {
        return Err("Invalid engine in script shebang".to_owned());
    };
    if engine != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(engine)
        ));
    }
    let mut flags = Flags::default();
    for p in &parts[1..] {
        if let Some(list) = p.strip_prefix(b"flags=") {
            for f in list.split(|&b| b == b',') {
                if !flags.set(f) {
                    return Err(format!(
                        "Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(f)
                    ));
                }
            }
        } else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(p)
            ));
        }
    }
    Ok(Some((flags, end)))
}

/// Redis's `sdssplitargs` for a shebang line: space-separated words, with `"…"` and `'…'`
/// quoting. `None` on unbalanced quotes.
pub(crate) fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        let mut cur = Vec::new();
        let mut quote: Option<u8> = None;
        while i < line.len() {
            let c = line[i];
            match quote {
                Some(q) if c == q => {
                    quote = None;
                    i += 1;
                    if i < line.len() && !line[i].is_ascii_whitespace() {
                        return None;
                    }
                    break;
                }
                Some(b'"') if c == b'\\' && i + 1 < line.len() => {
                    cur.push(line[i + 1]);
                    i += 2;
                    continue;
                }
                Some(_) => cur.push(c),
                None if c == b'"' || c == b'\'' => quote = Some(c),
                None if c.is_ascii_whitespace() => break,
                None => cur.push(c),
            }
            i += 1;
        }
        if quote.is_some() {
            return None;
        }
        out.push(cur);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse() {
        assert_eq!(eval_flags(b"return 1").unwrap(), None);
        let (f, len) = eval_flags(b"#!lua flags=no-writes,allow-cross-slot-keys\nreturn 1")
            .unwrap()
            .unwrap();
        assert!(f.no_writes && f.allow_cross_slot && !f.allow_oom);
        assert_eq!(len, 43);
        assert_eq!(
            eval_flags(b"#!lua flags=bad\n").unwrap_err(),
            "Unexpected flag in script shebang: bad"
        );
        assert_eq!(
            eval_flags(b"#!py\n").unwrap_err(),
            "Unexpected engine in script shebang: #!py"
        );
        assert_eq!(eval_flags(b"#!lua").unwrap_err(), "Invalid script shebang");
    }
}
