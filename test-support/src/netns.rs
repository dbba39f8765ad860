//! Network namespaces joined by veth pairs to a bridge: several hosts on one machine.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Once;

use crate::aeronmd::dir_base;
use crate::*;

/// Runs `ip <args>`; the error says what failed and why.
fn ip(args: &[&str]) -> Result<String, String> {
    let output = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `ip {}`: {e} (is iproute2 installed?)", args.join(" ")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "`ip {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The process id in a name made by [`unique_name`] (after `skip`, a prefix before it).
fn pid_in_name(name: &str, skip: &str) -> Option<u32> {
    let mut parts = name.strip_prefix(skip)?.splitn(3, '-');
    if parts.next() != Some(NETNS_PREFIX) {
        return None;
    }
    parts.next()?.parse().ok()
}

fn is_dead(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes what a process of these tests left when it was killed before its guards ran:
/// namespaces, aeron directories and driver logs whose process no longer exists. Once per
/// process.
pub(crate) fn reap_stale() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(list) = ip(&["netns", "list"]) {
            for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
                if pid_in_name(name, "").is_some_and(is_dead) {
                    if let Err(e) = ip(&["netns", "del", name]) {
                        eprintln!("could not remove stale namespace {name}: {e}");
                    }
                }
            }
        }
        for (dir, skip) in [(dir_base(), "aeron-"), (std::env::temp_dir(), "")] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if pid_in_name(&name, skip).is_some_and(is_dead) {
                    let path = entry.path();
                    let _ = if path.is_dir() {
                        std::fs::remove_dir_all(&path)
                    } else {
                        std::fs::remove_file(&path)
                    };
                }
            }
        }
    });
}

/// A network namespace, deleted on drop (with the interfaces in it).
pub struct Netns {
    name: String,
}

impl Netns {
    /// `ip netns add <unique name>` with its loopback up.
    pub fn create(role: &str) -> Result<Netns, String> {
        let name = unique_name(role);
        ip(&["netns", "add", &name])?;
        let netns = Netns { name };
        netns.ip(&["link", "set", "lo", "up"])?;
        Ok(netns)
    }

    /// The namespace's name (for `ip netns exec`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `ip <args>` inside this namespace.
    pub fn ip(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Err(e) = ip(&["netns", "del", &self.name]) {
            eprintln!("cleanup: {e}");
        }
    }
}

/// Hosts on one Ethernet segment: a "switch" namespace holding bridge `br0`, and per host a
/// namespace whose `eth0` (a veth whose peer is a bridge port) has address
/// `10.<a>.<b>.<i + 1>/24`. No interface or address is added to the root namespace.
pub struct Network {
    // Dropped in this order: the hosts, then the switch. Deleting a namespace removes the
    // veth ends in it and their peers.
    hosts: Vec<Netns>,
    switch: Netns,
    subnet: [u8; 3],
}

impl Network {
    /// Builds a network of `hosts` hosts. Panics, saying why, where namespaces cannot be
    /// created (no root, no iproute2): these tests must fail, not pass silently, there.
    pub fn create(hosts: usize) -> Network {
        Self::try_create(hosts).unwrap_or_else(|e| {
            panic!("this test needs network namespaces (root and iproute2) and could not create them: {e}")
        })
    }

    fn try_create(count: usize) -> Result<Network, String> {
        assert!((1..=250).contains(&count), "1 to 250 hosts");
        reap_stale();
        let id = next_id();
        let subnet = [10, (std::process::id() % 250 + 1) as u8, (id % 250 + 1) as u8];
        let switch = Netns::create("sw")?;
        // No multicast snooping: the bridge floods multicast to every port, so the test
        // does not depend on IGMP timing.
        switch.ip(&["link", "add", "br0", "type", "bridge", "mcast_snooping", "0"])?;
        switch.ip(&["link", "set", "br0", "up"])?;
        let mut network = Network {
            hosts: Vec::with_capacity(count),
            switch,
            subnet,
        };
        for i in 0..count {
            let host = Netns::create(&format!("h{i}"))?;
            let port = format!("p{i}");
            network.switch.ip(&[
                "link",
                "add",
                &port,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                host.name(),
            ])?;
            network.switch.ip(&["link", "set", &port, "master", "br0"])?;
            network.switch.ip(&["link", "set", &port, "up"])?;
            let address = format!("{}/24", network.address(i));
            host.ip(&["addr", "add", &address, "dev", "eth0"])?;
            host.ip(&["link", "set", "eth0", "up"])?;
            // Multicast leaves through eth0 (Aeron also sets IP_MULTICAST_IF from `interface=`).
            host.ip(&["route", "add", "224.0.0.0/4", "dev", "eth0"])?;
            network.hosts.push(host);
        }
        Ok(network)
    }

    /// Number of hosts.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// True for a network of no hosts.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// The namespace of host `i`.
    pub fn host(&self, i: usize) -> &Netns {
        &self.hosts[i]
    }

    /// The address of host `i`.
    pub fn address(&self, i: usize) -> Ipv4Addr {
        Ipv4Addr::new(self.subnet[0], self.subnet[1], self.subnet[2], i as u8 + 1)
    }

    /// The hosts' subnet, `10.a.b.0/24` (for `interface=` in multicast channels).
    pub fn subnet(&self) -> String {
        format!("{}.{}.{}.0/24", self.subnet[0], self.subnet[1], self.subnet[2])
    }

    /// A multicast group for this network (the last byte is odd, as Aeron requires: the
    /// control group is the next address).
    pub fn multicast_group(&self) -> Ipv4Addr {
        Ipv4Addr::new(239, 255, self.subnet[2], 1)
    }

    /// Takes host `i`'s interface down: it can neither send nor receive.
    pub fn link_down(&self, i: usize) {
        self.hosts[i].ip(&["link", "set", "eth0", "down"]).expect("link down");
    }

    /// Brings host `i`'s interface back up (the kernel restores the subnet route).
    pub fn link_up(&self, i: usize) {
        self.hosts[i].ip(&["link", "set", "eth0", "up"]).expect("link up");
    }
}
