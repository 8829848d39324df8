//! CONFIG GET * of a default hashslot config matches a real `redis-server` (7.0.15) name for
//! name and default for default. Runs when `redis-server` is on PATH; with
//! `HASHSLOT_REQUIRE_REDIS=1` a missing `redis-server` fails the test instead of skipping it.
// Waiting for the child process to listen needs the wall clock; this is a test, not the library.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hashslot_node::Config;

/// Parameters whose value legitimately differs: the port we start it on and its working dir.
const EXCEPTIONS: &[&str] = &["port", "dir"];

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn read_line(r: &mut impl BufRead) -> String {
    let mut l = String::new();
    r.read_line(&mut l).expect("read");
    l.trim_end().to_string()
}

fn config_get_all(port: u16) -> BTreeMap<String, String> {
    let mut stream = None;
    for _ in 0..100 {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let mut s = stream.expect("redis-server did not start listening");
    s.write_all(b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$1\r\n*\r\n")
        .unwrap();
    let mut r = BufReader::new(s);
    let head = read_line(&mut r);
    let n: usize = head
        .strip_prefix('*')
        .expect("array reply")
        .parse()
        .unwrap();
    let mut items = Vec::new();
    for _ in 0..n {
        let len: usize = read_line(&mut r)
            .strip_prefix('$')
            .expect("bulk")
            .parse()
            .unwrap();
        let mut buf = vec![0; len + 2];
        r.read_exact(&mut buf).unwrap();
        buf.truncate(len);
        items.push(String::from_utf8(buf).unwrap());
    }
    items
        .chunks(2)
        .map(|kv| (kv[0].clone(), kv[1].clone()))
        .collect()
}

#[test]
fn config_get_star_matches_redis_server() {
    let found = Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var("HASHSLOT_REQUIRE_REDIS").as_deref() != Ok("1"),
            "redis-server is not on PATH and HASHSLOT_REQUIRE_REDIS=1"
        );
        eprintln!("skipped: redis-server not on PATH");
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("hashslot-config-get-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "-::1"])
        .args(["--dir", dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    let server = Server(child);
    let mut redis = config_get_all(port);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    // We started it with a bind list; compare against the default instead.
    assert_eq!(
        redis.insert("bind".into(), "* -::*".into()).as_deref(),
        Some("127.0.0.1 -::1")
    );

    let ours: BTreeMap<String, String> = Config::default()
        .get_matching(&[b"*"])
        .into_iter()
        .collect();
    let missing: Vec<&String> = redis.keys().filter(|k| !ours.contains_key(*k)).collect();
    let extra: Vec<&String> = ours.keys().filter(|k| !redis.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    let differ: Vec<String> = redis
        .iter()
        .filter(|(k, v)| !EXCEPTIONS.contains(&k.as_str()) && ours[*k] != **v)
        .map(|(k, v)| format!("{k}: redis {v:?}, ours {:?}", ours[k]))
        .collect();
    assert!(differ.is_empty(), "defaults differ:\n{}", differ.join("\n"));
}
