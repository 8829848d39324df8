//! HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST), byte for byte against
//! redis-server 7.0 (see `support/diff.rs` for the script syntax). GET of an HLL key compares
//! the representation itself (header, sparse opcodes, dense registers, cached cardinality).
//! `HASHSLOT_NODE_BIN=redis-server` checks the battery against Redis itself.
mod support;

use support::diff::{assert_no_mismatches, Case};

/// `PFADD key p0 p1 …` with `n` elements starting at `from`, as one script line.
fn pfadd_line(key: &str, from: usize, n: usize) -> String {
    let mut line = format!("PFADD {key}");
    for i in from..from + n {
        line.push_str(&format!(" e{i}"));
    }
    line
}

fn leak(lines: Vec<String>) -> &'static [&'static str] {
    let v: Vec<&'static str> = lines
        .into_iter()
        .map(|l| &*Box::leak(l.into_boxed_str()))
        .collect();
    Box::leak(v.into_boxed_slice())
}

fn case(name: &'static str, lines: Vec<String>) -> Case {
    Case {
        name,
        config: &[],
        lines: leak(lines),
    }
}

fn lines(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}

fn cases() -> Vec<Case> {
    let mut growth = lines(&["PFADD h a"]);
    // Grow one HLL through the sparse encoding into dense (hll-sparse-max-bytes 3000),
    // comparing the bytes and the estimate at each step.
    for (from, n) in [(0, 10), (10, 90), (100, 400), (500, 1000), (1500, 3500)] {
        growth.push(pfadd_line("h", from, n));
        growth.push("PFCOUNT h".into());
        growth.push("GET h".into());
        growth.push("PFDEBUG ENCODING h".into());
        growth.push("STRLEN h".into());
    }
    growth.push(pfadd_line("h", 0, 200));
    growth.push("PFCOUNT h".into());
    let mut merge = lines(&["PFADD small x y z"]);
    merge.push(pfadd_line("sparse", 0, 300));
    merge.push(pfadd_line("dense", 200, 3000));
    merge.extend(lines(&[
        "PFMERGE m1 small sparse",
        "GET m1",
        "PFCOUNT m1",
        "PFDEBUG ENCODING m1",
        "PFMERGE m2 small dense",
        "PFDEBUG ENCODING m2",
        "GET m2",
        "PFCOUNT m2",
        "PFCOUNT small sparse dense",
        "PFCOUNT small missing",
        "PFMERGE small sparse",
        "GET small",
        "PFMERGE fresh",
        "GET fresh",
        "PFMERGE fresh2 missing",
        "EXISTS fresh2",
        "SET s v EX 100",
        "PFMERGE s small",
        "PFMERGE str small",
        "PFDEBUG TODENSE sparse",
        "PFDEBUG TODENSE sparse",
        "GET sparse",
        "PFCOUNT sparse",
        "PFDEBUG DECODE sparse",
    ]));
    vec![
        case(
            "pfadd pfcount basics",
            lines(&[
                "PFCOUNT missing",
                "PFADD h",
                "GET h",
                "PFCOUNT h",
                "GET h",
                "PFADD h",
                "PFADD h a b c",
                "PFADD h a b c",
                "GET h",
                "PFCOUNT h",
                "GET h",
                "PFADD h d",
                "PFCOUNT h",
                "PFADD h \"\" \"\\x00\\xff\" 1234567890123",
                "PFCOUNT h",
                "PFDEBUG ENCODING h",
                "PFDEBUG DECODE h",
                "TYPE h",
                "OBJECT ENCODING h",
                "PFADD",
                "PFCOUNT",
                "SET e v EX 100",
            ]),
        ),
        case("pfadd sparse to dense", growth),
        case("pfadd sparse to dense at a small hll-sparse-max-bytes", {
            let mut l = lines(&["CONFIG SET hll-sparse-max-bytes 40"]);
            for (from, n) in [(0, 5), (5, 10), (15, 20)] {
                l.push(pfadd_line("t", from, n));
                l.push("PFDEBUG ENCODING t".into());
                l.push("GET t".into());
            }
            l.push(pfadd_line("u", 0, 30));
            l.push("PFMERGE t2 u".into());
            l.push("PFDEBUG ENCODING t2".into());
            l.push("CONFIG SET hll-sparse-max-bytes 3000".into());
            l
        }),
        case("pfmerge and union count", merge),
        case(
            "pfdebug",
            lines(&[
                "PFDEBUG GETREG missing",
                "PFADD h a b c",
                "PFDEBUG ENCODING h",
                "PFDEBUG DECODE h",
                "PFDEBUG decode h extra",
                "PFDEBUG BOGUS h",
                "PFDEBUG BOGUS h extra",
                "PFDEBUG GETREG h",
                "PFDEBUG ENCODING h",
                "PFDEBUG DECODE h",
                "PFDEBUG TODENSE h",
                "PFDEBUG GETREG h x",
                "PFDEBUG ENCODING",
                "LPUSH l a",
                "PFDEBUG ENCODING l",
                "SET n 1",
                "PFDEBUG ENCODING n",
            ]),
        ),
        case(
            "not an hll",
            lines(&[
                "SET s notanhll",
                "PFADD s a",
                "PFCOUNT s",
                "PFCOUNT s missing",
                "PFMERGE d s",
                "EXISTS d",
                "SET n 12345678901234567890",
                "PFADD n a",
                "SET i 123",
                "PFADD i a",
                "SADD set m",
                "PFADD set a",
                "PFCOUNT set",
                "PFCOUNT set s",
                "PFMERGE set",
                "SET hyll HYLL",
                "PFCOUNT hyll",
                "SET enc \"HYLL\\x02\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x7f\\xff\"",
                "PFCOUNT enc",
                "SET dense \"HYLL\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\"",
                "PFCOUNT dense",
                "SET trunc \"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x40\"",
                "PFCOUNT trunc",
                "PFADD trunc a",
                "GET trunc",
                "SET trunc2 \"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\"",
                "PFADD trunc2 a b c",
                "GET trunc2",
                "PFCOUNT trunc2",
                "PFMERGE x trunc",
                "PFCOUNT trunc missing",
                "PFDEBUG TODENSE trunc",
                "PFDEBUG GETREG trunc",
                "PFDEBUG DECODE trunc",
                "SET short \"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xff\\x7f\\xff\"",
                "PFCOUNT short",
                "PFADD short a",
                "SET long \"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xff\\x80\"",
                "PFCOUNT long",
                "SET cached \"HYLL\\x01\\x00\\x00\\x00\\x2a\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x7f\\xff\"",
                "PFCOUNT cached",
                "PFADD cached a",
                "PFCOUNT cached",
            ]),
        ),
        case(
            "pfselftest",
            // PFSELFTEST itself (10 million additions) is too slow for a debug build here; it
            // runs in-process in `hyperloglog.rs`'s unit test.
            lines(&["PFSELFTEST extra"]),
        ),
    ]
}

#[test]
fn hyperloglog_commands_match_redis() {
    assert_no_mismatches(&cases());
}
