//! `CLUSTER MIGRATESLOTS` refuses bad requests with a clear error before anything changes:
//! syntax, slot numbers, unknown or unusable targets, slots not owned here; STATUS and CANCEL
//! with no job. (A single cluster node: the moves themselves are checked by the simulator and
//! process tests.)
mod common;
use common::*;
use hashslot_node::Output;

fn cluster_node() -> (Harness, hashslot_types::ConnId, String) {
    let mut h = Harness::with_config(config(&[("cluster-enabled", "yes")]));
    let c = h.connect();
    // The reply waits for nodes.conf: complete the write.
    let outs = h.feed(c, &encode(&["CLUSTER", "ADDSLOTSRANGE", "0", "99"]));
    let mut reply = sent_to(&outs, c);
    for o in outs {
        if let Output::Persist { token, .. } = o {
            let now = h.now;
            h.node.handle_persist_done(now, token, Ok(()));
            while let Some(o) = h.node.poll_output() {
                if let Output::Send { conn, data } = o {
                    if conn == c {
                        reply.extend_from_slice(&data);
                    }
                }
            }
        }
    }
    assert_eq!(reply, b"+OK\r\n");
    let me = bulk_text(&h.cmd(c, &["CLUSTER", "MYID"]));
    (h, c, me)
}

#[test]
fn status_and_cancel_without_a_job() {
    let (mut h, c, _) = cluster_node();
    assert_eq!(
        bulk_text(&h.cmd(c, &["CLUSTER", "MIGRATESLOTS", "STATUS"])),
        "state:none\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["CLUSTER", "MIGRATESLOTS", "CANCEL"]),
        "-ERR No slot migration in progress\r\n"
    );
}

#[test]
fn bad_requests_are_refused() {
    let (mut h, c, me) = cluster_node();
    let unknown = "0123456789012345678901234567890123456789";
    let cases: &[(&[&str], &str)] = &[
        (
            &["CLUSTER", "MIGRATESLOTS", "SLOTSRANGE"],
            "-ERR syntax error\r\n",
        ),
        (
            &["CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", "9"],
            "-ERR syntax error\r\n",
        ),
        (
            &[
                "CLUSTER",
                "MIGRATESLOTS",
                "SLOTSRANGE",
                "0",
                "NODE",
                unknown,
            ],
            "-ERR Invalid or out of range slot\r\n",
        ),
        (
            &[
                "CLUSTER",
                "MIGRATESLOTS",
                "SLOTSRANGE",
                "0",
                "16384",
                "NODE",
                unknown,
            ],
            "-ERR Invalid or out of range slot\r\n",
        ),
        (
            &[
                "CLUSTER",
                "MIGRATESLOTS",
                "SLOTSRANGE",
                "-1",
                "3",
                "NODE",
                unknown,
            ],
            "-ERR Invalid or out of range slot\r\n",
        ),
        (
            &[
                "CLUSTER",
                "MIGRATESLOTS",
                "SLOTSRANGE",
                "9",
                "3",
                "NODE",
                unknown,
            ],
            "-ERR start slot number 9 is greater than end slot number 3\r\n",
        ),
        (
            &[
                "CLUSTER",
                "MIGRATESLOTS",
                "SLOTSRANGE",
                "0",
                "9",
                "NODE",
                unknown,
                "BATCH",
                "0",
            ],
            "-ERR BATCH must be a positive integer\r\n",
        ),
        (
            &[
                "CLUSTER",
                "MIGRATESLOTS",
                "SLOTSRANGE",
                "0",
                "9",
                "NODE",
                unknown,
                "TIMEOUT",
                "x",
            ],
            "-ERR TIMEOUT must be a positive integer\r\n",
        ),
        (
            &[
                "CLUSTER",
                "MIGRATESLOTS",
                "SLOTSRANGE",
                "0",
                "9",
                "NODE",
                unknown,
                "FAST",
            ],
            "-ERR syntax error\r\n",
        ),
        (
            &[
                "CLUSTER",
                "MIGRATESLOTS",
                "SLOTSRANGE",
                "0",
                "9",
                "NODE",
                unknown,
            ],
            &format!("-ERR I don't know about node {unknown}\r\n"),
        ),
        (
            &[
                "CLUSTER",
                "MIGRATESLOTS",
                "SLOTSRANGE",
                "0",
                "9",
                "NODE",
                &me,
            ],
            "-ERR Can't migrate slots to myself\r\n",
        ),
        (&["CLUSTER", "MIGRATESLOTS", "NOPE"], ""),
    ];
    for (args, want) in cases {
        let got = h.cmd_str(c, args);
        if want.is_empty() {
            assert!(
                got.starts_with("-ERR Syntax error. Use CLUSTER MIGRATESLOTS"),
                "{got}"
            );
        } else {
            assert_eq!(&got, want, "{args:?}");
        }
    }
    // Nothing changed: no job, no open slot.
    assert_eq!(
        bulk_text(&h.cmd(c, &["CLUSTER", "MIGRATESLOTS", "STATUS"])),
        "state:none\r\n"
    );
    assert!(!bulk_text(&h.cmd(c, &["CLUSTER", "NODES"])).contains('['));
}

#[test]
fn standalone_node_refuses() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(
        h.cmd_str(c, &["CLUSTER", "MIGRATESLOTS", "STATUS"]),
        "-ERR This instance has cluster support disabled\r\n"
    );
}
