//! Stream commands (and consumer group commands on a third stream) run in-process against a
//! real redis-server with Redis's default node limits
//! (100 entries / 4096 bytes a node): a seeded random mix of XADD (every trim option), XDEL,
//! XTRIM, XRANGE/XREVRANGE, XREAD, XSETID, and XINFO STREAM [FULL], big
//! enough that nodes fill, split, empty and get trimmed whole. Replies must be identical bytes.
//! IDs are explicit or `<ms>-*` so both sides generate the same ones. Skipped when
//! redis-server is missing, unless HASHSLOT_REQUIRE_REDIS=1. `STREAM_SEED` replays a seed.

mod common;

use common::{wall_ms, Node, RedisServer};

/// splitmix64: the script depends on the seed alone.
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
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// An ID near the entries' IDs (ms 0..400): `ms`, `ms-seq`, and for ranges `-`, `+`, `(`.
fn id(r: &mut Rng, range: bool) -> String {
    let ms = r.below(400);
    let seq = r.below(3);
    match r.below(if range { 7 } else { 3 }) {
        0 => format!("{ms}"),
        3 => "-".into(),
        4 => "+".into(),
        5 => format!("({ms}-{seq}"),
        _ => format!("{ms}-{seq}"),
    }
}

/// A consumer group command on stream `q` whose reply holds no clock reading (XPENDING's
/// summary form, JUSTID claims, XINFO GROUPS; times differ between two servers).
fn group_op(r: &mut Rng) -> String {
    let g = r.pick(&["g1", "g2", "nogroup"]);
    let c = r.pick(&["alice", "bob", "", "carol"]);
    match r.below(12) {
        0 => format!(
            "XGROUP CREATE q {g} {} {}",
            r.pick(&["0", "$", "100", "-"]),
            r.pick(&["", "MKSTREAM", "ENTRIESREAD 3"])
        ),
        1 => format!("XGROUP SETID q {g} {}", r.pick(&["0", "$", "50-1", "+"])),
        2 => format!("XGROUP DESTROY q {g}"),
        3 => format!("XGROUP CREATECONSUMER q {g} \"{c}\""),
        4 => format!("XGROUP DELCONSUMER q {g} \"{c}\""),
        5 | 6 => format!(
            "XREADGROUP GROUP {g} \"{c}\" COUNT {} {} STREAMS q {}",
            r.below(6),
            r.pick(&["", "NOACK"]),
            r.pick(&[">", ">", "0", "100"])
        ),
        7 => format!("XACK q {g} {} {}", id(r, false), id(r, false)),
        8 => format!("XPENDING q {g}"),
        9 => format!(
            "XCLAIM q {g} \"{c}\" 0 {} {} JUSTID",
            id(r, false),
            id(r, false)
        ),
        10 => format!(
            "XAUTOCLAIM q {g} \"{c}\" 0 {} COUNT {} JUSTID",
            id(r, false),
            1 + r.below(5)
        ),
        _ => "XINFO GROUPS q".into(),
    }
}

