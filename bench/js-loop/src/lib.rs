//! A prototype (issue 18), not part of the package: the core's calls driven on the JavaScript
//! thread's own event loop instead of handed to an I/O thread.
//!
//! The package runs each call on a tokio worker thread and settles its promise back on the
//! JavaScript thread: two thread wake-ups per call, one each way. Here a current-thread tokio
//! runtime lives on the JavaScript thread itself. libuv watches that runtime's epoll
//! descriptor; when it is readable, the runtime runs what is ready and the finished calls'
//! promises are settled in place, with no other thread involved. Linux only (epoll), and only
//! what the benchmark's calls need: a JSON body or none, the answer as JSON text.

use std::cell::RefCell;
use std::ffi::{c_int, c_void};
use std::fs;
use std::os::fd::RawFd;
use std::ptr;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Error, Result, Status, check_status, sys};
use napi_derive::napi;
use paragon_connect::serde_json;
use paragon_connect::{Body, Client, RequestOptions, Response};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// libuv's, from the node binary that loads the module.
const UV_POLL: c_int = 8;
const UV_TIMER: c_int = 13;
const UV_READABLE: c_int = 1;

/// Room for a libuv handle; `uv_handle_size` is checked against it.
#[repr(C, align(16))]
struct UvHandle([u8; 256]);

unsafe extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_poll_init(event_loop: *mut c_void, handle: *mut UvHandle, fd: c_int) -> c_int;
    fn uv_poll_start(
        handle: *mut UvHandle,
        events: c_int,
        callback: unsafe extern "C" fn(*mut UvHandle, c_int, c_int),
    ) -> c_int;
    fn uv_timer_init(event_loop: *mut c_void, handle: *mut UvHandle) -> c_int;
    fn uv_timer_start(
        handle: *mut UvHandle,
        callback: unsafe extern "C" fn(*mut UvHandle),
        timeout: u64,
        repeat: u64,
    ) -> c_int;
    fn uv_timer_stop(handle: *mut UvHandle) -> c_int;
    fn uv_ref(handle: *mut UvHandle);
    fn uv_unref(handle: *mut UvHandle);
}

type Outcome = std::result::Result<String, String>;

/// The runtime on the JavaScript thread, its client, and the promises of calls in flight.
struct Loop {
    env: sys::napi_env,
    runtime: tokio::runtime::Runtime,
    /// By the number `connect` gave.
    clients: Vec<Client>,
    /// Filled by the calls' tasks, which run on this thread inside `tick`.
    finished: Arc<Mutex<Vec<(usize, Outcome)>>>,
    /// Each call's deferred, by id; `None` once settled.
    deferreds: Vec<Option<sys::napi_deferred>>,
    free: Vec<usize>,
    pending: usize,
    /// On the runtime's epoll descriptor; referenced (keeping Node alive) while calls are pending.
    /// Leaked: libuv holds it until the process ends.
    poll: &'static mut UvHandle,
    /// Every millisecond while calls are pending: a task woken in the last tick's I/O poll, with
    /// no further readiness on the descriptor, would otherwise wait.
    timer: &'static mut UvHandle,
    resource: sys::napi_ref,
    context: sys::napi_async_context,
}

thread_local! {
    static LOOP: RefCell<Option<Loop>> = const { RefCell::new(None) };
}

fn failed(what: &str, code: c_int) -> Error {
    Error::new(Status::GenericFailure, format!("{what} failed ({code})"))
}

/// The epoll descriptors this process has open.
fn epoll_fds() -> Vec<RawFd> {
    let Ok(entries) = fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| {
            fs::read_link(entry.path())
                .is_ok_and(|target| target.to_string_lossy() == "anon_inode:[eventpoll]")
        })
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect()
}

/// Runs what is ready: each `block_on(yield_now())` runs the ready tasks, then polls the I/O
/// driver without waiting; tasks it wakes run in the next one. Three cover an answer (the
/// connection's task reads it, the call's task finishes) and a call's start.
fn tick(runtime: &tokio::runtime::Runtime) {
    for _ in 0..3 {
        runtime.block_on(tokio::task::yield_now());
    }
}

