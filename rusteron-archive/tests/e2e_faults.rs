//! Storage faults of the embedded Rust archive, seen through the unchanged C archive
//! client: an archive directory that cannot be created, one that turns unwritable while
//! recording, and a full file system. In each case the client is told (an error response
//! with the archive's error code), the recording stops cleanly at the last position
//! written, everything recorded up to there replays byte for byte, and other recordings
//! are untouched.
//!
//! How the faults are made, given that the tests run as root (for whom permission bits do
//! not stop writes):
//! - unwritable directory: `chattr +i` (immutable: nothing can be created in it, not even
//!   by root); as another user, `chmod 0555`. The directory must then refuse a new file;
//!   where it does not (root without CAP_LINUX_IMMUTABLE), those tests say so on stderr
//!   and check nothing;
//! - full file system: a 512 KiB tmpfs mounted for the test (needs root, or
//!   CAP_SYS_ADMIN). Where mounting is not permitted, that test says so on stderr and
//!   checks nothing.
//!
//! (A restart keeping bytes and positions is `e2e_storage::recordings_persist_across_a_restart`;
//! a live-tail replay delivering every byte once is `e2e_replay::follows_a_live_recording_and_stops_on_request`.)

mod e2e_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e_support::*;
use rusteron_archive::*;
use rusteron_archive::server::{ArchiveOptions, ArchivingMediaDriver};
use rusteron_media_driver::EmbeddedDriverOptions;

const LOCAL: SourceLocation = SourceLocation::AERON_ARCHIVE_SOURCE_LOCATION_LOCAL;
const SEGMENT: i64 = 64 * 1024;

/// A directory nothing can be created in until this drops.
struct Unwritable(PathBuf, bool);

impl Unwritable {
    /// Makes `dir` refuse new files: `chattr +i` as root, `chmod 0555` otherwise. `None`
    /// (said on stderr) where neither works, e.g. as root without CAP_LINUX_IMMUTABLE,
    /// for whom permission bits do not count: the fault cannot be made there.
    fn make(dir: &Path) -> Option<Unwritable> {
        let as_root = is_root();
        let (tool, flag) = if as_root { ("chattr", "+i") } else { ("chmod", "0555") };
        let made = Command::new(tool)
            .arg(flag)
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        let guard = Unwritable(dir.to_path_buf(), as_root);
        let probe = dir.join("probe");
        if made && std::fs::File::create(&probe).is_err() {
            return Some(guard);
        }
        let _ = std::fs::remove_file(probe);
        eprintln!(
            "`{tool} {flag}` does not make {} unwritable here: the unwritable directory is not tested",
            dir.display()
        );
        None
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        let _ = if self.1 {
            Command::new("chattr").arg("-i").arg(&self.0).status()
        } else {
            Command::new("chmod").arg("0755").arg(&self.0).status()
        };
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Uid:"))?.to_owned();
            line.split_whitespace().nth(1).map(|uid| uid == "0")
        })
        .unwrap_or(false)
}

/// A tmpfs of `size` mounted on `dir` until this drops (lazily unmounted).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        if output.status.success() {
            Some(Tmpfs(dir.to_path_buf()))
        } else {
            eprintln!(
                "cannot mount a tmpfs ({}): the full file system is not tested here",
                String::from_utf8_lossy(&output.stderr).trim()
            );
            None
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Error responses the archive client passed to its error handler: (code, message).
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<(i32, String)>>>);

impl Errors {
    fn all(&self) -> Vec<(i32, String)> {
        self.0.lock().unwrap().clone()
    }
}

/// A client and an archive connection with signals and an error handler (without one,
/// the C client turns an asynchronous error response into a failed poll).
struct Client {
    archive: AeronArchive,
    signals: Signals,
    errors: Errors,
    aeron: Aeron,
}

fn connect_with_errors(archiving: &ArchivingMediaDriver) -> Client {
    let aeron = client(archiving);
    let signals = Signals::default();
    let errors = Errors::default();
    let ctx = context(&aeron, Some(&signals)).unwrap();
    let sink = errors.clone();
    let handler = Handlers::leak(move |code: i32, message: &str| {
        sink.0.lock().unwrap().push((code, message.to_owned()));
    });
    ctx.set_error_handler(Some(&handler)).unwrap();
    let archive = AeronArchive::connect(&ctx).unwrap();
    Client {
        archive,
        signals,
        errors,
        aeron,
    }
}

fn archiving_on(dir: &Path) -> Result<ArchivingMediaDriver, AeronCError> {
    let options = ArchiveOptions {
        archive_dir: dir.to_path_buf(),
        control_channel: None,
        segment_file_length: SEGMENT as i32,
        ..ArchiveOptions::default()
    };
    ArchivingMediaDriver::launch(&EmbeddedDriverOptions::default(), options)
}

fn replay_all(c: &Client, recording_id: i64, stream_id: i32) -> AeronSubscription {
    let params = AeronArchiveReplayParams::new().unwrap();
    params.set_position(0);
    params.set_length(ARCHIVE_REPLAY_ALL_AND_STOP);
    c.archive
        .replay(recording_id, c"aeron:ipc", stream_id, &params)
        .unwrap()
}

