//! `paginate()` and `requestMany()`: a walk through pages the wrapper's async iterator drives one
//! page at a time, and many calls run in the core with one promise for all of them.

use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Array, FromNapiValue, PromiseRaw, TypeName, ValidateNapiValue};
use napi::{Env, Result, ValueType, sys};
use napi_derive::napi;
use paragon_connect::serde_json::{self, Value};
use paragon_connect::{
    Error, ManyCall, Page, PageArguments, Pages, PaginationArgument, Response, SpanEnd,
    next_page_from_json,
};
use tokio_util::sync::CancellationToken;

use crate::body::CancelToken;
use crate::call::{CallOptions, element, trace_pairs};
use crate::client::NativeClient;
use crate::errors::ErrorDescription;
use crate::events::NodeEvents;
use crate::outcome::{NativeCallRecord, NativeSpan, Outcome};

/// A walk's own options, typed by the wrapper.
#[napi(object, object_to_js = false)]
pub struct NativePageOptions {
    /// `JSON.stringify` of a preset's name or a description; absent for the integration's preset.
    pub pagination: Option<String>,
    /// The wrapper calls a function of the caller's after each page (`setNext`).
    pub custom: Option<bool>,
    pub items: Option<String>,
    pub max_pages: Option<f64>,
    pub max_items: Option<f64>,
}

impl NativePageOptions {
    fn arguments(self) -> std::result::Result<PageArguments, Error> {
        let pagination = match (self.custom == Some(true), self.pagination) {
            (true, _) => Some(PaginationArgument::Function),
            (false, Some(text)) => Some(PaginationArgument::Described(
                serde_json::from_str(&text).map_err(|error| {
                    paragon_connect::InvalidRequestError::new(
                        "pagination",
                        format!("is not JSON: {error}"),
                    )
                })?,
            )),
            (false, None) => None,
        };
        Ok(PageArguments {
            pagination,
            items: self.items,
            max_pages: self.max_pages,
            max_items: self.max_items,
        })
    }
}

/// A walk through pages: `next()` resolves to `["page", [data, items]]` (each `[kind, payload]`
/// or `null`), `["done"]` at the end, or an error.
#[napi]
pub struct NativePages {
    walk: std::result::Result<Arc<tokio::sync::Mutex<Pages>>, Mutex<Option<ErrorDescription>>>,
    exact_integers: bool,
    /// Whether each page's data is wanted: pages are given, or a function reads them.
    wants_data: bool,
    /// The client's events when it has hooks: each page settles after its calls' events reached
    /// them, as `request()` does.
    hooked: Option<Arc<NodeEvents>>,
}

fn page_outcome(page: Option<Page>, wants_data: bool, exact_integers: bool) -> Outcome {
    let Some(page) = page else {
        return Outcome::Done;
    };
    let data = wants_data.then(|| Box::new(Outcome::from_core(Ok(page.data), exact_integers)));
    let items = page.items.map(|items| {
        Box::new(Outcome::from_core(
            Ok(Response::Json(Value::Array(items))),
            exact_integers,
        ))
    });
    Outcome::Page(data, items)
}

#[napi]
impl NativePages {
    /// Why the walk could not start (an argument refused before anything was sent), once.
    #[napi(ts_return_type = "Record<string, unknown> | null")]
    pub fn problem(&self) -> Option<ErrorDescription> {
        match &self.walk {
            Ok(_) => None,
            Err(problem) => problem
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take(),
        }
    }

    /// The client span of the next page's call, or `null` when `next()` makes none (the core's
    /// `Pages::span_start`).
    #[napi]
    pub fn span_start(&self) -> Option<NativeSpan> {
        let walk = self.walk.as_ref().ok()?;
        walk.try_lock().ok()?.span_start().map(NativeSpan::start)
    }

