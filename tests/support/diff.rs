//! The differential engine: run the same command scripts against a fresh `redis-server` and a
//! fresh `hashslot-node` started the same way, and compare the replies byte for byte.
//!
//! # Script lines
//!
//! A case is a list of lines; each line is one command, tokenized on whitespace. A token in
//! double quotes may hold spaces and the escapes `\r \n \t \\ \" \xNN`; `""` is an empty argument.
//! A line may start with one normalisation tag (below). Two pseudo-commands exist:
//!
//! - `SCANALL [args…]` runs `SCAN <cursor> args…` from cursor 0 until the cursor is 0 again and
//!   stands for one reply: a RESP array of the distinct keys seen, sorted. Cursor values are
//!   never compared (they are hash-table positions); the SET of keys is. Each SCAN reply's shape
//!   is checked to be `*2 [$cursor, *keys]`, else the raw bad reply is the result.
//! - `INLINE <token>` sends the token's bytes as they are (an inline command, say `"PING\r\n"`)
//!   and reads one reply.
//!
//! - `SEND <args…>` sends the command and does not read its reply; it stands for the reply
//!   `+<sent>`. Read the reply later with `READ` (a blocking command, say).
//! - `READ` sends nothing and reads one reply (the reply to an earlier `SEND`, or a pushed
//!   pub/sub message). `READ <n>` reads n replies and stands for one `*<n>` array of them, so
//!   that `@sort` can compare messages whose delivery order Redis leaves undefined (one message
//!   matching several patterns).
//! - `WAITBLOCKED <n>` polls `INFO clients` on its connection, with a 5 s deadline, until
//!   `blocked_clients:<n>`; it stands for `+OK`, or `-WAITBLOCKED …` with the last value seen.
//!   It orders a command on one connection after a blocking command sent on another.
//!
//! - `GETID` runs `CLIENT ID` and remembers the id as its connection's, standing for `+<id>`;
//!   a later argument `$idN` is replaced by connection N's id on each server (`CLIENT UNBLOCK
//!   $id2`, `CLIENT KILL ID $id2`), as the two servers number clients differently.
//!
//! # Connections
//!
//! A line may start with `@conn2` … `@conn9` (before any normalisation tag): the command goes
//! to that connection of the case instead of the first one. Each is opened (and authenticated)
//! on first use, against each server, and closed at the end of the case. Use it for WATCH with
//! another client modifying a key, a publisher beside a subscriber, a client blocked while
//! another pushes.
//!
//! Set `HASHSLOT_DIFF_VERBOSE=1` to print every line with Redis's reply.
//!
//! # Normalisation tags
//!
//! Each replaces a value that legitimately differs between two servers with a placeholder, and
//! only when the reply has the expected shape; a reply of another shape is left as it is, so it
//! still shows up as a mismatch. Never is a comparison skipped.
//!
//! | tag | rule |
//! |---|---|
//! | `@int:LO:HI` | an integer reply in `[LO, HI]` becomes `:<LO..HI>` (TTL/PTTL remaining). |
//! | `@unix:LO:HI` | an integer within `[now+LO, now+HI]` seconds becomes `:<now+LO..HI s>` (EXPIRETIME of a relative TTL). |
//! | `@unixms:LO:HI` | the same in milliseconds (PEXPIRETIME). |
//! | `@sort` | the elements of an array/set reply are sorted (KEYS order is hash-table order). |
//! | `@sortpairs` | an array/map reply is read as pairs and the pairs sorted (CONFIG GET of several names). |
//! | `@time` | TIME: `*2` of two bulk digit strings, seconds within 10 s of our clock and microseconds < 10^6, becomes `*2 <secs> <usecs>`. |
//! | `@id` | a positive integer becomes `:<id>` (CLIENT ID). |
//! | `@clientinfo` | CLIENT INFO (RESP2 bulk or RESP3 `txt:` verbatim): the values of `id addr laddr fd age idle qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem` become `<v>` (numbers, ports, buffer sizes and allocator accounting); names, order and every other field are compared. |
//! | `@hello` | HELLO: the value after the key `id` becomes `<id>`. |
//! | `@self` | occurrences of the server's own port and dir in the reply's strings become `<port>` and `<dir>` (CONFIG GET port/dir). |
//! | `@len` | every non-aggregate element of an aggregate reply (nested ones too) becomes `+<elem>`, and a bare non-null bulk becomes `+<bulk>`: only the types and lengths of the aggregates are compared (SPOP/SRANDMEMBER/HRANDFIELD/ZRANDMEMBER with a count, whose picks are random). |
//! | `@sortnested` | like `@sort`, and also inside every nested aggregate (SMEMBERS inside an EXEC reply). |
//! | `@sortmap` | like `@sortpairs` for a `%` map or a flat pairs array, and inside every nested aggregate (HGETALL inside an EXEC reply). |

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{escape, Client, Flavor, Server, Value};

