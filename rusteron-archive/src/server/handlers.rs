//! Request handlers of the conductor: recording, queries and storage maintenance, each
//! answering with an OK or an ERROR carrying Aeron's error code (replay requests are in
//! `replay_request`).

use rusteron_client::ChannelUri;

use super::channel::{recording_key, recording_subscription_channel, stripped};
use super::codecs::{ControlResponseCode, RecordingSignal};
use super::conductor::Conductor;
use super::listing::Listing;
use super::proto::*;
use super::recorder::{RecordingSubscription, Requester};
use super::segments::*;

/// Outcome of a handler that only answers: OK with a relevant id, or an error.
type Answer = Result<i64, (i64, String)>;

fn unknown_recording(recording_id: i64) -> (i64, String) {
    (
        error_code::UNKNOWN_RECORDING,
        format!("unknown recording id: {recording_id}"),
    )
}

impl Conductor {
    /// Serves a request of an active control session.
    pub(super) fn dispatch(&mut self, session_id: i64, correlation_id: i64, request: Request) {
        let requester = Requester {
            control_session_id: session_id,
            correlation_id,
        };
        let answer: Option<Answer> = match request {
            Request::Connect { .. }
            | Request::ChallengeResponse { .. }
            | Request::CloseSession
            | Request::KeepAlive => None,
            Request::ArchiveId => Some(Ok(self.archive_id)),
            Request::StartRecording(r) => Some(self.start_recording(requester, r)),
            Request::StopRecording { stream_id, channel } => Some(self.stop_recording(stream_id, &channel)),
            Request::StopRecordingSubscription { subscription_id } => Some(self.stop_subscription(subscription_id)),
            Request::StopRecordingByIdentity { recording_id } => Some(self.stop_by_identity(recording_id)),
            Request::Replay(r) => self.start_replay(requester, r).err().map(Err),
            Request::StopReplay { replay_session_id } => {
                for replay in self
                    .replays
                    .iter_mut()
                    .filter(|r| r.replay_session_id() == replay_session_id)
                {
                    replay.abort(&self.aeron);
                }
                Some(Ok(0))
            }
            Request::StopAllReplays { recording_id } => {
                self.stop_replays(recording_id);
                Some(Ok(0))
            }
            Request::ListRecordings {
                from_recording_id,
                count,
            } => self.list(requester, from_recording_id, count, None, None),
            Request::ListRecordingsForUri {
                from_recording_id,
                count,
                stream_id,
                channel,
            } => self.list(requester, from_recording_id, count, Some((stream_id, channel)), None),
            Request::ListRecording { recording_id } => match self.catalog.get(recording_id) {
                None => {
                    self.respond(requester, ControlResponseCode::RecordingUnknown, recording_id, "");
                    None
                }
                Some(_) => self.list(requester, recording_id, 1, None, Some(recording_id)),
            },
            Request::Position { query, recording_id } => Some(self.position(query, recording_id)),
            Request::FindLastMatchingRecording {
                min_recording_id,
                session_id,
                stream_id,
                channel,
            } => Some(if min_recording_id < 0 {
                let message = format!("minRecordingId={min_recording_id} < 0");
                Err((error_code::UNKNOWN_RECORDING, message))
            } else {
                let found = self
                    .catalog
                    .find_last(min_recording_id, session_id, stream_id, &channel);
                Ok(found.unwrap_or(NULL_VALUE))
            }),
            Request::ListRecordingSubscriptions {
                pseudo_index,
                count,
                apply_stream_id,
                stream_id,
                channel,
            } => self.list_subscriptions(
                requester,
                pseudo_index,
                count,
                apply_stream_id.then_some(stream_id),
                &channel,
            ),
            Request::TruncateRecording { recording_id, position } => {
                Some(self.truncate(requester, recording_id, position))
            }
            Request::PurgeRecording { recording_id } => Some(self.purge(requester, recording_id)),
            Request::Replicate(r) => Some(self.start_replication(requester, r)),
            Request::StopReplication { replication_id } => Some(self.stop_replication(replication_id)),
            Request::DetachSegments {
                recording_id,
                new_start_position,
                delete,
            } => Some(self.detach_segments(requester, recording_id, new_start_position, delete)),
            Request::DeleteDetachedSegments { recording_id } => {
                Some(self.delete_detached_segments(requester, recording_id))
            }
            Request::AttachSegments { recording_id } => Some(self.attach_segments(recording_id)),
            Request::MigrateSegments {
                src_recording_id,
                dst_recording_id,
            } => Some(self.migrate_segments(requester, src_recording_id, dst_recording_id)),
            Request::ReplayToken { recording_id } => Some(self.issue_replay_token(session_id, recording_id)),
            Request::UpdateChannel { recording_id, channel } => self.update_channel(requester, recording_id, &channel),
            Request::Unsupported { name } => Some(Err((
                error_code::GENERIC,
                format!("{name} is not supported by this archive"),
            ))),
        };
        match answer {
            Some(Ok(relevant_id)) => self.respond(requester, ControlResponseCode::Ok, relevant_id, ""),
            Some(Err((code, message))) => {
                if let Some(session) = self.sessions.get_mut(&session_id) {
                    session.send_error(correlation_id, code, &message);
                }
            }
            None => {}
        }
        let events = std::mem::take(&mut self.deferred_events);
        self.on_recording_events(events);
    }

