//! Parsing one parameter's arguments into a checked value, with Redis's error texts.

use super::table::{Kind, Num, Param, Special, StrCheck};
use super::value::{memtoull, string2d, string2ll, strtoll_full};
use super::OutputBufferLimit;

/// A checked value, ready to store.
#[derive(Debug, Clone)]
pub(crate) enum Parsed {
    Bool(bool),
    Int(i64),
    /// The value (bit flags OR-ed for multi-value enums).
    Enum(u32),
    Str(Vec<u8>),
    Dir(String),
    /// Seconds/changes pairs.
    Save(Vec<(u64, u64)>),
    /// Per class (normal, replica, pubsub), the new limit if given.
    Obuf([Option<OutputBufferLimit>; 3]),
    Bind(Vec<String>),
    ReplicaOf(Option<(String, u16)>),
    /// Parameters whose value is only stored: the text CONFIG GET prints.
    Text(String),
}

type R = Result<Parsed, String>;

const WRONG_ARGS: &str = "wrong number of arguments";
const NO_DEFRAG: &str = "Active defragmentation cannot be enabled: it requires a Redis server \
                         compiled with a modified Jemalloc like the one shipped by default with \
                         the Redis source distribution";

/// Check `args` for `p`; `Err` is Redis's message.
pub(crate) fn parse(p: &Param, args: &[Vec<u8>]) -> R {
    let one = || args.first().map(Vec::as_slice).unwrap_or_default();
    match p.kind {
        Kind::Bool => match one().to_ascii_lowercase().as_slice() {
            // The reference build (Debian's 7.0.15, system jemalloc) has no active defrag.
            b"yes" if p.name == "activedefrag" => Err(NO_DEFRAG.into()),
            b"yes" => Ok(Parsed::Bool(true)),
            b"no" => Ok(Parsed::Bool(false)),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int {
            min,
            max,
            unsigned,
            num,
        } => parse_int(one(), min, max, unsigned, num),
        Kind::Enum { values, multi } => parse_enum(p.name, args, values, multi),
        Kind::Str { check } => {
            check_str(one(), check)?;
            Ok(Parsed::Str(one().to_vec()))
        }
        Kind::Special(s) => parse_special(s, args),
    }
}

fn parse_int(v: &[u8], min: i128, max: i128, unsigned: bool, num: Num) -> R {
    let parsed: Option<i64> = match num {
        Num::Plain => string2ll(v),
        Num::Memory => memtoull(v).map(|u| u as i64),
        Num::MemoryPercent => memtoull(v).map(|u| u as i64).or_else(|| {
            let digits = v.strip_suffix(b"%").filter(|d| !d.is_empty())?;
            string2ll(digits).filter(|n| *n >= 0).map(|n| -n)
        }),
        Num::Octal => strtoll_full(v, 8),
    };
    let Some(ll) = parsed else {
        return Err(match num {
            Num::MemoryPercent => "argument must be a memory or percent value",
            Num::Memory => "argument must be a memory value",
            Num::Octal => "argument couldn't be parsed as an octal number",
            Num::Plain => "argument couldn't be parsed into an integer",
        }
        .into());
    };
    let bounds = |lo: i128, hi: i128| match num {
        Num::Octal => format!("argument must be between {lo:o} and {hi:o} inclusive"),
        _ => format!("argument must be between {lo} and {hi} inclusive"),
    };
    if unsigned {
        let u = i128::from(ll as u64);
        let (lo, hi) = (i128::from(min as u64), i128::from(max as u64));
        if u < lo || u > hi {
            return Err(bounds(lo, hi));
        }
    } else if num == Num::MemoryPercent && ll < 0 {
        if i128::from(ll) < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
    } else if i128::from(ll) < min || i128::from(ll) > max {
        return Err(bounds(min, max));
    }
    Ok(Parsed::Int(ll))
}

/// Redis's `configEnumGetName`: the first exact name, or (bit flags) the names whose bits are set.
pub(crate) fn enum_name(values: &[(&str, u32)], v: u32, multi: bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut unmatched = v;
    for (name, val) in values {
        if *val == v {
            return (*name).to_string();
        }
        if multi && *val != 0 && *val == unmatched & *val {
            names.push(name);
            unmatched &= !*val;
        }
    }
    if names.is_empty() || unmatched != 0 {
        return "unknown".into();
    }
    names.join(" ")
}

fn parse_enum(name: &str, args: &[Vec<u8>], values: &[(&str, u32)], multi: bool) -> R {
    let bad = || {
        let list: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
        let mut m = format!(
            "argument(s) must be one of the following: {}",
            list.join(", ")
        );
        m.truncate(255);
        m
    };
    if args.is_empty() || (!multi && args.len() != 1) {
        return Err(bad());
    }
    let mut v = 0;
    for a in args {
        let found = values
            .iter()
            .filter(|(n, _)| n.as_bytes().eq_ignore_ascii_case(a));
        let mut matched = false;
        for (_, val) in found {
            v |= val;
            matched = true;
        }
        if !matched {
            return Err(bad());
        }
    }
    if name.starts_with("shutdown-on-sig") && v & 1 != 0 && v & 2 != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(Parsed::Enum(v))
}

fn is_base_name(v: &[u8]) -> bool {
    !v.contains(&b'/') && !v.contains(&b'\\')
}

fn check_str(v: &[u8], check: StrCheck) -> Result<(), String> {
    let err = |m: &str| Err(m.to_string());
    match check {
        StrCheck::None => Ok(()),
        StrCheck::DbFilename if !is_base_name(v) => {
            err("dbfilename can't be a path, just a filename")
        }
        StrCheck::AofFilename if v.is_empty() => err("appendfilename can't be empty"),
        StrCheck::AofFilename if !is_base_name(v) => {
            err("appendfilename can't be a path, just a filename")
        }
        StrCheck::AofDirname if v.is_empty() => err("appenddirname can't be empty"),
        StrCheck::AofDirname if !is_base_name(v) => {
            err("appenddirname can't be a path, just a dirname")
        }
        StrCheck::Hostname if v.len() >= 256 => err("Hostnames must be less than 256 characters"),
        StrCheck::Hostname
            if !v
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.') =>
        {
            err("Hostnames may only contain alphanumeric characters, hyphens or dots")
        }
        StrCheck::ProcTitle if !valid_proc_title(v) => {
            err("template format is invalid or contains unknown variables")
        }
        _ => Ok(()),
    }
}

/// Redis expands the template (`sdstemplate`) with an empty title: `{{` is a literal `{`, `}` is
/// always literal, an unknown or unterminated `{variable}` is invalid, and so is a template that
/// expands to nothing but spaces.
fn valid_proc_title(v: &[u8]) -> bool {
    const VARS: &[&[u8]] = &[
        b"title",
        b"listen-addr",
        b"server-mode",
        b"config-file",
        b"port",
        b"tls-port",
        b"unixsocket",
    ];
    let mut out_nonblank = false;
    let mut p = 0;
    while p < v.len() {
        match v[p] {
            b'{' if v.get(p + 1) == Some(&b'{') => {
                out_nonblank = true;
                p += 2;
            }
            b'{' => {
                let Some(len) = v[p + 1..].iter().position(|c| *c == b'}') else {
                    return false;
                };
                let var = &v[p + 1..p + 1 + len];
                if !VARS.contains(&var) {
                    return false;
                }
                // `title` is empty and `server-mode` empty outside cluster/sentinel mode.
                out_nonblank |= var != b"title" && var != b"server-mode";
                p += len + 2;
            }
            c => {
                out_nonblank |= c != b' ';
                p += 1;
            }
        }
    }
    out_nonblank
}

/// Redis's `keyspaceEventsStringToFlags` then `keyspaceEventsFlagsToString`.
fn notify_flags(v: &[u8]) -> Option<String> {
    const ALL: &[u8] = b"g$lshzxetd";
    let mut set = Vec::new();
    for &c in v {
        match c {
            b'A' => set.extend_from_slice(ALL),
            b'g' | b'$' | b'l' | b's' | b'h' | b'z' | b'x' | b'e' | b'K' | b'E' | b't' | b'm'
            | b'd' | b'n' => set.push(c),
            _ => return None,
        }
    }
    let mut out = String::new();
    if ALL.iter().all(|c| set.contains(c)) {
        // `n` is not part of `A`, yet Redis prints only `A` for the class letters then.
        out.push('A');
    } else {
        for c in b"g$lshzxetdn" {
            if set.contains(c) {
                out.push(*c as char);
            }
        }
    }
    for c in b"KEm" {
        if set.contains(c) {
            out.push(*c as char);
        }
    }
    Some(out)
}

fn parse_special(s: Special, args: &[Vec<u8>]) -> R {
    match s {
        Special::Dir => match args {
            [d] => Ok(Parsed::Dir(String::from_utf8_lossy(d).into_owned())),
            _ => Err(WRONG_ARGS.into()),
        },
        Special::Save => {
            let args: &[Vec<u8>] = if args.len() == 1 && args[0].is_empty() {
                &[]
            } else {
                args
            };
            if args.len() % 2 == 1 {
                return Err("Invalid save parameters".into());
            }
            let mut pairs = Vec::new();
            for pair in args.chunks(2) {
                let secs = strtoll_full(&pair[0], 10).filter(|v| *v >= 1);
                let changes = strtoll_full(&pair[1], 10).filter(|v| *v >= 0);
                match (secs, changes) {
                    (Some(s), Some(c)) => pairs.push((s as u64, c as u64)),
                    _ => return Err("Invalid save parameters".into()),
                }
            }
            Ok(Parsed::Save(pairs))
        }
        Special::ClientOutputBufferLimit => {
            if args.len() % 4 != 0 {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let mut out = [None; 3];
            for c in args.chunks(4) {
                let class = match c[0].to_ascii_lowercase().as_slice() {
                    b"normal" => 0,
                    b"slave" | b"replica" => 1,
                    b"pubsub" => 2,
                    _ => {
                        return Err(
                            "Invalid client class specified in buffer limit configuration.".into(),
                        )
                    }
                };
                let secs = strtoll_full(&c[3], 10).filter(|v| *v >= 0);
                match (memtoull(&c[1]), memtoull(&c[2]), secs) {
                    (Some(hard_bytes), Some(soft_bytes), Some(s)) => {
                        out[class] = Some(OutputBufferLimit {
                            hard_bytes,
                            soft_bytes,
                            soft_seconds: s as u64,
                        })
                    }
                    _ => {
                        return Err("Error in hard, soft or soft_seconds setting in buffer \
                                    limit configuration."
                            .into())
                    }
                }
            }
            Ok(Parsed::Obuf(out))
        }
        Special::OomScoreAdjValues => {
            if args.len() != 3 {
                return Err(WRONG_ARGS.into());
            }
            let mut vals = Vec::new();
            for a in args {
                match strtoll_full(a, 10).filter(|v| (-2000..=2000).contains(v)) {
                    Some(v) => vals.push(v.to_string()),
                    None => {
                        return Err("Invalid oom-score-adj-values, elements must be between \
                                    -2000 and 2000."
                            .into())
                    }
                }
            }
            Ok(Parsed::Text(vals.join(" ")))
        }
        Special::NotifyKeyspaceEvents => match args {
            [v] => notify_flags(v)
                .map(Parsed::Text)
                .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
            _ => Err(WRONG_ARGS.into()),
        },
        Special::Bind => {
            if args.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            let args: &[Vec<u8>] = if args.len() == 1 && args[0].is_empty() {
                &[]
            } else {
                args
            };
            Ok(Parsed::Bind(
                args.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
            ))
        }
        Special::ReplicaOf => {
            let [host, port] = args else {
                return Err(WRONG_ARGS.into());
            };
            if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
                return Ok(Parsed::ReplicaOf(None));
            }
            match strtoll_full(port, 10).and_then(|p| u16::try_from(p).ok()) {
                Some(p) => Ok(Parsed::ReplicaOf(Some((
                    String::from_utf8_lossy(host).into_owned(),
                    p,
                )))),
                None => Err("Invalid master port".into()),
            }
        }
        Special::LatencyPercentiles => {
            let args: &[Vec<u8>] = if args.len() == 1 && args[0].is_empty() {
                &[]
            } else {
                args
            };
            let mut out = Vec::new();
            for a in args {
                let v =
                    string2d(a).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&v) {
                    return Err("latency-tracking-info-percentiles parameters should sit \
                                between [0.0,100.0]"
                        .into());
                }
                out.push(super::value::format_percentile(v));
            }
            Ok(Parsed::Text(out.join(" ")))
        }
    }
}
