//! ACL LOAD and ACL SAVE ask the driver (`Output::LoadAclFile`, `Output::SaveAclFile`), the
//! client's later requests wait for the answer, and the answer decides the reply: the users
//! loaded, Redis's error for a file that cannot be opened or holds a bad line, and Redis's
//! error for a save that failed (its reason logged).
use std::net::SocketAddr;

use hashslot_node::{ClientAddr, Config, LogLevel, Node, Output, ProcessInfo};
use hashslot_types::{ConnId, Instant, Now, UnixMillis};

fn drain(node: &mut Node) -> Vec<Output> {
    std::iter::from_fn(|| node.poll_output()).collect()
}

fn sent(out: &[Output]) -> Vec<u8> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { data, .. } => Some(data.to_vec()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn load_and_save_wait_for_the_driver() {
    let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
    let mut config = Config::default();
    config
        .apply_startup("aclfile", &[b"users.acl".to_vec()])
        .unwrap();
    let mut node = Node::new(config, 1, now, ProcessInfo::default());
    // Startup: the file's users replace the default set before anyone connects.
    let mut read = |p: &str| {
        assert_eq!(p, "users.acl");
        Ok(Some(b"user alice on nopass ~* +@all\n".to_vec()))
    };
    node.load_acl_file_at_startup(&mut read).unwrap();
    let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
    let conn = ConnId(9);
    node.handle_accept(
        now,
        conn,
        ClientAddr {
            peer: addr,
            local: addr,
            fd: 3,
        },
    );
    drain(&mut node);
    node.handle_read(now, conn, b"ACL USERS\r\nACL LOAD\r\nECHO after\r\n");
    let out = drain(&mut node);
    assert_eq!(sent(&out), b"*2\r\n$5\r\nalice\r\n$7\r\ndefault\r\n");
    assert!(out.contains(&Output::LoadAclFile {
        conn,
        path: "users.acl".into()
    }));
    node.handle_read(now, conn, b"PING\r\n");
    assert!(sent(&drain(&mut node)).is_empty(), "later requests wait");
    node.handle_acl_file_read(now, conn, Ok(b"user bob on nopass\n".to_vec()));
    assert_eq!(sent(&drain(&mut node)), b"+OK\r\n$5\r\nafter\r\n+PONG\r\n");
    // A bad line: Redis's error, users unchanged.
    node.handle_read(now, conn, b"ACL LOAD\r\nACL USERS\r\n");
    drain(&mut node);
    node.handle_acl_file_read(now, conn, Ok(b"user bob on\nnope\n".to_vec()));
    let want = "-ERR users.acl:2 should start with user keyword followed by the username. \
                WARNING: ACL errors detected, no change to the previously active ACL rules was \
                performed\r\n*2\r\n$3\r\nbob\r\n$7\r\ndefault\r\n";
    assert_eq!(String::from_utf8(sent(&drain(&mut node))).unwrap(), want);
    // The file could not be opened.
    node.handle_read(now, conn, b"ACL LOAD\r\n");
    drain(&mut node);
    node.handle_acl_file_read(now, conn, Err("No such file or directory".into()));
    let want = "-ERR Error loading ACLs, opening file 'users.acl': No such file or directory\r\n";
    assert_eq!(String::from_utf8(sent(&drain(&mut node))).unwrap(), want);
    // ACL SAVE hands over the whole file; a failure is logged and refused as Redis does.
    node.handle_read(now, conn, b"ACL SAVE\r\n");
    let out = drain(&mut node);
    let data = out
        .iter()
        .find_map(|o| match o {
            Output::SaveAclFile {
                conn: c,
                path,
                data,
            } if *c == conn && path == "users.acl" => Some(data.clone()),
            _ => None,
        })
        .expect("SaveAclFile");
    assert_eq!(
        &data[..],
        b"user bob on nopass resetchannels -@all\nuser default on nopass ~* &* +@all\n"
    );
    node.handle_acl_file_saved(
        now,
        conn,
        Err("Renaming ACL file for ACL SAVE: EACCES".into()),
    );
    let out = drain(&mut node);
    assert!(out.contains(&Output::Log {
        level: LogLevel::Warning,
        message: "Renaming ACL file for ACL SAVE: EACCES".into()
    }));
    assert_eq!(
        sent(&out),
        b"-ERR There was an error trying to save the ACLs. Please check the server logs for \
          more information\r\n"
    );
}