    /// The next page; with `trace`, resolves to `["traced", [outcome, span end]]`, its call
    /// sending `traceHeaders`.
    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn next<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
        trace: Option<bool>,
        trace_headers: Option<Vec<Vec<String>>>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let trace = trace == Some(true);
        let trace_headers = trace_pairs(trace_headers)
            .map_err(|error| napi::Error::from_reason(format!("traceHeaders {}", error.reason)))?;
        let walk = self.walk.as_ref().ok().cloned();
        let (wants_data, exact_integers) = (self.wants_data, self.exact_integers);
        let hooked = self.hooked.clone();
        let cancelled: CancellationToken = cancel
            .map(|cancel| cancel.token.clone())
            .unwrap_or_default();
        crate::settle::settle_later(env, async move {
            let Some(walk) = walk else {
                return Outcome::Done;
            };
            let next = async { walk.lock().await.next_page_traced(trace_headers).await };
            let outcome = tokio::select! {
                page = next => {
                    let end = trace.then(|| NativeSpan::end(SpanEnd::of_page(&page)));
                    match page {
                        Ok(page) => page_outcome(page, wants_data, exact_integers),
                        Err(error) => Outcome::error(error, exact_integers),
                    }
                    .traced(end)
                }
                () = cancelled.cancelled() => {
                    Outcome::Aborted.traced(trace.then(|| NativeSpan::end(SpanEnd::cancelled())))
                }
            };
            if let Some(events) = hooked {
                events.flush().await;
            }
            outcome
        })
    }

    /// `JSON.stringify` of what the pagination function returned for the last page.
    #[napi(ts_return_type = "Record<string, unknown> | null")]
    pub fn set_next(&self, next: String) -> Option<ErrorDescription> {
        let refused = |reason: String| {
            Some(ErrorDescription::from(Error::from(
                paragon_connect::InvalidRequestError::new("pagination", reason),
            )))
        };
        let next: Value = match serde_json::from_str(&next) {
            Ok(next) => next,
            Err(error) => return refused(format!("the function's result is not JSON: {error}")),
        };
        let next = match next_page_from_json(next) {
            Ok(next) => next,
            Err(error) => return Some(Error::from(error).into()),
        };
        let Ok(walk) = &self.walk else {
            return None;
        };
        match walk.try_lock() {
            Ok(mut pages) => {
                pages.set_next(next);
                None
            }
            Err(_) => {
                refused("the next page is being fetched; setNext() follows next()".to_owned())
            }
        }
    }
}

/// One call of `requestMany()`, typed by the wrapper: `[integrationType, path, options, user]`
/// (`NativeManyCall` in native-header.d.ts), by place as [`CallOptions`] is.
pub struct NativeManyCall {
    pub integration_type: String,
    pub path: String,
    pub options: CallOptions,
    pub user: Option<String>,
}

impl TypeName for NativeManyCall {
    fn type_name() -> &'static str {
        "NativeManyCall"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for NativeManyCall {}

impl FromNapiValue for NativeManyCall {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        // SAFETY: as the caller's contract (a value of `env`, on its thread).
        let array = unsafe { Array::from_napi_value(env, value)? };
        let required = |what: &str, value: Option<String>| {
            value.ok_or_else(|| napi::Error::from_reason(format!("a call needs its {what}")))
        };
        Ok(NativeManyCall {
            integration_type: required("integrationType", element(&array, 0)?)?,
            path: required("path", element(&array, 1)?)?,
            options: element(&array, 2)?
                .ok_or_else(|| napi::Error::from_reason("a call needs its options"))?,
            user: element(&array, 3)?,
        })
    }
}

#[napi]
impl NativeClient {
    /// Starts a walk through the pages of `path` (see the core's `Client::paginate`); a refused
    /// argument is kept for `problem()`.
    #[napi]
    pub fn paginate(
        &self,
        integration_type: String,
        path: String,
        options: CallOptions,
        page: NativePageOptions,
        user: Option<String>,
    ) -> NativePages {
        let exact_integers = options.exact_integers();
        let started = (|| {
            let client = self.client_for(user)?;
            let page_options = page
                .arguments()
                .and_then(|arguments| Ok(arguments.into_options()?))
                .map_err(|error| Box::new(error.into()))?;
            let reads_items = page_options.items.is_some();
            let options = options
                .options(None)
                .map_err(|error| Box::new(Error::from(error).into()))?;
            client
                .paginate(&integration_type, &path, options, page_options)
                .map(|pages| (pages, reads_items))
                .map_err(|error| Box::new(ErrorDescription::new(error, exact_integers)))
        })();
        match started {
            Ok((pages, reads_items)) => NativePages {
                wants_data: !reads_items || pages.is_custom(),
                walk: Ok(Arc::new(tokio::sync::Mutex::new(pages))),
                exact_integers,
                hooked: self.hooked(),
            },
            Err(problem) => NativePages {
                walk: Err(Mutex::new(Some(*problem))),
                exact_integers,
                wants_data: true,
                hooked: None,
            },
        }
    }