/// Receives `expected` from a replay, then checks it ends (end of stream) at `end` with
/// nothing more.
fn assert_replays(c: &Client, recording_id: i64, stream_id: i32, expected: &[(Vec<u8>, i64)], end: i64) {
    let replay = replay_all(c, recording_id, stream_id);
    assert_eq!(receive(&replay, expected.len()), expected, "recording {recording_id}");
    // Polling on consumes a padding frame ending the recording, and anything extra.
    let mut extra = 0;
    wait_until("the end of the replay", || {
        replay.poll_once(|_m: &[u8], _h: AeronHeader| extra += 1, 10).unwrap();
        replay.images().unwrap().first().is_some_and(|i| i.is_end_of_stream())
    });
    assert_eq!(extra, 0, "nothing past the end");
    assert_eq!(replay.images().unwrap()[0].position(), end);
}

/// Records `count` 1000-byte messages on `stream_id`, stopped; returns id and messages.
fn record_stopped(c: &Client, stream_id: i32, count: usize) -> (i64, Vec<(Vec<u8>, i64)>) {
    let subscription_id = c
        .archive
        .start_recording(c"aeron:ipc", stream_id, LOCAL, false)
        .unwrap();
    let publication = publication(&c.aeron, c"aeron:ipc?term-length=64k", stream_id);
    let sent: Vec<(Vec<u8>, i64)> = (0..count)
        .map(|i| {
            let m = message(i, 1000);
            let p = offer(&publication, &m);
            (m, p)
        })
        .collect();
    let session_id = publication.constants().unwrap().session_id();
    let counter_id = recording_pos_counter(&c.aeron, session_id, c.archive.get_archive_id());
    let counters = c.aeron.counters_reader().unwrap();
    let recording_id = AeronArchive::recording_pos_get_recording_id(&counters, counter_id);
    c.signals.await_signal(&c.archive, START, Some(recording_id));
    let end = sent.last().unwrap().1;
    wait_until("recorded", || {
        c.archive.get_recording_position(recording_id).unwrap() == end
    });
    c.archive.stop_recording_subscription(subscription_id).unwrap();
    c.signals.await_signal(&c.archive, STOP, Some(recording_id));
    (recording_id, sent)
}

#[test]
fn an_archive_directory_that_cannot_be_created_is_a_launch_error() {
    let parent = tempfile::tempdir().unwrap();
    let err = {
        let Some(_unwritable) = Unwritable::make(parent.path()) else {
            return;
        };
        archiving_on(&parent.path().join("archive")).unwrap_err()
    };
    let message = err.message().unwrap_or("");
    assert!(message.contains("archive directory"), "{err:?}");
    assert!(message.contains(&*parent.path().to_string_lossy()), "{err:?}");
    // Writable again: the same path works.
    let archiving = archiving_on(&parent.path().join("archive")).unwrap();
    assert!(parent.path().join("archive/archive.catalog").is_file());
    drop(archiving);
}

#[test]
fn an_archive_directory_turning_unwritable_stops_the_recording_at_the_last_full_segment() {
    let dir = tempfile::tempdir().unwrap();
    let archiving = archiving_on(dir.path()).unwrap();
    let c = connect_with_errors(&archiving);
    // A recording made before the fault, which must stay intact.
    let (earlier, earlier_sent) = record_stopped(&c, 9001, 40);

    let subscription_id = c.archive.start_recording(c"aeron:ipc", 9002, LOCAL, false).unwrap();
    let publication = publication(&c.aeron, c"aeron:ipc?term-length=64k", 9002);
    // 1000-byte messages take 1056-byte frames: 38 of them fill the first 40 KiB.
    let mut sent: Vec<(Vec<u8>, i64)> = Vec::new();
    for i in 0..38 {
        let m = message(i, 1000);
        let p = offer(&publication, &m);
        sent.push((m, p));
    }
    let recording_id = c
        .signals
        .await_signal(&c.archive, START, Some(earlier + 1))
        .recording_id;
    wait_until("recorded", || {
        c.archive.get_recording_position(recording_id).unwrap() == sent[37].1
    });

    let Some(unwritable) = Unwritable::make(dir.path()) else {
        return;
    };
    // Past the end of the first segment (and term): the archive cannot create the second.
    // The publisher may run at most half a term ahead of the stalled recording.
    for i in 38..70 {
        let m = message(i, 1000);
        let p = offer(&publication, &m);
        sent.push((m, p));
    }
    assert!(sent.last().unwrap().1 > SEGMENT && sent.last().unwrap().1 < SEGMENT + SEGMENT / 2);
    let stop = c.signals.await_signal(&c.archive, STOP, Some(recording_id));
    assert_eq!(stop.position, SEGMENT, "stopped where the first segment file ends");
    assert_eq!(stop.subscription_id, subscription_id);
    wait_until("the error response", || {
        c.archive.poll_for_recording_signals().unwrap();
        !c.errors.all().is_empty()
    });
    let errors = c.errors.all();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        ArchiveErrorCode::from_client_code(errors[0].0),
        Some(ArchiveErrorCode::Generic),
        "{errors:?}"
    );
    assert!(
        errors[0]
            .1
            .contains(&format!("recording {recording_id} write failed at position {SEGMENT}")),
        "{errors:?}"
    );

    // The catalog says where it stopped; what was written replays exactly.
    assert_eq!(c.archive.get_stop_position(recording_id).unwrap(), SEGMENT);
    assert_eq!(
        c.archive.get_recording_position(recording_id).unwrap(),
        AERON_NULL_POSITION
    );
    let written: Vec<(Vec<u8>, i64)> = sent.iter().filter(|s| s.1 <= SEGMENT).cloned().collect();
    assert_eq!(
        written.len(),
        62,
        "62 frames of 1056 bytes, then padding to the term end"
    );
    assert_replays(&c, recording_id, 9102, &written, SEGMENT);
    assert_replays(&c, earlier, 9101, &earlier_sent, earlier_sent.last().unwrap().1);
    let listed = list_all(&c.archive);
    assert_eq!(
        listed.iter().map(|d| (d.0, d.1, d.2)).collect::<Vec<_>>(),
        vec![(earlier, 0, earlier_sent.last().unwrap().1), (recording_id, 0, SEGMENT)]
    );

    // The stalled subscription is stopped; once writable again, recording works again.
    c.archive.stop_recording_subscription(subscription_id).unwrap();
    drop(publication);
    drop(unwritable);
    let (later, later_sent) = record_stopped(&c, 9003, 80);
    assert_eq!(later, recording_id + 1);
    assert_replays(&c, later, 9103, &later_sent, later_sent.last().unwrap().1);
}

