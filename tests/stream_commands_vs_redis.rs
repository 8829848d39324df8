//! Stream commands (XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, XREAD, XINFO STREAM,
//! TYPE, OBJECT ENCODING), byte for byte against redis-server 7.0 in RESP2 and RESP3 (see
//! `support/diff.rs`): hand-written cases for every option and error text, then a seeded random
//! mix of commands and IDs over small node limits so nodes split, trim and empty often.
//! IDs are explicit or `<ms>-*`, or `*` on streams whose last ID lies in the future, so both
//! servers generate the same IDs.
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
        "xadd ids and errors",
        &[
            "XADD s 1-1 a 1",
            "XADD s 1-1 a 1",
            "XADD s 1-0 a 1",
            "XADD s 1-* b 2",
            "XADD s 1-* b 2 c 3",
            "XADD s 2-* a x",
            "XADD s 3 a y",
            "XADD s 0-0 a 1",
            "XADD s2 0-0 a 1",
            "EXISTS s2",
            "XADD s2 0-* a 1",
            "XADD s 99999999999999-5 f v",
            "XADD s * f v",
            "XADD s * f v",
            "XADD s 18446744073709551615-18446744073709551615 f v",
            "XADD s * f v",
            "XADD s 18446744073709551615-* f v",
            "XADD s x f v",
            "XADD s 1-x f v",
            "XADD s - f v",
            "XADD s + f v",
            "XADD s \"+5-1\" f v",
            "XADD s 5 f",
            "XADD s 5",
            "XADD s 5 f v g",
            "XADD s NOMKSTREAM",
            "XADD nope NOMKSTREAM 1-1 f v",
            "EXISTS nope",
            "XADD t 18446744073709551615-* f v",
            "XADD t 18446744073709551615-* f v",
            "XADD u 18446744073709551616 f v",
            "XADD u \" 7\" f v",
            "XADD u 8-\"+1\" f v",
            "XADD u 9-\"-0\" f v",
            "XRANGE u - +",
            "XLEN s",
            "XLEN nope",
            "TYPE s",
            "OBJECT ENCODING s",
            "SET str x",
            "XADD str 1-1 a b",
            "XLEN str",
            "XRANGE str - +",
            "XDEL str 1-1",
            "XTRIM str MAXLEN 1",
            "XSETID str 5-5",
            "XINFO STREAM str",
            "XREAD STREAMS str 0",
        ],
    ),
    case(
        "xadd trimming options",
        &[
            "XADD s MAXLEN 2 1-1 a 1",
            "XADD s MAXLEN 2 2-1 a 1",
            "XADD s MAXLEN = 2 3-1 a 1",
            "XRANGE s - +",
            "XADD s MAXLEN ~ 1 4-1 a 1",
            "XLEN s",
            "XADD s MINID 3 5-1 a 1",
            "XRANGE s - +",
            "XADD s MINID = 4-1 6-1 a 1",
            "XADD s MINID ~ 9 7-1 a 1",
            "XADD s MAXLEN -1 8-1 a 1",
            "XADD s MAXLEN x 8-1 a 1",
            "XADD s MAXLEN 1 MINID 1 8-1 a 1",
            "XADD s MINID 1 MAXLEN 1 8-1 a 1",
            "XADD s LIMIT 5 8-1 a 1",
            "XADD s MAXLEN 1 LIMIT 5 8-1 a 1",
            "XADD s MAXLEN ~ 1 LIMIT -1 8-1 a 1",
            "XADD s MAXLEN ~ 1 LIMIT x 8-1 a 1",
            "XADD s MAXLEN ~ 1 LIMIT 0 8-1 a 1",
            "XADD s MINID - 9-1 a 1",
            "XADD s MINID x 9-1 a 1",
            "XADD s maxlen 0 nomkstream 10-1 a 1",
            "XINFO STREAM s",
            "XADD s MAXLEN",
        ],
    ),
    case(
        "xrange xrevrange",
        &[
            "XADD s 1-1 a 1 b 2",
            "XADD s 1-2 a 3 b 4",
            "XADD s 2-0 c 5",
            "XADD s 2-1 a 6 b 7",
            "XADD s 3-0 a -12 b 123456789012",
            "XRANGE s - +",
            "XRANGE s - + COUNT 2",
            "XRANGE s - + COUNT 0",
            "XRANGE s - + COUNT -1",
            "XRANGE s - + COUNT x",
            "XRANGE s - + COUNT",
            "XRANGE s - + LIMIT 1",
            "XRANGE s 1 1",
            "XRANGE s 2 +",
            "XRANGE s (1-1 +",
            "XRANGE s - (2-1",
            "XRANGE s (1 +",
            "XRANGE s ( +",
            "XRANGE s (- +",
            "XRANGE s - (+",
            "XRANGE s (18446744073709551615-18446744073709551615 +",
            "XRANGE s - (0-0",
            "XRANGE s 3 1",
            "XRANGE s x +",
            "XREVRANGE s + -",
            "XREVRANGE s + - COUNT 3",
            "XREVRANGE s (2-1 -",
            "XREVRANGE s 2 1",
            "XREVRANGE s 1 2",
            "XRANGE missing - +",
            "XREVRANGE missing + -",
            "XRANGE missing - + COUNT 0",
            "@hello HELLO 3",
            "XRANGE s - +",
            "XRANGE s - + COUNT 0",
            "XREVRANGE s + - COUNT 1",
        ],
    ),
    case(
        "xdel",
        &[
            "XADD s 1-1 a 1",
            "XADD s 2-1 a 2",
            "XADD s 3-1 a 3",
            "XDEL s 2-1",
            "XDEL s 2-1 9-9",
            "XDEL s 1-1 x",
            "XDEL s 1-1 3-1",
            "XLEN s",
            "EXISTS s",
            "XRANGE s - +",
            "XINFO STREAM s",
            "XADD s 4-1 a 4",
            "XINFO STREAM s",
            "XDEL missing 1-1",
            "XDEL s -",
        ],
    ),
    case(
        "xtrim",
        &[
            "XADD s 1-1 a 1",
            "XADD s 2-1 a 2",
            "XADD s 3-1 a 3",
            "XADD s 4-1 a 4",
            "XTRIM s MAXLEN 3",
            "XTRIM s MAXLEN ~ 1",
            "XTRIM s MINID 3",
            "XTRIM s MINID = 4",
            "XRANGE s - +",
            "XTRIM s",
            "XTRIM s FOO 1",
            "XTRIM s MAXLEN 1 LIMIT 1",
            "XTRIM s MAXLEN ~ 1 LIMIT 1",
            "XTRIM s NOMKSTREAM MAXLEN 1",
            "XTRIM s MAXLEN 0",
            "XINFO STREAM s",
            "XTRIM missing MAXLEN 0",
            "XTRIM s MINID -",
        ],
    ),
    case(
        "xsetid",
        &[
            "XSETID missing 1-1",
            "XADD s 5-5 a 1",
            "XSETID s 5-4",
            "XSETID s 5-5",
            "XSETID s 6",
            "XSETID s 7 ENTRIESADDED 0",
            "XSETID s 7 ENTRIESADDED -1",
            "XSETID s 7 ENTRIESADDED x",
            "XSETID s 7 ENTRIESADDED 10 MAXDELETEDID 6-0",
            "XSETID s 7 MAXDELETEDID 8",
            "XSETID s 7 MAXDELETEDID +",
            "XSETID s +",
            "XSETID s 7 FOO",
            "XSETID s 7 ENTRIESADDED",
            "XINFO STREAM s",
            "XADD s 7-0 a 1",
            "XADD s 7-* a 1",
            "XDEL s 5-5 7-1",
            "XSETID s 1",
            "XSETID s 0",
            "XINFO STREAM s",
        ],
    ),
    case(
        "xread",
        &[
            "XADD s 1-1 a 1",
            "XADD s 2-1 a 2",
            "XADD t 1-5 b 1",
            "XREAD STREAMS s 0",
            "XREAD COUNT 1 STREAMS s t 0 0",
            "XREAD STREAMS s t 1-1 1-5",
            "XREAD STREAMS s t $ $",
            "XREAD STREAMS s missing 0 0",
            "XREAD STREAMS missing 0",
            "XREAD STREAMS s",
            "XREAD STREAMS s t 0",
            "XREAD STREAMS s x",
            "XREAD STREAMS s >",
            "XREAD STREAMS s -",
            "XREAD STREAMS s +",
            "XREAD COUNT x STREAMS s 0",
            "XREAD COUNT -5 STREAMS s 0",
            "XREAD GROUP g c STREAMS s 0",
            "XREAD NOACK STREAMS s 0",
            "XREAD FOO STREAMS s 0",
            "XREAD s 0",
            "XREAD BLOCK x STREAMS s 0",
            "XREAD BLOCK -1 STREAMS s 0",
            "XREAD BLOCK 1.5 STREAMS s 0",
            "XREAD BLOCK 9223372036854775807 STREAMS s 0",
            "XREAD BLOCK 0 STREAMS s 0",
            "MULTI",
            "XREAD BLOCK 10 STREAMS s $",
            "EXEC",
            "@hello HELLO 3",
            "XREAD STREAMS s t 0 0",
            "XREAD STREAMS s t $ $",
        ],
    ),
    case(
        "xread block with explicit ids",
        &[
            "XADD s 1-1 a 1",
            "@conn2 SEND XREAD BLOCK 0 STREAMS s t 1-1 0",
            "WAITBLOCKED 1",
            "XADD s 2-1 b 2",
            "@conn2 READ",
            "@conn2 SEND XREAD COUNT 1 BLOCK 0 STREAMS s t 5 0",
            "WAITBLOCKED 1",
            "XADD s 3-1 b 2",
            "SET t x",
            "XADD t 1-1 c 3",
            "DEL t",
            "XADD t 1-1 c 3",
            "@conn2 READ",
            "@conn2 SEND XREAD BLOCK 30 STREAMS nothing 0",
            "@conn2 READ",
            "@conn2 XREAD BLOCK 10 STREAMS s 0-0",
            "XGROUP CREATE s g $",
            "@conn2 SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS s >",
            "WAITBLOCKED 1",
            "XADD s 9-1 z 9",
            "@conn2 READ",
            "XPENDING s g",
            "@conn2 SEND XREADGROUP GROUP g bob COUNT 5 BLOCK 0 STREAMS s >",
            "WAITBLOCKED 1",
            "XGROUP DESTROY s g",
            "@conn2 READ",
            "@conn2 XREADGROUP GROUP g bob BLOCK 10 STREAMS s >",
        ],
    ),
    case(
        "xread block with $ ids",
        &[
            "XADD s 1-1 a 1",
            // `$` is the last ID when the client blocked: an entry added before the wake-up
            // write (here the one that wakes it) is what it gets, not the older ones.
            "@conn2 SEND XREAD BLOCK 0 STREAMS s missing $ $",
            "WAITBLOCKED 1",
            "XADD s 2-1 b 2",
            "@conn2 READ",
            "@conn2 SEND XREAD BLOCK 0 STREAMS missing s $ $",
            "WAITBLOCKED 1",
            "XADD missing 5-5 c 3",
            "XADD s 3-1 d 4",
            "@conn2 READ",
            "@conn2 SEND XREAD COUNT 1 BLOCK 0 STREAMS s 0 $",
            "@conn2 READ",
        ],
    ),
    case(
        "xinfo",
        &[
            "XINFO STREAM missing",
            "XADD s 1-1 a 1 b 2",
            "XADD s 2-1 a 3 b 4",
            "XADD s 3-1 c 5",
            "XINFO STREAM s",
            "XINFO STREAM s FULL",
            "XINFO STREAM s FULL COUNT 1",
            "XINFO STREAM s FULL COUNT 0",
            "XINFO STREAM s FULL COUNT -3",
            "XINFO STREAM s FULL COUNT x",
            "XINFO STREAM s FULL FOO",
            "XINFO STREAM s FOO",
            "XINFO STREAM s FULL COUNT",
            "XINFO GROUPS s",
            "XINFO GROUPS missing",
            "XINFO CONSUMERS s g",
            "XINFO HELP",
            "XINFO FOO s",
            "XINFO STREAM",
            "@hello HELLO 3",
            "XINFO STREAM s",
            "XINFO STREAM s FULL",
        ],
    ),
    case(
        "xgroup",
        &[
            "XGROUP CREATE s g 0",
            "XGROUP CREATE s g 0 MKSTREAM",
            "XGROUP CREATE s g $",
            "XGROUP CREATE s g2 $ ENTRIESREAD 5",
            "XGROUP CREATE s g3 0 ENTRIESREAD -2",
            "XGROUP CREATE s g3 0 ENTRIESREAD x",
            "XGROUP CREATE s g3 0 FOO",
            "XGROUP CREATE s g3 x",
            "XGROUP CREATE s g3 -",
            "XADD s 1-1 a 1",
            "XADD s 2-1 a 2",
            "XGROUP CREATE s g3 $",
            "XINFO GROUPS s",
            "XGROUP SETID s g 1-1",
            "XGROUP SETID s g $ ENTRIESREAD 2",
            "XGROUP SETID s g -",
            "XGROUP SETID s g +",
            "XGROUP SETID s nope 0",
            "XGROUP SETID missing g 0",
            "XGROUP SETID s g 0 ENTRIESREAD",
            "XGROUP SETID s g 0 MKSTREAM",
            "XINFO GROUPS s",
            "XGROUP CREATECONSUMER s g alice",
            "XGROUP CREATECONSUMER s g alice",
            "XGROUP CREATECONSUMER s nope alice",
            "XGROUP DELCONSUMER s g alice",
            "XGROUP DELCONSUMER s g alice",
            "XGROUP DESTROY s g2",
            "XGROUP DESTROY s g2",
            "XGROUP DESTROY missing g2",
            "XGROUP HELP",
            "XGROUP FOO s g",
            "XGROUP DESTROY s",
            "SET str x",
            "XGROUP CREATE str g 0",
            "XINFO GROUPS s",
            "XINFO STREAM s",
        ],
    ),
    case(
        "xreadgroup xack xpending",
        &[
            "XADD s 1-1 a 1",
            "XADD s 2-1 b 2",
            "XADD s 3-1 c 3",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice COUNT 1 STREAMS s >",
            "XREADGROUP GROUP g bob STREAMS s >",
            "XREADGROUP GROUP g bob STREAMS s >",
            "XREADGROUP GROUP g alice STREAMS s 0",
            "XREADGROUP GROUP g bob STREAMS s 0",
            "XREADGROUP GROUP g bob COUNT 1 STREAMS s 2",
            "XREADGROUP GROUP g carol STREAMS s 0",
            "XPENDING s g",
            "@len XPENDING s g - + 10",
            "@len XPENDING s g - + 10 bob",
            "XPENDING s g - + 10 nobody",
            "XPENDING s g - + 0",
            "XPENDING s g IDLE 999999 - + 10",
            "XPENDING s g IDLE x - + 10",
            "XPENDING s g IDLE 5 - +",
            "XPENDING s g - + x",
            "XPENDING s g ( + 1",
            "XPENDING s g (18446744073709551615-18446744073709551615 + 1",
            "XPENDING s g - +",
            "XPENDING s nope",
            "XPENDING missing g",
            "XINFO GROUPS s",
            "XINFO STREAM s",
            "XACK s g 1-1 9-9",
            "XACK s g 1-1",
            "XACK s g x",
            "XACK s nope 1-1",
            "XACK missing g 1-1",
            "XPENDING s g",
            "XDEL s 2-1",
            "XREADGROUP GROUP g bob STREAMS s 0",
            "XINFO GROUPS s",
            "XADD s 4-1 d 4",
            "XREADGROUP GROUP g alice NOACK STREAMS s >",
            "XPENDING s g",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g alice STREAMS s $",
            "XREADGROUP GROUP nope alice STREAMS s >",
            "XREADGROUP GROUP g alice STREAMS missing >",
            "XREADGROUP GROUP g alice STREAMS s",
            "XREADGROUP STREAMS s >",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XREADGROUP GROUP g alice BLOCK 10 STREAMS s >",
            "@hello HELLO 3",
            "XADD s 5-1 e 5",
            "XREADGROUP GROUP g dave STREAMS s >",
            "XPENDING s g",
            "XINFO GROUPS s",
        ],
    ),
    case(
        "xclaim xautoclaim",
        &[
            "XADD s 1-1 a 1",
            "XADD s 2-1 b 2",
            "XADD s 3-1 c 3",
            "XADD s 4-1 d 4",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XCLAIM s g bob 0 1-1 2-1",
            "XCLAIM s g bob 0 3-1 JUSTID",
            "XCLAIM s g bob 99999999 4-1",
            "XCLAIM s g bob 0 9-9 JUSTID",
            "XCLAIM s g bob 0 4-1 FOO",
            "XCLAIM s g bob x 4-1",
            "XCLAIM s g bob 0 4-1 IDLE x",
            "XCLAIM s g bob 0 4-1 TIME x",
            "XCLAIM s g bob 0 4-1 RETRYCOUNT x",
            "XCLAIM s g bob 0 4-1 LASTID x",
            "XCLAIM s nope bob 0 4-1",
            "XCLAIM missing g bob 0 4-1",
            "XCLAIM s g carol 0 4-1 RETRYCOUNT 7 JUSTID",
            "XPENDING s g",
            "XDEL s 1-1",
            "XCLAIM s g carol 0 1-1 JUSTID",
            "XPENDING s g",
            "XACK s g 4-1",
            "XCLAIM s g dave 0 4-1 FORCE JUSTID",
            "XCLAIM s g dave 0 4-1 FORCE RETRYCOUNT 3 JUSTID LASTID 10-0",
            "XINFO GROUPS s",
            "XPENDING s g",
            "XAUTOCLAIM s g erin 0 0",
            "XAUTOCLAIM s g erin 0 0 COUNT 1",
            "XAUTOCLAIM s g erin 0 (2-1 COUNT 1 JUSTID",
            "XAUTOCLAIM s g erin 0 0 JUSTID",
            "XAUTOCLAIM s g erin 99999999 0",
            "XAUTOCLAIM s g erin 0 0 COUNT 0",
            "XAUTOCLAIM s g erin 0 0 COUNT x",
            "XAUTOCLAIM s g erin 0 0 COUNT 576460752303423487",
            "XAUTOCLAIM s g erin 0 0 COUNT 576460752303423488",
            "XRANGE s - + COUNT 9223372036854775807",
            // Idle times are milliseconds of wall time: only the shape is compared.
            "@len XPENDING s g - + 9223372036854775807",
            "XTRIM s MAXLEN ~ 9223372036854775807 LIMIT 9223372036854775807",
            "XAUTOCLAIM s g erin 0 0 FOO",
            "XAUTOCLAIM s g erin x 0",
            "XAUTOCLAIM s g erin 0 x",
            "XAUTOCLAIM s nope erin 0 0",
            "XDEL s 3-1",
            "XAUTOCLAIM s g frank 0 0",
            "XPENDING s g",
            "XINFO GROUPS s",
            "@len XINFO CONSUMERS s g",
            "@len XINFO STREAM s FULL",
            "XINFO CONSUMERS s nope",
        ],
    ),
    case(
        "notifications",
        &[
            "CONFIG SET notify-keyspace-events KEA",
            "@conn2 PSUBSCRIBE __key*__:*",
            "XADD s 1-1 a 1",
            "@conn2 READ 2",
            "XADD s MAXLEN 1 2-1 a 1",
            "@conn2 READ 4",
            "XDEL s 2-1",
            "@conn2 READ 2",
            "XDEL s 2-1",
            "XADD s 3-1 a 1",
            "@conn2 READ 2",
            "XTRIM s MAXLEN 0",
            "@conn2 READ 2",
            "XSETID s 10-0",
            "@conn2 READ 2",
            "XGROUP CREATE s g $",
            "@conn2 READ 2",
            "XGROUP CREATECONSUMER s g c",
            "@conn2 READ 2",
            "XGROUP SETID s g 0",
            "@conn2 READ 2",
            "XGROUP DELCONSUMER s g c",
            "@conn2 READ 2",
            "XADD s 11-0 a 1",
            "@conn2 READ 2",
            "XREADGROUP GROUP g newbie STREAMS s >",
            "@conn2 READ 2",
            "XGROUP DESTROY s g",
            "@conn2 READ 2",
            "CONFIG SET notify-keyspace-events \"\"",
        ],
    ),
];