    /// The span around a `requestMany()` of `calls` calls (see the core's `many_span_start`), or
    /// `null` for a concurrency it refuses.
    #[napi]
    pub fn many_span_start(&self, calls: u32, concurrency: Option<f64>) -> Option<NativeSpan> {
        let concurrency = paragon_connect::concurrency(concurrency).ok()?;
        Some(NativeSpan::start(paragon_connect::many_span_start(
            calls as usize,
            concurrency,
        )))
    }

    /// Makes every call with at most `concurrency` in flight; resolves to `["many", [...]]`, each
    /// call's `[kind, payload]` in order (or, with `stopOnError`, the first error). With
    /// `traceHeaders` (the batch span's), to `["batch", [outcome, span end, call records]]`;
    /// with `recordCalls` false (the batch's span records nothing), without call records.
    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    #[allow(clippy::too_many_arguments)]
    pub fn request_many<'env>(
        &self,
        env: &'env Env,
        calls: Vec<NativeManyCall>,
        concurrency: Option<f64>,
        stop_on_error: bool,
        exact_integers: bool,
        cancel: Option<&CancelToken>,
        trace_headers: Option<Vec<Vec<String>>>,
        record_calls: Option<bool>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let record_calls = record_calls.unwrap_or(true);
        let traced = trace_headers
            .map(|headers| trace_pairs(Some(headers)))
            .transpose()
            .map_err(|error| napi::Error::from_reason(format!("traceHeaders {}", error.reason)))?;
        let prepared = (|| {
            let client = self.client_for(None)?;
            let concurrency = paragon_connect::concurrency(concurrency)
                .map_err(|error| Box::new(Error::from(error).into()))?;
            let mut many = Vec::with_capacity(calls.len());
            for (index, call) in calls.into_iter().enumerate() {
                let options = call.options.options(None).map_err(|error| {
                    let argument = format!(
                        "calls[{index}].{}",
                        crate::errors::camel_case(&error.argument)
                    );
                    Box::new(
                        Error::from(paragon_connect::InvalidRequestError::new(
                            argument,
                            error.reason,
                        ))
                        .into(),
                    )
                })?;
                many.push(ManyCall {
                    integration_type: call.integration_type,
                    path: call.path,
                    options,
                    user: call.user,
                });
            }
            Ok::<_, Box<ErrorDescription>>((client, many, concurrency))
        })();
        let hooked = self.hooked();
        let cancelled: CancellationToken = cancel
            .map(|cancel| cancel.token.clone())
            .unwrap_or_default();
        crate::settle::settle_later(env, async move {
            let (client, many, concurrency) = match prepared {
                Ok(prepared) => prepared,
                // Refused before anything was sent: the wrapper ends the batch's span with it.
                Err(problem) => return Outcome::Error(problem),
            };
            if let Some(headers) = traced {
                let run = client.request_many_traced(
                    many,
                    concurrency,
                    stop_on_error,
                    headers,
                    record_calls,
                );
                let outcome = tokio::select! {
                    traced = run => {
                        let records = traced.calls.into_iter().flatten().map(NativeCallRecord::new).collect();
                        batch(many_outcome(traced.results, exact_integers), traced.end, records)
                    }
                    () = cancelled.cancelled() => batch(Outcome::Aborted, SpanEnd::cancelled(), Vec::new()),
                };
                if let Some(events) = hooked {
                    events.flush().await;
                }
                return outcome;
            }
            let outcome = tokio::select! {
                results = client.request_many(many, concurrency, stop_on_error) => {
                    many_outcome(results, exact_integers)
                }
                () = cancelled.cancelled() => Outcome::Aborted,
            };
            if let Some(events) = hooked {
                events.flush().await;
            }
            outcome
        })
    }
}

/// The results of `requestMany()` as the wrapper settles them.
fn many_outcome(
    results: paragon_connect::Result<Vec<paragon_connect::Result<Response>>>,
    exact_integers: bool,
) -> Outcome {
    match results {
        Ok(results) => Outcome::Many(
            results
                .into_iter()
                .map(|result| Outcome::from_core(result, exact_integers))
                .collect(),
        ),
        Err(error) => Outcome::error(error, exact_integers),
    }
}

fn batch(outcome: Outcome, end: SpanEnd, records: Vec<NativeCallRecord>) -> Outcome {
    Outcome::Batch(Box::new(outcome), NativeSpan::end(end), records)
}
