//! The `aeronmd` binary as users run it: a client connects to its directory and exchanges
//! messages; SIGTERM / SIGINT stop it cleanly; bad flags fail with a usable message.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusteron_media_driver::*;

const AERONMD: &str = env!("CARGO_BIN_EXE_aeronmd");
use rusteron_media_driver::testing::TIMEOUT;
/// How long a stopping driver may take to exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A running `aeronmd`, killed if the test ends before it exited; its directory is removed.
struct Aeronmd {
    child: Child,
    dir: PathBuf,
}

impl Aeronmd {
    fn start(tag: &str) -> Aeronmd {
        let dir = unique_aeron_dir(tag);
        let child = Command::new(AERONMD)
            .arg("--dir")
            .arg(&dir)
            .args(["--threading-mode", "shared", "--idle-strategy", "backoff"])
            .args(["--dir-delete-on-start", "--dir-delete-on-shutdown"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start aeronmd");
        let mut driver = Aeronmd { child, dir };
        let cnc = driver.dir.join("cnc.dat");
        let start = Instant::now();
        while !cnc.exists() {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!(
                    "aeronmd exited ({status}) before creating {}: {}",
                    cnc.display(),
                    driver.stderr()
                );
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "aeronmd did not create {} in time",
                cnc.display()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        driver
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: kill(2) with the pid of a child this test spawned and has not reaped.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(
            rc,
            0,
            "kill({pid}, {signal}) failed: {}",
            std::io::Error::last_os_error()
        );
    }

    /// Waits for the exit, then returns the status and everything written to stdout.
    fn wait_for_exit(&mut self, within: Duration) -> (ExitStatus, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(start.elapsed() < within, "aeronmd did not exit within {within:?}");
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut stdout = String::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            pipe.read_to_string(&mut stdout).expect("read stdout");
        }
        (status, stdout)
    }

    fn stderr(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Aeronmd {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn connect(dir: &Path) -> Result<Aeron, AeronCError> {
    let ctx = AeronContext::new()?;
    ctx.set_dir(&dir.to_string_lossy().into_owned().into_c_string()?)?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// Publishes `count` messages over IPC through the driver in `dir` and polls them back.
fn ipc_round_trip(dir: &Path, count: u32) -> Result<(), AeronCError> {
    let aeron = connect(dir)?;
    let publication = aeron
        .async_add_publication(c"aeron:ipc", 4001)?
        .poll_blocking(TIMEOUT)?;
    let subscription = aeron
        .async_add_subscription(
            c"aeron:ipc",
            4001,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )?
        .poll_blocking(TIMEOUT)?;
    let start = Instant::now();
    while !publication.is_connected() {
        assert!(start.elapsed() < TIMEOUT, "publication never connected");
        std::thread::sleep(Duration::from_millis(1));
    }
    let messages: Vec<Vec<u8>> = (0..count)
        .map(|i| format!("through aeronmd {i}").into_bytes())
        .collect();
    for m in &messages {
        loop {
            match publication.offer(m, Handlers::no_reserved_value_supplier_handler()) {
                Ok(position) if position > 0 => break,
                Ok(code) if (-3..=-1).contains(&code) => {}
                Err(e) if e.is_back_pressured() || e.kind() == AeronErrorType::NullOrNotConnected => {}
                Ok(code) => return Err(AeronCError::from_publication_result(code)),
                Err(e) => return Err(e),
            }
            assert!(start.elapsed() < TIMEOUT, "offer kept failing");
            std::thread::yield_now();
        }
    }
    let mut received = Vec::new();
    while received.len() < messages.len() {
        assert!(
            start.elapsed() < TIMEOUT,
            "only {} of {} messages arrived",
            received.len(),
            messages.len()
        );
        subscription.poll_once(|buffer: &[u8], _header: AeronHeader| received.push(buffer.to_vec()), 10)?;
    }
    assert_eq!(received, messages);
    Ok(())
}

/// Stops the driver with `signal` and checks it exits successfully, says so, and removes
/// its directory (`--dir-delete-on-shutdown`).
fn assert_stops_cleanly_on(mut driver: Aeronmd, signal: libc::c_int) {
    let start = Instant::now();
    driver.signal(signal);
    let (status, stdout) = driver.wait_for_exit(STOP_TIMEOUT);
    let stderr = driver.stderr();
    assert!(
        status.success(),
        "aeronmd exited with {status} on signal {signal}; stderr: {stderr}"
    );
    assert!(
        stdout.contains(&format!("media driver running in {}", driver.dir.display())),
        "stdout: {stdout:?}"
    );
    assert!(stdout.lines().any(|l| l == "aeronmd: stopped"), "stdout: {stdout:?}");
    assert!(
        !driver.dir.exists(),
        "{} is still there after shutdown",
        driver.dir.display()
    );
    eprintln!("aeronmd stopped {:?} after signal {signal}", start.elapsed());
}

#[test]
fn serves_a_client_over_ipc_and_stops_on_sigterm() -> Result<(), AeronCError> {
    let driver = Aeronmd::start("aeronmd-term");
    ipc_round_trip(&driver.dir, 200)?;
    assert_stops_cleanly_on(driver, libc::SIGTERM);
    Ok(())
}

#[test]
fn serves_a_client_over_ipc_and_stops_on_sigint() -> Result<(), AeronCError> {
    let driver = Aeronmd::start("aeronmd-int");
    ipc_round_trip(&driver.dir, 20)?;
    assert_stops_cleanly_on(driver, libc::SIGINT);
    Ok(())
}

fn run_to_completion(args: &[&str]) -> Output {
    let mut child = Command::new(AERONMD)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start aeronmd");
    let start = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if start.elapsed() > STOP_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("aeronmd {args:?} did not exit within {STOP_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("collect output")
}

#[test]
fn unknown_flag_fails_with_usage_on_stderr() {
    let output = run_to_completion(&["--no-such-flag"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "exit status {}", output.status);
    assert!(stderr.contains("--no-such-flag"), "stderr: {stderr}");
    assert!(stderr.contains("usage: aeronmd"), "stderr: {stderr}");
    assert!(
        stderr.contains("--threading-mode"),
        "usage lists the flags; stderr: {stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn invalid_threading_mode_names_the_flag() {
    let output = run_to_completion(&["--threading-mode", "bogus"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "exit status {}", output.status);
    assert!(stderr.contains("--threading-mode"), "stderr: {stderr}");
    assert!(stderr.contains("bogus"), "stderr: {stderr}");
}

#[test]
fn flag_without_its_value_fails() {
    let output = run_to_completion(&["--dir"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "exit status {}", output.status);
    assert!(stderr.contains("--dir needs a value"), "stderr: {stderr}");
}

#[test]
fn help_prints_usage_and_succeeds() {
    let output = run_to_completion(&["--help"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "exit status {}", output.status);
    assert!(stdout.starts_with("usage: aeronmd"), "stdout: {stdout}");
}

#[test]
fn malformed_or_overflowing_timeouts_are_rejected() {
    let output = run_to_completion(&["--client-liveness-timeout-ms", "soon"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "exit status {}", output.status);
    assert!(
        stderr.contains("--client-liveness-timeout-ms: invalid value \"soon\""),
        "stderr: {stderr}"
    );

    let output = run_to_completion(&["--publication-linger-timeout-ms", &u64::MAX.to_string()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "exit status {}", output.status);
    assert!(stderr.contains("--publication-linger-timeout-ms"), "stderr: {stderr}");
    assert!(stderr.contains("too long"), "stderr: {stderr}");
}

#[test]
fn client_detects_a_killed_driver_within_its_driver_timeout() -> Result<(), AeronCError> {
    let mut driver = Aeronmd::start("aeronmd-kill");
    let ctx = AeronContext::new()?;
    ctx.set_dir(&driver.dir.to_string_lossy().into_owned().into_c_string()?)?;
    let driver_timeout = Duration::from_millis(1000);
    ctx.set_driver_timeout_ms(driver_timeout.as_millis() as u64)?;
    // Called on the client conductor thread.
    let errors: Arc<Mutex<Vec<(i32, String)>>> = Arc::default();
    let seen = Arc::clone(&errors);
    let handler = Handlers::leak(move |code: std::os::raw::c_int, message: &str| {
        seen.lock().expect("lock").push((code, message.to_owned()));
    });
    ctx.set_error_handler(Some(&handler))?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    let publication = aeron
        .async_add_publication(c"aeron:ipc", 4002)?
        .poll_blocking(TIMEOUT)?;

    // No clean shutdown: the driver stops heart-beating and its files stay behind.
    driver.signal(libc::SIGKILL);
    let (status, _) = driver.wait_for_exit(STOP_TIMEOUT);
    assert!(!status.success(), "SIGKILL must not look like a clean exit: {status}");
    let killed = Instant::now();
    // Liveness is checked every keepalive interval (500 ms by default); the driver is
    // declared dead once its heartbeat is older than the driver timeout.
    let bound = driver_timeout + Duration::from_millis(500) + Duration::from_secs(2);
    let (code, message) = loop {
        if let Some(first) = errors.lock().expect("lock").first().cloned() {
            break first;
        }
        assert!(
            killed.elapsed() < bound,
            "no error {bound:?} after the driver was killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let detected = killed.elapsed();
    assert_eq!(
        code as u32,
        bindings::AERON_CLIENT_ERROR_DRIVER_TIMEOUT,
        "message: {message}"
    );
    assert_eq!(
        AeronErrorType::from_code(-code),
        AeronErrorType::ClientErrorDriverTimeout
    );
    assert!(message.contains("MediaDriver keepalive"), "message: {message}");

    let error = aeron
        .async_add_subscription(
            c"aeron:ipc",
            4002,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )
        .and_then(|pending| pending.poll_blocking(TIMEOUT))
        .expect_err("adding a subscription without a driver must fail");
    assert_eq!(error.kind(), AeronErrorType::ClientErrorIllegalState, "{error}");
    let outcome = match publication.offer(b"after", Handlers::no_reserved_value_supplier_handler()) {
        Ok(code) => AeronCError::from_publication_result(code).kind(),
        Err(e) => e.kind(),
    };
    assert_eq!(outcome, AeronErrorType::PublicationClosed);
    eprintln!("killed driver detected after {detected:?}: {message}");
    Ok(())
}