/// One scripted case.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// Shown in mismatch reports.
    pub name: &'static str,
    /// Extra server arguments (`["--requirepass", "pw"]`); cases with equal configs share a
    /// server pair, cleaned with FLUSHALL between cases.
    pub config: &'static [&'static str],
    /// The script, one command per line.
    pub lines: &'static [&'static str],
}

/// One difference found.
#[derive(Debug)]
pub struct Mismatch {
    /// The case.
    pub case: &'static str,
    /// The line as written.
    pub line: String,
    /// Redis's normalised reply.
    pub redis: Vec<u8>,
    /// Our normalised reply.
    pub ours: Vec<u8>,
}

/// Per-server facts normalisation needs.
struct Ctx {
    port: u16,
    dir: String,
}

/// Parse one script line into (tag, args).
pub fn tokenize(line: &str) -> (Option<String>, Vec<Vec<u8>>) {
    let mut tokens: Vec<Vec<u8>> = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let mut tok = Vec::new();
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                    match b[i] {
                        b'r' => tok.push(b'\r'),
                        b'n' => tok.push(b'\n'),
                        b't' => tok.push(b'\t'),
                        b'x' => {
                            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                            tok.push(u8::from_str_radix(hex, 16).expect("bad \\x escape"));
                            i += 2;
                        }
                        c => tok.push(c),
                    }
                } else {
                    tok.push(b[i]);
                }
                i += 1;
            }
            assert!(i < b.len(), "unterminated quote in script line {line:?}");
            i += 1;
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() {
                tok.push(b[i]);
                i += 1;
            }
        }
        tokens.push(tok);
    }
    let tag = match tokens.first() {
        Some(t) if t.first() == Some(&b'@') => Some(String::from_utf8(tokens.remove(0)).unwrap()),
        _ => None,
    };
    (tag, tokens)
}

