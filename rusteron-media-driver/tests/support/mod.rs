//! Shared by the `multi_host`, `loss` and `driver_death` tests: several hosts on one machine
//! (network namespaces joined by veth pairs to a bridge), one `aeronmd` process per host, a
//! read-only view of a driver's CnC file (counters, loss report), the message pattern every
//! test verifies byte for byte, and bounded offer / poll loops.
//!
//! The test process stays in the root namespace and talks to each driver through the shared
//! memory of its aeron directory; only the drivers send UDP, inside the namespaces, to
//! addresses that exist only there.
//!
//! Everything a test creates is owned by a guard whose `Drop` removes it (processes killed,
//! namespaces deleted, directories removed), also when the test fails or panics. Names carry
//! the process id and a counter, so test binaries can run side by side. Namespaces left by a
//! process that was killed before its guards ran are removed by the next run, and every
//! `aeronmd` is started with `PR_SET_PDEATHSIG`, so it dies with the test thread that
//! started it.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::ffi::{c_char, c_void, CString};
use std::fs::File;
use std::net::Ipv4Addr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use rusteron_media_driver::*;

/// The `aeronmd` binary of this package.
pub const AERONMD: &str = env!("CARGO_BIN_EXE_aeronmd");
/// Bound on one client operation (adding a publication, connecting...).
pub const OP_TIMEOUT: Duration = Duration::from_secs(10);
/// Prefix of every namespace these tests create (`<prefix>-<pid>-<n>-<role>`).
const NETNS_PREFIX: &str = "rsnt";

static NEXT_ID: AtomicU32 = AtomicU32::new(0);

fn next_id() -> u32 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A name no other test in this or another process uses: `<prefix>-<pid>-<n>-<role>`.
pub fn unique_name(role: &str) -> String {
    format!("{NETNS_PREFIX}-{}-{}-{role}", std::process::id(), next_id())
}

/// Polls `condition` every millisecond until it holds; panics naming `what` after `within`.
/// Returns how long it took.
pub fn wait_until(what: &str, within: Duration, mut condition: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < within,
            "timed out after {within:?} waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    start.elapsed()
}

// ---------------------------------------------------------------------------------------
// Network namespaces
// ---------------------------------------------------------------------------------------

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
fn reap_stale() {
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

// ---------------------------------------------------------------------------------------
// aeronmd processes
// ---------------------------------------------------------------------------------------

/// A unique aeron directory (under /dev/shm when it exists).
pub fn unique_dir(role: &str) -> PathBuf {
    dir_base().join(format!("aeron-{}", unique_name(role)))
}

fn dir_base() -> PathBuf {
    if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    }
}

/// A running `aeronmd` (optionally inside a namespace). Dropping it kills the process (if it
/// still runs) and removes its directory and log; if the test is panicking the log is
/// printed first.
pub struct Aeronmd {
    child: Child,
    dir: PathBuf,
    log: PathBuf,
    label: String,
}

impl Aeronmd {
    /// Starts `aeronmd` in a fresh directory inside `netns` (or the root namespace), with
    /// `env` added to an environment cleared of `AERON_*` variables, and waits until its CnC
    /// file is ready.
    pub fn spawn(label: &str, netns: Option<&Netns>, env: &[(&str, &str)]) -> Aeronmd {
        Self::spawn_in(&unique_dir(label), label, netns, env)
    }

