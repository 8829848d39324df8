//! MULTI queues commands and EXEC runs them; the error replies of misuse are Redis 7.0.15's
//! (each expectation below was checked against redis-server 7.0.15).
mod common;
use common::*;

#[test]
fn queue_then_exec() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(h.cmd_str(c, &["MULTI"]), "+OK\r\n");
    assert_eq!(h.cmd_str(c, &["SET", "k", "v"]), "+QUEUED\r\n");
    assert_eq!(h.cmd_str(c, &["GET", "k"]), "+QUEUED\r\n");
    assert_eq!(h.cmd_str(c, &["EXEC"]), "*2\r\n+OK\r\n$1\r\nv\r\n");
    assert_eq!(h.cmd_str(c, &["MULTI"]), "+OK\r\n");
    assert_eq!(h.cmd_str(c, &["EXEC"]), "*0\r\n");
}

#[test]
fn misuse_errors() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(h.cmd_str(c, &["EXEC"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(h.cmd_str(c, &["DISCARD"]), "-ERR DISCARD without MULTI\r\n");
    assert_eq!(h.cmd_str(c, &["MULTI"]), "+OK\r\n");
    assert_eq!(
        h.cmd_str(c, &["MULTI"]),
        "-ERR MULTI calls can not be nested\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["WATCH", "x"]),
        "-ERR WATCH inside MULTI is not allowed\r\n"
    );
    // Neither error above flags the transaction.
    assert_eq!(h.cmd_str(c, &["SET", "a", "1"]), "+QUEUED\r\n");
    assert_eq!(h.cmd_str(c, &["EXEC"]), "*1\r\n+OK\r\n");
}

#[test]
fn queueing_errors_abort_exec() {
    let mut h = Harness::new();
    let c = h.connect();
    let abort = "-EXECABORT Transaction discarded because of previous errors.\r\n";
    h.cmd(c, &["MULTI"]);
    assert_eq!(h.cmd_str(c, &["SET", "k", "v"]), "+QUEUED\r\n");
    assert_eq!(
        h.cmd_str(c, &["NOSUCH"]),
        "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["GET"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(h.cmd_str(c, &["EXEC"]), abort);
    assert_eq!(h.cmd_str(c, &["GET", "k"]), "$-1\r\n", "nothing ran");

    h.cmd(c, &["MULTI"]);
    assert_eq!(
        h.cmd_str(c, &["SHUTDOWN"]),
        "-ERR Command not allowed inside a transaction\r\n"
    );
    assert_eq!(h.cmd_str(c, &["SET", "k", "1"]), "+QUEUED\r\n");
    assert_eq!(h.cmd_str(c, &["EXEC"]), abort);
    let info = bulk_text(&h.cmd(c, &["INFO", "commandstats"]));
    assert!(info.contains("cmdstat_shutdown:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1"));
}

#[test]
fn runtime_errors_stay_in_the_array_and_discard_drops_the_queue() {
    let mut h = Harness::new();
    let c = h.connect();
    h.cmd(c, &["SET", "s", "str"]);
    h.cmd(c, &["MULTI"]);
    h.cmd(c, &["INCR", "s"]);
    h.cmd(c, &["SET", "t", "1"]);
    assert_eq!(
        h.cmd_str(c, &["EXEC"]),
        "*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"
    );
    h.cmd(c, &["MULTI"]);
    h.cmd(c, &["SET", "u", "1"]);
    assert_eq!(h.cmd_str(c, &["DISCARD"]), "+OK\r\n");
    assert_eq!(h.cmd_str(c, &["EXISTS", "u"]), ":0\r\n");
    assert_eq!(h.cmd_str(c, &["EXEC"]), "-ERR EXEC without MULTI\r\n");
}

#[test]
fn client_list_shows_the_transaction() {
    let mut h = Harness::new();
    let c = h.connect();
    h.cmd(c, &["MULTI"]);
    h.cmd(c, &["INCR", "s"]);
    h.cmd(c, &["SET", "t", "1"]);
    h.cmd(c, &["CLIENT", "INFO"]);
    let out = h.cmd_str(c, &["EXEC"]);
    // Ref: 7.0.15 shows the EXEC in progress: flags=x multi=3 multi-mem=76 for these three.
    assert!(out.contains(" flags=x "), "{out}");
    assert!(out.contains(" multi=3 "), "{out}");
    assert!(out.contains(" multi-mem=76 "), "{out}");
    let info = h.cmd_str(c, &["CLIENT", "INFO"]);
    assert!(
        info.contains(" flags=N ") && info.contains(" multi=-1 "),
        "{info}"
    );
}

#[test]
fn pipelined_transaction_replies_in_one_send() {
    let mut h = Harness::new();
    let c = h.connect();
    let out = h.feed(c, b"MULTI\r\nINCR n\r\nINCR n\r\nEXEC\r\n");
    assert_eq!(sends_to(&out, c), 1);
    assert_eq!(
        sent_to(&out, c),
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n:2\r\n"
    );
}

#[test]
fn rejected_exec_aborts_with_the_reason() {
    let mut h = Harness::new();
    let c = h.connect();
    h.cmd(c, &["MULTI"]);
    h.cmd(c, &["SET", "k", "v"]);
    assert_eq!(
        h.cmd_str(c, &["EXEC", "x"]),
        "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' \
         command\r\n"
    );
    assert_eq!(h.cmd_str(c, &["EXEC"]), "-ERR EXEC without MULTI\r\n");
    h.cmd(c, &["SUBSCRIBE", "ch"]);
    assert_eq!(
        h.cmd_str(c, &["EXEC"]),
        "-EXECABORT Transaction discarded because of: Can't execute 'exec': only (P|S)SUBSCRIBE \
         / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
}