fn run_line(client: &mut Client, args: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let name = args
        .first()
        .map(|a| a.to_ascii_uppercase())
        .unwrap_or_default();
    if name == b"INLINE" {
        client
            .send_raw(&args[1])
            .map_err(|e| format!("<send: {e}>"))?;
        return client.read_reply().map_err(|e| format!("<read: {e}>"));
    }
    if name == b"SEND" {
        client
            .send(&args[1..])
            .map_err(|e| format!("<send: {e}>"))?;
        return Ok(b"+<sent>\r\n".to_vec());
    }
    if name == b"READ" {
        let Some(n) = args.get(1) else {
            return client.read_reply().map_err(|e| format!("<read: {e}>"));
        };
        let n: usize = std::str::from_utf8(n)
            .ok()
            .and_then(|s| s.parse().ok())
            .expect("READ <n>: n must be a number");
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            let raw = client.read_reply().map_err(|e| format!("<read: {e}>"))?;
            items.push(Value::parse(&raw).map_err(|e| format!("<parse: {e}>"))?);
        }
        return Ok(Value::Agg(b'*', Some(items)).encode());
    }
    if name == b"WAITBLOCKED" {
        let want = format!(
            "blocked_clients:{}",
            String::from_utf8_lossy(args.get(1).map(|a| a.as_slice()).unwrap_or(b"0"))
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut seen = String::from("(nothing)");
        loop {
            client
                .send(&["INFO", "clients"])
                .map_err(|e| format!("<send: {e}>"))?;
            let raw = client.read_reply().map_err(|e| format!("<read: {e}>"))?;
            let text = String::from_utf8_lossy(&raw).into_owned();
            if let Some(line) = text.lines().find(|l| l.starts_with("blocked_clients:")) {
                if line.trim_end() == want {
                    return Ok(b"+OK\r\n".to_vec());
                }
                seen = line.trim_end().to_string();
            }
            if std::time::Instant::now() > deadline {
                return Ok(format!("-WAITBLOCKED wanted {want}, last saw {seen}\r\n").into_bytes());
            }
            // Polling interval with a deadline, not synchronisation by sleeping.
            #[allow(clippy::disallowed_methods)]
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    if name != b"SCANALL" {
        client.send(args).map_err(|e| format!("<send: {e}>"))?;
        return client.read_reply().map_err(|e| format!("<read: {e}>"));
    }
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut cursor = b"0".to_vec();
    for _round in 0..10_000 {
        let mut cmd = vec![b"SCAN".to_vec(), cursor.clone()];
        cmd.extend(args[1..].iter().cloned());
        client.send(&cmd).map_err(|e| format!("<send: {e}>"))?;
        let raw = client.read_reply().map_err(|e| format!("<read: {e}>"))?;
        let shape = match Value::parse(&raw) {
            Ok(Value::Agg(b'*', Some(items))) if items.len() == 2 => match (&items[0], &items[1]) {
                (Value::Blob(b'$', Some(c)), Value::Agg(b'*', Some(ks))) => Some((
                    c.clone(),
                    ks.iter()
                        .map(|k| k.bytes().map(<[u8]>::to_vec))
                        .collect::<Option<Vec<_>>>(),
                )),
                _ => None,
            },
            _ => None,
        };
        let Some((next, Some(batch))) = shape else {
            return Ok(raw);
        };
        keys.extend(batch);
        cursor = next;
        if cursor == b"0" {
            keys.sort();
            keys.dedup();
            return Ok(Value::Agg(
                b'*',
                Some(
                    keys.into_iter()
                        .map(|k| Value::Blob(b'$', Some(k)))
                        .collect(),
                ),
            )
            .encode());
        }
    }
    Err("<SCAN did not finish in 10000 rounds>".into())
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Line(b':', t) => std::str::from_utf8(t).ok()?.parse().ok(),
        _ => None,
    }
}

fn range(tag: &str) -> (i64, i64) {
    let parts: Vec<&str> = tag.split(':').collect();
    (parts[1].parse().unwrap(), parts[2].parse().unwrap())
}

fn normalize(tag: Option<&str>, raw: Vec<u8>, ctx: &Ctx) -> Vec<u8> {
    let Some(tag) = tag else { return raw };
    let Ok(v) = Value::parse(&raw) else {
        return raw;
    };
    let kind = tag.split(':').next().unwrap();
    let out = match kind {
        "@int" => {
            let (lo, hi) = range(tag);
            match int_of(&v) {
                Some(n) if (lo..=hi).contains(&n) => {
                    Value::Line(b':', format!("<{lo}..{hi}>").into_bytes())
                }
                _ => v,
            }
        }
        "@unix" | "@unixms" => {
            let (lo, hi) = range(tag);
            let now = if kind == "@unix" {
                unix_now().as_secs() as i64
            } else {
                unix_now().as_millis() as i64
            };
            match int_of(&v) {
                Some(n) if (now + lo..=now + hi).contains(&n) => {
                    Value::Line(b':', format!("<now+{lo}..{hi}>").into_bytes())
                }
                _ => v,
            }
        }
        "@sort" => match v {
            Value::Agg(k, Some(mut items)) => {
                items.sort();
                Value::Agg(k, Some(items))
            }
            other => other,
        },
        "@sortpairs" => match v {
            Value::Agg(k, Some(items)) if items.len() % 2 == 0 => {
                let mut pairs: Vec<[Value; 2]> = items
                    .chunks(2)
                    .map(|c| [c[0].clone(), c[1].clone()])
                    .collect();
                pairs.sort();
                Value::Agg(k, Some(pairs.into_iter().flatten().collect()))
            }
            other => other,
        },
        "@time" => {
            let ok = match &v {
                Value::Agg(b'*', Some(items)) if items.len() == 2 => {
                    let num = |i: usize| {
                        items[i]
                            .bytes()
                            .and_then(|b| std::str::from_utf8(b).ok())
                            .and_then(|s| s.parse::<i64>().ok())
                    };
                    let now = unix_now().as_secs() as i64;
                    matches!((num(0), num(1)), (Some(s), Some(us)) if (s - now).abs() <= 10 && (0..1_000_000).contains(&us))
                }
                _ => false,
            };
            if ok {
                Value::Agg(
                    b'*',
                    Some(vec![
                        Value::Line(b'+', b"<secs>".to_vec()),
                        Value::Line(b'+', b"<usecs>".to_vec()),
                    ]),
                )
            } else {
                v
            }
        }
        "@id" => match int_of(&v) {
            Some(n) if n > 0 => Value::Line(b':', b"<id>".to_vec()),
            _ => v,
        },
        "@clientinfo" => match v {
            Value::Blob(k, Some(text)) => Value::Blob(k, Some(normalize_client_info(&text))),
            other => other,
        },
        "@hello" => match v {
            Value::Agg(k, Some(mut items)) if items.len() % 2 == 0 => {
                for i in (0..items.len()).step_by(2) {
                    if items[i].bytes() == Some(b"id") && int_of(&items[i + 1]).is_some() {
                        items[i + 1] = Value::Line(b':', b"<id>".to_vec());
                    }
                }
                Value::Agg(k, Some(items))
            }
            other => other,
        },
        "@self" => replace_self(v, ctx),
        "@len" => shape_only(v),
        "@sortnested" => sort_nested(v, false),
        "@sortmap" => sort_nested(v, true),
        other => panic!("unknown normalisation tag {other}"),
    };
    out.encode()
}

/// `@len`: keep the type and length of every aggregate, nested ones too; every other element
/// becomes `+<elem>`; a bare non-null bulk becomes `+<bulk>`.
fn shape_only(v: Value) -> Value {
    fn inner(v: Value) -> Value {
        match v {
            Value::Agg(k, Some(items)) => {
                Value::Agg(k, Some(items.into_iter().map(inner).collect()))
            }
            _ => Value::Line(b'+', b"<elem>".to_vec()),
        }
    }
    match v {
        Value::Agg(..) => inner(v),
        Value::Blob(_, Some(_)) => Value::Line(b'+', b"<bulk>".to_vec()),
        other => other,
    }
}

/// `@sortnested` (`pairs == false`): sort the elements of every aggregate, innermost first.
/// `@sortmap` (`pairs == true`): sort the pairs of every map and of every even-length array of
/// non-aggregates, innermost first; other aggregates keep their order.
fn sort_nested(v: Value, pairs: bool) -> Value {
    match v {
        Value::Agg(k, Some(items)) => {
            let mut items: Vec<Value> = items.into_iter().map(|i| sort_nested(i, pairs)).collect();
            if !pairs {
                items.sort();
            } else if items.len() % 2 == 0
                && (k == b'%' || items.iter().all(|i| !matches!(i, Value::Agg(..))))
            {
                let mut ps: Vec<[Value; 2]> = items
                    .chunks(2)
                    .map(|c| [c[0].clone(), c[1].clone()])
                    .collect();
                ps.sort();
                items = ps.into_iter().flatten().collect();
            }
            Value::Agg(k, Some(items))
        }
        other => other,
    }
}

const CLIENT_INFO_VARYING: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "age",
    "idle",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "rbs",
    "rbp",
];