impl Loop {
    fn new(env: sys::napi_env) -> Result<Loop> {
        let before = epoll_fds();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| Error::from_reason(error.to_string()))?;
        let epoll = epoll_fds()
            .into_iter()
            .find(|fd| !before.contains(fd))
            .ok_or_else(|| Error::from_reason("the runtime's epoll descriptor was not found"))?;
        // SAFETY: N-API and libuv calls on the JavaScript thread of `env`; the handles are boxed
        // (never moved) and leaked: libuv may use them until the process ends.
        unsafe {
            for kind in [UV_POLL, UV_TIMER] {
                if uv_handle_size(kind) > size_of::<UvHandle>() {
                    return Err(Error::from_reason("libuv's handle is larger than expected"));
                }
            }
            let mut event_loop = ptr::null_mut();
            check_status!(sys::napi_get_uv_event_loop(env, &mut event_loop))?;
            let event_loop = event_loop.cast::<c_void>();
            let poll = Box::leak(Box::new(UvHandle([0; 256])));
            let timer = Box::leak(Box::new(UvHandle([0; 256])));
            let code = uv_poll_init(event_loop, poll, epoll);
            if code != 0 {
                return Err(failed("uv_poll_init", code));
            }
            let code = uv_poll_start(poll, UV_READABLE, on_readable);
            if code != 0 {
                return Err(failed("uv_poll_start", code));
            }
            uv_unref(poll);
            let code = uv_timer_init(event_loop, timer);
            if code != 0 {
                return Err(failed("uv_timer_init", code));
            }
            uv_unref(timer);
            let (mut object, mut name, mut resource, mut context) = (
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
            );
            check_status!(sys::napi_create_object(env, &mut object))?;
            check_status!(sys::napi_create_reference(env, object, 1, &mut resource))?;
            let label = "paragon-js-loop";
            check_status!(sys::napi_create_string_utf8(
                env,
                label.as_ptr().cast(),
                label.len() as isize,
                &mut name
            ))?;
            check_status!(sys::napi_async_init(env, object, name, &mut context))?;
            Ok(Loop {
                env,
                runtime,
                clients: Vec::new(),
                finished: Arc::default(),
                deferreds: Vec::new(),
                free: Vec::new(),
                pending: 0,
                poll,
                timer,
                resource,
                context,
            })
        }
    }

    fn start(
        &mut self,
        deferred: sys::napi_deferred,
        client: Client,
        method: String,
        path: String,
        body: Option<String>,
    ) {
        let id = match self.free.pop() {
            Some(id) => {
                self.deferreds[id] = Some(deferred);
                id
            }
            None => {
                self.deferreds.push(Some(deferred));
                self.deferreds.len() - 1
            }
        };
        if self.pending == 0 {
            // SAFETY: on the JavaScript thread; the handles live as long as `self`.
            unsafe {
                uv_ref(self.poll);
                uv_timer_start(self.timer, on_timer, 1, 1);
            }
        }
        self.pending += 1;
        let finished = self.finished.clone();
        self.runtime.spawn(Box::pin(async move {
            let body = body.map(|body| serde_json::from_str(&body)).transpose();
            let outcome = match body {
                Err(error) => Err(format!("the body is not JSON: {error}")),
                Ok(json) => {
                    let mut options = RequestOptions::new().method(method).json_as_text(true);
                    if let Some(json) = json {
                        options = options.body(Body::Json(json));
                    }
                    match client.request("slack", &path, options).await {
                        Ok(Response::JsonText(text)) => Ok(text),
                        Ok(other) => Err(format!("an unexpected answer: {other:?}")),
                        Err(error) => Err(error.to_string()),
                    }
                }
            };
            finished
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push((id, outcome));
        }));
        tick(&self.runtime);
    }

    /// Takes the finished calls' deferreds and outcomes.
    fn take_finished(&mut self) -> Vec<(sys::napi_deferred, Outcome)> {
        let done = std::mem::take(
            &mut *self
                .finished
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let taken: Vec<_> = done
            .into_iter()
            .filter_map(|(id, outcome)| {
                let deferred = self.deferreds[id].take()?;
                self.free.push(id);
                Some((deferred, outcome))
            })
            .collect();
        self.pending -= taken.len();
        if self.pending == 0 && !taken.is_empty() {
            // SAFETY: on the JavaScript thread; nothing pending, so Node may exit.
            unsafe {
                uv_unref(self.poll);
                uv_timer_stop(self.timer);
            }
        }
        taken
    }
}