    /// Like [`spawn`](Self::spawn) in `dir`, which may hold a dead driver's files
    /// (`--dir-delete-on-start` replaces them).
    pub fn spawn_in(dir: &Path, label: &str, netns: Option<&Netns>, env: &[(&str, &str)]) -> Aeronmd {
        reap_stale();
        let log = std::env::temp_dir().join(format!("{}.log", unique_name(label)));
        let log_file = File::create(&log).expect("create the aeronmd log file");
        let mut command = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns.name(), AERONMD]);
                c
            }
            None => Command::new(AERONMD),
        };
        command
            .arg("--dir")
            .arg(dir)
            .args(["--threading-mode", "shared", "--idle-strategy", "backoff"])
            .args(["--dir-delete-on-start", "--dir-delete-on-shutdown"])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone log file"))
            .stderr(log_file);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AERON_") {
                command.env_remove(key);
            }
        }
        for (key, value) in env {
            command.env(key, value);
        }
        // SAFETY: the closure runs in the forked child before exec and only calls prctl(2),
        // which is async-signal-safe and allocates nothing. `ip netns exec` execs aeronmd in
        // the same process, and the death signal survives exec.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("start aeronmd");
        let mut driver = Aeronmd {
            child,
            dir: dir.to_path_buf(),
            log,
            label: label.to_owned(),
        };
        driver.wait_until_ready();
        driver
    }

    /// Waits until the CnC file in the directory was written by this process (not a dead
    /// driver that used the directory before).
    fn wait_until_ready(&mut self) {
        let start = Instant::now();
        let pid = i64::from(self.child.id());
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "aeronmd {} exited ({status}) while starting: {}",
                    self.label,
                    self.log_text()
                );
            }
            if let Ok(cnc) = Cnc::open(&self.dir, Duration::ZERO) {
                if cnc.pid() == pid {
                    return;
                }
            }
            assert!(
                start.elapsed() < OP_TIMEOUT,
                "aeronmd {} did not get ready in {}: {}",
                self.label,
                self.dir.display(),
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The aeron directory clients connect to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the driver printed so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Panics if the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "aeronmd {} exited unexpectedly ({status}): {}",
                self.label,
                self.log_text()
            );
        }
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: kill(2) on our own child, which has not been reaped yet (`wait` needs
        // `&mut self`, and every caller checks `try_wait` first or owns the child).
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal}): {}", std::io::Error::last_os_error());
    }

    fn wait_for_exit(&mut self, within: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                start.elapsed() < within,
                "aeronmd {} did not exit within {within:?}",
                self.label
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// `kill -9`: no shutdown, the files stay in the directory. Returns the exit status.
    pub fn kill_hard(&mut self) -> ExitStatus {
        self.signal(libc::SIGKILL);
        self.wait_for_exit(Duration::from_secs(5))
    }
}

impl Drop for Aeronmd {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- aeronmd {} log ---\n{}", self.label, self.log_text());
        }
        let _ = std::fs::remove_file(&self.log);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The drivers of a test and the network they run on. Fields drop in declaration order:
/// the processes are killed before their namespaces are deleted.
pub struct Lab {
    /// One driver per host, in host order.
    pub drivers: Vec<Aeronmd>,
    /// The hosts.
    pub network: Network,
}

