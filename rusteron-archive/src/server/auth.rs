//! Who may connect to the archive, and what they may do, following Aeron's archive:
//! an [`Authenticator`] decides each connecting client (accept, challenge, reject), and an
//! [`AuthorisationService`] decides each request of an authenticated client.
//!
//! The flow per control session, as the C and Java archive clients expect it:
//!
//! 1. The client's `AuthConnectRequest` carries encoded credentials (from its credentials
//!    supplier; empty by default): [`Authenticator::on_connect_request`].
//! 2. Once the archive's response publication to the client is connected, the archive asks
//!    [`Authenticator::on_connected_session`] (again every 200 ms until it decides), which
//!    either [`authenticate`](SessionProxy::authenticate)s the session (the client gets its
//!    connect response), [`challenge`](SessionProxy::challenge)s it (the client gets a
//!    `Challenge` message and answers with a `ChallengeResponse`:
//!    [`Authenticator::on_challenge_response`], then
//!    [`Authenticator::on_challenged_session`] every duty cycle until a decision), or
//!    [`reject`](SessionProxy::reject)s it (the client gets an error response with code
//!    `AUTHENTICATION_REJECTED` and the message "authentication rejected"; its connect
//!    fails).
//! 3. A session that is not decided within the connect timeout is closed.
//!
//! [`SimpleAuthenticator`] covers the usual cases with two closures; the default,
//! [`AuthenticatorSupplier::accept_all`], authenticates everyone (as Aeron's default does).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use super::control::ControlSession;

/// Decides which clients may use the archive. One instance per archive, called on the
/// archive's conductor thread only; it must not block.
///
/// Session ids are the archive's control session ids; the same id is passed to the
/// request callbacks and, through [`SessionProxy::session_id`], to the session callbacks.
pub trait Authenticator: Send {
    /// A client asked to connect with `encoded_credentials` (empty when it sent none).
    fn on_connect_request(&mut self, session_id: i64, encoded_credentials: &[u8], now: Instant);

    /// A challenged client answered with `encoded_credentials`.
    fn on_challenge_response(&mut self, session_id: i64, encoded_credentials: &[u8], now: Instant);

    /// The session can be answered: authenticate, challenge or reject it, or do nothing to
    /// be asked again in 200 ms.
    fn on_connected_session(&mut self, session: &mut SessionProxy<'_>, now: Instant);

    /// The session was challenged: authenticate, challenge again or reject it once its
    /// answer is in, or do nothing to be asked again on the next duty cycle.
    fn on_challenged_session(&mut self, session: &mut SessionProxy<'_>, now: Instant);
}

/// What an [`Authenticator`] can do with a session waiting for its decision.
pub struct SessionProxy<'a> {
    session: &'a mut ControlSession,
    now: Instant,
}

impl<'a> SessionProxy<'a> {
    pub(crate) fn new(session: &'a mut ControlSession, now: Instant) -> Self {
        SessionProxy { session, now }
    }

    /// The control session id.
    pub fn session_id(&self) -> i64 {
        self.session.id()
    }

    /// Sends `encoded_challenge` to the client; true if sent (the session is then
    /// challenged), false if the response publication is back-pressured (try again on the
    /// next call).
    pub fn challenge(&mut self, encoded_challenge: &[u8]) -> bool {
        self.session.challenge(encoded_challenge, self.now)
    }

    /// Accepts the client as `encoded_principal` (what [`AuthorisationService`] is given
    /// with each of its requests); true if the connect response was sent, false if the
    /// response publication is back-pressured (try again on the next call).
    pub fn authenticate(&mut self, encoded_principal: &[u8]) -> bool {
        self.session.authenticate(encoded_principal, self.now)
    }

