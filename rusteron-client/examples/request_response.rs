//! Request/response with Aeron response channels (`control-mode=response`): a server
//! answers each request on a response publication bound to the requester's image, so each
//! client receives only the answers to its own requests, over one shared response address.
//!
//! ```text
//! cargo run --release -p rusteron-client --example request_response -- --clients 2 --requests 10
//! ```
//!
//! How the pieces find each other (as in Aeron's `response_client.c`/`response_server.c`):
//! - client: a response subscription `aeron:udp?control=HOST:P2|control-mode=response`,
//!   then a request publication `aeron:udp?endpoint=HOST:P1|response-correlation-id=R`
//!   where R is that subscription's registration id;
//! - server: a request subscription `aeron:udp?endpoint=HOST:P1`; for the image of each
//!   requester, a response publication
//!   `aeron:udp?control=HOST:P2|control-mode=response|response-correlation-id=C` where C is
//!   the image's correlation id. The driver connects it to that client's subscription only.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::ffi::CString;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusteron_client::*;
use rusteron_media_driver::launch_for_tests;

#[allow(dead_code)]
#[path = "common/mod.rs"]
pub mod common;

const USAGE: &str = "request_response: a server answering each client on its own response channel
  --clients N     clients (default 2)
  --requests N    requests per client (default 10)
  --port PORT     search for two free UDP ports from here (default 40556)
  --timeout SECS  upper bound on each step (default 10)";

/// Stream of the requests.
const REQUEST_STREAM_ID: i32 = 1009;
/// Stream of the responses.
const RESPONSE_STREAM_ID: i32 = 1010;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// How many clients.
    pub clients: usize,
    /// Requests per client, each awaited before the next.
    pub requests: u64,
    /// First port to try for the request endpoint and the response control address.
    pub port: u16,
    /// Upper bound on each step.
    pub timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            clients: 2,
            requests: 10,
            port: 40_556,
            timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// The configuration the command-line flags describe (defaults for absent flags).
    pub fn from_flags(flags: &mut common::Flags) -> common::Result<Config> {
        let d = Config::default();
        Ok(Config {
            clients: flags.get("clients", d.clients)?,
            requests: flags.get("requests", d.requests)?,
            port: flags.get("port", d.port)?,
            timeout: Duration::from_secs_f64(flags.get("timeout", 10.0)?),
        })
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Responses each client received (all checked to answer its own requests).
    pub responses: Vec<u64>,
    /// Requests the server answered.
    pub served: u64,
    /// Response publications the server created (one per client).
    pub response_channels: usize,
}

/// The server's answer to `request`.
fn answer(request: &[u8]) -> Vec<u8> {
    let mut response = b"re: ".to_vec();
    response.extend(request.iter().map(u8::to_ascii_uppercase));
    response
}

/// Starts the server thread and the clients, and checks every response.
pub fn run(config: Config) -> common::Result<Summary> {
    let driver = launch_for_tests()?;
    let aeron = common::connect(Some(driver.dir()))?;
    let request_port = find_unused_udp_port(config.port).ok_or_else(|| common::fail("no free UDP port"))?;
    let control_port = find_unused_udp_port(request_port + 1).ok_or_else(|| common::fail("no free UDP port"))?;
    let request_channel = format!("aeron:udp?endpoint=localhost:{request_port}");
    let response_control = format!("aeron:udp?control=localhost:{control_port}");

    let running = Arc::new(AtomicBool::new(true));
    let server = {
        let (aeron, running, config) = (aeron.clone(), running.clone(), config.clone());
        let (request_channel, response_control) = (request_channel.clone(), response_control.clone());
        std::thread::Builder::new()
            .name("server".into())
            .spawn(move || serve(&aeron, &request_channel, &response_control, &config, &running))?
    };
    let result = clients(&aeron, &request_channel, &response_control, &config);
    running.store(false, Ordering::Release);
    let served = server.join().map_err(|_| common::fail("the server thread panicked"))?;
    let responses = result?;
    let (served, response_channels) = served?;
    println!(
        "server answered {served} requests on {response_channels} response channels; clients received {responses:?}"
    );
    Ok(Summary {
        responses,
        served,
        response_channels,
    })
}

