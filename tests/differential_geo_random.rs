//! GEO commands on random data and random queries reply byte for byte as redis-server 7.0:
//! points scattered at random scales around random centres (poles, the antimeridian, repeated
//! coordinates so distances tie), sets small (listpack) and large (skiplist), and every search
//! form with random radii, boxes, units and options, in RESP2 and RESP3. The run is generated
//! from a seed printed on failure; `HASHSLOT_GEO_SEED=<n>` replays one, `HASHSLOT_GEO_ROUNDS`
//! runs more rounds.
// A process test: it starts real servers and reads replies with socket deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use support::{escape, require_tool, show_cmd, Client, Flavor, Rng, Server};

const DEFAULT_SEED: u64 = 0x6E0_5EED;

fn unit_f64(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn below(rng: &mut Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

/// A random decimal text for `v` with a random number of decimals (what a client would send).
fn num(rng: &mut Rng, v: f64) -> String {
    match below(rng, 4) {
        0 => format!("{v:.2}"),
        1 => format!("{v:.6}"),
        2 => format!("{v}"),
        _ => format!("{v:.12}"),
    }
}

/// A random point near `c` at a random scale, inside the indexable area.
fn point_near(rng: &mut Rng, c: (f64, f64)) -> (f64, f64) {
    let scale = 10f64.powf(-4.0 + unit_f64(rng) * 6.0);
    let x = (c.0 + (unit_f64(rng) * 2.0 - 1.0) * scale).clamp(-180.0, 180.0);
    let y = (c.1 + (unit_f64(rng) * 2.0 - 1.0) * scale).clamp(-85.05, 85.05);
    (x, y)
}

fn random_centre(rng: &mut Rng) -> (f64, f64) {
    match below(rng, 6) {
        0 => (
            179.99 * if below(rng, 2) == 0 { 1.0 } else { -1.0 },
            unit_f64(rng) * 40.0,
        ),
        1 => (
            unit_f64(rng) * 360.0 - 180.0,
            84.9 * if below(rng, 2) == 0 { 1.0 } else { -1.0 },
        ),
        2 => (0.0, 0.0),
        _ => (unit_f64(rng) * 360.0 - 180.0, unit_f64(rng) * 170.0 - 85.0),
    }
}

fn unit(rng: &mut Rng) -> (&'static str, f64) {
    [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)][below(rng, 4) as usize]
}

/// A random length in `unit`, log-uniform from 1 m to about 20,000 km, sometimes 0.
fn length(rng: &mut Rng, per_unit: f64) -> f64 {
    if below(rng, 30) == 0 {
        return 0.0;
    }
    let meters = 10f64.powf(unit_f64(rng) * 7.3);
    meters / per_unit
}

/// The options after the shape: WITH*, COUNT [ANY], ASC|DESC, shuffled.
fn options(rng: &mut Rng, with: bool) -> Vec<String> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    if with {
        for w in ["WITHDIST", "WITHCOORD", "WITHHASH"] {
            if below(rng, 2) == 0 {
                groups.push(vec![w.to_string()]);
            }
        }
    }
    if below(rng, 2) == 0 {
        let mut g = vec!["COUNT".to_string(), (1 + below(rng, 12)).to_string()];
        if below(rng, 4) == 0 {
            g.push("ANY".to_string());
        }
        groups.push(g);
    }
    match below(rng, 3) {
        0 => groups.push(vec!["ASC".to_string()]),
        1 => groups.push(vec!["DESC".to_string()]),
        _ => {}
    }
    // Fisher-Yates over the groups: Redis reads options in any order.
    for i in (1..groups.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        groups.swap(i, j);
    }
    groups.concat()
}

