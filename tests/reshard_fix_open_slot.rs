//! A slot left half-migrated (MIGRATING on its owner, IMPORTING on another master, keys on
//! both sides after a MIGRATE … KEYS of half of them) is repaired by `redis-cli --cluster fix`.
//! With keys on both sides redis-cli 7.0 sees "no single clear owner", picks the node with the
//! most keys (the tie goes to the owner) and moves the other node's keys to it with MIGRATE
//! (sent to the IMPORTING node, which serves it for a slot it does not own), then sets the slot
//! STABLE: every key ends on the owner and no node keeps the slot open.
mod cluster_support;

use std::time::Duration;

use cluster_support::{
    have_tools, plain, redis_cli, redis_cli_create, start_nodes, wait_agree, wait_for,
    wait_state_ok, Kind, Reply, TempDir, NODE_TIMEOUT_MS,
};

#[test]
fn fix_repairs_a_migrating_importing_slot() {
    if !have_tools(&["redis-cli"]) {
        return;
    }
    let root = TempDir::new("reshard-fix");
    let nodes = start_nodes(Kind::Ours, 3, &root.0, NODE_TIMEOUT_MS);
    redis_cli_create(&nodes, 0);
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);

    // Keys of one slot (hash tag), on the slot's owner.
    let slot = match nodes[0].cmd(&["CLUSTER", "KEYSLOT", "{fix}"]) {
        Reply::Int(s) => s,
        r => panic!("{r:?}"),
    };
    let owner_id = nodes[0]
        .nodes()
        .into_iter()
        .find(|l| {
            l.slots.iter().any(|s| {
                let (a, b) = s.split_once('-').unwrap_or((s, s));
                a.parse::<i64>().unwrap() <= slot && slot <= b.parse::<i64>().unwrap()
            })
        })
        .unwrap()
        .id;
    let src = nodes.iter().find(|n| n.myid() == owner_id).unwrap();
    let dst = nodes.iter().find(|n| n.myid() != owner_id).unwrap();
    for i in 0..20 {
        let (k, v) = (format!("{{fix}}k{i}"), format!("v{i}"));
        // The node may still be computing cluster_state ok after the others agree.
        wait_for("SET accepted", within, || match src.cmd(&["SET", &k, &v]) {
            Reply::Status(_) => Ok(()),
            r => Err(format!("{r:?}")),
        });
    }
    let s = slot.to_string();
    dst.ok(&["CLUSTER", "SETSLOT", &s, "IMPORTING", &src.myid()]);
    src.ok(&["CLUSTER", "SETSLOT", &s, "MIGRATING", &dst.myid()]);
    // Move the first half by hand: MIGRATE with KEYS.
    let port = dst.port.to_string();
    let mut args = vec!["MIGRATE", "127.0.0.1", &port, "", "0", "5000", "KEYS"];
    let keys: Vec<String> = (0..10).map(|i| format!("{{fix}}k{i}")).collect();
    args.extend(keys.iter().map(String::as_str));
    assert_eq!(src.cmd(&args), Reply::Status("OK".into()));
    assert_eq!(src.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s]), Reply::Int(10));
    assert_eq!(dst.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s]), Reply::Int(10));
    // The moved keys are not on the source any more: ASK.
    match src.cmd(&["GET", "{fix}k0"]) {
        Reply::Error(e) => assert!(e.starts_with(&format!("ASK {slot} ")), "{e}"),
        r => panic!("{r:?}"),
    }

    let run = redis_cli(&["--cluster", "check", &src.addr()], within);
    assert!(plain(&run.stdout).contains("[WARNING]"), "{}", run.stdout);
    let run = redis_cli(
        &["--cluster", "fix", &src.addr(), "--cluster-yes"],
        Duration::from_secs(120),
    );
    run.assert_success("fix");
    let fix_out = plain(&run.stdout);
    assert!(
        fix_out.contains(&format!(
            "Moving slot {slot} from {} to {}",
            dst.addr(),
            src.addr()
        )),
        "{fix_out}"
    );
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    let run = redis_cli(&["--cluster", "check", &src.addr()], within);
    let out = plain(&run.stdout);
    assert!(
        out.contains("[OK] All nodes agree about slots configuration."),
        "{out}"
    );
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");
    assert!(
        !out.contains("[WARNING]") && !out.contains("[ERR]"),
        "{out}"
    );
    assert_eq!(src.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s]), Reply::Int(20));
    assert_eq!(dst.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s]), Reply::Int(0));
    for i in 0..20 {
        let v = src.cmd(&["GET", &format!("{{fix}}k{i}")]);
        assert_eq!(v, Reply::Bulk(Some(format!("v{i}").into_bytes())));
    }
}
