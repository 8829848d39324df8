//! Startup in cluster mode, as Redis's `clusterInit`: the bus port listens; nodes.conf is locked
//! so a second node cannot use it; a corrupt nodes.conf is fatal and left as it was; a client
//! port above 55535 without `cluster-port` is refused.
mod common;

use std::net::{TcpListener, TcpStream};

use common::*;

/// A port P with P + 10000 free too.
fn free_cluster_port() -> u16 {
    wait_for("a free port pair", || {
        let p = free_port();
        let ok = p <= 55535 && TcpListener::bind(("127.0.0.1", p + 10000)).is_ok();
        ok.then_some(p)
    })
}

fn cluster_args(port: u16) -> Vec<String> {
    [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn spawn(args: &[String], dir: &Scratch) -> NodeProcess {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    NodeProcess::spawn(&args, &dir.0)
}

#[test]
fn listens_on_the_bus_port_and_locks_nodes_conf() {
    let dir = Scratch::new("cluster-lock");
    let port = free_cluster_port();
    let _first = spawn(&cluster_args(port), &dir);
    let _client = connect(port);
    wait_for("the bus port to listen", || {
        TcpStream::connect(("127.0.0.1", port + 10000)).ok()
    });

    // A new node saves its id at once; the save renames a new file into place, and the lock
    // must have moved with it.
    wait_for("nodes.conf to be written", || {
        let text = std::fs::read_to_string(dir.path("nodes.conf")).unwrap_or_default();
        text.contains("myself").then_some(())
    });

    // Same directory, same nodes.conf: refused, in Redis's words.
    let mut second = spawn(&cluster_args(free_cluster_port()), &dir);
    let status = second.wait_exit();
    let (out, _) = second.output();
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            "Sorry, the cluster configuration file nodes.conf is already used by a different \
             Redis Cluster node. Please make sure that different nodes use different cluster \
             configuration files."
        ),
        "{out}"
    );
}

#[test]
fn a_corrupt_nodes_conf_is_fatal_and_left_untouched() {
    for (text, line) in [
        // No `myself` line: the file as a whole is wrong.
        ("garbage line here\n", None),
        // A bad node id on line 1.
        (
            "abc 127.0.0.1:1@2 myself,master - 0 0 0 connected\n",
            Some(1),
        ),
    ] {
        let dir = Scratch::new("cluster-corrupt");
        std::fs::write(dir.path("nodes.conf"), text).unwrap();
        let mut node = spawn(&cluster_args(free_cluster_port()), &dir);
        let status = node.wait_exit();
        let (out, _) = node.output();
        assert_eq!(status.code(), Some(1), "{out}");
        let fatal = out
            .lines()
            .find(|l| l.contains("Unrecoverable error: corrupted cluster config file"))
            .unwrap_or_else(|| panic!("no fatal line in {out}"));
        assert!(fatal.contains("nodes.conf"), "names the file: {fatal}");
        if let Some(n) = line {
            assert!(
                fatal.contains(&format!("line {n}")),
                "names the line: {fatal}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(dir.path("nodes.conf")).unwrap(),
            text
        );
        let entries = std::fs::read_dir(&dir.0).unwrap().count();
        assert_eq!(entries, 1, "no temporary file left behind");
    }
}

#[test]
fn a_client_port_above_55535_needs_cluster_port() {
    let dir = Scratch::new("cluster-high-port");
    let mut node = spawn(&cluster_args(60001), &dir);
    let status = node.wait_exit();
    let (out, _) = node.output();
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            "Redis port number too high. Cluster communication port is 10,000 port numbers \
             higher than your Redis port. Your Redis port number must be 55535 or less."
        ),
        "{out}"
    );
    assert!(!dir.path("nodes.conf").exists(), "nothing written");
}

#[test]
fn a_busy_bus_port_is_fatal() {
    let dir = Scratch::new("cluster-busy-bus");
    let port = free_cluster_port();
    let _taken = TcpListener::bind(("127.0.0.1", port + 10000)).unwrap();
    let mut node = spawn(&cluster_args(port), &dir);
    let status = node.wait_exit();
    let (out, _) = node.output();
    assert_eq!(status.code(), Some(1), "{out}");
    let want = format!(
        "Failed listening on port {} (cluster), aborting.",
        port + 10000
    );
    assert!(out.contains(&want), "{out}");
}
