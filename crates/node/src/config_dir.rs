//! CONFIG SET dir: the node cannot change the process's directory itself (no I/O here), so the
//! command asks its driver with `Output::ChangeDir` and this handler finishes the command when
//! the driver reports back.

use hashslot_resp::ErrorReply;
use hashslot_types::{ConnId, Now};

use crate::node::Held;
use crate::Node;

impl Node {
    /// The driver carried out an `Output::ChangeDir` for `conn`: `Ok` carries the new absolute
    /// working directory (CONFIG GET dir shows it from now on), `Err` the OS error text (the
    /// directory is unchanged). The client gets its reply and its waiting requests run.
    ///
    /// During a DEBUG SLEEP the reply still goes out now: Redis changes directory inside the
    /// command, so its reply was already sent before any sleep began. The client's later
    /// requests then wait for the end of the sleep, like input that arrived during it.
    pub fn handle_dir_changed(&mut self, now: Now, conn: ConnId, result: Result<String, String>) {
        if let Ok(dir) = &result {
            // The process is in the new directory whether or not the client is still there.
            self.config.dir.clone_from(dir);
            self.config.set_dir_absolute(dir.clone());
        }
        let Some(mut sess) = self.sessions.remove(&conn) else {
            return;
        };
        if sess.client.blocked && !sess.closing {
            sess.client.blocked = false;
            let start = sess.client.out.len();
            match result {
                Ok(_) => sess.client.reply().ok(),
                Err(e) => {
                    // Ref: config.c setConfigDirOption: chdir's strerror, in CONFIG SET's text.
                    let text =
                        format!("ERR CONFIG SET failed (possibly related to argument 'dir') - {e}");
                    sess.client.reply().error(&ErrorReply::msg(text));
                }
            }
            self.after_reply(&mut sess.client, start);
            if self.sleep.is_some() {
                self.flush(&mut sess);
                self.hold_small(|| Held::Read(conn, Vec::new()));
            } else {
                self.consume(now, &mut sess, &[]);
            }
        }
        self.sessions.insert(conn, sess);
        if self.sleep.is_none() {
            self.process_unblocked(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use bytes::Bytes;
    use hashslot_types::{ConnId, Instant, Now, UnixMillis};

    use crate::{ClientAddr, Config, Node, Output, ProcessInfo};

    const CONN: ConnId = ConnId(7);

    fn at(ms: u64) -> Now {
        Now::new(
            Instant::from_nanos(ms * 1_000_000),
            UnixMillis(1_700_000_000_000 + ms as i64),
        )
    }

    /// A node whose protected configs and DEBUG are allowed, with one loopback client.
    fn node() -> Node {
        let mut config = Config::default();
        for name in ["enable-protected-configs", "enable-debug-command"] {
            config.apply_startup(name, &[b"yes".to_vec()]).unwrap();
        }
        config.set_dir_absolute("/data/a");
        let mut node = Node::new(config, 1, at(0), ProcessInfo::default());
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let peer = ClientAddr {
            peer: addr,
            local: addr,
            fd: 3,
        };
        node.handle_accept(at(0), CONN, peer);
        node
    }

    fn drain(node: &mut Node) -> Vec<Output> {
        std::iter::from_fn(|| node.poll_output()).collect()
    }

    fn sent(data: &'static [u8]) -> Output {
        Output::Send {
            conn: CONN,
            data: Bytes::from_static(data),
        }
    }

    fn change(path: &str) -> Output {
        Output::ChangeDir {
            conn: CONN,
            path: path.into(),
        }
    }

    #[test]
    fn the_client_waits_for_the_driver_then_config_get_shows_the_new_dir() {
        let mut n = node();
        n.handle_read(
            at(1),
            CONN,
            b"PING\r\nCONFIG SET dir ../b\r\nECHO after\r\n",
        );
        assert_eq!(drain(&mut n), vec![change("../b"), sent(b"+PONG\r\n")]);
        n.handle_read(at(2), CONN, b"PING\r\n");
        assert!(drain(&mut n).is_empty(), "later requests wait");
        n.handle_dir_changed(at(3), CONN, Ok("/data/b".into()));
        assert_eq!(
            drain(&mut n),
            vec![sent(b"+OK\r\n$5\r\nafter\r\n+PONG\r\n")]
        );
        n.handle_read(at(4), CONN, b"CONFIG GET dir\r\n");
        assert_eq!(
            drain(&mut n),
            vec![sent(b"*2\r\n$3\r\ndir\r\n$7\r\n/data/b\r\n")]
        );
    }

    #[test]
    fn a_failed_chdir_is_refused_with_the_os_error_and_the_dir_stays() {
        let mut n = node();
        n.handle_read(at(1), CONN, b"CONFIG SET dir /nope\r\n");
        assert_eq!(drain(&mut n), vec![change("/nope")]);
        n.handle_dir_changed(at(2), CONN, Err("No such file or directory".into()));
        assert_eq!(
            drain(&mut n),
            vec![sent(
                b"-ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory\r\n"
            )]
        );
        assert_eq!(n.config().get("dir").as_deref(), Some("/data/a"));
    }

    #[test]
    fn other_pairs_are_checked_before_the_dir_changes() {
        let mut n = node();
        n.handle_read(at(1), CONN, b"CONFIG SET dir /x maxmemory lots\r\n");
        let out = drain(&mut n);
        assert_eq!(out.len(), 1, "an error reply, no ChangeDir: {out:?}");
        assert!(
            matches!(&out[0], Output::Send { data, .. } if data.starts_with(b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory')"))
        );
        n.handle_read(at(2), CONN, b"CONFIG SET DIR /x maxmemory 1mb\r\n");
        assert_eq!(drain(&mut n), vec![change("/x")]);
        assert_eq!(n.config().get("maxmemory").as_deref(), Some("1048576"));
        n.handle_dir_changed(at(3), CONN, Ok("/x".into()));
        assert_eq!(drain(&mut n), vec![sent(b"+OK\r\n")]);
    }

    #[test]
    fn dir_stays_protected() {
        let mut n = Node::new(Config::default(), 1, at(0), ProcessInfo::default());
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let peer = ClientAddr {
            peer: addr,
            local: addr,
            fd: 3,
        };
        n.handle_accept(at(0), CONN, peer);
        n.handle_read(at(1), CONN, b"CONFIG SET dir /x\r\n");
        assert_eq!(
            drain(&mut n),
            vec![sent(
                b"-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n"
            )]
        );
    }

    #[test]
    fn during_a_debug_sleep_the_reply_goes_out_and_later_requests_wait_for_the_end() {
        let mut n = node();
        const OTHER: ConnId = ConnId(8);
        let addr: SocketAddr = "127.0.0.1:5001".parse().unwrap();
        let peer = ClientAddr {
            peer: addr,
            local: addr,
            fd: 4,
        };
        n.handle_accept(at(0), OTHER, peer);
        n.handle_read(at(1), CONN, b"CONFIG SET dir /b\r\nECHO after\r\n");
        assert_eq!(drain(&mut n), vec![change("/b")]);
        // Another client's DEBUG SLEEP starts before the driver reports.
        n.handle_read(at(2), OTHER, b"DEBUG SLEEP 1\r\n");
        assert!(drain(&mut n).is_empty());
        n.handle_dir_changed(at(3), CONN, Ok("/b".into()));
        assert_eq!(drain(&mut n), vec![sent(b"+OK\r\n")]);
        n.handle_timeout(at(1002));
        let out = drain(&mut n);
        let want = [
            Output::Send {
                conn: OTHER,
                data: Bytes::from_static(b"+OK\r\n"),
            },
            sent(b"$5\r\nafter\r\n"),
        ];
        assert_eq!(out, want, "the sleeper first, then the held pipeline");
    }
}
