//! `aeronmd` processes, one per host, and the lab of a multi-host test.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rusteron_client::*;

use crate::netns::reap_stale;
use crate::*;

/// A unique aeron directory (under /dev/shm when it exists).
pub fn unique_dir(role: &str) -> PathBuf {
    dir_base().join(format!("aeron-{}", unique_name(role)))
}

/// The `aeronmd` binary the drivers run: `RUSTERON_AERONMD` if set, else the one cargo built
/// next to the running test (`target/<profile>/aeronmd`; a test of rusteron-media-driver
/// always has it). Panics with the command that builds it when it is missing.
pub fn aeronmd_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("RUSTERON_AERONMD") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the path of the running test");
    // Tests run from target/<profile>/deps/<name>-<hash>; binaries sit in target/<profile>.
    let candidates = exe.ancestors().skip(1).take(2).map(|dir| dir.join("aeronmd"));
    for candidate in candidates {
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "no aeronmd binary next to {}: build it with `cargo build -p rusteron-media-driver --bin aeronmd` \
         (same profile) or set RUSTERON_AERONMD",
        exe.display()
    )
}

pub(crate) fn dir_base() -> PathBuf {
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
                c.args(["netns", "exec", ns.name()]).arg(aeronmd_binary());
                c
            }
            None => Command::new(aeronmd_binary()),
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