fn normalize_client_info(text: &[u8]) -> Vec<u8> {
    // RESP3 sends it as a verbatim string: keep the `txt:` format prefix as it is.
    if let Some(rest) = text.strip_prefix(b"txt:") {
        let mut out = b"txt:".to_vec();
        out.extend(normalize_client_info(rest));
        return out;
    }
    let s = String::from_utf8_lossy(text);
    let trimmed = s.trim_end_matches('\n');
    let mut fields = Vec::new();
    for f in trimmed.split(' ') {
        match f.split_once('=') {
            Some((k, _)) if CLIENT_INFO_VARYING.contains(&k) => fields.push(format!("{k}=<v>")),
            _ => fields.push(f.to_string()),
        }
    }
    let mut out = fields.join(" ");
    out.push_str(&s[trimmed.len()..]);
    out.into_bytes()
}

fn replace_self(v: Value, ctx: &Ctx) -> Value {
    let fix = |b: Vec<u8>| -> Vec<u8> {
        let s = String::from_utf8_lossy(&b).into_owned();
        let dir = ctx.dir.trim_end_matches('/');
        let s = if !dir.is_empty() {
            s.replace(dir, "<dir>")
        } else {
            s
        };
        if s == ctx.port.to_string() {
            return b"<port>".to_vec();
        }
        s.replace(&format!(":{}", ctx.port), ":<port>").into_bytes()
    };
    match v {
        Value::Line(k, t) => Value::Line(k, fix(t)),
        Value::Blob(k, Some(b)) => Value::Blob(k, Some(fix(b))),
        Value::Agg(k, Some(items)) => Value::Agg(
            k,
            Some(items.into_iter().map(|i| replace_self(i, ctx)).collect()),
        ),
        other => other,
    }
}

