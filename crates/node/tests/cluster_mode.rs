//! SELECT and the cluster connection commands, in cluster and standalone mode.
mod common;
use common::*;

#[test]
fn select_in_cluster_mode() {
    let mut h = Harness::with_config(config(&[("cluster-enabled", "yes")]));
    let c = h.connect();
    assert_eq!(
        h.cmd_str(c, &["SELECT", "1"]),
        "-ERR SELECT is not allowed in cluster mode\r\n"
    );
    assert_eq!(h.cmd_str(c, &["SELECT", "0"]), "+OK\r\n");
    assert_eq!(h.cmd_str(c, &["READONLY"]), "+OK\r\n");
    assert_eq!(h.cmd_str(c, &["READWRITE"]), "+OK\r\n");
    assert_eq!(h.cmd_str(c, &["ASKING"]), "+OK\r\n");
    assert!(h
        .cmd_str(c, &["HELLO"])
        .contains("$4\r\nmode\r\n$7\r\ncluster\r\n"));
    assert!(h
        .cmd_str(c, &["INFO", "cluster"])
        .contains("cluster_enabled:1\r\n"));
}

#[test]
fn select_standalone() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(h.cmd_str(c, &["SELECT", "15"]), "+OK\r\n");
    assert_eq!(
        h.cmd_str(c, &["SELECT", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["SELECT", "-1"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["SELECT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    for cmd in ["READONLY", "READWRITE", "ASKING"] {
        assert_eq!(
            h.cmd_str(c, &[cmd]),
            "-ERR This instance has cluster support disabled\r\n"
        );
    }
}
