//! The cluster's settings, taken from the node's configuration.

/// Settings of a [`Cluster`](crate::Cluster); the node copies them from its `Config` and may
/// change them at run time with `Cluster::set_config` (CONFIG SET).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// The client port (`port`).
    pub port: u16,
    /// The bus port we listen on (`cluster-port`, or `port + 10000`).
    pub bus_port: u16,
    /// `cluster-node-timeout` in ms.
    pub node_timeout: u64,
    /// `cluster-announce-ip`.
    pub announce_ip: Option<String>,
    /// `cluster-announce-port` (0: `port`).
    pub announce_port: u16,
    /// `cluster-announce-bus-port` (0: `bus_port`).
    pub announce_bus_port: u16,
    /// `cluster-announce-hostname`.
    pub announce_hostname: Option<String>,
    /// `cluster-require-full-coverage`.
    pub require_full_coverage: bool,
    /// `cluster-allow-replica-migration`.
    pub allow_replica_migration: bool,
    /// `cluster-replica-no-failover`.
    pub replica_no_failover: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            port: 6379,
            bus_port: 16379,
            node_timeout: 15000,
            announce_ip: None,
            announce_port: 0,
            announce_bus_port: 0,
            announce_hostname: None,
            require_full_coverage: true,
            allow_replica_migration: true,
            replica_no_failover: false,
        }
    }
}

impl ClusterConfig {
    /// The client port other nodes and clients are told (`deriveAnnouncedPorts`).
    pub fn announced_port(&self) -> u16 {
        if self.announce_port != 0 {
            self.announce_port
        } else {
            self.port
        }
    }

    /// The bus port other nodes are told.
    pub fn announced_cport(&self) -> u16 {
        if self.announce_bus_port != 0 {
            self.announce_bus_port
        } else {
            self.bus_port
        }
    }

    /// `node_timeout` as signed ms, for arithmetic with times.
    pub(crate) fn timeout(&self) -> i64 {
        i64::try_from(self.node_timeout).unwrap_or(i64::MAX / 4)
    }
}