    pub(super) fn respond(&mut self, requester: Requester, code: ControlResponseCode, relevant_id: i64, message: &str) {
        if let Some(session) = self.sessions.get_mut(&requester.control_session_id) {
            session.send_response(requester.correlation_id, relevant_id, code, message);
        }
    }

    pub(super) fn start_recording(&mut self, requester: Requester, r: RecordRequest) -> Answer {
        let max = self.options.max_concurrent_recordings;
        if self.recorder.subscriptions.len() >= max || self.recorder.sessions.len() >= max {
            return Err((
                error_code::MAX_RECORDINGS,
                format!("max concurrent recordings reached at {max}"),
            ));
        }
        self.check_storage_space()?;
        let uri = ChannelUri::parse(&r.channel).map_err(|e| (error_code::GENERIC, e.to_string()))?;
        if let Some(recording_id) = r.extend {
            let d = self
                .catalog
                .get(recording_id)
                .ok_or_else(|| unknown_recording(recording_id))?;
            if self.recorder.session(recording_id).is_some() {
                let message = format!("cannot extend active recording {recording_id}");
                return Err((error_code::ACTIVE_RECORDING, message));
            }
            if d.stream_id != r.stream_id {
                let message = format!(
                    "cannot extend recording {recording_id}: streamId={} != {}",
                    r.stream_id, d.stream_id
                );
                return Err((error_code::INVALID_EXTENSION, message));
            }
        }
        let key = recording_key(r.stream_id, &uri);
        if self.recorder.subscriptions.iter().any(|s| s.key == key) {
            let message = format!("recording exists for streamId={} channel={}", r.stream_id, r.channel);
            return Err((error_code::ACTIVE_SUBSCRIPTION, message));
        }
        let stripped_uri = stripped(&uri).map_err(|e| (error_code::GENERIC, e.to_string()))?;
        let subscription = RecordingSubscription::add(
            &self.aeron,
            key,
            recording_subscription_channel(&stripped_uri, r.local),
            r.stream_id,
            stripped_uri.to_string(),
            r.channel,
            r.auto_stop,
            requester,
            r.extend,
            self.options.connect_timeout,
        )
        .map_err(|message| (error_code::GENERIC, message))?;
        let subscription_id = subscription.subscription_id;
        self.recorder.subscriptions.push(subscription);
        Ok(subscription_id)
    }

