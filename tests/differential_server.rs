//! Connection and server commands (PING, ECHO, SELECT, HELLO, AUTH, CLIENT, CONFIG GET, TIME,
//! arity and unknown-command errors), byte for byte against redis-server 7.0 (see
//! `support/diff.rs` for the script syntax and normalisation rules).
mod support;

use support::diff::{assert_no_mismatches, Case};

const fn case(name: &'static str, lines: &'static [&'static str]) -> Case {
    Case {
        name,
        config: &[],
        lines,
    }
}

const PW: &[&str] = &["--requirepass", "s3cret"];
const CLUSTER: &[&str] = &["--cluster-enabled", "yes"];

const CASES: &[Case] = &[
    case("ping echo", &[
        "PING", "PING hello", "PING \"\"", "PING a b", "ECHO hi", "ECHO \"\"", "ECHO", "ECHO a b",
        "ping", "PiNg x", "INLINE \"PING\\r\\n\"", "INLINE \"ping hello\\n\"", "INLINE \"ECHO \\\"a b\\\"\\r\\n\"",
        "INLINE \"ECHO 'x y'\\r\\n\"", "INLINE \"ECHO \\\"\\\\x41\\\\n\\\"\\r\\n\"", "INLINE \"ECHO 'x y' \\\"\\\\x41\\\"\\r\\n\"",
    ]),
    case("unknown command and arity", &[
        "FOO", "FOO a b", "foo bar", "FOO \"a b\" \"\"",
        "FOO 01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
        "GET", "get", "GeT a b", "SET", "CLIENT", "CLIENT FOO", "client bogus x", "CONFIG", "CONFIG GET",
        "CONFIG FOO", "OBJECT", "OBJECT FOO", "INLINE \"NOSUCH a\\r\\n\"", "INLINE \"\\r\\n  \\r\\nPING\\r\\n\"", "PING",
    ]),
    case("hello", &[
        "@hello HELLO", "@hello HELLO 2", "PING", "@hello HELLO 3", "PING", "GET missing", "ECHO x",
        "@hello HELLO 2", "GET missing", "HELLO 4", "HELLO 1", "HELLO abc", "HELLO 3 BOGUS",
        "@hello HELLO 3 SETNAME myname", "CLIENT GETNAME", "HELLO 2 SETNAME", "HELLO 3 SETNAME \"a b\"",
        "@hello HELLO 3 AUTH default x", "HELLO 3 AUTH default",
    ]),
    case("client", &[
        "CLIENT GETNAME", "CLIENT SETNAME alpha", "CLIENT GETNAME", "CLIENT SETNAME \"a b\"",
        "CLIENT SETNAME \"a\\nb\"", "CLIENT SETNAME \"\"", "CLIENT GETNAME", "CLIENT SETNAME", "@id CLIENT ID",
        "CLIENT ID x", "CLIENT SETNAME beta", "@clientinfo CLIENT INFO", "SELECT 3",
        "@clientinfo CLIENT INFO", "@hello HELLO 3", "@clientinfo CLIENT INFO",
    ]),
    case("config get", &[
        "CONFIG GET maxmemory", "CONFIG GET databases", "CONFIG GET appendonly", "CONFIG GET save",
        "CONFIG GET requirepass", "CONFIG GET cluster-enabled", "CONFIG GET proto-max-bulk-len",
        "CONFIG GET timeout", "CONFIG GET nosuchparam", "CONFIG GET MAXMEMORY", "@self CONFIG GET port",
        "@self CONFIG GET dir", "CONFIG GET bind", "@sortpairs CONFIG GET maxmemory databases",
        "@sortpairs CONFIG GET maxmemory-p*", "@hello HELLO 3", "CONFIG GET databases",
    ]),
    case(
        "inline quoting",
        &[
            "INLINE \"ECHO\\tx\\r\\n\"",
            "INLINE \"ECHO a\\\"b\\\"\\r\\n\"",
            "INLINE \"ECHO \\\"\\\\t\\\\r\\\\\\\\\\\"\\r\\n\"",
            "INLINE \"ECHO \\\"\\\\xZZ\\\"\\r\\n\"",
            "INLINE \"ECHO ''\\r\\n\"",
            "INLINE \"ECHO 'it\\\\'s'\\r\\n\"",
            "INLINE \"   ECHO    spaced   \\r\\n\"",
            "INLINE \"FO\\x01O a\\r\\n\"",
            "\"FO\\nO\" \"a\\rb\"",
            "INLINE \"ECHO \\\"x\\\"y\\r\\n\"",
        ],
    ),
    case(
        "ttl rounding and config dedup",
        &[
            "SET k v",
            "PEXPIRE k 100900",
            "TTL k",
            "@sortpairs CONFIG GET maxmemory maxmemory",
            "@sortpairs CONFIG GET maxmemory MAXMEMORY",
            "CLIENT SETNAME a b",
            "OBJECT ENCODING a b",
            "ECHO \"\\x00\\xff\"",
        ],
    ),
    case("time", &["@time TIME", "TIME x"]),
    case("auth without requirepass", &[
        "AUTH x", "AUTH default x", "AUTH a b c", "AUTH", "PING",
    ]),
    Case {
        name: "auth with requirepass",
        config: PW,
        lines: &[
            "AUTH wrong", "AUTH default wrong", "AUTH s3cret", "AUTH default s3cret", "PING", "AUTH", "GET k",
        ],
    },
    Case {
        name: "noauth before auth",
        config: PW,
        // The harness authenticates each case connection; RESET drops it (7.0 RESET deauthenticates
        // when a password is set), so what follows runs as an unauthenticated client.
        lines: &[
            "RESET", "PING", "GET k", "ECHO x", "@hello HELLO 3", "HELLO 3 AUTH default wrong",
            "@hello HELLO 2 AUTH default s3cret", "GET k", "RESET", "AUTH s3cret", "GET k",
        ],
    },
    Case {
        name: "cluster mode select",
        config: CLUSTER,
        lines: &["SELECT 0", "SELECT 1", "SELECT abc", "PING", "GET k", "@hello HELLO 3", "CONFIG GET cluster-enabled"],
    },
];

#[test]
fn server_commands_match_redis() {
    assert_no_mismatches(CASES);
}