/// Settles the promises of finished calls. `scope` is given outside any JavaScript call (a libuv
/// callback): a callback scope is opened, and its close runs the microtasks the settling queued.
unsafe fn settle(
    env: sys::napi_env,
    scope: Option<(sys::napi_ref, sys::napi_async_context)>,
    done: Vec<(sys::napi_deferred, Outcome)>,
) {
    // SAFETY: on the JavaScript thread of `env`; each deferred is settled once.
    unsafe {
        let mut handles = ptr::null_mut();
        sys::napi_open_handle_scope(env, &mut handles);
        let mut callback_scope = ptr::null_mut();
        if let Some((resource, context)) = scope {
            let mut object = ptr::null_mut();
            sys::napi_get_reference_value(env, resource, &mut object);
            sys::napi_open_callback_scope(env, object, context, &mut callback_scope);
        }
        for (deferred, outcome) in done {
            let mut value = ptr::null_mut();
            match outcome {
                Ok(text) => {
                    sys::napi_create_string_utf8(
                        env,
                        text.as_ptr().cast(),
                        text.len() as isize,
                        &mut value,
                    );
                    sys::napi_resolve_deferred(env, deferred, value);
                }
                Err(message) => {
                    let mut text = ptr::null_mut();
                    sys::napi_create_string_utf8(
                        env,
                        message.as_ptr().cast(),
                        message.len() as isize,
                        &mut text,
                    );
                    sys::napi_create_error(env, ptr::null_mut(), text, &mut value);
                    sys::napi_reject_deferred(env, deferred, value);
                }
            }
        }
        if !callback_scope.is_null() {
            sys::napi_close_callback_scope(env, callback_scope);
        }
        sys::napi_close_handle_scope(env, handles);
    }
}

/// From libuv: runs the runtime, then settles what finished (outside the borrow of the loop:
/// the microtasks that settling runs may start calls).
fn drive() {
    let ready = LOOP.with_borrow_mut(|state| {
        let state = state.as_mut()?;
        tick(&state.runtime);
        Some((
            state.env,
            state.resource,
            state.context,
            state.take_finished(),
        ))
    });
    if let Some((env, resource, context, done)) = ready
        && !done.is_empty()
    {
        // SAFETY: on the JavaScript thread, from a libuv callback.
        unsafe { settle(env, Some((resource, context)), done) };
    }
}

unsafe extern "C" fn on_readable(_handle: *mut UvHandle, _status: c_int, _events: c_int) {
    drive();
}

unsafe extern "C" fn on_timer(_handle: *mut UvHandle) {
    drive();
}

/// Makes a client calling `url` (Paragon's proxy) with `token`, trusting `ca_certs` (a PEM
/// file) if given, on this thread's runtime (made by the first call); returns its number.
#[napi]
pub fn connect(env: &Env, url: String, token: String, ca_certs: Option<String>) -> Result<u32> {
    LOOP.with_borrow_mut(|state| {
        if state.is_none() {
            *state = Some(Loop::new(env.raw())?);
        }
        let state = state.as_mut().expect("made above");
        let _inside = state.runtime.enter();
        let mut builder = Client::builder()
            .ignore_environment()
            .project_id("p")
            .user_token(token)
            .proxy_base_url(url);
        if let Some(ca_certs) = ca_certs {
            builder = builder.ca_certs(ca_certs);
        }
        let client = builder
            .build()
            .map_err(|error| Error::from_reason(error.to_string()))?;
        state.clients.push(client);
        Ok(state.clients.len() as u32 - 1)
    })
}

/// Calls Slack's `path` through the proxy with `body` (JSON text, if any); resolves to the
/// answer's `output` as JSON text.
#[napi(ts_return_type = "Promise<string>")]
pub fn request<'env>(
    env: &'env Env,
    client: u32,
    method: String,
    path: String,
    body: Option<String>,
) -> Result<PromiseRaw<'env, String>> {
    let raw_env = env.raw();
    let (mut deferred, mut promise) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: on the JavaScript thread of `raw_env`.
    check_status!(unsafe { sys::napi_create_promise(raw_env, &mut deferred, &mut promise) })?;
    let done = LOOP.with_borrow_mut(|state| {
        let state = state
            .as_mut()
            .ok_or_else(|| Error::from_reason("no client: call connect() first"))?;
        let client = state
            .clients
            .get(client as usize)
            .ok_or_else(|| Error::from_reason("no such client"))?
            .clone();
        state.start(deferred, client, method, path, body);
        Ok::<_, Error>(state.take_finished())
    })?;
    if !done.is_empty() {
        // SAFETY: inside this JavaScript call: its return runs the microtasks.
        unsafe { settle(raw_env, None, done) };
    }
    Ok(PromiseRaw::new(raw_env, promise))
}