    /// Refuses the client: its connect fails with "authentication rejected".
    pub fn reject(&mut self) {
        self.session.reject(self.now);
    }
}

/// Makes the [`Authenticator`] of each archive launched with the options it is in.
#[derive(Clone)]
pub struct AuthenticatorSupplier(Arc<dyn Fn() -> Box<dyn Authenticator> + Send + Sync>);

impl AuthenticatorSupplier {
    /// Uses `make` to create each archive's authenticator.
    pub fn new<A: Authenticator + 'static>(make: impl Fn() -> A + Send + Sync + 'static) -> Self {
        AuthenticatorSupplier(Arc::new(move || Box::new(make())))
    }

    /// Authenticates every client, whatever its credentials, with an empty principal
    /// (Aeron's default).
    pub fn accept_all() -> Self {
        Self::new(|| AcceptAll)
    }

    pub(crate) fn make(&self) -> Box<dyn Authenticator> {
        (self.0)()
    }
}

impl Default for AuthenticatorSupplier {
    fn default() -> Self {
        Self::accept_all()
    }
}

impl fmt::Debug for AuthenticatorSupplier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthenticatorSupplier")
    }
}

struct AcceptAll;

impl Authenticator for AcceptAll {
    fn on_connect_request(&mut self, _: i64, _: &[u8], _: Instant) {}
    fn on_challenge_response(&mut self, _: i64, _: &[u8], _: Instant) {}
    fn on_connected_session(&mut self, session: &mut SessionProxy<'_>, _: Instant) {
        session.authenticate(&[]);
    }
    fn on_challenged_session(&mut self, session: &mut SessionProxy<'_>, _: Instant) {
        session.authenticate(&[]);
    }
}

/// What to do with a client, decided from the credentials it sent.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthDecision {
    /// Let it in as this principal.
    Authenticate(Vec<u8>),
    /// Send it this challenge; its answer is decided next.
    Challenge(Vec<u8>),
    /// Refuse it.
    Reject,
}

impl fmt::Debug for AuthDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Principals and challenges may be secrets: print lengths only.
        match self {
            AuthDecision::Authenticate(p) => write!(f, "Authenticate({} bytes)", p.len()),
            AuthDecision::Challenge(c) => write!(f, "Challenge({} bytes)", c.len()),
            AuthDecision::Reject => f.write_str("Reject"),
        }
    }
}

type Decide = Box<dyn FnMut(i64, &[u8]) -> AuthDecision + Send>;

/// An [`Authenticator`] that decides each client synchronously from its credentials: one
/// closure for the connect credentials, one for each challenge answer. Sessions are
/// decided as soon as they can be answered.
///
/// ```
/// use rusteron_archive::server::{AuthDecision, SimpleAuthenticator};
///
/// // "admin" connects directly; anyone else must answer the challenge "nonce" with "42".
/// let authenticator = SimpleAuthenticator::new(
///     |_session, credentials| match credentials {
///         b"admin" => AuthDecision::Authenticate(b"admin".to_vec()),
///         _ => AuthDecision::Challenge(b"nonce".to_vec()),
///     },
///     |_session, answer| match answer {
///         b"42" => AuthDecision::Authenticate(b"guest".to_vec()),
///         _ => AuthDecision::Reject,
///     },
/// );
/// # drop(authenticator);
/// ```
pub struct SimpleAuthenticator {
    on_credentials: Decide,
    on_answer: Decide,
    decisions: HashMap<i64, AuthDecision>,
}

impl SimpleAuthenticator {
    /// Decides connect credentials with `on_credentials` and challenge answers with
    /// `on_answer`; both get the control session id and the encoded bytes.
    pub fn new(
        on_credentials: impl FnMut(i64, &[u8]) -> AuthDecision + Send + 'static,
        on_answer: impl FnMut(i64, &[u8]) -> AuthDecision + Send + 'static,
    ) -> Self {
        SimpleAuthenticator {
            on_credentials: Box::new(on_credentials),
            on_answer: Box::new(on_answer),
            decisions: HashMap::new(),
        }
    }