/// A connection for a case, already authenticated with `password` when given.
fn case_client(
    server: &Server,
    password: Option<&str>,
    timeout: Duration,
) -> Result<Client, String> {
    let mut c = Client::connect(&server.addr()).map_err(|e| format!("connect: {e}"))?;
    c.stream()
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    if let Some(pw) = password {
        c.send(&["AUTH", pw]).map_err(|e| e.to_string())?;
        c.read_reply().map_err(|e| format!("AUTH: {e}"))?;
    }
    Ok(c)
}

fn password_of(config: &'static [&'static str]) -> Option<&'static str> {
    let i = config.iter().position(|a| *a == "--requirepass")?;
    config.get(i + 1).copied()
}

/// [`run_line`] with the client-id pseudo-command `GETID` (CLIENT ID on this connection,
/// remembered as connection `conn`'s id, standing for `+<id>` when it is an integer) and the
/// `$idN` argument (connection N's remembered id on this server).
fn run_line_ids(
    client: &mut Client,
    args: &[Vec<u8>],
    conn: usize,
    ids: &mut [Option<Vec<u8>>],
) -> Vec<u8> {
    if args.first().map(|a| a.eq_ignore_ascii_case(b"GETID")) == Some(true) {
        let raw = run_line(client, &[b"CLIENT".to_vec(), b"ID".to_vec()])
            .unwrap_or_else(|e| e.into_bytes());
        return match Value::parse(&raw) {
            Ok(Value::Line(b':', id)) => {
                ids[conn] = Some(id);
                b"+<id>\r\n".to_vec()
            }
            _ => raw,
        };
    }
    let args: Vec<Vec<u8>> = args
        .iter()
        .map(|a| match a.strip_prefix(b"$id") {
            Some([d]) if (b'1'..=b'9').contains(d) => ids[(d - b'0') as usize]
                .clone()
                .unwrap_or_else(|| b"<no GETID on that connection>".to_vec()),
            _ => a.clone(),
        })
        .collect();
    run_line(client, &args).unwrap_or_else(|e| e.into_bytes())
}

/// `@connN rest…` → (N, rest); any other line → (1, line).
fn split_conn(line: &str) -> (usize, &str) {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("@conn") {
        let digit = rest.as_bytes().first().copied().unwrap_or(b'x');
        let after = rest.get(1..).unwrap_or("");
        if (b'1'..=b'9').contains(&digit) && after.starts_with(char::is_whitespace) {
            return ((digit - b'0') as usize, after);
        }
        panic!("bad connection tag in script line {line:?} (use @conn2 … @conn9)");
    }
    (1, line)
}