/// The server: answers each request on the response publication of the requester's image.
/// Returns (requests answered, response publications created).
fn serve(
    aeron: &Aeron,
    request_channel: &str,
    response_control: &str,
    config: &Config,
    running: &AtomicBool,
) -> common::Result<(u64, usize)> {
    let subscription = aeron.add_subscription(
        &CString::new(request_channel)?,
        REQUEST_STREAM_ID,
        Handlers::no_available_image_handler(),
        Handlers::no_unavailable_image_handler(),
        config.timeout,
    )?;
    println!("server: requests on {request_channel} stream {REQUEST_STREAM_ID}");
    // One response publication per requester, keyed by the session id of its image.
    let mut responders: HashMap<i32, AeronPublication> = HashMap::new();
    let mut assembler = AeronFragmentClosureAssembler::new()?;
    let mut requests: Vec<(i32, Vec<u8>)> = Vec::new();
    let mut served = 0u64;
    while running.load(Ordering::Acquire) {
        let fragments = assembler.poll(
            &subscription,
            |request: &[u8], header: AeronHeader| {
                let session = header.values().map(|v| v.frame().session_id).unwrap_or_default();
                requests.push((session, request.to_vec()));
            },
            10,
        )?;
        for (session, request) in requests.drain(..) {
            let publication = match responders.entry(session) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => {
                    // The image's correlation id names the requester to the driver.
                    let image = subscription
                        .image_by_session_id(session)
                        .ok_or_else(|| common::fail(format!("no image for session {session}")))?;
                    let correlation_id = image.constants()?.correlation_id();
                    let channel =
                        format!("{response_control}|control-mode=response|response-correlation-id={correlation_id}");
                    println!("server: session {session} answered on {channel} stream {RESPONSE_STREAM_ID}");
                    new.insert(aeron.add_publication(&CString::new(channel)?, RESPONSE_STREAM_ID, config.timeout)?)
                }
            };
            // Until the client's response subscription connects, offers are "not connected".
            let response = answer(&request);
            common::offer_until(
                Instant::now() + config.timeout,
                || publication.offer(&response, Handlers::no_reserved_value_supplier_handler()),
                || std::thread::sleep(Duration::from_micros(50)),
            )
            .map_err(|e| common::fail(format!("server could not answer session {session}: {e}")))?;
            served += 1;
        }
        if fragments == 0 {
            std::thread::sleep(Duration::from_micros(50));
        }
    }
    Ok((served, responders.len()))
}

/// One client: its response subscription and its request publication.
struct Client {
    responses: AeronSubscription,
    requests: AeronPublication,
    assembler: AeronFragmentClosureAssembler,
}

/// Creates the clients, sends each request and waits for its answer. Returns the number of
/// responses per client.
fn clients(aeron: &Aeron, request_channel: &str, response_control: &str, config: &Config) -> common::Result<Vec<u64>> {
    let mut clients = Vec::new();
    for c in 0..config.clients {
        let responses = aeron.add_subscription(
            &CString::new(format!("{response_control}|control-mode=response"))?,
            RESPONSE_STREAM_ID,
            Handlers::no_available_image_handler(),
            Handlers::no_unavailable_image_handler(),
            config.timeout,
        )?;
        // The request publication names the response subscription by its registration id.
        let registration_id = responses.constants()?.registration_id();
        let channel = format!("{request_channel}|response-correlation-id={registration_id}");
        println!("client {c}: requests on {channel}");
        let requests = aeron.add_publication(&CString::new(channel)?, REQUEST_STREAM_ID, config.timeout)?;
        clients.push(Client {
            responses,
            requests,
            assembler: AeronFragmentClosureAssembler::new()?,
        });
    }
    common::wait_until("the server's request subscription", config.timeout, || {
        clients.iter().all(|c| c.requests.is_connected())
    })?;

    let mut counts = vec![0u64; clients.len()];
    for i in 0..config.requests {
        for (c, client) in clients.iter_mut().enumerate() {
            let request = format!("client {c} request {i}");
            let deadline = Instant::now() + config.timeout;
            common::offer_until(
                deadline,
                || {
                    client
                        .requests
                        .offer(request.as_bytes(), Handlers::no_reserved_value_supplier_handler())
                },
                std::thread::yield_now,
            )?;
            let mut response: Option<Vec<u8>> = None;
            while response.is_none() {
                client.assembler.poll(
                    &client.responses,
                    |r: &[u8], _: AeronHeader| response = Some(r.to_vec()),
                    1,
                )?;
                if Instant::now() >= deadline {
                    return Err(common::fail(format!("client {c}: no response to {request:?}")));
                }
                std::thread::yield_now();
            }
            let response = response.unwrap_or_default();
            if response != answer(request.as_bytes()) {
                let got = String::from_utf8_lossy(&response);
                return Err(common::fail(format!("client {c}: {request:?} answered with {got:?}")));
            }
            if i == 0 {
                println!("client {c}: {request:?} -> {:?}", String::from_utf8_lossy(&response));
            }
            counts[c] += 1;
        }
    }
    // Nothing else may arrive: no client sees another client's answers.
    let quiet_until = Instant::now() + Duration::from_millis(50);
    while Instant::now() < quiet_until {
        for (c, client) in clients.iter_mut().enumerate() {
            let mut extra = 0;
            client
                .assembler
                .poll(&client.responses, |_: &[u8], _: AeronHeader| extra += 1, 10)?;
            if extra > 0 {
                return Err(common::fail(format!(
                    "client {c} received {extra} responses it did not ask for"
                )));
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(counts)
}

fn main() -> ExitCode {
    common::main(USAGE, Config::from_flags, run)
}
