//! EVAL, EVALSHA, SCRIPT and FCALL in-process (no redis-server needed), with replies taken
//! from redis-server 7.0.15: conversions both ways, an error with its script position, the
//! script cache, read-only refusals, and a function library. The full comparison against
//! Redis is in the root `tests/scripting_*_vs_redis.rs` and `tests/functions_*_vs_redis.rs`.
mod common;

use common::Harness;

#[test]
fn eval_converts_and_reports_like_redis() {
    let mut h = Harness::new();
    let c = h.connect();
    let cases: &[(&[&str], &str)] = &[
        (
            &["EVAL", "return {1, 'two', 3.9, true, false, {ok='s'}}", "0"],
            "*6\r\n:1\r\n$3\r\ntwo\r\n:3\r\n:1\r\n$-1\r\n+s\r\n",
        ),
        (&["EVAL", "return {1,nil,3}", "0"], "*1\r\n:1\r\n"),
        (
            &[
                "EVAL",
                "return redis.call('set',KEYS[1],ARGV[1])",
                "1",
                "k",
                "v",
            ],
            "+OK\r\n",
        ),
        (
            &["EVAL", "return redis.call('get',KEYS[1])", "1", "k"],
            "$1\r\nv\r\n",
        ),
        (
            &["EVAL", "return redis.call('get','nokey')", "0"],
            "$-1\r\n",
        ),
        (
            &["EVAL", "return redis.pcall('incr','k')", "0"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["EVAL", "return x", "0"],
            "-ERR user_script:1: Script attempted to access nonexistent global variable 'x' \
             script: 03c387736bb5cc009ff35151572cee04677aa374, on @user_script:1.\r\n",
        ),
        (
            &["EVAL", "return redis.call('nosuch')", "0"],
            "-ERR Unknown Redis command called from script script: \
             206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.\r\n",
        ),
        (&["EVAL", "return math.random(100)", "0"], ":40\r\n"),
        (
            &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
            "-NOSCRIPT No matching script. Please use EVAL.\r\n",
        ),
        (
            &["SCRIPT", "LOAD", "return 1"],
            "$40\r\ne0e1f9fabfc9d4800c877a703b823ac0578ff8db\r\n",
        ),
        (
            &["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
            ":1\r\n",
        ),
        (
            &[
                "SCRIPT",
                "EXISTS",
                "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
                "x",
            ],
            "*2\r\n:1\r\n:0\r\n",
        ),
        (&["SCRIPT", "FLUSH"], "+OK\r\n"),
        (
            &[
                "SCRIPT",
                "EXISTS",
                "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
            ],
            "*1\r\n:0\r\n",
        ),
        (
            &["SCRIPT", "KILL"],
            "-NOTBUSY No scripts in execution right now.\r\n",
        ),
        (
            &["EVAL_RO", "return redis.call('del','k')", "0"],
            "-ERR Write commands are not allowed from read-only scripts. script: \
             b0c3ee9a68227b63e0d7c57ba3a0514894783ea5, on @user_script:1.\r\n",
        ),
        (
            &["EVAL_RO", "#!lua\nreturn 1", "0"],
            "-ERR Can not execute a script with write flag using *_ro command.\r\n",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(h.cmd_str(c, args), *want, "{args:?}");
    }
}

#[test]
fn functions_load_list_and_call() {
    let mut h = Harness::new();
    let c = h.connect();
    let code = "#!lua name=lib\nredis.register_function{function_name='echo', \
                callback=function(keys, args) return {keys[1], args[1]} end, \
                flags={'no-writes'}, description='echoes'}";
    assert_eq!(h.cmd_str(c, &["FUNCTION", "LOAD", code]), "$3\r\nlib\r\n");
    assert_eq!(
        h.cmd_str(c, &["FCALL_RO", "echo", "1", "k", "a"]),
        "*2\r\n$1\r\nk\r\n$1\r\na\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["FUNCTION", "LIST"]),
        "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$3\r\nlib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n\
         $9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$4\r\necho\r\n$11\r\ndescription\r\n\
         $6\r\nechoes\r\n$5\r\nflags\r\n*1\r\n+no-writes\r\n"
    );
    // The library survives SCRIPT FLUSH (it lives in its own interpreter).
    assert_eq!(h.cmd_str(c, &["SCRIPT", "FLUSH"]), "+OK\r\n");
    assert_eq!(
        h.cmd_str(c, &["FCALL", "echo", "0", "x"]),
        "*0\r\n",
        "keys[1] is nil: the array ends before it"
    );
    let dump = h.cmd(c, &["FUNCTION", "DUMP"]);
    assert_eq!(h.cmd_str(c, &["FUNCTION", "FLUSH"]), "+OK\r\n");
    assert_eq!(
        h.cmd_str(c, &["FCALL", "echo", "0"]),
        "-ERR Function not found\r\n"
    );
    // The payload is binary: send it as a raw bulk.
    let hdr_end = dump.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let payload = &dump[hdr_end..dump.len() - 2];
    let mut req = format!(
        "*3\r\n$8\r\nFUNCTION\r\n$7\r\nRESTORE\r\n${}\r\n",
        payload.len()
    )
    .into_bytes();
    req.extend_from_slice(payload);
    req.extend_from_slice(b"\r\n");
    assert_eq!(h.raw(c, &req), b"+OK\r\n", "restoring the dump");
    assert_eq!(
        h.cmd_str(c, &["FUNCTION", "STATS"]),
        "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n\
         $15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:1\r\n"
    );
}
