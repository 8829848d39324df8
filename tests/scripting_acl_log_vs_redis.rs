//! A command a script may not run is logged in ACL LOG as Redis 7.0 logs it: context `lua`
//! (a script run inside MULTI/EXEC too), the script user's name, the refused
//! command or key, and the client info of the client that ran the script (`cmd=eval`, its
//! user); `redis.acl_check_cmd` answers without logging. Checked against redis-server.
mod support;

use support::{require_tool, Flavor, Server, Value};

/// The fields of each ACL LOG entry that do not depend on time, ports or ids: reason,
/// context, object, username, and the `cmd=` and `user=` of the client info.
fn entries(c: &mut support::Client) -> Vec<Vec<String>> {
    let reply = Value::parse(&c.cmd(&["ACL", "LOG"])).expect("ACL LOG reply");
    let Value::Agg(_, Some(list)) = reply else {
        panic!("ACL LOG is not an array: {reply:?}");
    };
    list.into_iter()
        .map(|e| {
            let Value::Agg(_, Some(kv)) = e else {
                panic!("entry is not an array")
            };
            let text = |v: &Value| match v {
                Value::Blob(_, Some(b)) | Value::Line(_, b) => String::from_utf8_lossy(b).into(),
                other => format!("{other:?}"),
            };
            let mut out = Vec::new();
            for pair in kv.chunks(2) {
                let (k, v) = (text(&pair[0]), text(&pair[1]));
                match k.as_str() {
                    "reason" | "context" | "object" | "username" => out.push(format!("{k}={v}")),
                    "client-info" => {
                        for field in v.split(' ') {
                            if field.starts_with("cmd=") || field.starts_with("user=") {
                                out.push(field.to_owned());
                            }
                        }
                    }
                    _ => {}
                }
            }
            out
        })
        .collect()
}

/// What one server answers and logs for the scenario.
fn scenario(flavor: Flavor) -> (Vec<Vec<u8>>, Vec<Vec<String>>) {
    let server = Server::start(flavor, &[]);
    let mut admin = server.connect();
    let mut replies = Vec::new();
    let setup = [
        &[
            "ACL", "SETUSER", "u", "on", "nopass", "+@all", "-get", "~k*",
        ][..],
        &["ACL", "LOG", "RESET"],
    ];
    for cmd in setup {
        replies.push(admin.cmd(cmd));
    }
    let mut u = server.connect();
    let script: &[&[&str]] = &[
        &["AUTH", "u", "x"],
        &["EVAL", "return redis.acl_check_cmd('get', 'k1')", "0"],
        &["EVAL", "return redis.call('get', 'k1')", "0"],
        &["EVAL", "return redis.call('set', 'other', 1)", "0"],
        &["EVAL", "return redis.pcall('set', 'k2', 1)", "0"],
        &["MULTI"],
        &["EVAL", "return redis.call('get', 'k1')", "0"],
        &["EXEC"],
    ];
    for cmd in script {
        replies.push(u.cmd(cmd));
    }
    (replies, entries(&mut admin))
}

#[test]
fn script_acl_denials_are_logged_with_context_lua() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let ours = scenario(Flavor::Node);
    let redis = scenario(Flavor::Redis);
    assert_eq!(ours.0, redis.0, "replies differ");
    assert_eq!(ours.1, redis.1, "ACL LOG entries differ");
    // The battery means something: three denials from scripts, two of them alike (the log
    // merges them into one entry, whose client info is the latest: `cmd=exec`).
    assert_eq!(redis.1.len(), 2, "{:?}", redis.1);
    assert!(redis
        .1
        .iter()
        .all(|e| e.contains(&"context=lua".to_owned())));
}
