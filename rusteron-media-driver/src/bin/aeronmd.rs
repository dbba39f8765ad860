//! `aeronmd`: the Aeron C media driver as a standalone process.
//!
//! Configuration comes from the usual `AERON_*` environment variables (read by the C
//! driver), overridden by flags. Stops cleanly on SIGINT / SIGTERM.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusteron_media_driver::{AeronDriver, AeronDriverContext, IntoCString};
use rusteron_sys::driver::aeron_threading_mode_enum as mode;

static RUNNING: AtomicBool = AtomicBool::new(true);

extern "C" fn on_signal(_: libc::c_int) {
    RUNNING.store(false, Ordering::SeqCst);
}

const USAGE: &str = "\
usage: aeronmd [options]

Runs the Aeron 1.54 C media driver. AERON_* environment variables configure it as for the
C aeronmd; these flags override them:

  --dir <path>                    aeron directory (AERON_DIR)
  --threading-mode <mode>         dedicated | shared-network | shared | invoker
  --idle-strategy <name>          backoff | sleeping | yield | spin | noop (all agents)
  --client-liveness-timeout-ms <n>
  --publication-linger-timeout-ms <n>
  --term-buffer-length <bytes>    UDP publications
  --ipc-term-buffer-length <bytes>
  --dir-delete-on-start           delete an existing directory first
  --dir-delete-on-shutdown        delete the directory when stopping
  -h, --help
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("aeronmd: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    value.parse().map_err(|_| format!("{flag}: invalid value {value:?}"))
}

fn millis_to_nanos(flag: &str, ms: u64) -> Result<u64, String> {
    ms.checked_mul(1_000_000)
        .ok_or_else(|| format!("{flag}: {ms} ms is too long"))
}

fn run() -> Result<(), String> {
    let ctx = AeronDriverContext::new().map_err(|e| e.to_string())?;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let e = |e: rusteron_media_driver::AeronCError| format!("{flag}: {e}");
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            "--dir" => {
                let dir: String = parse(&flag, args.next())?;
                ctx.set_dir(&dir.into_c_string().map_err(e)?).map_err(e)?;
            }
            "--threading-mode" => {
                let value: String = parse(&flag, args.next())?;
                let m = match value.as_str() {
                    "dedicated" => mode::AERON_THREADING_MODE_DEDICATED,
                    "shared-network" => mode::AERON_THREADING_MODE_SHARED_NETWORK,
                    "shared" => mode::AERON_THREADING_MODE_SHARED,
                    "invoker" => mode::AERON_THREADING_MODE_INVOKER,
                    other => return Err(format!("--threading-mode: unknown mode {other:?}")),
                };
                ctx.set_threading_mode(m).map_err(e)?;
            }
            "--idle-strategy" => {
                let value: String = parse(&flag, args.next())?;
                let name = value.into_c_string().map_err(e)?;
                ctx.set_shared_idle_strategy(&name).map_err(e)?;
                ctx.set_sharednetwork_idle_strategy(&name).map_err(e)?;
                ctx.set_conductor_idle_strategy(&name).map_err(e)?;
                ctx.set_sender_idle_strategy(&name).map_err(e)?;
                ctx.set_receiver_idle_strategy(&name).map_err(e)?;
            }
            "--client-liveness-timeout-ms" => {
                let ns = millis_to_nanos(&flag, parse(&flag, args.next())?)?;
                ctx.set_client_liveness_timeout_ns(ns).map_err(e)?;
            }
            "--publication-linger-timeout-ms" => {
                let ns = millis_to_nanos(&flag, parse(&flag, args.next())?)?;
                ctx.set_publication_linger_timeout_ns(ns).map_err(e)?;
            }
            "--term-buffer-length" => {
                ctx.set_term_buffer_length(parse(&flag, args.next())?).map_err(e)?;
            }
            "--ipc-term-buffer-length" => {
                ctx.set_ipc_term_buffer_length(parse(&flag, args.next())?).map_err(e)?;
            }
            "--dir-delete-on-start" => {
                ctx.set_dir_delete_on_start(true).map_err(e)?;
            }
            "--dir-delete-on-shutdown" => {
                ctx.set_dir_delete_on_shutdown(true).map_err(e)?;
            }
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }

    // SAFETY: installing async-signal-safe handlers that only store to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    let dir = ctx.get_dir().to_owned();
    let driver = AeronDriver::new(&ctx).map_err(|e| format!("cannot start the media driver: {e}"))?;
    driver
        .start(false)
        .map_err(|e| format!("cannot start the media driver: {e}"))?;
    println!(
        "aeronmd: media driver running in {dir} (Aeron {})",
        rusteron_sys::AERON_VERSION
    );
    while RUNNING.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20));
    }
    driver.close().map_err(|e| format!("stopping the media driver: {e}"))?;
    println!("aeronmd: stopped");
    Ok(())
}
