//! Redis 7.0 makes the globals table and the library tables read-only for scripts: writes,
//! `rawset` on them and `setmetatable` of `_G` are refused with Redis's error, and nothing a
//! script tried to store is seen by the next script; ordinary tables stay writable. Byte for
//! byte against redis-server 7.0 (see `support/diff.rs`).
mod support;

use support::diff::{assert_no_mismatches, Case};

const CASES: &[Case] = &[Case {
    name: "read-only tables",
    config: &[],
    lines: &[
        r##"EVAL "x = 1" 0"##,
        r##"EVAL "rawset(_G, 'x', 1) return 1" 0"##,
        r##"EVAL "return rawget(_G, 'x')" 0"##,
        r##"EVAL "return x" 0"##,
        r##"EVAL "string.x = 1" 0"##,
        r##"EVAL "rawset(string, 'x', 1) return 1" 0"##,
        r##"EVAL "rawset(redis, 'call', 1) return 1" 0"##,
        r##"EVAL "rawset(cjson, 'x', 1) return 1" 0"##,
        r##"EVAL "return type(rawget(string, 'x'))" 0"##,
        r##"EVAL "setmetatable(_G, nil) return 1" 0"##,
        r##"EVAL "return pcall(rawset, _G, 'y', 2)" 0"##,
        r##"EVAL "local t = {} rawset(t, 'a', 1) return t.a" 0"##,
        r##"EVAL "rawset(KEYS, 1, 'k') return KEYS[1]" 0"##,
        r##"EVAL "return rawset({}, 'a')" 0"##,
        r##"EVAL "return rawset()" 0"##,
    ],
}];

#[test]
fn read_only_tables_match_redis() {
    assert_no_mismatches(CASES);
}
