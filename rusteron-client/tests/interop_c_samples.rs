//! Wire compatibility with a peer this project did not write: Aeron's own C samples
//! `basic_subscriber` and `basic_publisher`, compiled from the Aeron tree rusteron-sys built
//! and linked against the same client library, talking to Rust over UDP loopback through
//! one embedded media driver.

use std::io::{BufRead, BufReader, Read};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::{launch_for_tests, EmbeddedDriver};

/// Bound on every wait in these tests.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The Aeron tree rusteron-sys compiled (empty in `precompile` mode).
const AERON_SOURCE: &str = env!("RUSTERON_AERON_SOURCE");
/// Where rusteron-sys put `libaeron_static.a` / `libaeron.so`.
const AERON_LIB_DIR: &str = env!("RUSTERON_AERON_LIB_DIR");

/// The two compiled samples.
struct Samples {
    publisher: PathBuf,
    subscriber: PathBuf,
}

/// Compiles the samples once per test binary; every test gets the same result (or reason).
fn samples() -> &'static Samples {
    static SAMPLES: OnceLock<Result<Samples, String>> = OnceLock::new();
    match SAMPLES.get_or_init(build_samples) {
        Ok(samples) => samples,
        Err(reason) => panic!("cannot build Aeron's C samples: {reason}"),
    }
}

