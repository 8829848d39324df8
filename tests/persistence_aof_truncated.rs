//! A torn AOF tail, cut at every offset of a small incr file (with a MULTI/EXEC block in it),
//! loaded in-process with `aof-load-truncated yes` and `no`: Redis 7.0's behaviour and log
//! text (`loadSingleAppendOnlyFile`): with `yes` the data up to the last complete command
//! outside a transaction, with `no` an error and no file written; the same cut in a file that
//! is not the last one is an error either way. A flipped byte that breaks the framing is a
//! format error, also with nothing written.

use std::net::SocketAddr;

use hashslot_node::{ClientAddr, Config, LoadError, Node, Output, ProcessInfo};
use hashslot_types::{ConnId, Instant, Now, UnixMillis};

fn now() -> Now {
    Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000))
}

fn resp(args: &[&str]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend(format!("${}\r\n{a}\r\n", a.len()).bytes());
    }
    v
}

/// The records of the test file and, after each, the values of `a`, `b`, `c` and `LLEN l` a
/// complete load up to there gives (a transaction's effects appear at its EXEC).
fn records() -> Vec<(Vec<u8>, [&'static str; 4])> {
    vec![
        (resp(&["SELECT", "0"]), ["", "", "", "0"]),
        (resp(&["SET", "a", "1"]), ["1", "", "", "0"]),
        (resp(&["MULTI"]), ["1", "", "", "0"]),
        (resp(&["SET", "b", "2"]), ["1", "", "", "0"]),
        (resp(&["INCR", "a"]), ["1", "", "", "0"]),
        (resp(&["EXEC"]), ["2", "2", "", "0"]),
        (resp(&["RPUSH", "l", "x", "y"]), ["2", "2", "", "2"]),
        (resp(&["SET", "c", "3"]), ["2", "2", "3", "2"]),
    ]
}

const MANIFEST: &str = "appendonlydir/appendonly.aof.manifest";
const INCR: &str = "appendonly.aof.1.incr.aof";

fn node(truncated_ok: bool) -> Node {
    let mut config = Config::default();
    config.save.clear();
    config.appendonly = true;
    let v: &[u8] = if truncated_ok { b"yes" } else { b"no" };
    config
        .set_runtime(&[(b"aof-load-truncated".as_slice(), v)])
        .unwrap();
    Node::new(config, 7, now(), ProcessInfo::default())
}

/// Load `files` (name → bytes, in manifest order) into a fresh node.
fn load(truncated_ok: bool, files: &[(&str, Vec<u8>)]) -> (Node, Result<bool, LoadError>) {
    let mut n = node(truncated_ok);
    let mut manifest = String::new();
    for (i, (name, _)) in files.iter().enumerate() {
        let ty = if name.contains(".base.") { "b" } else { "i" };
        manifest.push_str(&format!("file {name} seq {} type {ty}\n", i + 1));
    }
    let r = n.load_data(now(), &mut |path: &str| {
        if path == MANIFEST {
            return Ok(Some(manifest.clone().into_bytes()));
        }
        Ok(files
            .iter()
            .find(|(name, _)| path == format!("appendonlydir/{name}"))
            .map(|(_, b)| b.clone()))
    });
    (n, r.map(|report| report.truncated))
}

fn drain(n: &mut Node) -> (Vec<String>, Vec<Output>) {
    let (mut logs, mut other) = (Vec::new(), Vec::new());
    while let Some(o) = n.poll_output() {
        match o {
            Output::Log { message, .. } => logs.push(message),
            o => other.push(o),
        }
    }
    (logs, other)
}

fn query(n: &mut Node, args: &[&str]) -> String {
    let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    n.handle_accept(
        now(),
        ConnId(1),
        ClientAddr {
            peer,
            local: peer,
            fd: 1,
        },
    );
    n.handle_read(now(), ConnId(1), &resp(args));
    let mut out = Vec::new();
    while let Some(o) = n.poll_output() {
        if let Output::Send { data, .. } = o {
            out.extend_from_slice(&data);
        }
    }
    n.handle_closed(now(), ConnId(1));
    String::from_utf8_lossy(&out).into_owned()
}

fn state(n: &mut Node) -> [String; 4] {
    let get = |n: &mut Node, k: &str| {
        let r = query(n, &["GET", k]);
        r.rsplit("\r\n")
            .nth(1)
            .filter(|_| !r.starts_with("$-1"))
            .unwrap_or("")
            .to_owned()
    };
    [
        get(n, "a"),
        get(n, "b"),
        get(n, "c"),
        query(n, &["LLEN", "l"])
            .trim_start_matches(':')
            .trim()
            .to_owned(),
    ]
}

/// Ref: `loadSingleAppendOnlyFile`: the valid length for a cut at `cut` (the end of the last
/// complete record, or the start of an unfinished transaction) and the state there.
fn expected(cut: usize) -> (usize, bool, [&'static str; 4]) {
    let mut end = 0;
    let mut valid = (0, ["", "", "", "0"]);
    let mut multi_at = None;
    for (bytes, st) in records() {
        if end + bytes.len() > cut {
            break;
        }
        if bytes.starts_with(b"*1\r\n$5\r\nMULTI") {
            multi_at = Some(end);
        }
        end += bytes.len();
        if bytes.starts_with(b"*1\r\n$4\r\nEXEC") {
            multi_at = None;
        }
        if multi_at.is_none() {
            valid = (end, st);
        }
    }
    let torn = end != cut || multi_at.is_some();
    (valid.0, torn, valid.1)
}

#[test]
fn tail_cut_at_every_offset() {
    let file: Vec<u8> = records().into_iter().flat_map(|r| r.0).collect();
    for cut in 0..=file.len() {
        let (valid, torn, want) = expected(cut);
        let files = [(INCR, file[..cut].to_vec())];
        // aof-load-truncated yes: loaded up to `valid`, Redis's three log lines.
        let (mut n, r) = load(true, &files);
        assert_eq!(r, Ok(torn), "cut {cut}");
        let (logs, _) = drain(&mut n);
        let has = |s: &str| logs.iter().any(|l| l.contains(s));
        assert_eq!(
            has(&format!(
                "!!! Truncating the AOF {INCR} at offset {valid} !!!"
            )),
            torn,
            "cut {cut}: {logs:?}"
        );
        if torn {
            assert!(has(&format!(
                "!!! Warning: short read while loading the AOF file {INCR}!!!"
            )));
            assert!(has(&format!(
                "AOF {INCR} loaded anyway because aof-load-truncated is enabled"
            )));
        }
        assert_eq!(state(&mut n), want.map(String::from), "cut {cut}");
        // aof-load-truncated no: a torn file is an error and nothing is written.
        let (mut n, r) = load(false, &files);
        let (_, outs) = drain(&mut n);
        if torn {
            let e = r.unwrap_err();
            assert!(
                e.to_string().contains(&format!(
                    "Unexpected end of file reading the append only file {INCR}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>."
                )),
                "cut {cut}: {e}"
            );
            assert!(
                !outs.iter().any(|o| matches!(
                    o,
                    Output::FileOpen { .. } | Output::FileWrite { .. } | Output::FileRemove { .. }
                )),
                "cut {cut}: a file was touched: {outs:?}"
            );
        } else {
            assert_eq!(r, Ok(false), "cut {cut}");
        }
    }
}

#[test]
fn a_torn_file_that_is_not_the_last_is_fatal() {
    let file: Vec<u8> = records().into_iter().flat_map(|r| r.0).collect();
    let files = [
        ("appendonly.aof.1.incr.aof", file[..file.len() - 3].to_vec()),
        ("appendonly.aof.2.incr.aof", resp(&["SET", "z", "1"])),
    ];
    let (_, r) = load(true, &files);
    let e = r.unwrap_err();
    assert!(
        e.to_string()
            .contains("Fatal error: the truncated file is not the last file"),
        "{e}"
    );
}

#[test]
fn a_flipped_framing_byte_is_a_format_error_and_nothing_is_written() {
    let file: Vec<u8> = records().into_iter().flat_map(|r| r.0).collect();
    // Every `*` and `$` of the file's framing, flipped, is a format error (Redis's loader
    // checks exactly these two bytes: `if (buf[0] != '*') goto fmterr`, same for `$`; it
    // skips the CRLF after a bulk unread, so those are not part of this contract).
    let mut checked = 0;
    for i in 0..file.len() {
        if !(file[i] == b'*' || file[i] == b'$') {
            continue;
        }
        let mut bad = file.clone();
        bad[i] ^= 0x40;
        for ok_truncated in [true, false] {
            let (mut n, r) = load(ok_truncated, &[(INCR, bad.clone())]);
            let (_, outs) = drain(&mut n);
            let e = r.expect_err(&format!("byte {i} flipped"));
            assert!(matches!(e, LoadError::Aof { .. }), "byte {i}: {e}");
            assert!(
                e.to_string().contains(&format!(
                    "Bad file format reading the append only file {INCR}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
                )),
                "byte {i}: {e}"
            );
            assert!(
                !outs.iter().any(|o| matches!(
                    o,
                    Output::FileOpen { .. } | Output::FileWrite { .. } | Output::FileRemove { .. }
                )),
                "byte {i}: a file was touched"
            );
            checked += 1;
        }
    }
    assert!(checked > 40);
}
