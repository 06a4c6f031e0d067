//! Call events into the caller's logger: the wrapper turns the `logger` option into one function
//! `(level, message, fields)`, and events the `logLevel` wants are queued to it on Node's main
//! thread (never run on an I/O thread), in order.

use napi::Status;
use napi::bindgen_prelude::{FnArgs, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use paragon_connect::{CallEvent, ConfigError, EventSink, Level};

/// An event's fields, as the logger receives them (times in milliseconds).
#[napi_derive::napi(object)]
pub struct LogFields {
    /// `sending`, `answered`, `retrying` or `gaveUp`.
    pub event: String,
    pub method: String,
    pub integration: String,
    /// The call's path, without its query string.
    pub path: String,
    pub attempt: u32,
    pub status: Option<u32>,
    pub elapsed_ms: Option<f64>,
    pub delay_ms: Option<f64>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

type Arguments = FnArgs<(String, String, LogFields)>;

/// The wrapper's log function as the constructor receives it.
pub type JsLogFunction<'env> = Function<'env, Arguments, ()>;

/// The wrapper's `(level, message, fields) => void`. Weak: it does not keep the process alive.
type LogFunction = ThreadsafeFunction<Arguments, (), Arguments, Status, false, true>;

pub struct NodeLogging {
    least: Level,
    function: LogFunction,
}

impl NodeLogging {
    /// The sink for `function` at `level` (`debug`, `info`, `warn`, `error` or `off`), or none
    /// when no event could pass.
    pub fn new(
        function: JsLogFunction<'_>,
        level: &str,
    ) -> napi::Result<Result<Option<NodeLogging>, ConfigError>> {
        let least = match level {
            "debug" => Level::Debug,
            "info" | "warn" => Level::Warning,
            "error" | "off" => return Ok(Ok(None)),
            other => {
                return Ok(Err(ConfigError::new(
                    "log_level",
                    format!("must be 'debug', 'info', 'warn', 'error' or 'off', not {other:?}"),
                )));
            }
        };
        let function = function
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(Ok(Some(NodeLogging { least, function })))
    }
}

impl EventSink for NodeLogging {
    fn wants(&self, level: Level) -> bool {
        level >= self.least
    }

    fn event(&self, event: CallEvent) {
        let level = match event.level {
            Level::Debug => "debug",
            Level::Warning => "warn",
        };
        let kind = match event.kind {
            paragon_connect::EventKind::Sending => "sending",
            paragon_connect::EventKind::Answered => "answered",
            paragon_connect::EventKind::Retrying => "retrying",
            paragon_connect::EventKind::GaveUp => "gaveUp",
        };
        let millis = |duration: Option<std::time::Duration>| {
            duration.map(|duration| duration.as_secs_f64() * 1000.0)
        };
        let message = event.to_string();
        let fields = LogFields {
            event: kind.to_owned(),
            method: event.method,
            integration: event.integration,
            path: event.path,
            attempt: event.attempt,
            status: event.status.map(u32::from),
            elapsed_ms: millis(event.elapsed),
            delay_ms: millis(event.delay),
            reason: event.reason,
            request_id: event.request_id,
        };
        let arguments = FnArgs {
            data: (level.to_owned(), message, fields),
        };
        self.function
            .call(arguments, ThreadsafeFunctionCallMode::NonBlocking);
    }
}
