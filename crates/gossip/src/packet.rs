//! Processing one received message (`clusterProcessPacket`).
//!
//! Ref: cluster spec §1.9 "Processing order of a valid packet".

use hashslot_bus::{GossipSection, Message, MsgType, NodeFlags, Payload, PingExt};
use hashslot_slots::NodeRef;
use hashslot_types::{LinkId, Now};

use crate::links::ip_text;
use crate::node::ClusterNode;
use crate::{Cluster, Event, LogLevel};

impl Cluster {
    /// Process `msg` received on `link`; returns `false` when the link was freed.
    /// A PING, PONG or MEET comes with its gossip entries apart, still in the received bytes.
    pub(crate) fn process_packet(
        &mut self,
        now: Now,
        link: LinkId,
        msg: Message,
        gossip: GossipSection<'_>,
    ) -> bool {
        let t = msg.msg_type();
        self.count_received(t);
        let Some(l) = self.links.get(&link) else {
            return false;
        };
        let inbound = l.inbound;
        let link_node = l.node;
        let hdr = &msg.header;

        // 1. The sender: the link's node unless it is in handshake, else a lookup by name
        //    (which binds an unbound inbound link).
        let sender: Option<NodeRef> = match link_node {
            Some(r) if !self.nodes[r].in_handshake() => Some(r),
            _ => {
                let s = self.nodes.lookup(&hdr.sender);
                if let (Some(s), None) = (s, link_node) {
                    if inbound {
                        self.bind_inbound(s, link);
                    }
                }
                s
            }
        };

        // 2–3. Liveness, epochs, offsets.
        if let Some(s) = sender {
            self.nodes[s].data_received = Some(self.now_ms);
            if !self.nodes[s].in_handshake() {
                if hdr.current_epoch > self.current_epoch {
                    self.current_epoch = hdr.current_epoch;
                    self.todo.save = true;
                }
                if hdr.config_epoch > self.nodes[s].config_epoch {
                    self.nodes[s].config_epoch = hdr.config_epoch;
                    self.todo.save = true;
                }
                self.nodes[s].repl_offset = hdr.offset;
                self.failover_on_header(s, hdr);
            }
        }

        // 4. PING and MEET: learn my ip, create a handshake node for a MEET, answer PONG.
        if t == MsgType::PING || t == MsgType::MEET {
            let me = self.myself;
            if (t == MsgType::MEET || self.nodes[me].ip().is_empty())
                && self.config.announce_ip.is_none()
            {
                if let Some(local) = self.links.get(&link).and_then(|l| l.local) {
                    let ip = ip_text(local.ip());
                    if self.nodes[me].ip() != ip {
                        self.log(
                            LogLevel::Notice,
                            format!("IP address for this node updated to {ip}"),
                        );
                        self.nodes[me].set_ip(ip);
                        self.todo.save = true;
                    }
                }
            }
            if sender.is_none() && t == MsgType::MEET {
                let name = hashslot_types::NodeId::random(&mut self.rng);
                let mut n = ClusterNode::new(name, NodeFlags::HANDSHAKE, self.now_ms);
                n.set_ip(self.peer_ip(link, &msg));
                n.port = hdr.port;
                n.pport = hdr.pport;
                n.cport = hdr.cport;
                self.nodes.insert(n);
                self.todo.save = true;
                self.process_gossip(None, gossip);
            }
            self.send_ping(link, MsgType::PONG);
        }

        match &msg.payload {
            Payload::Ping { .. } | Payload::Pong { .. } | Payload::Meet { .. } => {
                self.process_ping_like(now, link, sender, &msg, gossip)
            }
            Payload::Fail { nodename } => {
                match sender {
                    Some(s) => {
                        if let Some(f) = self.nodes.lookup(nodename) {
                            let n = &self.nodes[f];
                            if !n.flags.intersects(NodeFlags::FAIL | NodeFlags::MYSELF) {
                                let (from, about) = (self.nodes[s].name, n.name);
                                self.log(
                                    LogLevel::Notice,
                                    format!("FAIL message received from {from} about {about}"),
                                );
                                let n = &mut self.nodes[f];
                                n.set(NodeFlags::FAIL);
                                n.fail_time = Some(self.now_ms);
                                n.clear(NodeFlags::PFAIL);
                                // My master failed: start the election before sleeping rather
                                // than at the next cron run (up to 100 ms later).
                                if self.nodes[self.myself].slaveof == Some(f) {
                                    self.fo.handle_asap = true;
                                }
                                self.todo.update_state = true;
                                self.todo.save = true;
                            }
                        }
                    }
                    None => self.log(
                        LogLevel::Notice,
                        format!(
                            "Ignoring FAIL message from unknown node {} about {}",
                            hdr.sender, nodename
                        ),
                    ),
                }
                true
            }
            Payload::Publish { channel, message } => {
                if sender.is_some() {
                    self.emit(Event::Publish {
                        channel: channel.clone(),
                        message: message.clone(),
                    });
                }
                true
            }
            Payload::PublishShard { channel, message } => {
                if sender.is_some() {
                    self.emit(Event::PublishShard {
                        channel: channel.clone(),
                        message: message.clone(),
                    });
                }
                true
            }
            Payload::Update {
                config_epoch,
                nodename,
                slots,
            } => {
                if sender.is_none() {
                    return true;
                }
                let Some(n) = self.nodes.lookup(nodename) else {
                    return true;
                };
                if self.nodes[n].config_epoch >= *config_epoch {
                    return true;
                }
                if self.nodes[n].is_replica() {
                    self.set_node_as_master(n);
                }
                self.nodes[n].config_epoch = *config_epoch;
                self.todo.save = true;
                self.update_slots_config_with(n, *config_epoch, slots);
                true
            }
            Payload::FailoverAuthRequest | Payload::FailoverAuthAck | Payload::MfStart => {
                self.failover_packet(link, sender, &msg);
                true
            }
            _ => {
                if t.0 >= 11 {
                    self.log(
                        LogLevel::Warning,
                        format!("Received unknown packet type: {}", t.0),
                    );
                }
                true
            }
        }
    }

