//! Several HTTP clients (lanes) for one `Client`, so that HTTP/2 is not capped by one connection.
//!
//! hyper keeps one HTTP/2 connection per host and never opens a second (RFC 9113, 9.1): calls
//! beyond the server's `SETTINGS_MAX_CONCURRENT_STREAMS` (100 to 250 on most servers and load
//! balancers) wait for a free stream, so 1,000 calls in flight at 50 ms ran at 200 / 0.05 s. Like
//! Go's, .NET's and undici's clients, this one opens another connection when one is full: another
//! lane, with its own pool, made when every lane so far has [`STREAMS_PER_LANE`] calls in flight
//! over HTTP/2. Over HTTP/1.1 one lane is enough (each call has its connection anyway) and more
//! would only split the idle pool, so calls stay on the first lane until an answer says HTTP/2.
//! Calls are counted per lane, not per host: a client's calls nearly all go to the proxy.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Calls in flight on one lane before the next lane is used: the least a server may offer
/// (RFC 9113 recommends no fewer than 100 streams).
pub(crate) const STREAMS_PER_LANE: usize = 100;

/// At most this many lanes (connections per host over HTTP/2): 3,200 calls in flight.
const MAX_LANES: usize = 32;

type Build<H> = dyn Fn() -> H + Send + Sync;

/// The lanes of HTTP clients `H` (generic so the tests need no network).
pub(crate) struct Lanes<H> {
    lanes: [OnceLock<Lane<H>>; MAX_LANES],
    /// Makes another lane's HTTP client.
    build: Box<Build<H>>,
}

struct Lane<H> {
    http: H,
    in_flight: AtomicUsize,
    /// Whether an answer on this lane came over HTTP/2.
    http2: AtomicBool,
}

/// A lane taken for one attempt: its call counts as in flight until this is dropped.
pub(crate) struct Taken<'a, H> {
    lane: &'a Lane<H>,
}

impl<H> Lanes<H> {
    /// Lanes starting with `first`; `build` makes the others when they are needed.
    pub(crate) fn new(first: H, build: impl Fn() -> H + Send + Sync + 'static) -> Lanes<H> {
        let lanes: [OnceLock<Lane<H>>; MAX_LANES] = std::array::from_fn(|_| OnceLock::new());
        let _ = lanes[0].set(Lane::new(first, false));
        Lanes {
            lanes,
            build: Box::new(build),
        }
    }

    /// The first lane's client (the one HTTP/1.1 calls use).
    #[cfg(feature = "fake")]
    pub(crate) fn first(&self) -> &H {
        &self.lanes[0]
            .get()
            .expect("the first lane is made with the lanes")
            .http
    }

    /// The lane for the next attempt: the first with a free stream, a new one when all are full
    /// over HTTP/2, else the least busy.
    pub(crate) fn take(&self) -> Taken<'_, H> {
        let mut least: Option<&Lane<H>> = None;
        for slot in &self.lanes {
            let lane = match slot.get() {
                Some(lane) => lane,
                // Every lane so far is full over HTTP/2 (else the loop would have stopped).
                None => slot.get_or_init(|| Lane::new((self.build)(), true)),
            };
            let in_flight = lane.in_flight.load(Ordering::Relaxed);
            if in_flight < STREAMS_PER_LANE || !lane.http2.load(Ordering::Relaxed) {
                return Taken::of(lane);
            }
            if least.is_none_or(|other| in_flight < other.in_flight.load(Ordering::Relaxed)) {
                least = Some(lane);
            }
        }
        Taken::of(least.unwrap_or_else(|| self.lanes[0].get().expect("the first lane exists")))
    }

    /// How many lanes have been made (for tests).
    #[cfg(test)]
    fn made(&self) -> usize {
        self.lanes
            .iter()
            .filter(|slot| slot.get().is_some())
            .count()
    }
}

impl<H> Lane<H> {
    fn new(http: H, http2: bool) -> Lane<H> {
        Lane {
            http,
            in_flight: AtomicUsize::new(0),
            http2: AtomicBool::new(http2),
        }
    }
}

impl<'a, H> Taken<'a, H> {
    fn of(lane: &'a Lane<H>) -> Taken<'a, H> {
        lane.in_flight.fetch_add(1, Ordering::Relaxed);
        Taken { lane }
    }

    pub(crate) fn http(&self) -> &H {
        &self.lane.http
    }

    /// Notes the protocol an answer came over: HTTP/2 lets the next calls spread.
    pub(crate) fn answered(&self, version: http::Version) {
        if version == http::Version::HTTP_2 && !self.lane.http2.load(Ordering::Relaxed) {
            self.lane.http2.store(true, Ordering::Relaxed);
        }
    }
}

impl<H> Drop for Taken<'_, H> {
    fn drop(&mut self) {
        self.lane.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lanes() -> Lanes<()> {
        Lanes::new((), || ())
    }

    fn in_flight(lanes: &Lanes<()>, index: usize) -> usize {
        lanes.lanes[index]
            .get()
            .expect("the lane")
            .in_flight
            .load(Ordering::Relaxed)
    }

    #[test]
    fn http1_calls_stay_on_the_first_lane() {
        let lanes = lanes();
        let taken: Vec<_> = (0..STREAMS_PER_LANE * 3).map(|_| lanes.take()).collect();
        assert_eq!(lanes.made(), 1);
        drop(taken);
        assert_eq!(in_flight(&lanes, 0), 0);
    }

    #[test]
    fn http2_calls_beyond_a_full_lane_open_the_next_and_come_back_when_it_frees() {
        let lanes = lanes();
        lanes.take().answered(http::Version::HTTP_2);
        let mut taken: Vec<_> = (0..STREAMS_PER_LANE * 2 + 1)
            .map(|_| lanes.take())
            .collect();
        assert_eq!(lanes.made(), 3);
        assert_eq!(in_flight(&lanes, 2), 1);
        // A freed stream on the first lane is used before the later lanes.
        taken.swap_remove(0);
        let next = lanes.take();
        assert!(std::ptr::eq(next.lane, lanes.lanes[0].get().unwrap()));
    }

    #[test]
    fn past_the_last_lane_the_calls_share_the_least_busy() {
        let lanes = lanes();
        lanes.take().answered(http::Version::HTTP_2);
        let _taken: Vec<_> = (0..STREAMS_PER_LANE * MAX_LANES + 5)
            .map(|_| lanes.take())
            .collect();
        assert_eq!(lanes.made(), MAX_LANES);
        let total: usize = (0..MAX_LANES).map(|index| in_flight(&lanes, index)).sum();
        assert_eq!(total, STREAMS_PER_LANE * MAX_LANES + 5);
        assert!((0..MAX_LANES).all(|index| in_flight(&lanes, index) <= STREAMS_PER_LANE + 1));
    }
}
