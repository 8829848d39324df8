//! The event trace: one compact line per event, and a hash over all of them.
//!
//! # Legend
//!
//! Every line is `<ms>.<µs> <who> <what> [details]`, time being virtual time since the start.
//!
//! | who | meaning |
//! |---|---|
//! | `n<i>` | node `i` (client port `7000+i`, bus port `17000+i`) |
//! | `c<i>` | workload client `i` |
//! | `a<i>` | the admin connection to node `i` (setup commands) |
//! | `nem` | the nemesis (fault injector) |
//!
//! | what | meaning |
//! |---|---|
//! | `tmo` | the node's timer fired (`handle_timeout`) |
//! | `acc L<l> n<j>` | the node accepted bus link `l`, coming from node `j` (link ids: `L<n>` accepted, `Lo<n>` node-chosen outbound, top bit cleared) |
//! | `con L<l>` / `cfail L<l>` | outbound bus link `l` connected / failed to connect |
//! | `rd L<l> <n>` | `n` bytes arrived on bus link `l` |
//! | `cls L<l>` | the node learned bus link `l` closed |
//! | `crd C<c> <n>` / `ccl C<c>` | client connection `c`: bytes arrived / closed |
//! | `pst <token> ok\|lost\|err` | a disk step with a completion (nodes.conf write, AOF/RDB fsync or commit) completed, was voided by a crash, or failed with a disk error |
//! | `disk n<i> fail <prefix>` / `disk n<i> repair` | files under `prefix` on node `i`'s disk start failing writes (`Sim::fail_disk`) / work again |
//! | `disk n<i> fail <prefix> ENOSPC` | the same, failing with no space left on device (`Sim::fail_disk_with`; the nemesis when `Faults::disk_errors` is drawn) |
//! | `ocon R<id>\|M<id> <host>:<port>` / `ocon … up` | an outbound replication (`R`) or MIGRATE (`M`) connection: asked for / connected |
//! | `ord R<id>\|M<id> <n>` / `ocls R<id>\|M<id>` | `n` bytes arrived on it / it failed or was closed by the peer |
//! | `wait 1 <ms>` / `wait <n>` / `wait unk` | a client sent WAIT after an acknowledged write / the replicas it reported / no answer |
//! | `log <text>` | a node log line of level notice or above |
//! | `crash` / `restart` | the process died (kill -9) / started again from its disk |
//! | `part <a>-><b> drop\|hold` / `heal` | the nemesis cut or healed paths |
//! | `part <kind> [<nodes>\|<a-b pairs>] <state> <len>ms` | the nemesis starts a partition: kind `sym`, `oneway`, `hold`, `split`, `partial` (random pairs cut) or `bridge` (two halves and one node, marked `*`, reaching both) |
//! | `set <key> <val>` / `get <key>` | a client invoked an operation |
//! | `ok <val>` / `err <text>` / `unk` | its outcome: done, definitely not done, unknown |
//! | `moved <slot> n<j>` / `ask <slot> n<j>` | a client followed a redirection |
//! | `rst L<l>` / `zombie L<l>` | the network reset a link / starts dropping a direction |

use std::fmt::{self, Write};

/// The trace of one run: its hash always, its lines when asked for.
#[derive(Debug, Default)]
pub struct Trace {
    hash: u64,
    events: u64,
    lines: Option<Vec<String>>,
    buf: String,
}

impl Trace {
    /// A trace that keeps its lines when `keep` is set (the hash is computed either way).
    pub fn new(keep: bool) -> Trace {
        Trace {
            hash: 0xcbf2_9ce4_8422_2325,
            events: 0,
            lines: keep.then(Vec::new),
            buf: String::new(),
        }
    }

    /// Record one line at virtual time `t` (nanoseconds).
    pub fn record(&mut self, t: u64, who: fmt::Arguments<'_>, what: fmt::Arguments<'_>) {
        self.buf.clear();
        let _ = write!(
            self.buf,
            "{}.{:03} {} {}",
            t / 1_000_000,
            (t / 1_000) % 1_000,
            who,
            what
        );
        // FNV-1a over the line and a separator.
        for &b in self.buf.as_bytes().iter().chain(b"\n") {
            self.hash = (self.hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.events += 1;
        if let Some(lines) = self.lines.as_mut() {
            lines.push(self.buf.clone());
        }
    }

    /// The hash of every line so far: two runs of one seed give the same value.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// How many lines were recorded.
    pub fn len(&self) -> u64 {
        self.events
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    /// The lines, when the trace keeps them.
    pub fn lines(&self) -> Option<&[String]> {
        self.lines.as_deref()
    }
}