    /// Authenticates clients whose connect credentials are one of `accepted` (the principal
    /// is the credentials), rejects every other client, and never challenges.
    pub fn with_credentials(accepted: impl IntoIterator<Item = Vec<u8>>) -> Self {
        let accepted: Vec<Vec<u8>> = accepted.into_iter().collect();
        Self::new(
            move |_, credentials| {
                if accepted.iter().any(|a| a.as_slice() == credentials) {
                    AuthDecision::Authenticate(credentials.to_vec())
                } else {
                    AuthDecision::Reject
                }
            },
            |_, _| AuthDecision::Reject,
        )
    }

    /// Applies the decision for `session`, if there is one; keeps it if it could not be
    /// sent yet.
    fn apply(&mut self, session: &mut SessionProxy<'_>) {
        let id = session.session_id();
        let Some(decision) = self.decisions.remove(&id) else {
            return;
        };
        let done = match &decision {
            AuthDecision::Authenticate(principal) => session.authenticate(principal),
            AuthDecision::Challenge(challenge) => session.challenge(challenge),
            AuthDecision::Reject => {
                session.reject();
                true
            }
        };
        if !done {
            self.decisions.insert(id, decision);
        }
    }
}

impl fmt::Debug for SimpleAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleAuthenticator")
            .field("pending_sessions", &self.decisions.len())
            .finish()
    }
}

impl Authenticator for SimpleAuthenticator {
    fn on_connect_request(&mut self, session_id: i64, encoded_credentials: &[u8], _: Instant) {
        let decision = (self.on_credentials)(session_id, encoded_credentials);
        self.decisions.insert(session_id, decision);
    }

    fn on_challenge_response(&mut self, session_id: i64, encoded_credentials: &[u8], _: Instant) {
        let decision = (self.on_answer)(session_id, encoded_credentials);
        self.decisions.insert(session_id, decision);
    }

    fn on_connected_session(&mut self, session: &mut SessionProxy<'_>, _: Instant) {
        self.apply(session);
    }

    fn on_challenged_session(&mut self, session: &mut SessionProxy<'_>, _: Instant) {
        self.apply(session);
    }
}

/// A request an authenticated client makes, as [`AuthorisationService`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveAction {
    /// SBE template id of the request in Aeron's archive schema (Aeron's `actionId`).
    pub template_id: u16,
    /// The request's message name in the schema, e.g. `"StartRecordingRequest2"`.
    pub name: &'static str,
}

/// Decides whether an authenticated client may make a request; refused requests get an
/// error response with code `UNAUTHORISED_ACTION` ("unauthorised action"). Called on the
/// archive's conductor thread for every request but connect, challenge response and
/// close; it must not block.
#[derive(Clone)]
pub struct AuthorisationService(Arc<IsAuthorised>);

type IsAuthorised = dyn Fn(&ArchiveAction, &[u8]) -> bool + Send + Sync;

impl AuthorisationService {
    /// Authorises a request when `is_authorised(action, encoded_principal)` is true; the
    /// principal is what the authenticator passed to [`SessionProxy::authenticate`].
    pub fn new(is_authorised: impl Fn(&ArchiveAction, &[u8]) -> bool + Send + Sync + 'static) -> Self {
        AuthorisationService(Arc::new(is_authorised))
    }

    /// Every request is allowed (the default).
    pub fn allow_all() -> Self {
        Self::new(|_, _| true)
    }

    /// Every request is refused.
    pub fn deny_all() -> Self {
        Self::new(|_, _| false)
    }

    pub(crate) fn is_authorised(&self, action: &ArchiveAction, encoded_principal: &[u8]) -> bool {
        (self.0)(action, encoded_principal)
    }
}

impl Default for AuthorisationService {
    fn default() -> Self {
        Self::allow_all()
    }
}

impl fmt::Debug for AuthorisationService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthorisationService")
    }
}