#[test]
fn a_full_file_system_stops_the_recording_with_a_storage_space_error() {
    let mount_point = tempfile::tempdir().unwrap();
    let Some(_tmpfs) = Tmpfs::mount(mount_point.path(), "512k") else {
        return;
    };
    let dir = mount_point.path().join("archive");
    let (recording_id, stop_position, written) = {
        let archiving = archiving_on(&dir).unwrap();
        let c = connect_with_errors(&archiving);
        let subscription_id = c.archive.start_recording(c"aeron:ipc", 9201, LOCAL, false).unwrap();
        let publication = publication(&c.aeron, c"aeron:ipc?term-length=64k", 9201);
        wait_until("the archive to subscribe", || publication.is_connected());

        // Publish until the archive stops the recording: it runs out of space before
        // 512 KiB, and the publisher then stalls half a term later.
        let mut sent: Vec<(Vec<u8>, i64)> = Vec::new();
        let deadline = Instant::now() + TIMEOUT;
        let stop = loop {
            let m = message(sent.len(), 1000);
            match publication.offer(&m, Handlers::no_reserved_value_supplier_handler()) {
                Ok(p) => sent.push((m, p)),
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
            c.archive.poll_for_recording_signals().unwrap();
            if let Some(stop) = c.signals.all().into_iter().find(|s| s.code == STOP) {
                break stop;
            }
            assert!(
                Instant::now() < deadline,
                "the recording never stopped: {sent:?}",
                sent = sent.len()
            );
        };
        let recording_id = stop.recording_id;
        assert_eq!(stop.subscription_id, subscription_id);
        assert!(
            stop.position > 0 && stop.position < 512 * 1024,
            "stopped at {}",
            stop.position
        );
        assert!(sent.last().unwrap().1 > stop.position, "the publisher went on");
        assert!(
            sent.iter().any(|s| s.1 == stop.position) || stop.position % SEGMENT == 0,
            "stopped on a message boundary: {}",
            stop.position
        );
        wait_until("the error response", || {
            c.archive.poll_for_recording_signals().unwrap();
            !c.errors.all().is_empty()
        });
        let errors = c.errors.all();
        assert_eq!(
            ArchiveErrorCode::from_client_code(errors[0].0),
            Some(ArchiveErrorCode::StorageSpace),
            "{errors:?}"
        );
        assert!(errors[0].1.contains("No space left on device"), "{errors:?}");

        // Recorded up to the failure: replayable, byte for byte.
        let written: Vec<(Vec<u8>, i64)> = sent.iter().filter(|s| s.1 <= stop.position).cloned().collect();
        assert_eq!(c.archive.get_stop_position(recording_id).unwrap(), stop.position);
        assert_replays(&c, recording_id, 9301, &written, stop.position);

        // New recordings are refused while the space is short.
        let err = c.archive.start_recording(c"aeron:ipc", 9202, LOCAL, false).unwrap_err();
        assert_eq!(
            err.archive_error_code(),
            Some(ArchiveErrorCode::StorageSpace),
            "{err:?}"
        );
        assert!(err.message().unwrap_or("").contains("low storage threshold"), "{err:?}");
        c.archive.stop_recording_subscription(subscription_id).unwrap();
        (recording_id, stop.position, written)
    };

    // After a restart on the full file system the recording is still there, unchanged.
    let archiving = archiving_on(&dir).unwrap();
    let c = connect_with_errors(&archiving);
    assert_eq!(c.archive.get_stop_position(recording_id).unwrap(), stop_position);
    assert_replays(&c, recording_id, 9302, &written, stop_position);
}