fn build_samples() -> Result<Samples, String> {
    if AERON_SOURCE.is_empty() {
        return Err(
            "RUSTERON_AERON_SOURCE is empty: this build links prebuilt Aeron libraries \
                    (`precompile`) and has no Aeron tree to compile the samples from"
                .into(),
        );
    }
    let tree = Path::new(AERON_SOURCE);
    let samples_dir = tree.join("aeron-samples/src/main/c");
    let client_dir = tree.join("aeron-client/src/main/c");
    for dir in [&samples_dir, &client_dir] {
        if !dir.is_dir() {
            return Err(format!("{} is not a directory", dir.display()));
        }
    }
    let lib_dir = Path::new(AERON_LIB_DIR);
    let static_lib = lib_dir.join("libaeron_static.a");
    let shared_lib = lib_dir.join("libaeron.so");
    // Link what the Rust side links: shared in `dynamic` mode, static otherwise.
    let link: Vec<String> = if (cfg!(feature = "dynamic") || !static_lib.is_file()) && shared_lib.is_file() {
        vec![format!("-L{}", lib_dir.display()), "-laeron".into()]
    } else if static_lib.is_file() {
        ["-laeron_static", "-lpthread", "-lm", "-ldl"]
            .iter()
            .map(|s| s.to_string())
            .chain(std::iter::once(format!("-L{}", lib_dir.display())))
            .collect()
    } else {
        return Err(format!(
            "neither {} nor {} exists",
            static_lib.display(),
            shared_lib.display()
        ));
    };

    let out = samples_dir_for_this_run()?;
    // The samples print with printf; line-buffer stdout so the test can read a running
    // subscriber's output through a pipe (the samples themselves are compiled unchanged).
    let line_buffered = out.join("line_buffered_stdout.c");
    std::fs::write(
        &line_buffered,
        "#include <stdio.h>\n\
         __attribute__((constructor)) static void rusteron_line_buffered_stdout(void)\n\
         { setvbuf(stdout, NULL, _IOLBF, 0); }\n",
    )
    .map_err(|e| format!("write {}: {e}", line_buffered.display()))?;

    let compile = |name: &str| -> Result<PathBuf, String> {
        let exe = out.join(name);
        let mut cmd = Command::new("cc");
        cmd.args(["-std=c11", "-O2", "-D_DEFAULT_SOURCE", "-D_FILE_OFFSET_BITS=64", "-w"])
            .arg(format!("-I{}", client_dir.display()))
            .arg(format!("-I{}", samples_dir.display()))
            .arg(samples_dir.join(format!("{name}.c")))
            .arg(samples_dir.join("sample_util.c"))
            .arg(&line_buffered)
            .arg("-o")
            .arg(&exe);
        // Libraries after the objects that use them; -L may go anywhere.
        cmd.args(link.iter().filter(|a| a.starts_with("-L")));
        cmd.args(link.iter().filter(|a| !a.starts_with("-L")));
        let output = cmd
            .output()
            .map_err(|e| format!("cannot run the C compiler `cc`: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "`{cmd:?}` failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(exe)
    };
    Ok(Samples {
        publisher: compile("basic_publisher")?,
        subscriber: compile("basic_subscriber")?,
    })
}

/// A directory for this test process's executables under cargo's per-target temporary
/// directory, after removing those of earlier runs that are no longer running.
fn samples_dir_for_this_run() -> Result<PathBuf, String> {
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-c-samples");
    if Path::new("/proc/self").exists() {
        for entry in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.parse::<u32>().is_ok() && !Path::new("/proc").join(&name).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let out = parent.join(std::process::id().to_string());
    std::fs::create_dir_all(&out).map_err(|e| format!("create {}: {e}", out.display()))?;
    Ok(out)
}

/// A child process that is killed (and reaped) if the test ends before it exited.
struct ChildGuard {
    child: Child,
    name: &'static str,
}

impl ChildGuard {
    fn spawn(name: &'static str, cmd: &mut Command) -> ChildGuard {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        ChildGuard { child, name }
    }

    /// Stdout, line by line, on a channel (read by a thread so a full pipe never blocks
    /// the child).
    fn stdout_lines(&mut self) -> Receiver<String> {
        let stdout = self.child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    }

    /// Whatever the child wrote to stderr (call once it exited).
    fn stderr(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .try_wait()
            .unwrap_or_else(|e| panic!("waiting for {}: {e}", self.name))
    }

    fn wait_until(&mut self, deadline: Instant) -> ExitStatus {
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(Instant::now() < deadline, "{} did not exit in time", self.name);
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -INT {} ({}) failed", self.child.id(), self.name);
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A UDP loopback channel on a port nothing was bound to a moment ago.
fn free_udp_channel() -> String {
    let port = UdpSocket::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    format!("aeron:udp?endpoint=localhost:{port}")
}

fn client(driver: &EmbeddedDriver) -> Result<Aeron, AeronCError> {
    let ctx = AeronContext::new()?;
    ctx.set_dir(&driver.dir_c_string())?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// Offers until the message is in the log, retrying while not connected / back pressured.
/// Works whether `offer` reports those as negative positions or as errors.
fn offer_retrying(publication: &AeronPublication, message: &[u8], deadline: Instant) -> Result<i64, AeronCError> {
    loop {
        let retry_reason = match publication.offer(message, Handlers::no_reserved_value_supplier_handler()) {
            Ok(position) if position > 0 => return Ok(position),
            Ok(code) => match AeronCError::from_publication_result(code).kind() {
                kind @ (AeronErrorType::NullOrNotConnected
                | AeronErrorType::PublicationBackPressured
                | AeronErrorType::PublicationAdminAction) => format!("{kind:?}"),
                _ => return Err(AeronCError::from_publication_result(code)),
            },
            Err(e)
                if matches!(
                    e.kind(),
                    AeronErrorType::NullOrNotConnected
                        | AeronErrorType::PublicationBackPressured
                        | AeronErrorType::PublicationAdminAction
                ) =>
            {
                format!("{:?}", e.kind())
            }
            Err(e) => return Err(e),
        };
        assert!(Instant::now() < deadline, "offer kept failing: {retry_reason}");
        std::thread::yield_now();
    }
}

#[test]
fn c_basic_subscriber_receives_messages_published_from_rust() -> Result<(), AeronCError> {
    let samples = samples();
    let driver = launch_for_tests()?;
    let channel = free_udp_channel();
    let stream_id = 2001;
    let deadline = Instant::now() + TIMEOUT;

    let mut subscriber = ChildGuard::spawn(
        "basic_subscriber",
        Command::new(&samples.subscriber)
            .arg("-c")
            .arg(&channel)
            .arg("-s")
            .arg(stream_id.to_string())
            .arg("-p")
            .arg(driver.dir()),
    );
    let lines = subscriber.stdout_lines();

    let aeron = client(&driver)?;
    let channel_c = channel.as_str().into_c_string()?;
    let publication = aeron
        .async_add_publication(&channel_c, stream_id)?
        .poll_blocking(TIMEOUT)?;
    while !publication.is_connected() {
        if let Some(status) = subscriber.exited() {
            panic!("basic_subscriber exited early ({status}): {}", subscriber.stderr());
        }
        assert!(
            Instant::now() < deadline,
            "the C subscriber never connected to {channel}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }

    let session_id = publication.session_id();
    // Distinct, printable (the sample prints each message with %.*s), of varied lengths.
    let messages: Vec<String> = (0..50)
        .map(|i| format!("rusteron to C #{i} {}", "x".repeat(i % 7)))
        .collect();
    let mut last_position = 0;
    for m in &messages {
        let position = offer_retrying(&publication, m.as_bytes(), deadline)?;
        assert!(
            position > last_position,
            "positions must grow: {position} after {last_position}"
        );
        last_position = position;
    }

    // The sample prints one line per message: stream, session, length and the bytes.
    let expected: Vec<String> = messages
        .iter()
        .map(|m| {
            format!(
                "Message to stream {stream_id} from session {session_id} ({} bytes) <<{m}>>",
                m.len()
            )
        })
        .collect();
    let mut received = Vec::new();
    while received.len() < expected.len() {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(remaining) {
            Ok(line) if line.starts_with("Message to stream") => received.push(line),
            Ok(_) => {}
            Err(_) => panic!(
                "the C subscriber printed {} of {} messages; last: {:?}",
                received.len(),
                expected.len(),
                received.last()
            ),
        }
    }
    assert_eq!(received, expected);

    subscriber.interrupt();
    let status = subscriber.wait_until(deadline);
    assert!(
        status.success(),
        "basic_subscriber exited with {status}: {}",
        subscriber.stderr()
    );
    let rest: Vec<String> = lines.iter().collect();
    assert!(
        rest.iter().any(|l| l == "Shutting down..."),
        "basic_subscriber did not shut down cleanly; remaining output: {rest:?}"
    );
    assert!(
        !rest.iter().any(|l| l.starts_with("Message to stream")),
        "unexpected extra messages: {rest:?}"
    );
    Ok(())
}

#[test]
fn rust_subscription_receives_messages_from_c_basic_publisher() -> Result<(), AeronCError> {
    let samples = samples();
    let driver = launch_for_tests()?;
    let channel = free_udp_channel();
    let stream_id = 2002;
    // The sample sleeps one second after each offer.
    let message_count = 3;
    let deadline = Instant::now() + TIMEOUT;

    let aeron = client(&driver)?;
    let channel_c = channel.as_str().into_c_string()?;
    let subscription = aeron
        .async_add_subscription(
            &channel_c,
            stream_id,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
        )?
        .poll_blocking(TIMEOUT)?;

    let mut publisher = ChildGuard::spawn(
        "basic_publisher",
        Command::new(&samples.publisher)
            .arg("-c")
            .arg(&channel)
            .arg("-s")
            .arg(stream_id.to_string())
            .arg("-p")
            .arg(driver.dir())
            .arg("-m")
            .arg(message_count.to_string()),
    );
    let lines = publisher.stdout_lines();

    let mut received: Vec<(Vec<u8>, i32)> = Vec::new();
    let poll = |received: &mut Vec<(Vec<u8>, i32)>| -> Result<i32, AeronCError> {
        subscription.poll_once(
            |buffer: &[u8], header: AeronHeader| {
                let stream = header.values().map(|v| v.frame().stream_id).unwrap_or(-1);
                received.push((buffer.to_vec(), stream));
            },
            10,
        )
    };
    let status = loop {
        poll(&mut received)?;
        if let Some(status) = publisher.exited() {
            break status;
        }
        assert!(Instant::now() < deadline, "basic_publisher did not finish in time");
        std::thread::sleep(Duration::from_millis(1));
    };
    let output: Vec<String> = lines.iter().collect();
    // basic_publisher returns EXIT_FAILURE even after a clean run (its `status` is never
    // set to success), so completion is judged by its output.
    assert!(
        output.iter().any(|l| l == "Done sending."),
        "basic_publisher did not finish sending ({status}): {output:?}\n{}",
        publisher.stderr()
    );

    // The messages the sample reports as accepted ("offering i/n - yay!"); the first may
    // be reported as not connected, since it offers right after adding the publication.
    let sent: Vec<Vec<u8>> = output
        .iter()
        .filter_map(|line| {
            let rest = line.strip_prefix("offering ")?;
            let (index, _) = rest.split_once('/')?;
            line.ends_with(" - yay!")
                .then(|| format!("Hello World! {index}").into_bytes())
        })
        .collect();
    assert!(
        sent.len() >= message_count - 1,
        "the C publisher got only {} of {message_count} messages out: {output:?}",
        sent.len()
    );

    eprintln!("basic_publisher got {} of {message_count} messages out", sent.len());
    while received.len() < sent.len() {
        assert!(
            Instant::now() < deadline,
            "received {} of {} messages",
            received.len(),
            sent.len()
        );
        if poll(&mut received)? == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let payloads: Vec<Vec<u8>> = received.iter().map(|(bytes, _)| bytes.clone()).collect();
    assert_eq!(
        payloads,
        sent,
        "payloads differ: got {:?}",
        payloads
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect::<Vec<_>>()
    );
    assert!(
        received.iter().all(|(_, stream)| *stream == stream_id),
        "stream ids: {received:?}"
    );
    Ok(())
}