    /// Refuses new recordings when the archive's file system is (nearly) full, as Aeron's
    /// archive does below its low storage space threshold.
    pub(super) fn check_storage_space(&self) -> Result<(), (i64, String)> {
        let threshold = self.options.low_storage_threshold();
        match usable_space(&self.options.archive_dir) {
            Ok(usable) if usable < threshold => Err((
                error_code::STORAGE_SPACE,
                format!("low storage threshold={threshold} usableSpace={usable}"),
            )),
            Ok(_) => Ok(()),
            Err(e) => {
                log::warn!("archive: usable space of {}: {e}", self.options.archive_dir.display());
                Ok(())
            }
        }
    }

    fn stop_recording(&mut self, stream_id: i32, channel: &str) -> Answer {
        let uri = ChannelUri::parse(channel).map_err(|e| (error_code::GENERIC, e.to_string()))?;
        let key = recording_key(stream_id, &uri);
        match self.recorder.subscriptions.iter().find(|s| s.key == key) {
            Some(s) => self.stop_subscription(s.subscription_id),
            None => Err((
                error_code::UNKNOWN_SUBSCRIPTION,
                format!("no recording found for streamId={stream_id} channel={channel}"),
            )),
        }
    }

    fn stop_subscription(&mut self, subscription_id: i64) -> Answer {
        let mut events = Vec::new();
        let found = self
            .recorder
            .close_subscription(&mut self.catalog, subscription_id, &mut events);
        // Java answers before the STOP signals of the sessions that end.
        let answer = if found {
            Ok(0)
        } else {
            let message = format!("no recording subscription found for subscriptionId={subscription_id}");
            Err((error_code::UNKNOWN_SUBSCRIPTION, message))
        };
        self.deferred_events.extend(events);
        answer
    }

    fn stop_by_identity(&mut self, recording_id: i64) -> Answer {
        if self.catalog.get(recording_id).is_none() {
            return Err(unknown_recording(recording_id));
        }
        let mut events = Vec::new();
        let found = match self.recorder.finish(&mut self.catalog, recording_id, &mut events) {
            Some(session) => {
                let shared = self
                    .recorder
                    .sessions
                    .values()
                    .any(|s| s.subscription_id == session.subscription_id);
                if !shared {
                    self.recorder
                        .close_subscription(&mut self.catalog, session.subscription_id, &mut events);
                }
                1
            }
            None => 0,
        };
        self.deferred_events.extend(events);
        Ok(found)
    }

    fn stop_replays(&mut self, recording_id: i64) {
        for replay in &mut self.replays {
            if recording_id == NULL_VALUE || replay.recording_id() == recording_id {
                replay.abort(&self.aeron);
            }
        }
    }

    fn list(
        &mut self,
        requester: Requester,
        from: i64,
        count: i32,
        filter: Option<(i32, Vec<u8>)>,
        only: Option<i64>,
    ) -> Option<Answer> {
        let session = self.sessions.get_mut(&requester.control_session_id)?;
        if session.listing.is_some() {
            return Some(Err((
                error_code::ACTIVE_LISTING,
                "active listing already in progress".into(),
            )));
        }
        session.listing = Some(Listing::Recordings {
            correlation_id: requester.correlation_id,
            next_id: from,
            remaining: count,
            filter,
            only,
        });
        None
    }

    fn list_subscriptions(
        &mut self,
        requester: Requester,
        pseudo_index: i32,
        count: i32,
        stream_id: Option<i32>,
        fragment: &str,
    ) -> Option<Answer> {
        let items = self
            .recorder
            .subscriptions
            .iter()
            .skip(usize::try_from(pseudo_index).unwrap_or(usize::MAX))
            .filter(|s| stream_id.map_or(true, |id| id == s.stream_id) && s.channel.contains(fragment))
            .map(|s| (s.subscription_id, s.stream_id, s.channel.clone()))
            .collect();
        let in_range = pseudo_index >= 0 && (pseudo_index as usize) < self.recorder.subscriptions.len() && count > 0;
        let session = self.sessions.get_mut(&requester.control_session_id)?;
        if session.listing.is_some() {
            return Some(Err((
                error_code::ACTIVE_LISTING,
                "active listing already in progress".into(),
            )));
        }
        if !in_range {
            session.send_response(
                requester.correlation_id,
                0,
                ControlResponseCode::SubscriptionUnknown,
                "",
            );
            return None;
        }
        session.listing = Some(Listing::Subscriptions {
            correlation_id: requester.correlation_id,
            items,
            remaining: count,
        });
        None
    }

