//! Call events into the caller's logger and hooks: the wrapper turns the `logger`, `onRequest`
//! and `onResponse` options into one function `(level, message, fields)`, and the events they
//! want are queued to it on Node's main thread (never run on an I/O thread), in order. `level` is
//! `null` for an event only the hooks want. A call of a client with hooks settles only after its
//! events were delivered ([`NodeEvents::flush`]).

use napi::Status;
use napi::bindgen_prelude::{FnArgs, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use paragon_connect::{CallEvent, ConfigError, EventKind, EventSink, Level};

/// An event's fields, as the logger and hooks receive them (times in milliseconds).
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

type Arguments = FnArgs<(Option<String>, String, Option<LogFields>)>;

/// The wrapper's events function as the constructor receives it.
pub type JsEventFunction<'env> = Function<'env, Arguments, ()>;

/// The wrapper's `(level, message, fields) => void`. Weak: it does not keep the process alive.
type EventFunction = ThreadsafeFunction<Arguments, (), Arguments, Status, false, true>;

pub struct NodeEvents {
    /// The least level the logger wants (`None`: no logger, or `logLevel` off).
    least: Option<Level>,
    /// Whether `onRequest` or `onResponse` was given.
    hooks: bool,
    function: EventFunction,
}

impl NodeEvents {
    /// The sink for `function`, logging at `level` (`debug`, `info`, `warn`, `error` or `off`;
    /// `None` without a logger) and calling hooks if `hooks`; none when no event could pass.
    pub fn new(
        function: JsEventFunction<'_>,
        level: Option<&str>,
        hooks: bool,
    ) -> napi::Result<Result<Option<NodeEvents>, ConfigError>> {
        let least = match level {
            None | Some("error" | "off") => None,
            Some("debug") => Some(Level::Debug),
            Some("info" | "warn") => Some(Level::Warning),
            Some(other) => {
                return Ok(Err(ConfigError::new(
                    "log_level",
                    format!("must be 'debug', 'info', 'warn', 'error' or 'off', not {other:?}"),
                )));
            }
        };
        if least.is_none() && !hooks {
            return Ok(Ok(None));
        }
        let function = function
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(Ok(Some(NodeEvents {
            least,
            hooks,
            function,
        })))
    }

    /// Whether calls wait for their events to be delivered (the client has hooks).
    pub fn has_hooks(&self) -> bool {
        self.hooks
    }

    /// Resolves once every event queued before has been delivered to the function.
    pub async fn flush(&self) {
        let (done, delivered) = tokio::sync::oneshot::channel();
        let arguments = FnArgs {
            data: (None, String::new(), None),
        };
        self.function.call_with_return_value(
            arguments,
            ThreadsafeFunctionCallMode::NonBlocking,
            move |_, _| {
                let _ = done.send(());
                Ok(())
            },
        );
        // Dropped undelivered: the environment is shutting down, nothing to wait for.
        let _ = delivered.await;
    }

    fn logs(&self, level: Level) -> bool {
        self.least.is_some_and(|least| level >= least)
    }
}

impl EventSink for NodeEvents {
    fn wants(&self, level: Level) -> bool {
        // Attempts are sent and answered at debug level.
        self.logs(level) || (self.hooks && level == Level::Debug)
    }

    fn event(&self, event: CallEvent) {
        let hooked = self.hooks && matches!(event.kind, EventKind::Sending | EventKind::Answered);
        let level = self.logs(event.level).then_some(match event.level {
            Level::Debug => "debug",
            Level::Warning => "warn",
        });
        if level.is_none() && !hooked {
            return;
        }
        let kind = match event.kind {
            EventKind::Sending => "sending",
            EventKind::Answered => "answered",
            EventKind::Retrying => "retrying",
            EventKind::GaveUp => "gaveUp",
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
            data: (level.map(str::to_owned), message, Some(fields)),
        };
        self.function
            .call(arguments, ThreadsafeFunctionCallMode::NonBlocking);
    }
}