/// Tiny splitmix64, so the generated script depends on the seed alone.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn leak(lines: Vec<String>) -> &'static [&'static str] {
    Box::leak(
        lines
            .into_iter()
            .map(|l| &*Box::leak(l.into_boxed_str()))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

/// A random ID near the streams' IDs: whole, ms only, `ms-*`, or a range marker.
fn id(r: &mut Rng, xadd: bool) -> String {
    let ms = r.below(60);
    let seq = r.below(4);
    match r.below(if xadd { 5 } else { 6 }) {
        0 => format!("{ms}"),
        1 if xadd => format!("{ms}-*"),
        2 if !xadd => "-".into(),
        3 if !xadd => format!("({ms}-{seq}"),
        _ => format!("{ms}-{seq}"),
    }
}

fn generated(seed: u64) -> Vec<Case> {
    let mut r = Rng(seed);
    let keys = ["s", "t"];
    let fields = ["a", "b", "c", "12", "-7", "long_field_name_here"];
    let mut lines = vec![
        "CONFIG SET stream-node-max-entries 4".to_string(),
        "CONFIG SET stream-node-max-bytes 200".to_string(),
    ];
    for n in 0..600 {
        if n == 300 {
            lines.push("@hello HELLO 3".into());
        }
        let k = keys[r.below(2) as usize];
        let line = match r.below(14) {
            0..=4 => {
                let mut c = format!("XADD {k}");
                match r.below(6) {
                    0 => {
                        c += &format!(
                            " MAXLEN {} {}",
                            ["", "=", "~"][r.below(3) as usize],
                            r.below(12)
                        )
                    }
                    1 => {
                        c += &format!(
                            " MINID {} {}",
                            ["", "=", "~"][r.below(3) as usize],
                            id(&mut r, false).trim_start_matches('(')
                        )
                    }
                    2 => c += &format!(" MAXLEN ~ {} LIMIT {}", r.below(10), r.below(10)),
                    _ => {}
                }
                c += &format!(" {}", id(&mut r, true));
                let same = r.below(2) == 0;
                for j in 0..1 + r.below(3) {
                    let f = if same {
                        fields[j as usize]
                    } else {
                        fields[r.below(6) as usize]
                    };
                    let v = if r.below(3) == 0 {
                        format!("{}", r.below(1 << 20) as i64 - 500)
                    } else {
                        "v".repeat(r.below(40) as usize)
                    };
                    c += &format!(" {f} \"{v}\"");
                }
                c
            }
            5 => format!(
                "XDEL {k} {} {}",
                id(&mut r, false).trim_start_matches('('),
                id(&mut r, false).trim_start_matches('(')
            ),
            6 => format!(
                "XTRIM {k} {} {} {}",
                ["MAXLEN", "MINID"][r.below(2) as usize],
                ["", "=", "~"][r.below(3) as usize],
                r.below(20)
            ),
            7 => format!(
                "XRANGE {k} {} {} COUNT {}",
                id(&mut r, false),
                id(&mut r, false),
                r.below(5)
            ),
            8 => format!("XREVRANGE {k} + {}", id(&mut r, false)),
            9 => format!("XRANGE {k} - +"),
            10 => format!("XINFO STREAM {k}"),
            11 => format!(
                "XREAD COUNT {} STREAMS s t {} {}",
                r.below(4),
                id(&mut r, false).trim_start_matches('('),
                id(&mut r, false).trim_start_matches('(')
            ),
            12 => format!("XSETID {k} {}", id(&mut r, false).trim_start_matches('(')),
            _ => format!("XLEN {k}"),
        };
        lines.push(line);
    }
    lines.push("XINFO STREAM s FULL".into());
    lines.push("XINFO STREAM t FULL".into());
    lines.push("DEBUG DIGEST".into());
    vec![Case {
        name: "seeded random mix",
        config: &[],
        lines: leak(lines),
    }]
}

#[test]
fn stream_commands_match_redis() {
    let mut cases = CASES.to_vec();
    let seed = std::env::var("STREAM_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_125);
    eprintln!("stream differential seed {seed} (STREAM_DIFF_SEED to replay)");
    cases.extend(generated(seed));
    cases.extend(generated(seed ^ 0xABCD));
    assert_no_mismatches(&cases);
}