    fn position(&self, query: PositionQuery, recording_id: i64) -> Answer {
        let d = self
            .catalog
            .get(recording_id)
            .ok_or_else(|| unknown_recording(recording_id))?;
        let active = self.recorder.session(recording_id).map(|s| s.position());
        Ok(match query {
            PositionQuery::Start => d.start_position,
            PositionQuery::Stop => d.stop_position,
            PositionQuery::Recording => active.unwrap_or(NULL_POSITION),
            PositionQuery::MaxRecorded => active.unwrap_or(d.stop_position),
        })
    }

    fn truncate(&mut self, requester: Requester, recording_id: i64, position: i64) -> Answer {
        let d = self
            .catalog
            .get(recording_id)
            .ok_or_else(|| unknown_recording(recording_id))?
            .clone();
        if d.stop_position == NULL_POSITION || self.recorder.session(recording_id).is_some() {
            return Err((error_code::ACTIVE_RECORDING, "cannot truncate active recording".into()));
        }
        if position < d.start_position || position > d.stop_position || position & (FRAME_ALIGNMENT - 1) != 0 {
            let message = format!(
                "invalid position {position}: start={} stop={} alignment={FRAME_ALIGNMENT}",
                d.start_position, d.stop_position
            );
            return Err((error_code::INVALID_POSITION, message));
        }
        self.stop_replays(recording_id);
        let dir = self.options.archive_dir.clone();
        let segment_length = i64::from(d.segment_file_length);
        let base = segment_file_base_position(
            d.start_position,
            position,
            i64::from(d.term_buffer_length),
            segment_length,
        );
        let offset = position - base;
        let deleted = if position == d.start_position {
            delete_segments_from(&dir, recording_id, i64::MIN)
        } else if offset > 0 {
            if position != d.stop_position {
                erase_from(&dir, recording_id, base, offset).map_err(|e| (error_code::GENERIC, e.to_string()))?;
            }
            delete_segments_from(&dir, recording_id, base + segment_length)
        } else {
            delete_segments_from(&dir, recording_id, base)
        };
        self.catalog
            .set_stop_position(recording_id, position)
            .map_err(|e| (error_code::GENERIC, e.to_string()))?;
        self.signal_delete(requester, recording_id);
        Ok(deleted)
    }

    fn purge(&mut self, requester: Requester, recording_id: i64) -> Answer {
        let d = self
            .catalog
            .get(recording_id)
            .ok_or_else(|| unknown_recording(recording_id))?;
        if self
            .replays
            .iter()
            .any(|r| r.recording_id() == recording_id && !r.is_done())
        {
            let message = format!("cannot purge recording with active replay {recording_id}");
            return Err((error_code::ACTIVE_RECORDING, message));
        }
        if d.stop_position == NULL_POSITION || self.recorder.session(recording_id).is_some() {
            return Err((
                error_code::ACTIVE_RECORDING,
                format!("cannot purge active recording {recording_id}"),
            ));
        }
        self.catalog
            .mark_deleted(recording_id)
            .map_err(|e| (error_code::GENERIC, e.to_string()))?;
        let deleted = delete_segments_from(&self.options.archive_dir, recording_id, i64::MIN);
        self.signal_delete(requester, recording_id);
        Ok(deleted)
    }

    /// DELETE signal after the OK response (queued behind it).
    pub(super) fn signal_delete(&mut self, requester: Requester, recording_id: i64) {
        self.deferred_events.push(super::recorder::RecordingEvent::Signal {
            requester,
            recording_id,
            subscription_id: NULL_VALUE,
            position: NULL_VALUE,
            signal: RecordingSignal::Delete,
        });
    }
}
