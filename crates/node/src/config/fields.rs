//! Between checked values and `Config`: typed fields for what hashslot reads, text for the rest.

use super::parse::{enum_name, Parsed};
use super::table::{Kind, Num, PARAMS};
use super::{lossy, AppendFsync, Config, DEFAULT_OBUF};
use crate::LogLevel;

fn yn(v: bool) -> String {
    if v { "yes" } else { "no" }.to_string()
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn non_empty(v: Vec<u8>) -> Option<String> {
    (!v.is_empty()).then(|| lossy(&v))
}

const LOGLEVELS: [LogLevel; 4] = [
    LogLevel::Debug,
    LogLevel::Verbose,
    LogLevel::Notice,
    LogLevel::Warning,
];
const FSYNCS: [AppendFsync; 3] = [AppendFsync::Everysec, AppendFsync::Always, AppendFsync::No];

impl Config {
    /// The value of parameter `idx` as CONFIG GET prints it.
    pub(super) fn load(&self, idx: usize) -> String {
        let p = &PARAMS[idx];
        match p.name {
            "port" => self.port.to_string(),
            "bind" => self.bind.join(" "),
            "daemonize" => yn(self.daemonize),
            "pidfile" => self.pidfile.clone(),
            "logfile" => self.logfile.clone(),
            "loglevel" => {
                let i = LOGLEVELS
                    .iter()
                    .position(|l| *l == self.loglevel)
                    .unwrap_or(2);
                ["debug", "verbose", "notice", "warning"][i].to_string()
            }
            "dir" => self
                .dir_absolute
                .clone()
                .unwrap_or_else(|| self.dir.clone()),
            "protected-mode" => yn(self.protected_mode),
            "tcp-backlog" => self.tcp_backlog.to_string(),
            "maxclients" => self.maxclients.to_string(),
            "cluster-enabled" => yn(self.cluster_enabled),
            "requirepass" => self.requirepass.as_deref().map(lossy).unwrap_or_default(),
            "databases" => self.databases.to_string(),
            "timeout" => self.timeout.to_string(),
            "tcp-keepalive" => self.tcp_keepalive.to_string(),
            "hz" => self.hz.to_string(),
            "proto-max-bulk-len" => self.proto_max_bulk_len.to_string(),
            "client-query-buffer-limit" => self.client_query_buffer_limit.to_string(),
            "cluster-config-file" => self.cluster_config_file.clone(),
            "cluster-node-timeout" => self.cluster_node_timeout.to_string(),
            "cluster-port" => self.cluster_port.to_string(),
            "cluster-announce-ip" => opt(&self.cluster_announce_ip),
            "cluster-announce-hostname" => opt(&self.cluster_announce_hostname),
            "cluster-announce-port" => self.cluster_announce_port.to_string(),
            "cluster-announce-bus-port" => self.cluster_announce_bus_port.to_string(),
            "appendonly" => yn(self.appendonly),
            "appendfilename" => self.appendfilename.clone(),
            "appenddirname" => self.appenddirname.clone(),
            "appendfsync" => {
                let i = FSYNCS
                    .iter()
                    .position(|f| *f == self.appendfsync)
                    .unwrap_or(0);
                ["everysec", "always", "no"][i].to_string()
            }
            "dbfilename" => self.dbfilename.clone(),
            "save" => {
                let v: Vec<String> = self.save.iter().map(|(s, c)| format!("{s} {c}")).collect();
                v.join(" ")
            }
            "client-output-buffer-limit" => {
                let v: Vec<String> = ["normal", "slave", "pubsub"]
                    .iter()
                    .zip(&self.client_output_buffer_limit)
                    .map(|(n, l)| {
                        format!("{n} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_seconds)
                    })
                    .collect();
                v.join(" ")
            }
            "replicaof" => self
                .replicaof
                .as_ref()
                .map(|(h, p)| format!("{h} {p}"))
                .unwrap_or_default(),
            _ => self.others[idx].clone(),
        }
    }

    /// Store a checked value for parameter `idx`. `startup`: from a config file or command line
    /// (where `save` lines add up).
    pub(super) fn store(&mut self, idx: usize, v: Parsed, startup: bool) {
        let p = &PARAMS[idx];
        // Bounds were checked by the parser, so the narrowing casts below cannot truncate.
        match (p.name, v) {
            ("port", Parsed::Int(n)) => self.port = n as u16,
            ("bind", Parsed::Bind(b)) => self.bind = b,
            ("daemonize", Parsed::Bool(b)) => self.daemonize = b,
            ("pidfile", Parsed::Str(s)) => self.pidfile = lossy(&s),
            ("logfile", Parsed::Str(s)) => self.logfile = lossy(&s),
            ("loglevel", Parsed::Enum(e)) => self.loglevel = LOGLEVELS[e as usize],
            ("dir", Parsed::Dir(d)) => {
                self.dir = d;
                self.dir_absolute = None;
            }
            ("protected-mode", Parsed::Bool(b)) => self.protected_mode = b,
            ("tcp-backlog", Parsed::Int(n)) => self.tcp_backlog = n as u32,
            ("maxclients", Parsed::Int(n)) => self.maxclients = n as u32,
            ("cluster-enabled", Parsed::Bool(b)) => self.cluster_enabled = b,
            ("requirepass", Parsed::Str(s)) => self.requirepass = (!s.is_empty()).then_some(s),
            ("databases", Parsed::Int(n)) => self.databases = n as u32,
            ("timeout", Parsed::Int(n)) => self.timeout = n as u64,
            ("tcp-keepalive", Parsed::Int(n)) => self.tcp_keepalive = n as u64,
            ("hz", Parsed::Int(n)) => self.hz = n as u32,
            ("proto-max-bulk-len", Parsed::Int(n)) => self.proto_max_bulk_len = n as u64,
            ("client-query-buffer-limit", Parsed::Int(n)) => {
                self.client_query_buffer_limit = n as u64
            }
            ("cluster-config-file", Parsed::Str(s)) => self.cluster_config_file = lossy(&s),
            ("cluster-node-timeout", Parsed::Int(n)) => self.cluster_node_timeout = n as u64,
            ("cluster-port", Parsed::Int(n)) => self.cluster_port = n as u16,
            ("cluster-announce-ip", Parsed::Str(s)) => self.cluster_announce_ip = non_empty(s),
            ("cluster-announce-hostname", Parsed::Str(s)) => {
                self.cluster_announce_hostname = non_empty(s)
            }
            ("cluster-announce-port", Parsed::Int(n)) => self.cluster_announce_port = n as u16,
            ("cluster-announce-bus-port", Parsed::Int(n)) => {
                self.cluster_announce_bus_port = n as u16
            }
            ("appendonly", Parsed::Bool(b)) => self.appendonly = b,
            ("appendfilename", Parsed::Str(s)) => self.appendfilename = lossy(&s),
            ("appenddirname", Parsed::Str(s)) => self.appenddirname = lossy(&s),
            ("appendfsync", Parsed::Enum(e)) => self.appendfsync = FSYNCS[e as usize],
            ("dbfilename", Parsed::Str(s)) => self.dbfilename = lossy(&s),
            ("save", Parsed::Save(points)) => {
                if startup && self.save_loaded {
                    self.save.extend(points);
                } else {
                    self.save = points;
                }
                self.save_loaded |= startup;
            }
            ("client-output-buffer-limit", Parsed::Obuf(classes)) => {
                for (slot, new) in self.client_output_buffer_limit.iter_mut().zip(classes) {
                    if let Some(new) = new {
                        *slot = new;
                    }
                }
            }
            ("replicaof", Parsed::ReplicaOf(r)) => self.replicaof = r,
            (_, v) => self.others[idx] = text(idx, v),
        }
    }

    /// Whether `client-output-buffer-limit` class `i` is at its default (for rewrites).
    pub(super) fn obuf_is_default(&self, i: usize) -> bool {
        self.client_output_buffer_limit[i] == DEFAULT_OBUF[i]
    }
}

/// The CONFIG GET text of a stored-only value.
fn text(idx: usize, v: Parsed) -> String {
    match (PARAMS[idx].kind, v) {
        (_, Parsed::Bool(b)) => yn(b),
        (Kind::Int { num, .. }, Parsed::Int(n)) => match num {
            Num::Plain => n.to_string(),
            Num::Memory => (n as u64).to_string(),
            Num::MemoryPercent if n < 0 => format!("{}%", -n),
            Num::MemoryPercent => (n as u64).to_string(),
            Num::Octal => format!("{n:o}"),
        },
        (Kind::Enum { values, multi }, Parsed::Enum(e)) => enum_name(values, e, multi),
        (_, Parsed::Str(s)) => lossy(&s),
        (_, Parsed::Text(t)) => t,
        (_, Parsed::Dir(d)) => d,
        (_, other) => unreachable!("no typed field for {} ({other:?})", PARAMS[idx].name),
    }
}
