//! Plumbing shared by the examples, not part of the rusteron API: command-line flags,
//! connecting a client, waiting with a deadline, retrying offers and a checksum.
//!
//! Each example includes this file with `#[path = "common/mod.rs"] mod common;`, so the
//! example files stay runnable on their own and `tests/examples.rs` can include them too.

use std::fmt::Display;
use std::path::Path;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::{Duration, Instant};

use rusteron_client::{Aeron, AeronCError, AeronContext, AeronErrorType, Handlers, IntoCString};

/// Any failure of an example: an Aeron error, a bad flag, or a failed verification.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Result of an example step.
pub type Result<T> = std::result::Result<T, Error>;

/// An error with this message.
pub fn fail(message: impl Into<String>) -> Error {
    message.into().into()
}

/// `--name value` (or `--name=value`) flags, read by name; unknown names are an error.
#[derive(Debug, Default)]
pub struct Flags {
    pairs: Vec<(String, String)>,
    help: bool,
}

impl Flags {
    /// Splits the arguments (without the program name) into flags.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Flags> {
        let mut flags = Flags::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(fail(format!(
                    "unexpected argument {arg:?} (flags look like --name value)"
                )));
            };
            if name == "help" {
                flags.help = true;
            } else if let Some((name, value)) = name.split_once('=') {
                flags.pairs.push((name.to_owned(), value.to_owned()));
            } else {
                let value = args.next().ok_or_else(|| fail(format!("--{name} needs a value")))?;
                flags.pairs.push((name.to_owned(), value));
            }
        }
        Ok(flags)
    }

    /// The value of `--name` (the last one if repeated), parsed; `None` when absent.
    pub fn take<T: FromStr>(&mut self, name: &str) -> Result<Option<T>>
    where
        T::Err: Display,
    {
        let mut value = None;
        self.pairs.retain(|(n, v)| {
            let matched = n == name;
            if matched {
                value = Some(v.clone());
            }
            !matched
        });
        match value {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|e| fail(format!("--{name} {v:?}: {e}"))),
        }
    }

    /// The value of `--name`, or `default`.
    pub fn get<T: FromStr>(&mut self, name: &str, default: T) -> Result<T>
    where
        T::Err: Display,
    {
        Ok(self.take(name)?.unwrap_or(default))
    }

    /// Fails on any flag nobody asked for.
    pub fn finish(self) -> Result<()> {
        match self.pairs.first() {
            None => Ok(()),
            Some((name, _)) => Err(fail(format!("unknown flag --{name}"))),
        }
    }
}

/// The `main` of every example: parses the flags with `parse`, prints `usage` for `--help`,
/// runs the example and turns its result into the exit code (failures print to stderr).
pub fn main<C, S>(
    usage: &str,
    parse: impl FnOnce(&mut Flags) -> Result<C>,
    run: impl FnOnce(C) -> Result<S>,
) -> ExitCode {
    let result = Flags::parse(std::env::args().skip(1)).and_then(|mut flags| {
        if flags.help {
            println!("{usage}");
            return Ok(None);
        }
        let config = parse(&mut flags)?;
        flags.finish()?;
        Ok(Some(config))
    });
    let config = match result {
        Ok(Some(config)) => config,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}\n\n{usage}");
            return ExitCode::FAILURE;
        }
    };
    match run(config) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Connects a client to the media driver in `dir` (the C client's default, which honours
/// the `AERON_DIR` environment variable, when `None`) and starts its conductor thread.
pub fn connect(dir: Option<&Path>) -> Result<Aeron> {
    let ctx = AeronContext::new()?;
    if let Some(dir) = dir {
        let dir = dir
            .to_str()
            .ok_or_else(|| fail(format!("aeron dir is not UTF-8: {dir:?}")))?;
        ctx.set_dir(&dir.into_c_string()?)?;
    }
    set_error_handler(&ctx)?;
    let aeron = Aeron::new(&ctx)?;
    aeron.start()?;
    Ok(aeron)
}

/// Reports the client's asynchronous errors (such as losing the media driver) on stderr.
/// Without a handler the C client prints the error and exits the process; with this one
/// the client's resources report the error on their next use instead.
pub fn set_error_handler(ctx: &AeronContext) -> Result<()> {
    let handler = Handlers::leak(|code: i32, message: &str| eprintln!("aeron client error {code}: {message}"));
    ctx.set_error_handler(Some(&handler))?;
    Ok(())
}

/// Waits (sleeping 1 ms between checks) until `condition` holds, or fails after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while !condition() {
        if Instant::now() >= deadline {
            return Err(fail(format!("timed out after {timeout:?} waiting for {what}")));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Calls `offer` (an `offer`/`offerv` of either publication type) until it succeeds,
/// retrying back pressure, admin actions and "not connected" until `deadline`.
/// `on_retry` runs between attempts (spin, yield, or poll a subscription).
pub fn offer_until(
    deadline: Instant,
    mut offer: impl FnMut() -> std::result::Result<i64, AeronCError>,
    mut on_retry: impl FnMut(),
) -> Result<i64> {
    loop {
        match offer() {
            Ok(position) => return Ok(position),
            Err(e) if retryable(&e) && Instant::now() < deadline => on_retry(),
            Err(e) => return Err(e.into()),
        }
    }
}

/// True for offer results that only mean "try again later".
pub fn retryable(e: &AeronCError) -> bool {
    e.is_back_pressured() || e.kind() == AeronErrorType::NullOrNotConnected
}

/// 64-bit FNV-1a of `bytes`: a small, dependency-free checksum for verifying transfers.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