fn script(seed: u64, n: usize) -> Vec<String> {
    let mut r = Rng(seed);
    let fields = [
        "a",
        "b",
        "c",
        "12",
        "-7",
        "9223372036854775807",
        "longer_field",
    ];
    let mut next_ms = [1u64, 1u64, 1u64];
    let mut out = Vec::new();
    for _ in 0..n {
        let ki = r.below(3) as usize;
        let k = ["s", "t", "q"][ki];
        if ki == 2 && r.below(2) == 0 {
            out.push(group_op(&mut r));
            continue;
        }
        let line = match r.below(20) {
            0..=9 => {
                let mut c = format!("XADD {k}");
                if r.below(8) == 0 {
                    c += " NOMKSTREAM";
                }
                match r.below(8) {
                    0 => c += &format!(" MAXLEN {} {}", r.pick(&["", "=", "~"]), r.below(300)),
                    1 => c += &format!(" MINID {} {}", r.pick(&["", "=", "~"]), id(&mut r, false)),
                    2 => c += &format!(" MAXLEN ~ {} LIMIT {}", r.below(300), r.below(150)),
                    _ => {}
                }
                // Mostly growing IDs, sometimes stale ones (errors), sometimes `ms-*`.
                let step = 1 + r.below(2);
                next_ms[ki] += step;
                let idtext = match r.below(10) {
                    0 => format!("{}-*", next_ms[ki]),
                    1 => id(&mut r, false),
                    _ => format!("{}-{}", next_ms[ki], r.below(3)),
                };
                c += &format!(" {idtext}");
                let same = r.below(3) != 0;
                for j in 0..1 + r.below(3) {
                    let f = if same {
                        fields[j as usize]
                    } else {
                        r.pick(&fields)
                    };
                    let v = match r.below(4) {
                        0 => format!("{}", r.below(1 << 40) as i64 - (1 << 39)),
                        1 => "x".repeat(r.below(200) as usize),
                        _ => "v".repeat(r.below(20) as usize),
                    };
                    c += &format!(" {f} \"{v}\"");
                }
                c
            }
            10 => format!(
                "XDEL {k} {} {} {}",
                id(&mut r, false),
                id(&mut r, false),
                id(&mut r, false)
            ),
            11 => format!(
                "XTRIM {k} {} {} {}",
                r.pick(&["MAXLEN", "MINID"]),
                r.pick(&["", "=", "~"]),
                r.below(300)
            ),
            12 => format!(
                "XRANGE {k} {} {} COUNT {}",
                id(&mut r, true),
                id(&mut r, true),
                r.below(6)
            ),
            13 => format!(
                "XREVRANGE {k} {} {} COUNT {}",
                id(&mut r, true),
                id(&mut r, true),
                r.below(6)
            ),
            14 => format!("XINFO STREAM {k}"),
            15 => format!(
                "XREAD COUNT {} STREAMS s t {} {}",
                r.below(4),
                r.pick(&["$", "0", "100", "200-1"]),
                id(&mut r, false)
            ),
            16 => format!("XSETID {k} {}", id(&mut r, false)),
            // FULL shows delivery and seen times: only for the streams without groups.
            17 if ki < 2 => format!("XINFO STREAM {k} FULL COUNT {}", r.below(4)),
            _ => format!("XLEN {k}"),
        };
        out.push(line);
    }
    out.push("XRANGE s - +".into());
    out.push("XRANGE t - +".into());
    out.push("XINFO STREAM s FULL COUNT 0".into());
    out.push("XINFO STREAM t FULL COUNT 0".into());
    out.push("XINFO GROUPS q".into());
    out.push("XRANGE q - +".into());
    out
}

#[test]
fn random_stream_commands_match_redis() {
    let Some(server) = RedisServer::start() else {
        eprintln!("redis-server not found: skipping (set HASHSLOT_REQUIRE_REDIS=1 to fail)");
        return;
    };
    let seeds: Vec<u64> = match std::env::var("STREAM_SEED") {
        Ok(s) => vec![s.parse().expect("STREAM_SEED is a number")],
        Err(_) => vec![1, 2, 3, 4],
    };
    let mut redis = server.connect();
    for seed in seeds {
        redis.cmd("flushall");
        let mut ours = Node::new(wall_ms());
        let mut shown = 0;
        let mut bad = 0;
        let (mut added, mut trimmed_nodes) = (0, 0);
        for line in script(seed, 3000) {
            let want = redis.cmd(&line);
            let got = ours.cmd(&line);
            if line.starts_with("XADD") && want.starts_with(b"$") {
                added += 1;
            }
            if line.starts_with("XINFO STREAM") && !want.starts_with(b"-") {
                // radix-tree-keys is the 4th element: count replies showing several nodes.
                let text = String::from_utf8_lossy(&want).into_owned();
                let keys: Vec<&str> = text.split("\r\n").collect();
                if keys
                    .get(6)
                    .and_then(|v| v.trim_start_matches(':').parse::<u32>().ok())
                    > Some(1)
                {
                    trimmed_nodes += 1;
                }
            }
            if want != got {
                bad += 1;
                if shown < 5 {
                    shown += 1;
                    eprintln!(
                        "seed {seed}: {line}\n   redis: {:?}\n   ours:  {:?}",
                        String::from_utf8_lossy(&want),
                        String::from_utf8_lossy(&got)
                    );
                }
            }
        }
        // The mix must really build multi-node streams, or it proves little.
        assert!(added > 300, "seed {seed}: only {added} XADDs succeeded");
        assert!(
            trimmed_nodes > 10,
            "seed {seed}: streams rarely had several nodes"
        );
        assert_eq!(
            bad, 0,
            "seed {seed}: {bad} replies differ (STREAM_SEED={seed} to replay)"
        );
    }
}