/// Run every case against both servers and return the mismatches (after printing each).
/// Returns `None` (after printing why) when `redis-server` is missing and not required.
pub fn run_cases(cases: &[Case]) -> Option<Vec<Mismatch>> {
    super::require_tool("redis-server")?;
    let mut configs: Vec<&'static [&'static str]> = Vec::new();
    for c in cases {
        if !configs.contains(&c.config) {
            configs.push(c.config);
        }
    }
    let timeout = Duration::from_secs(3);
    let mut mismatches = Vec::new();
    let mut lines_run = 0;
    let verbose = std::env::var_os("HASHSLOT_DIFF_VERBOSE").is_some();
    for config in configs {
        let mut redis = Server::start(Flavor::Redis, config);
        let mut ours = match Server::try_start(Flavor::Node, config) {
            Ok(s) => s,
            Err(e) => panic!("hashslot-node did not start with {config:?}: {e}"),
        };
        let pw = password_of(config);
        let ctx_r = Ctx {
            port: redis.port(),
            dir: redis.dir().display().to_string(),
        };
        let ctx_o = Ctx {
            port: ours.port(),
            dir: ours.dir().display().to_string(),
        };
        for case in cases.iter().filter(|c| c.config == config) {
            // A clean slate: FLUSHALL through a separate connection, then a new connection.
            for s in [&redis, &ours] {
                if let Ok(mut c) = case_client(s, pw, timeout) {
                    let _ = c
                        .send(&["FLUSHALL"])
                        .and_then(|_| c.read_reply().map(|_| ()));
                }
            }
            // Connection 1 is opened now, `@conn2`…`@conn9` on first use.
            let mut crs: Vec<Option<Client>> = (0..10).map(|_| None).collect();
            let mut cos: Vec<Option<Result<Client, String>>> = (0..10).map(|_| None).collect();
            crs[1] = Some(case_client(&redis, pw, timeout).expect("connect to redis"));
            cos[1] = Some(case_client(&ours, pw, timeout));
            // Client ids recorded by `GETID`, per connection, for `$idN` arguments.
            let mut ids_r: Vec<Option<Vec<u8>>> = vec![None; 10];
            let mut ids_o: Vec<Option<Vec<u8>>> = vec![None; 10];
            let mut stuck = 0;
            for line in case.lines {
                let (conn, rest) = split_conn(line);
                let (tag, args) = tokenize(rest);
                lines_run += 1;
                let cr = crs[conn].get_or_insert_with(|| {
                    case_client(&redis, pw, timeout).expect("connect to redis")
                });
                let co = cos[conn].get_or_insert_with(|| case_client(&ours, pw, timeout));
                let r = run_line_ids(cr, &args, conn, &mut ids_r);
                let r = normalize(tag.as_deref(), r, &ctx_r);
                assert!(
                    !r.starts_with(b"<"),
                    "battery bug: redis-server itself gave no reply to [{}] {line}: {}",
                    case.name,
                    String::from_utf8_lossy(&r)
                );
                if verbose {
                    eprintln!("[{}] {line}\n    {}", case.name, escape(&r));
                }
                let o = match co.as_mut() {
                    Ok(c) => run_line_ids(c, &args, conn, &mut ids_o),
                    Err(e) => format!("<no connection: {e}>").into_bytes(),
                };
                let o = normalize(tag.as_deref(), o, &ctx_o);
                // A node that stops answering would cost the read timeout on every line: give up.
                stuck = if o.starts_with(b"<read: ") {
                    stuck + 1
                } else {
                    0
                };
                assert!(
                    stuck < 3,
                    "hashslot-node gave no reply to 3 commands in a row (last: [{}] {line}); \
                     {} mismatches before\n{}",
                    case.name,
                    mismatches.len(),
                    ours.logs()
                );
                if r != o {
                    eprintln!(
                        "MISMATCH [{}] {line}\n    redis:    {}\n    hashslot: {}",
                        case.name,
                        escape(&r),
                        escape(&o)
                    );
                    let broken = o.starts_with(b"<");
                    mismatches.push(Mismatch {
                        case: case.name,
                        line: line.to_string(),
                        redis: r,
                        ours: o,
                    });
                    if broken {
                        // Our connection broke; continue the case on a new one.
                        *co = case_client(&ours, pw, timeout);
                    }
                }
            }
            if !ours.is_alive() {
                panic!(
                    "hashslot-node died during case {:?}; mismatches so far: {}\n{}",
                    case.name,
                    mismatches.len(),
                    ours.logs()
                );
            }
            assert!(
                redis.is_alive(),
                "redis-server died during case {:?}",
                case.name
            );
        }
    }
    eprintln!(
        "differential: {lines_run} lines compared, {} mismatches",
        mismatches.len()
    );
    Some(mismatches)
}

/// Run `cases` and fail listing all mismatches.
pub fn assert_no_mismatches(cases: &[Case]) {
    let Some(mismatches) = run_cases(cases) else {
        return;
    };
    if mismatches.is_empty() {
        return;
    }
    let mut msg = format!("{} replies differ from redis-server:\n", mismatches.len());
    for m in &mismatches {
        msg.push_str(&format!(
            "  [{}] {}\n      redis:    {}\n      hashslot: {}\n",
            m.case,
            m.line,
            escape(&m.redis),
            escape(&m.ours)
        ));
    }
    panic!("{msg}");
}
