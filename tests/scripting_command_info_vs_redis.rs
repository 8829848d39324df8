//! COMMAND INFO / DOCS / GETKEYS / LIST of the scripting commands (EVAL, EVALSHA, EVAL_RO,
//! EVALSHA_RO, FCALL, FCALL_RO, every SCRIPT and FUNCTION subcommand), byte for byte against
//! redis-server 7.0 (see `support/diff.rs`). Cluster clients route EVAL and FCALL by these key
//! specifications. Containers are asked for by subcommand (Redis lists a container's
//! subcommands in a seeded hash order). `HASHSLOT_NODE_BIN=redis-server` checks the battery
//! against Redis itself.
mod support;

use support::diff::{assert_no_mismatches, Case};

const LINES: &[&str] = &[
    "COMMAND INFO eval",
    "COMMAND INFO evalsha",
    "COMMAND INFO eval_ro",
    "COMMAND INFO evalsha_ro",
    "COMMAND INFO fcall",
    "COMMAND INFO fcall_ro",
    "COMMAND INFO script|load script|exists script|flush script|kill script|debug script|help",
    "COMMAND INFO function|load function|delete function|flush function|list function|dump",
    "COMMAND INFO function|restore function|stats function|kill function|help",
    "COMMAND DOCS eval evalsha eval_ro evalsha_ro fcall fcall_ro",
    "COMMAND DOCS script|load script|exists script|flush script|kill script|debug script|help",
    "COMMAND DOCS function|load function|delete function|flush function|list function|dump",
    "COMMAND DOCS function|restore function|stats function|kill function|help",
    "COMMAND GETKEYS EVAL \"return 1\" 2 a b c",
    "COMMAND GETKEYS EVAL \"return 1\" 0 a",
    "COMMAND GETKEYS EVALSHA_RO x 1 a b",
    "COMMAND GETKEYS FCALL f 2 a b c",
    "COMMAND GETKEYS FCALL_RO f 1 a",
    "COMMAND GETKEYS EVAL \"return 1\" 3 a",
    "COMMAND GETKEYS EVAL \"return 1\" x a",
    "COMMAND GETKEYSANDFLAGS EVAL \"return 1\" 2 a b",
    "COMMAND GETKEYSANDFLAGS FCALL_RO f 1 a",
    "@sort COMMAND LIST FILTERBY ACLCAT scripting",
    "@sort COMMAND LIST FILTERBY PATTERN eval*",
    "@hello HELLO 3",
    "COMMAND INFO eval fcall_ro",
    "COMMAND DOCS evalsha",
];

const CASES: &[Case] = &[Case {
    name: "scripting command metadata",
    config: &[],
    lines: LINES,
}];

#[test]
fn scripting_command_metadata_matches_redis() {
    assert_no_mismatches(CASES);
}
