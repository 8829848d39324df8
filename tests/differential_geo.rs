//! GEO commands, byte for byte against redis-server 7.0 (see `support/diff.rs` for the script
//! syntax): GEOADD's options and errors, GEOPOS/GEOHASH/GEODIST formatting, every search form
//! with every option, the STORE variants, the argument-order rules that pick Redis's first
//! error, RESP3 coordinates, and searches over small (listpack) and large (skiplist) sets.
//! Random inputs are compared in `differential_geo_random.rs`.
//! `HASHSLOT_NODE_BIN=redis-server` checks the battery against Redis itself.
mod support;

use support::diff::{assert_no_mismatches, Case};

const fn case(name: &'static str, lines: &'static [&'static str]) -> Case {
    Case {
        name,
        config: &[],
        lines,
    }
}

const SICILY: &str =
    "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 13.583333 37.316667 Agrigento";

const CASES: &[Case] = &[
    case(
        "geoadd options and errors",
        &[
            SICILY,
            "GEOADD Sicily 13.361389 38.115556 Palermo",
            "GEOADD Sicily CH 13.361389 38.115556 Palermo 13.4 38.2 Palermo",
            "GEOADD Sicily NX 1 1 Palermo 2 2 new",
            "GEOADD Sicily XX CH 3 3 Palermo 4 4 nope",
            "GEOADD Sicily NX XX 1 1 x",
            "GEOADD Sicily ch nx 5 5 y",
            "GEOADD Sicily GT 1 1 x",
            "GEOADD Sicily 1 1",
            "GEOADD Sicily 1 1 a 2",
            "GEOADD Sicily NX CH XX",
            "GEOADD Sicily NX CH ch",
            "GEOADD Sicily 181 1 a",
            "GEOADD Sicily 1 85.06 a",
            "GEOADD Sicily -180 -85.05112878 sw 180 85.05112878 ne",
            "GEOADD Sicily -0 100 a",
            "GEOADD Sicily 1e300 -inf a",
            "GEOADD Sicily abc 1 a",
            "GEOADD Sicily 1 nan a",
            "GEOADD Sicily 1 1 ok 200 1 bad",
            "ZRANGE Sicily 0 -1 WITHSCORES",
            "SET s x",
            "GEOADD s 1 1 a",
            "GEOPOS s a",
            "GEOHASH s a",
            "GEODIST s a b",
            "GEOSEARCH s FROMLONLAT 1 1 BYRADIUS 1 km",
            "GEORADIUS s 1 1 1 km",
        ],
    ),
    case(
        "geopos geohash geodist",
        &[
            SICILY,
            "GEOADD Sicily -180 -85.05112878 sw 180 85.05112878 ne 0 0 zero -0.000001 -0.000001 nz",
            "GEOPOS Sicily Palermo Catania nope sw ne zero nz",
            "GEOPOS missing a b",
            "GEOHASH Sicily Palermo Catania Agrigento nope sw ne zero nz",
            "GEOHASH missing a",
            "GEODIST Sicily Palermo Catania",
            "GEODIST Sicily Palermo Catania KM",
            "GEODIST Sicily Palermo Catania ft",
            "GEODIST Sicily Palermo Catania Mi",
            "GEODIST Sicily Palermo Catania m",
            "GEODIST Sicily Palermo Palermo",
            "GEODIST Sicily sw ne",
            "GEODIST Sicily zero nz",
            "GEODIST Sicily Palermo nope",
            "GEODIST missing a b",
            "GEODIST missing a b parsec",
            "GEODIST Sicily Palermo Catania parsec",
            "GEODIST Sicily Palermo Catania km extra",
            "ZADD odd -1 neg 1e30 huge 5.5 frac 4503599627370496 top",
            "GEOPOS odd neg huge frac top",
            "GEOHASH odd neg huge frac top",
            "GEODIST odd neg huge",
            "GEODIST odd frac top km",
            "GEORADIUS odd -180 -85 20000 km WITHHASH WITHDIST WITHCOORD",
            "GEOSEARCH odd FROMMEMBER frac BYBOX 40000 40000 km WITHHASH WITHDIST",
        ],
    ),
    case(
        "georadius forms and options",
        &[
            SICILY,
            "GEORADIUS Sicily 15 37 200 km",
            "GEORADIUS Sicily 15 37 200 km WITHDIST",
            "GEORADIUS Sicily 15 37 200 km WITHCOORD",
            "GEORADIUS Sicily 15 37 200 km WITHHASH WITHCOORD WITHDIST",
            "GEORADIUS Sicily 15 37 200 km DESC",
            "GEORADIUS Sicily 15 37 200 km ASC COUNT 1",
            "GEORADIUS Sicily 15 37 200 km DESC COUNT 2 WITHDIST",
            "GEORADIUS Sicily 15 37 200 km COUNT 2",
            "GEORADIUS Sicily 15 37 200 km COUNT 1 ANY",
            "GEORADIUS Sicily 15 37 200 km COUNT 5 ANY WITHDIST",
            "GEORADIUS Sicily 15 37 0 km",
            "GEORADIUS Sicily 15 37 1 m",
            "GEORADIUS Sicily 15 37 100000 mi WITHDIST",
            "GEORADIUS Sicily 15 37 inf km WITHDIST",
            "GEORADIUS Sicily 15 37 200 KM withdist",
            "GEORADIUSBYMEMBER Sicily Agrigento 100 km WITHDIST",
            "GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST DESC",
            "GEORADIUSBYMEMBER Sicily nope 100 km",
            "GEORADIUSBYMEMBER missing nope 100 km",
            "GEORADIUSBYMEMBER missing nope 100 km STORE dst",
            "GEORADIUS_RO Sicily 15 37 200 km WITHDIST",
            "GEORADIUSBYMEMBER_RO Sicily Palermo 200 km WITHCOORD",
            "GEORADIUS missing 15 37 200 km",
            "GEORADIUS Sicily 15 37 200 km COUNT 0",
            "GEORADIUS Sicily 15 37 200 km COUNT -1",
            "GEORADIUS Sicily 15 37 200 km COUNT x",
            "GEORADIUS Sicily 15 37 200 km COUNT",
            "GEORADIUS Sicily 15 37 200 km ANY",
            "GEORADIUS Sicily 15 37 200 km BOGUS",
            "GEORADIUS Sicily 15 37 200 parsec",
            "GEORADIUS Sicily 15 37 -1 km",
            "GEORADIUS Sicily 15 37 x km",
            "GEORADIUS Sicily 15 95 1 km",
            "GEORADIUS Sicily x 37 1 km",
            "GEORADIUS Sicily 15 37 200 km BYBOX 1 1 km",
            "GEORADIUS_RO Sicily 15 37 200 km STORE dst",
            "GEORADIUS_RO Sicily 15 37 200 km STOREDIST dst",
            "GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STORE dst",
        ],
    ),
    case(
        "georadius store",
        &[
            SICILY,
            "GEORADIUS Sicily 15 37 200 km STORE dst",
            "ZRANGE dst 0 -1 WITHSCORES",
            "GEORADIUS Sicily 15 37 200 km STOREDIST dst",
            "ZRANGE dst 0 -1 WITHSCORES",
            "GEORADIUS Sicily 15 37 200 km STORE a STOREDIST dst2 COUNT 1 DESC",
            "ZRANGE dst2 0 -1 WITHSCORES",
            "EXISTS a",
            "GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST",
            "GEORADIUS Sicily 15 37 200 km STORE",
            "SET dst x",
            "EXPIRE dst 100",
            "GEORADIUSBYMEMBER Sicily Palermo 1 km STORE dst",
            "TTL dst",
            "TYPE dst",
            "GEORADIUS Sicily 0 0 1 km STORE dst",
            "EXISTS dst",
            "SET dst x",
            "GEORADIUS missing 0 0 1 km STORE dst",
            "EXISTS dst",
            "GEORADIUS missing 0 0 1 km STORE dst",
            "GEORADIUS Sicily 15 37 200 km STORE dst COUNT 2 ANY",
            "ZCARD dst",
            "OBJECT ENCODING dst",
        ],
    ),
    case(
        "geosearch and geosearchstore",
        &[
            SICILY,
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST WITHHASH",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 200 100 km DESC",
            "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km WITHDIST",
            "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 300 300 km COUNT 2 WITHDIST",
            "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 0 0 km WITHDIST",
            "GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 1 km",
            "GEOSEARCH Sicily FROMLONLAT 1 1 FROMLONLAT 15 37 BYRADIUS 200 km",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 m BYRADIUS 200 km",
            "GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 1 km",
            "GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 1 km",
            "GEOSEARCH Sicily BYRADIUS 1 km FROMLONLAT 15",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE x",
            "GEOSEARCH Sicily FROMLONLAT 15 37 WITHDIST COUNT 1",
            "GEOSEARCH Sicily WITHDIST BYRADIUS 1 km COUNT 1",
            "gEoSeArCh Sicily WITHDIST BYRADIUS 1 km COUNT 1",
            "GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km",
            "GEOSEARCH missing FROMMEMBER nope BYRADIUS 1 km",
            "GEOSEARCH missing FROMMEMBER nope WITHDIST",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 parsec",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY",
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY",
            "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC COUNT 2",
            "ZRANGE dst 0 -1 WITHSCORES",
            "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC COUNT 2 STOREDIST",
            "ZRANGE dst 0 -1 WITHSCORES",
            "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km WITHDIST",
            "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km STORE x",
            "GEOSEARCHSTORE dst Sicily FROMLONLAT 0 0 BYRADIUS 1 km",
            "EXISTS dst",
            "GEOSEARCHSTORE dst missing FROMLONLAT 0 0 BYRADIUS 1 km",
            "GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo BYRADIUS 1 km",
            "SET notz x",
            "GEOSEARCHSTORE dst notz FROMMEMBER Palermo BYRADIUS 1 km",
            "GEOSEARCHSTORE notz Sicily FROMMEMBER Palermo BYRADIUS 1 km",
            "TYPE notz",
        ],
    ),
    case(
        "resp3 replies",
        &[
            "@hello HELLO 3",
            SICILY,
            "GEOPOS Sicily Palermo nope",
            "GEOHASH Sicily Palermo nope",
            "GEODIST Sicily Palermo Catania",
            "GEODIST Sicily Palermo nope",
            "GEODIST missing a b",
            "GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH",
            "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 300 km WITHCOORD",
            "GEOSEARCH missing FROMMEMBER Palermo BYRADIUS 300 km WITHCOORD",
        ],
    ),
    // Keyspace events: GEOADD is ZADD's `zadd`; the stores name themselves, or `del` when
    // they delete the destination. Each event is two messages (keyspace, keyevent).
    case(
        "keyspace notifications",
        &[
            "@conn2 CONFIG SET notify-keyspace-events KEA",
            "PSUBSCRIBE __key*@0__:*",
            "@conn2 GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
            "READ 2",
            "@conn2 GEOADD g 13.361389 38.115556 Palermo",
            "@conn2 GEORADIUS g 15 37 200 km STORE d1",
            "READ 2",
            "@conn2 GEOSEARCHSTORE d2 g FROMMEMBER Palermo BYRADIUS 300 km STOREDIST",
            "READ 2",
            "@conn2 GEORADIUS g 0 0 1 km STOREDIST d1",
            "READ 2",
            "@conn2 GEOSEARCHSTORE d2 nosuch FROMMEMBER Palermo BYRADIUS 300 km",
            "READ 2",
            "@conn2 GEOSEARCH g FROMMEMBER Palermo BYRADIUS 300 km",
            "@conn2 GEOADD g XX 1 1 nope",
            "@conn2 SET done 1",
            "READ 2",
        ],
    ),
    case(
        "command metadata",
        &[
            "COMMAND INFO geoadd geodist geohash geopos georadius georadius_ro georadiusbymember georadiusbymember_ro geosearch geosearchstore",
            "COMMAND DOCS geoadd",
            "COMMAND DOCS georadius",
            "COMMAND DOCS georadiusbymember_ro",
            "COMMAND DOCS geosearch",
            "COMMAND DOCS geosearchstore",
            "COMMAND GETKEYS GEORADIUS k 1 1 1 km STORE a STOREDIST b",
            "COMMAND GETKEYS GEORADIUS k 1 1 1 store",
            "COMMAND GETKEYS GEORADIUSBYMEMBER k m 1 km STORE d",
            "COMMAND GETKEYS GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 m",
            "COMMAND GETKEYS GEORADIUS_RO k 1 1 1 km",
            "@sort COMMAND LIST FILTERBY ACLCAT geo",
        ],
    ),
    case(
        "ties and poles",
        &[
            "GEOADD t 10 10 a 10 10 b 10 10 c 10 10 d 10 10 e 10 10 f 10 10 g 10 10 h 10.001 10 i 9.999 10 j",
            "GEORADIUS t 10 10 1 km",
            "GEORADIUS t 10 10 1 km ASC",
            "GEORADIUS t 10 10 1 km DESC",
            "GEORADIUS t 10 10 1 km COUNT 3",
            "GEORADIUS t 10 10 1 km COUNT 3 DESC",
            "GEORADIUS t 10 10 1 km COUNT 9 WITHDIST",
            "GEOSEARCH t FROMMEMBER a BYBOX 1 1 km COUNT 7 DESC",
            "GEOADD p 0 85 n1 90 85 n2 180 85 n3 -90 85 n4 0 -85 s1 179.9 0 e1 -179.9 0 w1",
            "GEORADIUS p 0 85 1000 km WITHDIST",
            "GEORADIUS p 180 0 50 km WITHDIST",
            "GEORADIUS p -180 0 50 km WITHDIST",
            "GEOSEARCH p FROMLONLAT 0 85 BYBOX 5000 100 km WITHDIST",
            "GEORADIUS p 0 0 20000 km WITHDIST ASC",
            "GEORADIUS p 0 0 20000 km WITHDIST COUNT 3 DESC",
        ],
    ),
];

#[test]
fn geo_commands_match_redis() {
    assert_no_mismatches(CASES);
}

/// Searches over a set past `zset-max-listpack-entries` (a skiplist) answer as over a small one.
#[test]
fn geo_commands_match_redis_on_large_sets() {
    // 200 points on a grid around (2, 48): more than the 128 listpack entries.
    static LINES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let lines = LINES.get_or_init(|| {
        let mut l = Vec::new();
        let mut add = String::from("GEOADD big");
        for i in 0..200 {
            let (x, y) = (
                2.0 + f64::from(i % 20) * 0.01,
                48.0 + f64::from(i / 20) * 0.01,
            );
            add.push_str(&format!(" {x} {y} m{i}"));
        }
        l.push(add);
        l.push("OBJECT ENCODING big".to_string());
        l.push("GEORADIUS big 2.1 48.05 5 km WITHDIST".to_string());
        l.push("GEORADIUS big 2.1 48.05 5 km COUNT 10 WITHDIST".to_string());
        l.push("GEORADIUS big 2.1 48.05 5 km COUNT 10 ANY".to_string());
        l.push("GEOSEARCH big FROMMEMBER m55 BYBOX 3 2 km DESC WITHCOORD".to_string());
        l.push("GEOSEARCHSTORE dst big FROMMEMBER m55 BYBOX 30 20 km STOREDIST".to_string());
        l.push("ZRANGE dst 0 -1 WITHSCORES".to_string());
        l.push("OBJECT ENCODING dst".to_string());
        l.push("GEOSEARCHSTORE dst big FROMMEMBER m55 BYBOX 3 2 km COUNT 5".to_string());
        l.push("OBJECT ENCODING dst".to_string());
        l
    });
    let lines: &'static [String] = lines;
    let refs: &'static [&'static str] = Box::leak(
        lines
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    assert_no_mismatches(&[case("large set", refs)]);
}
