//! The cluster's settings, taken from the node's configuration.

/// Settings of a [`Cluster`](crate::Cluster); the node copies them from its `Config` and may
/// change them at run time with `Cluster::set_config` (CONFIG SET).
///
/// Equality compares the settings only: the test-only fault switch below is left out, so the
/// node's periodic refresh of the settings from its configuration (which never carries the
/// switch) does not turn a switch set by a test back off.
#[derive(Debug, Clone)]
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
    /// Test-only injected bug, off by default: a master grants a vote even when it already
    /// voted in the epoch (and regardless of when it last voted for a replica of the same
    /// master). The simulator's tests turn it on to prove that their sweep catches the broken
    /// rule; nothing else may. A `set_config` with a configuration that has it off turns it
    /// off.
    #[doc(hidden)]
    pub fault_vote_twice_per_epoch: bool,
}

impl PartialEq for ClusterConfig {
    fn eq(&self, o: &Self) -> bool {
        // Every setting, but not the fault switch (see the type's docs).
        let ClusterConfig {
            port,
            bus_port,
            node_timeout,
            announce_ip,
            announce_port,
            announce_bus_port,
            announce_hostname,
            require_full_coverage,
            allow_replica_migration,
            replica_no_failover,
            fault_vote_twice_per_epoch: _,
        } = self;
        *port == o.port
            && *bus_port == o.bus_port
            && *node_timeout == o.node_timeout
            && *announce_ip == o.announce_ip
            && *announce_port == o.announce_port
            && *announce_bus_port == o.announce_bus_port
            && *announce_hostname == o.announce_hostname
            && *require_full_coverage == o.require_full_coverage
            && *allow_replica_migration == o.allow_replica_migration
            && *replica_no_failover == o.replica_no_failover
    }
}

impl Eq for ClusterConfig {}

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
            fault_vote_twice_per_epoch: false,
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