    /// `nodeIp2String`: the header's ip if given, else the peer address of the link.
    pub(crate) fn peer_ip(&self, link: LinkId, msg: &Message) -> String {
        if !msg.header.myip.is_empty() {
            return msg.header.myip.to_string();
        }
        self.links
            .get(&link)
            .and_then(|l| l.peer)
            .map(|p| ip_text(p.ip()))
            .unwrap_or_default()
    }

    /// Whether [`Cluster::peer_ip`] of `msg` on `link` is `ip`, without allocating.
    fn peer_ip_is(&self, link: LinkId, msg: &Message, ip: &str) -> bool {
        if !msg.header.myip.is_empty() {
            return msg.header.myip.as_bytes() == ip.as_bytes();
        }
        let peer = self.links.get(&link).and_then(|l| l.peer);
        let mut text = crate::links::IpText::default();
        if let Some(p) = peer {
            text.write_ip(p.ip());
        }
        text.as_str() == ip
    }

    /// Step 5 of `clusterProcessPacket` for PING, PONG and MEET.
    fn process_ping_like(
        &mut self,
        now: Now,
        link: LinkId,
        sender: Option<NodeRef>,
        msg: &Message,
        gossip: GossipSection<'_>,
    ) -> bool {
        let _ = now;
        let t = msg.msg_type();
        let hdr = &msg.header;
        let Some(l) = self.links.get(&link) else {
            return false;
        };
        let (inbound, link_node) = (l.inbound, l.node);

        // a. Outbound link: finish a handshake, or notice the peer changed its id.
        if let (false, Some(ln)) = (inbound, link_node) {
            if self.nodes[ln].in_handshake() {
                if let Some(s) = sender {
                    // Already known under this id: refresh its address, drop the handshake node.
                    self.log(
                        LogLevel::Verbose,
                        format!(
                            "Handshake: we already know node {}, updating the address if needed.",
                            self.nodes[s].name
                        ),
                    );
                    if self.update_address_if_needed(s, link, msg) {
                        self.todo.save = true;
                        self.todo.update_state = true;
                    }
                    self.del_node(ln);
                    return false;
                }
                if self.nodes.lookup(&hdr.sender).is_none() {
                    self.nodes.rename(ln, hdr.sender);
                }
                let n = &mut self.nodes[ln];
                n.clear(NodeFlags::HANDSHAKE);
                n.set(NodeFlags(
                    hdr.flags.0 & (NodeFlags::MASTER.0 | NodeFlags::SLAVE.0),
                ));
                let name = n.name;
                self.log(
                    LogLevel::Debug,
                    format!("Handshake with node {name} completed."),
                );
                self.todo.save = true;
            } else if self.nodes[ln].name != hdr.sender {
                let name = self.nodes[ln].name;
                self.log(
                    LogLevel::Debug,
                    format!(
                        "PONG contains mismatching sender ID. About node {name} added {} ms ago, having flags {}",
                        self.now_ms - self.nodes[ln].ctime,
                        self.nodes[ln].flags.0
                    ),
                );
                let n = &mut self.nodes[ln];
                n.set(NodeFlags::NOADDR);
                n.set_ip(String::new());
                n.port = 0;
                n.pport = 0;
                n.cport = 0;
                self.free_link(link);
                self.todo.save = true;
                return false;
            }
        }

        // b. NOFAILOVER (the node is borrowed mutably only when it changes: a mutable borrow
        // makes its hot record stale).
        if let Some(s) = sender {
            let nofailover = hdr.flags.contains(NodeFlags::NOFAILOVER);
            if self.nodes[s].has(NodeFlags::NOFAILOVER) != nofailover {
                let n = &mut self.nodes[s];
                n.clear(NodeFlags::NOFAILOVER);
                n.set(NodeFlags(hdr.flags.0 & NodeFlags::NOFAILOVER.0));
            }
        }

        // c. A PING on another link may carry a new address.
        if let Some(s) = sender {
            if t == MsgType::PING
                && !self.nodes[s].in_handshake()
                && self.update_address_if_needed(s, link, msg)
            {
                self.todo.save = true;
                self.todo.update_state = true;
            }
        }

        // d. PONG on the outbound link: liveness, clear PFAIL/FAIL.
        if let (false, MsgType::PONG, Some(ln)) = (inbound, t, link_node) {
            if self.nodes.get(ln).is_some() {
                self.nodes.set_pong_received(ln, Some(self.now_ms));
                self.nodes.set_ping_sent(ln, None);
                if self.nodes[ln].has(NodeFlags::PFAIL) {
                    self.nodes[ln].clear(NodeFlags::PFAIL);
                    self.todo.update_state = true;
                } else if self.nodes[ln].has(NodeFlags::FAIL) {
                    self.clear_node_failure_if_needed(ln);
                }
            }
        }

        let Some(s) = sender else {
            return true;
        };

        // e. Role.
        match hdr.slaveof {
            None => self.set_node_as_master(s),
            Some(master_name) => {
                let master = self.nodes.lookup(&master_name);
                if self.nodes[s].is_master() {
                    self.del_node_slots(s);
                    let n = &mut self.nodes[s];
                    n.clear(NodeFlags::MASTER | NodeFlags::MIGRATE_TO);
                    n.set(NodeFlags::SLAVE);
                    self.todo.save = true;
                    self.todo.update_state = true;
                }
                if let Some(m) = master {
                    if self.nodes[s].slaveof != Some(m) && m != s {
                        if let Some(old) = self.nodes[s].slaveof {
                            self.remove_slave(old, s);
                        }
                        self.add_slave(m, s);
                        self.nodes[s].slaveof = Some(m);
                        self.todo.save = true;
                    }
                }
            }
        }

        // f. Slots.
        let sender_master = if self.nodes[s].is_master() {
            Some(s)
        } else {
            self.nodes[s].slaveof
        };
        let dirty_slots = sender_master
            .map(|m| !self.slots.owns_exactly(m, &hdr.myslots))
            .unwrap_or(false);
        if self.nodes[s].is_master() && dirty_slots {
            self.update_slots_config_with(s, hdr.config_epoch, &hdr.myslots);
        }
        if dirty_slots {
            for slot in hdr.myslots.iter() {
                let Some(owner) = self.slots.owner(slot) else {
                    continue;
                };
                if owner == s || self.owner_not_claiming_slot.contains(slot) {
                    continue;
                }
                if self.nodes[owner].config_epoch > hdr.config_epoch {
                    self.log(
                        LogLevel::Verbose,
                        format!(
                            "Node {} has old slots configuration, sending an UPDATE message about {}",
                            self.nodes[s].name, self.nodes[owner].name
                        ),
                    );
                    if let Some(out) = self.nodes[s].link {
                        self.send_update(out, owner);
                    }
                    break;
                }
            }
        }

        // g. Epoch collision.
        let me = self.myself;
        if self.nodes[me].is_master()
            && self.nodes[s].is_master()
            && hdr.config_epoch == self.nodes[me].config_epoch
        {
            self.handle_config_epoch_collision(s);
        }

        // h. Gossip and extensions.
        if let Some((_, exts)) = msg.payload.ping_body() {
            self.process_gossip(Some(s), gossip);
            let mut hostname = String::new();
            for e in exts {
                match e {
                    PingExt::Hostname(h) => hostname = String::from_utf8_lossy(h).into_owned(),
                    PingExt::Unknown { ext_type, .. } => self.log(
                        LogLevel::Debug,
                        format!("Received unknown extension type {ext_type}"),
                    ),
                    _ => {}
                }
            }
            if self.nodes[s].hostname != hostname {
                self.nodes[s].hostname = hostname;
                self.todo.save = true;
            }
        }
        true
    }

    /// `nodeUpdateAddressIfNeeded`: a packet on a link other than the node's outbound link shows
    /// a different address; adopt it and reconnect.
    pub(crate) fn update_address_if_needed(
        &mut self,
        r: NodeRef,
        link: LinkId,
        msg: &Message,
    ) -> bool {
        if self.nodes[r].link == Some(link) || r == self.myself {
            return false;
        }
        let h = &msg.header;
        let n = &self.nodes[r];
        // Every PING on an inbound link comes here: compare the address without building its
        // text when the ports already match and the ip is the same text.
        if n.port == h.port
            && n.cport == h.cport
            && n.pport == h.pport
            && self.peer_ip_is(link, msg, n.ip())
        {
            return false;
        }
        let ip = self.peer_ip(link, msg);
        let n = &mut self.nodes[r];
        n.set_ip(ip);
        n.port = h.port;
        n.pport = h.pport;
        n.cport = h.cport;
        n.clear(NodeFlags::NOADDR);
        let (name, ip, port) = (n.name, n.ip().to_owned(), n.port);
        if let Some(out) = n.link {
            self.free_link(out);
        }
        self.log(
            LogLevel::Notice,
            format!("Address updated for node {name}, now {ip}:{port}"),
        );
        true
    }
}
