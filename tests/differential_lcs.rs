//! LCS (plain, LEN, IDX, MINMATCHLEN, WITHMATCHLEN), byte for byte against redis-server 7.0
//! (see `support/diff.rs` for the script syntax). `HASHSLOT_NODE_BIN=redis-server` checks the
//! battery against Redis itself.
mod support;

use support::diff::{assert_no_mismatches, Case};

const fn case(name: &'static str, lines: &'static [&'static str]) -> Case {
    Case {
        name,
        config: &[],
        lines,
    }
}

const CASES: &[Case] = &[
    case(
        "lcs basics",
        &[
            "MSET a ohmytext b mynewtext",
            "LCS a b",
            "LCS a b LEN",
            "LCS a b len",
            "LCS a b IDX",
            "LCS a b IDX WITHMATCHLEN",
            "LCS a b IDX MINMATCHLEN 4",
            "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN",
            "LCS a b IDX MINMATCHLEN -5",
            "LCS a b IDX MINMATCHLEN 0 WITHMATCHLEN",
            "LCS a b WITHMATCHLEN",
            "LCS a b MINMATCHLEN 3",
            "LCS b a IDX WITHMATCHLEN",
            "LCS a a IDX WITHMATCHLEN",
            "LCS a missing",
            "LCS missing a IDX",
            "LCS missing other LEN",
            "LCS a b LEN IDX",
            "LCS a b IDX LEN",
            "LCS a b MINMATCHLEN",
            "LCS a b MINMATCHLEN x",
            "LCS a b MINMATCHLEN 1.5 IDX",
            "LCS a b BOGUS",
            "LCS a",
        ],
    ),
    case(
        "lcs shapes",
        &[
            "SET x \"ACCGGTCGAGTGCGCGGAAGCCGGCCGAA\"",
            "SET y \"GTCGTTCGGAATGCCGTTGCTCTGTAAA\"",
            "LCS x y",
            "LCS x y LEN",
            "LCS x y IDX",
            "LCS x y IDX WITHMATCHLEN MINMATCHLEN 2",
            "SET p \"aaaa\"",
            "SET q \"aa\"",
            "LCS p q IDX WITHMATCHLEN",
            "LCS q p IDX WITHMATCHLEN",
            "SET e \"\"",
            "LCS e p",
            "LCS e p IDX",
            "SET bin \"\\x00\\x01\\xff\\x00\"",
            "SET bin2 \"\\xff\\x00\\x00\"",
            "LCS bin bin2",
            "LCS bin bin2 IDX WITHMATCHLEN",
            "SET n1 12345",
            "SET n2 2945",
            "LCS n1 n2",
            "LCS n1 n2 IDX",
            "SET disjoint abc",
            "SET other xyz",
            "LCS disjoint other IDX",
        ],
    ),
    case(
        "lcs errors",
        &[
            "SET s v",
            "LPUSH l x",
            "LCS s l",
            "LCS l s BOGUS",
            "LCS l missing",
            "HSET h f v",
            "LCS h l",
            "SETRANGE big1 12000 x",
            "SETRANGE big2 12000 y",
            "LCS big1 big2 LEN",
            "LCS big1 big2",
        ],
    ),
    case(
        "lcs resp3",
        &[
            "@hello HELLO 3",
            "MSET a ohmytext b mynewtext",
            "LCS a b IDX WITHMATCHLEN",
            "LCS a b LEN",
        ],
    ),
];

#[test]
fn lcs_matches_redis() {
    assert_no_mismatches(CASES);
}
