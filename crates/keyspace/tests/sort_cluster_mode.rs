//! SORT in cluster mode: a BY pattern holding `*` and every GET are refused (the keys they name
//! may live on another node), before the sorted key is even looked up; a constant BY and STORE
//! are allowed. Ref: sort.c sortCommandGeneric (7.0.15), which refuses them whatever their slot.

use hashslot_keyspace::{commands, Ctx, Db, KeyspaceStats};
use hashslot_resp::{Proto, Reply};
use hashslot_types::{Instant, Now, Rng, UnixMillis};

fn run(dbs: &mut [Db], line: &str) -> String {
    let argv_owned: Vec<Vec<u8>> = line.split(' ').map(|a| a.as_bytes().to_vec()).collect();
    let argv: Vec<&[u8]> = argv_owned.iter().map(Vec::as_slice).collect();
    let name = line.split(' ').next().unwrap().to_ascii_lowercase();
    let spec = commands().iter().find(|c| c.name == name).expect("command");
    let mut out = Vec::new();
    let (mut rng, mut stats) = (Rng::from_seed(1), KeyspaceStats::default());
    let now = Now::new(Instant::from_nanos(0), UnixMillis(1_000));
    let mut ctx = Ctx::new(
        dbs,
        0,
        now,
        Reply::new(&mut out, Proto::Resp2),
        &mut rng,
        &mut stats,
    );
    ctx.cluster_enabled = true;
    (spec.handler.expect("leaf"))(&mut ctx, &argv);
    String::from_utf8(out).unwrap()
}

#[test]
fn patterns_are_refused_and_the_rest_works() {
    let mut dbs = vec![Db::with_seed(1)];
    assert_eq!(run(&mut dbs, "RPUSH {l}a 2 1 3"), ":3\r\n");
    let by = "-ERR BY option of SORT denied in Cluster mode.\r\n";
    let get = "-ERR GET option of SORT denied in Cluster mode.\r\n";
    assert_eq!(run(&mut dbs, "SORT {l}a BY {l}w_*"), by);
    assert_eq!(run(&mut dbs, "SORT {l}a LIMIT 0 1 BY x_*"), by);
    assert_eq!(run(&mut dbs, "SORT {l}a GET #"), get);
    assert_eq!(run(&mut dbs, "SORT {l}a GET {l}x_*"), get);
    assert_eq!(run(&mut dbs, "SORT_RO {l}a GET #"), get);
    // Options are parsed left to right: the first bad one decides the error.
    assert_eq!(
        run(&mut dbs, "SORT {l}a BOGUS BY x_*"),
        "-ERR syntax error\r\n"
    );
    assert_eq!(run(&mut dbs, "SORT {l}a BY x_* BOGUS"), by);
    // Refused before the key's type is checked.
    assert_eq!(run(&mut dbs, "SET {l}s v"), "+OK\r\n");
    assert_eq!(run(&mut dbs, "SORT {l}s GET #"), get);
    // A constant BY sorts nothing and looks nothing up: allowed.
    assert_eq!(
        run(&mut dbs, "SORT {l}a BY nosort DESC"),
        "*3\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
    assert_eq!(run(&mut dbs, "SORT {l}a STORE {l}d"), ":3\r\n");
    assert_eq!(
        run(&mut dbs, "LRANGE {l}d 0 -1"),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
}
