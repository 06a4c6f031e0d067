//! Many calls at once ([`Client::request_many`]): at most N in flight, the results in the order
//! the calls were given, each its own value or error.

use tokio::task::JoinSet;

use crate::client::Client;
use crate::error::{Error, InvalidRequestError, Result};
use crate::request::RequestOptions;
use crate::response::Response;

/// How many calls `request_many` runs at once unless told.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// The most calls `request_many` runs at once.
pub const MOST_CONCURRENCY: u64 = 10_000;

/// `concurrency` as a language gives it (`None`: [`DEFAULT_CONCURRENCY`]), or why it is not one.
pub fn concurrency(value: Option<f64>) -> Result<usize, InvalidRequestError> {
    match value {
        None => Ok(DEFAULT_CONCURRENCY),
        Some(value) => crate::arguments::whole_number(value, 1, MOST_CONCURRENCY)
            .map(|value| value as usize)
            .map_err(|reason| InvalidRequestError::new("concurrency", reason)),
    }
}

/// One call of [`Client::request_many`]: what [`Client::request`] takes, and optionally the user
/// it is made for (a signing-key client signs a token per user).
#[derive(Debug, Clone, Default)]
pub struct ManyCall {
    pub integration_type: String,
    pub path: String,
    pub options: RequestOptions,
    pub user: Option<String>,
}

impl Client {
    /// Makes every call with at most `concurrency` in flight and gives each result in the order
    /// of `calls`: a failed call does not stop or hide the others. With `stop_on_error`, the
    /// first failure is returned instead, the calls in flight are dropped and the rest are not
    /// sent. Every call is checked before any is sent; a bad one is refused naming its index
    /// (`calls[3].path`). Dropping the future stops every call.
    pub async fn request_many(
        &self,
        calls: Vec<ManyCall>,
        concurrency: usize,
        stop_on_error: bool,
    ) -> Result<Vec<Result<Response>>> {
        if concurrency == 0 || concurrency as u64 > MOST_CONCURRENCY {
            return Err(InvalidRequestError::new(
                "concurrency",
                format!("must be a whole number from 1 to {MOST_CONCURRENCY}, not {concurrency}"),
            )
            .into());
        }
        let mut prepared = Vec::with_capacity(calls.len());
        for (index, call) in calls.into_iter().enumerate() {
            let at = |error: Error| match error {
                Error::InvalidRequest(invalid) => Error::InvalidRequest(InvalidRequestError::new(
                    format!("calls[{index}].{}", invalid.argument),
                    invalid.reason,
                )),
                other => other,
            };
            let client = match &call.user {
                Some(user) => self.user(user.clone()).map_err(at)?,
                None => self.clone(),
            };
            let request = client
                .prepare(&call.integration_type, &call.path, call.options)
                .map_err(at)?;
            prepared.push((client, request));
        }
        let total = prepared.len();
        let mut results: Vec<Option<Result<Response>>> = (0..total).map(|_| None).collect();
        let mut waiting = prepared.into_iter().enumerate();
        // Each call is its own task, so calls spread over the I/O threads; dropping the set
        // aborts those still running.
        let mut running = JoinSet::new();
        let mut start_next = |running: &mut JoinSet<(usize, Result<Response>)>| {
            if let Some((index, (client, request))) = waiting.next() {
                running.spawn(async move { (index, client.send(request).await) });
            }
        };
        for _ in 0..concurrency.min(total) {
            start_next(&mut running);
        }
        while let Some(joined) = running.join_next().await {
            let (index, result) = match joined {
                Ok(done) => done,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(error) => {
                    unreachable!("no call task is aborted while the set is held: {error}")
                }
            };
            let result = match result {
                Err(error) if stop_on_error => return Err(error),
                result => result,
            };
            results[index] = Some(result);
            start_next(&mut running);
        }
        Ok(results
            .into_iter()
            .map(|result| result.expect("every call ran"))
            .collect())
    }
}