/// One random query over key `g` whose members are `members`.
fn query(rng: &mut Rng, members: &[String]) -> Vec<Vec<String>> {
    let s = |v: &str| v.to_string();
    let member = |rng: &mut Rng| {
        if below(rng, 20) == 0 {
            s("nope")
        } else {
            members[below(rng, members.len() as u64) as usize].clone()
        }
    };
    let centre = if below(rng, 2) == 0 {
        let m = member(rng);
        (None, Some(m))
    } else {
        let c = random_centre(rng);
        let c = point_near(rng, c);
        (Some((num(rng, c.0), num(rng, c.1))), None)
    };
    let (u, per) = unit(rng);
    let r = length(rng, per);
    let kind = below(rng, 10);
    let mut cmds = Vec::new();
    match kind {
        0..=2 => {
            // GEORADIUS / GEORADIUSBYMEMBER and their _RO forms, sometimes storing.
            let ro = below(rng, 2) == 0;
            let store = !ro && below(rng, 3) == 0;
            let mut c = match &centre {
                (Some((x, y)), _) => {
                    vec![
                        s(if ro { "GEORADIUS_RO" } else { "GEORADIUS" }),
                        s("g"),
                        x.clone(),
                        y.clone(),
                    ]
                }
                (_, Some(m)) => vec![
                    s(if ro {
                        "GEORADIUSBYMEMBER_RO"
                    } else {
                        "GEORADIUSBYMEMBER"
                    }),
                    s("g"),
                    m.clone(),
                ],
                _ => unreachable!(),
            };
            c.push(num(rng, r));
            c.push(u.to_string());
            c.extend(options(rng, !store));
            if store {
                c.push(s(if below(rng, 2) == 0 {
                    "STORE"
                } else {
                    "STOREDIST"
                }));
                c.push(s("dst"));
            }
            cmds.push(c);
            if store {
                cmds.push(vec![
                    s("ZRANGE"),
                    s("dst"),
                    s("0"),
                    s("-1"),
                    s("WITHSCORES"),
                ]);
            }
        }
        3..=6 => {
            // GEOSEARCH / GEOSEARCHSTORE.
            let store = below(rng, 4) == 0;
            let mut c = if store {
                vec![s("GEOSEARCHSTORE"), s("dst"), s("g")]
            } else {
                vec![s("GEOSEARCH"), s("g")]
            };
            match &centre {
                (Some((x, y)), _) => c.extend([s("FROMLONLAT"), x.clone(), y.clone()]),
                (_, Some(m)) => c.extend([s("FROMMEMBER"), m.clone()]),
                _ => unreachable!(),
            }
            if below(rng, 2) == 0 {
                c.extend([s("BYRADIUS"), num(rng, r), u.to_string()]);
            } else {
                let h = length(rng, per);
                c.extend([s("BYBOX"), num(rng, r), num(rng, h), u.to_string()]);
            }
            c.extend(options(rng, !store));
            if store && below(rng, 2) == 0 {
                c.push(s("STOREDIST"));
            }
            cmds.push(c);
            if store {
                cmds.push(vec![
                    s("ZRANGE"),
                    s("dst"),
                    s("0"),
                    s("-1"),
                    s("WITHSCORES"),
                ]);
            }
        }
        7 => {
            let mut c = vec![s("GEODIST"), s("g"), member(rng), member(rng)];
            if below(rng, 2) == 0 {
                c.push(u.to_string());
            }
            cmds.push(c);
        }
        8 => {
            let mut c = vec![s("GEOPOS"), s("g")];
            c.extend((0..1 + below(rng, 4)).map(|_| member(rng)));
            cmds.push(c);
        }
        _ => {
            let mut c = vec![s("GEOHASH"), s("g")];
            c.extend((0..1 + below(rng, 4)).map(|_| member(rng)));
            cmds.push(c);
        }
    }
    cmds
}

/// One round: a fresh set `g` and `queries` random queries; returns the mismatches.
fn round(rng: &mut Rng, redis: &mut Client, ours: &mut Client, queries: usize) -> Vec<String> {
    let proto = if below(rng, 3) == 0 { "3" } else { "2" };
    for c in [redis.cmd(&["HELLO", proto]), ours.cmd(&["HELLO", proto])] {
        assert!(c.starts_with(b"%") || c.starts_with(b"*"), "HELLO failed");
    }
    let mut bad = Vec::new();
    let mut both = |args: &[String], bad: &mut Vec<String>| {
        let r = redis.cmd(args);
        let o = ours.cmd(args);
        if r != o {
            bad.push(format!(
                "{}\n      redis:    {}\n      hashslot: {}",
                show_cmd(args),
                escape(&r),
                escape(&o)
            ));
        }
    };
    both(&["FLUSHALL".to_string()], &mut bad);
    // Small sets stay listpacks (<= 128 entries); large ones become skiplists.
    let n = if below(rng, 2) == 0 {
        1 + below(rng, 100)
    } else {
        129 + below(rng, 400)
    };
    let centres: Vec<(f64, f64)> = (0..1 + below(rng, 3)).map(|_| random_centre(rng)).collect();
    let mut members = Vec::new();
    let mut last = (0.0, 0.0);
    let mut add = vec!["GEOADD".to_string(), "g".to_string()];
    for i in 0..n {
        // Every fifth point repeats the previous coordinates: equal distances must tie alike.
        let p = if i > 0 && below(rng, 5) == 0 {
            last
        } else {
            let c = centres[below(rng, centres.len() as u64) as usize];
            point_near(rng, c)
        };
        last = p;
        let m = format!("m{i}");
        add.extend([format!("{}", p.0), format!("{}", p.1), m.clone()]);
        members.push(m);
        if add.len() > 300 {
            both(&add, &mut bad);
            add.truncate(2);
        }
    }
    if add.len() > 2 {
        both(&add, &mut bad);
    }
    for _ in 0..queries {
        for c in query(rng, &members) {
            both(&c, &mut bad);
        }
    }
    bad
}

#[test]
fn geo_random_queries_match_redis() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let seed = std::env::var("HASHSLOT_GEO_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let rounds: usize = std::env::var("HASHSLOT_GEO_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let redis = Server::start(Flavor::Redis, &[]);
    let ours = Server::start(Flavor::Node, &[]);
    let (mut cr, mut co) = (redis.connect(), ours.connect());
    let mut rng = Rng::new(seed);
    let mut bad = Vec::new();
    for _ in 0..rounds {
        bad.extend(round(&mut rng, &mut cr, &mut co, 150));
    }
    if !bad.is_empty() {
        let shown: Vec<&String> = bad.iter().take(10).collect();
        panic!(
            "seed {seed}: {} replies differ from redis-server (first 10):\n  {}",
            bad.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
}