impl Lab {
    /// `hosts` hosts, each running an `aeronmd` with `env(host index)` added to its
    /// environment.
    pub fn start(hosts: usize, env: impl Fn(usize) -> Vec<(&'static str, String)>) -> Lab {
        let network = Network::create(hosts);
        let mut drivers = Vec::with_capacity(hosts);
        for i in 0..hosts {
            let vars = env(i);
            let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
            drivers.push(Aeronmd::spawn(&format!("h{i}"), Some(network.host(i)), &vars));
        }
        Lab { drivers, network }
    }

    /// A client of host `i`'s driver.
    pub fn connect(&self, i: usize) -> Aeron {
        connect(self.drivers[i].dir()).unwrap_or_else(|e| panic!("connect to the driver of host {i}: {e}"))
    }

    /// Panics if any driver died.
    pub fn assert_drivers_running(&mut self) {
        for d in &mut self.drivers {
            d.assert_running();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------

/// A started client of the driver in `dir`.
pub fn connect(dir: &Path) -> Result<Aeron, AeronCError> {
    let ctx = AeronContext::new()?;
    ctx.set_dir(&dir.to_string_lossy().into_owned().into_c_string()?)?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

fn c_string(s: &str) -> CString {
    CString::new(s).expect("channel has no NUL")
}

/// Adds a publication and waits for the driver.
pub fn publication(aeron: &Aeron, channel: &str, stream_id: i32) -> AeronPublication {
    aeron
        .async_add_publication(&c_string(channel), stream_id)
        .and_then(|p| p.poll_blocking(OP_TIMEOUT))
        .unwrap_or_else(|e| panic!("add publication {channel}: {e}"))
}

/// An image becoming available or unavailable on a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEvent {
    /// True when the image became available, false when it went away.
    pub available: bool,
    /// The publisher's session.
    pub session_id: i32,
    /// Where the image's data comes from (`address:port` for UDP).
    pub source: String,
}

/// The image events of one subscription, appended on the client conductor thread.
pub type ImageLog = Arc<Mutex<Vec<ImageEvent>>>;

fn image_event(available: bool, image: &AeronImage) -> ImageEvent {
    match image.constants() {
        Ok(c) => ImageEvent {
            available,
            session_id: c.session_id(),
            source: c.source_identity().to_owned(),
        },
        Err(e) => ImageEvent {
            available,
            session_id: 0,
            source: format!("constants unavailable: {e}"),
        },
    }
}

/// Adds a subscription whose image handlers record into the returned log, and waits for
/// the driver.
pub fn subscription(aeron: &Aeron, channel: &str, stream_id: i32) -> (AeronSubscription, ImageLog) {
    let log: ImageLog = Arc::default();
    let on_available = Arc::clone(&log);
    let on_unavailable = Arc::clone(&log);
    let available = Handlers::leak(move |_subscription: AeronSubscription, image: AeronImage| {
        on_available.lock().expect("image log").push(image_event(true, &image));
    });
    let unavailable = Handlers::leak(move |_subscription: AeronSubscription, image: AeronImage| {
        on_unavailable
            .lock()
            .expect("image log")
            .push(image_event(false, &image));
    });
    let subscription = aeron
        .async_add_subscription(&c_string(channel), stream_id, Some(&available), Some(&unavailable))
        .and_then(|s| s.poll_blocking(OP_TIMEOUT))
        .unwrap_or_else(|e| panic!("add subscription {channel}: {e}"));
    (subscription, log)
}

/// Number of images (connected publishers) of a subscription; 0 once it is closed.
pub fn images(subscription: &AeronSubscription) -> i32 {
    subscription.image_count().unwrap_or(0)
}

/// What an offer said: the new position, or the refusal's kind. Works whether the wrapper
/// reports a refusal as a negative `Ok` (the generated form) or as an `Err`.
pub fn offer_outcome(result: Result<i64, AeronCError>) -> Result<i64, AeronErrorType> {
    match result {
        Ok(position) if position > 0 => Ok(position),
        Ok(code) => Err(AeronCError::from_publication_result(code).kind()),
        Err(e) => Err(e.kind()),
    }
}

/// Offers `message` until it is accepted. On back pressure or an admin action calls `idle`
/// (to let receivers in this process poll) and retries until `deadline`, then gives
/// [`AeronErrorType::TimedOut`]. Any other refusal (not connected, closed...) returns at once.
pub fn offer_retrying(
    publication: &AeronPublication,
    message: &[u8],
    deadline: Instant,
    mut idle: impl FnMut(),
) -> Result<i64, AeronErrorType> {
    loop {
        match offer_outcome(publication.offer(message, Handlers::no_reserved_value_supplier_handler())) {
            Ok(position) => return Ok(position),
            Err(kind) if kind.is_back_pressure() => {
                if Instant::now() >= deadline {
                    return Err(AeronErrorType::TimedOut);
                }
                idle();
            }
            Err(kind) => return Err(kind),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Messages: sequence number + a payload pattern derived from it
// ---------------------------------------------------------------------------------------

/// Length of message `seq`: 8 to 264 bytes (a single frame at the default MTU, so every
/// fragment is a whole message), varying so frames are not all alike.
pub fn message_len(seq: u64) -> usize {
    8 + (seq.wrapping_mul(37) % 257) as usize
}

fn pattern_byte(seq: u64, index: usize) -> u8 {
    (seq as u8).wrapping_mul(31) ^ (index as u8).wrapping_mul(7) ^ ((seq >> 8) as u8)
}

/// Message `seq`: its sequence number (little endian) then the pattern.
pub fn message(seq: u64) -> Vec<u8> {
    let len = message_len(seq);
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&seq.to_le_bytes());
    m.extend((8..len).map(|i| pattern_byte(seq, i)));
    m
}

/// Checks what one subscriber receives: every message whole and in sequence. The first
/// error is kept (never panics inside a poll callback).
#[derive(Debug, Clone)]
pub struct Verifier {
    /// The next sequence number expected.
    pub next: u64,
    /// Messages accepted.
    pub received: u64,
    /// Payload bytes accepted.
    pub bytes: u64,
    /// Messages skipped where a gap was allowed (see [`allow_gap_once`](Self::allow_gap_once)).
    pub skipped: u64,
    gap_allowed: bool,
    error: Option<String>,
}

impl Verifier {
    /// Expects `first`, `first + 1`, ...
    pub fn starting_at(first: u64) -> Verifier {
        Verifier {
            next: first,
            received: 0,
            bytes: 0,
            skipped: 0,
            gap_allowed: false,
            error: None,
        }
    }

    /// The next message may skip ahead (a new image joins where its publisher is), once;
    /// from then on the sequence must be contiguous again.
    pub fn allow_gap_once(&mut self) {
        self.gap_allowed = true;
    }

    /// Checks one fragment.
    pub fn on_fragment(&mut self, buffer: &[u8]) {
        if self.error.is_some() {
            return;
        }
        if buffer.len() < 8 {
            self.error = Some(format!(
                "fragment of {} bytes after {} messages",
                buffer.len(),
                self.received
            ));
            return;
        }
        let seq = u64::from_le_bytes(buffer[..8].try_into().expect("8 bytes"));
        if seq != self.next {
            if self.gap_allowed && seq > self.next {
                self.skipped += seq - self.next;
                self.next = seq;
            } else {
                let kind = if seq < self.next {
                    "duplicate or reordered"
                } else {
                    "lost"
                };
                self.error = Some(format!("expected message {} but got {seq} ({kind})", self.next));
                return;
            }
        }
        self.gap_allowed = false;
        let expected = message(seq);
        if buffer != expected.as_slice() {
            let at = buffer.iter().zip(&expected).position(|(a, b)| a != b);
            self.error = Some(format!(
                "message {seq} corrupted: {} bytes (expected {}), first difference at {at:?}",
                buffer.len(),
                expected.len()
            ));
            return;
        }
        self.next += 1;
        self.received += 1;
        self.bytes += buffer.len() as u64;
    }

    /// Panics with the first error, if any.
    pub fn assert_ok(&self, who: &str) {
        if let Some(e) = &self.error {
            panic!("{who}: {e}");
        }
    }

    /// True once an error was seen.
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }
}

/// A subscription and what it received.
pub struct Receiver {
    /// Used in messages.
    pub name: String,
    /// The subscription polled.
    pub subscription: AeronSubscription,
    /// Its image events.
    pub images: ImageLog,
    /// The check of everything polled.
    pub verifier: Verifier,
}

impl Receiver {
    /// Subscribes to `channel` through `aeron`, expecting messages `first`, `first + 1`, ...
    pub fn subscribe(name: &str, aeron: &Aeron, channel: &str, stream_id: i32, first: u64) -> Receiver {
        let (subscription, images) = subscription(aeron, channel, stream_id);
        Receiver {
            name: name.to_owned(),
            subscription,
            images,
            verifier: Verifier::starting_at(first),
        }
    }

    /// The image events so far.
    pub fn image_events(&self) -> Vec<ImageEvent> {
        self.images.lock().expect("image log").clone()
    }

    /// One poll of up to 256 fragments; the number read.
    pub fn poll(&mut self) -> i32 {
        let verifier = &mut self.verifier;
        self.subscription
            .poll_once(|buffer: &[u8], _header: AeronHeader| verifier.on_fragment(buffer), 256)
            .unwrap_or_else(|e| panic!("{}: poll failed: {e}", self.name))
    }
}

/// Polls every receiver once; the fragments read.
pub fn poll_all(receivers: &mut [Receiver]) -> i32 {
    receivers.iter_mut().map(Receiver::poll).sum()
}

/// What a transfer did.
#[derive(Debug, Clone, Copy)]
pub struct Transfer {
    /// Messages published.
    pub messages: u64,
    /// Offers refused with back pressure (each retried).
    pub back_pressured: u64,
    /// From the first offer until every receiver had every message.
    pub elapsed: Duration,
}

/// Publishes messages `first..first + count` on `publication` and polls `receivers` until
/// each has received them all, verified; panics on any error or after `within`.
pub fn send_and_verify(
    publication: &AeronPublication,
    receivers: &mut [Receiver],
    first: u64,
    count: u64,
    within: Duration,
) -> Transfer {
    let start = Instant::now();
    let deadline = start + within;
    let mut back_pressured = 0;
    for seq in first..first + count {
        let m = message(seq);
        let result = offer_retrying(publication, &m, deadline, || {
            back_pressured += 1;
            if poll_all(receivers) == 0 {
                std::thread::yield_now();
            }
        });
        if let Err(kind) = result {
            let progress: Vec<String> = receivers
                .iter()
                .map(|r| format!("{}: {}", r.name, r.verifier.next))
                .collect();
            panic!("offer of message {seq} failed: {kind:?} (receivers at {progress:?})");
        }
        if seq % 64 == 0 {
            poll_all(receivers);
        }
        for r in receivers.iter() {
            r.verifier.assert_ok(&r.name);
        }
    }
    let end = first + count;
    while receivers.iter().any(|r| r.verifier.next < end) {
        if poll_all(receivers) == 0 {
            std::thread::sleep(Duration::from_micros(100));
        }
        for r in receivers.iter() {
            r.verifier.assert_ok(&r.name);
        }
        if Instant::now() >= deadline {
            let progress: Vec<String> = receivers
                .iter()
                .map(|r| format!("{} at {}", r.name, r.verifier.next))
                .collect();
            panic!("not every message {first}..{end} arrived within {within:?}: {progress:?}");
        }
    }
    for r in receivers.iter() {
        assert_eq!(r.verifier.next, end, "{} received past the end", r.name);
    }
    Transfer {
        messages: count,
        back_pressured,
        elapsed: start.elapsed(),
    }
}

/// Polls `receivers` for `period` and panics if anything more arrives (a duplicate, or a
/// message nobody sent).
pub fn assert_quiet(receivers: &mut [Receiver], period: Duration) {
    let start = Instant::now();
    while start.elapsed() < period {
        let read = poll_all(receivers);
        for r in receivers.iter() {
            r.verifier.assert_ok(&r.name);
        }
        assert_eq!(read, 0, "fragments arrived after the last message");
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ---------------------------------------------------------------------------------------
// A driver's CnC file, read-only (raw C API: independent of the wrappers under test)
// ---------------------------------------------------------------------------------------

/// One loss report entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// Gaps observed.
    pub observation_count: i64,
    /// Bytes lost over all gaps.
    pub total_bytes_lost: i64,
    /// Session of the image.
    pub session_id: i32,
    /// Stream of the image.
    pub stream_id: i32,
    /// Channel of the image.
    pub channel: String,
    /// Source address of the image.
    pub source: String,
}

/// A mapped CnC file, closed on drop.
pub struct Cnc {
    ptr: *mut rusteron_sys::aeron_cnc_t,
}

impl Cnc {
    /// Maps the CnC file in `dir`, waiting up to `timeout` for it to be ready.
    pub fn open(dir: &Path, timeout: Duration) -> Result<Cnc, String> {
        let path = c_string(&dir.to_string_lossy());
        let mut ptr = std::ptr::null_mut();
        // SAFETY: `ptr` is a valid out-pointer and `path` a NUL-terminated string, both
        // live during the call.
        let rc = unsafe { rusteron_sys::aeron_cnc_init(&mut ptr, path.as_ptr(), timeout.as_millis() as i64) };
        if rc < 0 || ptr.is_null() {
            return Err(format!(
                "aeron_cnc_init({}) failed: {}",
                dir.display(),
                AeronCError::from_last_error()
            ));
        }
        Ok(Cnc { ptr })
    }

    /// The process id that wrote the CnC file.
    pub fn pid(&self) -> i64 {
        let mut constants = rusteron_sys::aeron_cnc_constants_t::default();
        // SAFETY: `self.ptr` is an open cnc and `constants` a valid out-pointer.
        let rc = unsafe { rusteron_sys::aeron_cnc_constants(self.ptr, &mut constants) };
        assert_eq!(rc, 0, "aeron_cnc_constants");
        constants.pid
    }

    /// Every allocated counter as (label, value).
    pub fn counters(&self) -> Vec<(String, i64)> {
        unsafe extern "C" fn each(
            value: i64,
            _id: i32,
            _type_id: i32,
            _key: *const u8,
            _key_length: usize,
            label: *const c_char,
            label_length: usize,
            clientd: *mut c_void,
        ) {
            // SAFETY: clientd is the Vec passed below, alive and exclusively ours during the
            // iteration; label points to label_length bytes (not NUL-terminated).
            unsafe {
                let out = &mut *(clientd as *mut Vec<(String, i64)>);
                let bytes = std::slice::from_raw_parts(label as *const u8, label_length);
                out.push((String::from_utf8_lossy(bytes).into_owned(), value));
            }
        }
        let mut out: Vec<(String, i64)> = Vec::new();
        // SAFETY: the reader belongs to the open cnc; the callback matches the C type and
        // only touches `out` through clientd during this call.
        unsafe {
            let reader = rusteron_sys::aeron_cnc_counters_reader(self.ptr);
            rusteron_sys::aeron_counters_reader_foreach_counter(
                reader,
                Some(each),
                &mut out as *mut Vec<(String, i64)> as *mut c_void,
            );
        }
        out
    }

    /// The value of the first counter labelled `label` (e.g. the system counter "NAKs sent").
    pub fn counter(&self, label: &str) -> i64 {
        self.counters()
            .into_iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no counter labelled {label:?}"))
    }

    /// The driver's loss report.
    pub fn loss_report(&self) -> Vec<Loss> {
        #[allow(clippy::too_many_arguments)]
        unsafe extern "C" fn each(
            clientd: *mut c_void,
            observation_count: i64,
            total_bytes_lost: i64,
            _first_observation_timestamp: i64,
            _last_observation_timestamp: i64,
            session_id: i32,
            stream_id: i32,
            channel: *const c_char,
            channel_length: i32,
            source: *const c_char,
            source_length: i32,
        ) {
            // SAFETY: clientd is the Vec passed below, alive and exclusively ours during the
            // read; channel and source point to the given number of bytes.
            unsafe {
                let out = &mut *(clientd as *mut Vec<Loss>);
                let text = |p: *const c_char, n: i32| {
                    let bytes = std::slice::from_raw_parts(p as *const u8, usize::try_from(n).unwrap_or(0));
                    String::from_utf8_lossy(bytes).into_owned()
                };
                out.push(Loss {
                    observation_count,
                    total_bytes_lost,
                    session_id,
                    stream_id,
                    channel: text(channel, channel_length),
                    source: text(source, source_length),
                });
            }
        }
        let mut out: Vec<Loss> = Vec::new();
        // SAFETY: `self.ptr` is an open cnc; the callback matches the C type and only
        // touches `out` through clientd during this call.
        let rc = unsafe {
            rusteron_sys::aeron_cnc_loss_reporter_read(self.ptr, Some(each), &mut out as *mut Vec<Loss> as *mut c_void)
        };
        assert!(
            rc >= 0,
            "aeron_cnc_loss_reporter_read: {}",
            AeronCError::from_last_error()
        );
        out
    }
}

impl Drop for Cnc {
    fn drop(&mut self) {
        // SAFETY: `self.ptr` came from aeron_cnc_init and is closed exactly once.
        unsafe { rusteron_sys::aeron_cnc_close(self.ptr) };
    }
}
