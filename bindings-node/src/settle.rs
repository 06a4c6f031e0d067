//! Promises of work done on the I/O threads, settled on the JavaScript thread in batches.
//!
//! napi-rs's `spawn_future` makes a threadsafe function (a libuv handle, cleanup hooks) for every
//! promise and wakes the event loop once per promise. Here each JavaScript thread has one
//! threadsafe function: an I/O thread queues its finished work and calls it only if the queue was
//! empty, and the event loop then settles every queued promise in one go. The threadsafe
//! function keeps the loop alive only while promises are pending, as a socket would.

use std::cell::RefCell;
use std::ffi::c_void;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::ptr;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::FutureExt;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{Env, JsError, Result, check_status, sys};

/// A raw N-API handle moved between threads; only ever used on the JavaScript thread that made
/// it (deferreds) or through thread-safe calls (the threadsafe function).
struct Handle<T>(T);

// SAFETY: `Handle` wraps only raw N-API pointers (`napi_deferred`, `napi_threadsafe_function`),
// which carry no thread-affine Rust state: moving the pointer is sound, and every use of it is an
// N-API call made on the JavaScript thread that created it (deferreds, settled in the drain) or
// one N-API documents as callable from any thread (`napi_call_threadsafe_function`).
unsafe impl<T> Send for Handle<T> {}

/// Turns the work's result into the value the promise resolves to (on the JavaScript thread).
type Settle = Box<dyn FnOnce(sys::napi_env) -> Result<sys::napi_value> + Send>;

struct Finished {
    deferred: Handle<sys::napi_deferred>,
    settle: Settle,
}

/// One JavaScript thread's queue of finished work and the threadsafe function that drains it.
struct Completions {
    /// `None` once Node has finalized the threadsafe function (the environment is going away).
    wake: Mutex<Option<Handle<sys::napi_threadsafe_function>>>,
    finished: Mutex<Vec<Finished>>,
}

/// Per JavaScript thread (Node runs one environment per thread).
struct Local {
    completions: Arc<Completions>,
    /// Promises not settled yet: the threadsafe function is referenced while there are any.
    pending: usize,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a promise resolves to when its task panicked.
pub trait FromPanic {
    fn from_panic(message: String) -> Self;
}

impl FromPanic for bool {
    /// `BodyWriter.write`: the request no longer reads.
    fn from_panic(_message: String) -> Self {
        false
    }
}

/// Runs `work` on the runtime and returns a promise of its value. A panic in `work` settles the
/// promise with `T::from_panic` (for a call, the base `ParagonError`) instead of crashing the
/// process.
pub fn settle_later<'env, T: ToNapiValue + FromPanic + Send + 'static>(
    env: &'env Env,
    work: impl Future<Output = T> + Send + 'static,
) -> Result<PromiseRaw<'env, T>> {
    let raw_env = env.raw();
    // A call's future is kilobytes: boxed once here, it is not copied again on its way into the
    // runtime's task.
    let work = Box::pin(work);
    let promise = LOCAL.with_borrow_mut(|local| -> Result<sys::napi_value> {
        let usable = local
            .as_ref()
            .is_some_and(|local| lock(&local.completions.wake).is_some());
        if !usable {
            *local = Some(Local {
                completions: Completions::new(raw_env)?,
                pending: 0,
            });
        }
        let local = local.as_mut().expect("set above");
        let (mut deferred, mut promise) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: on the JavaScript thread of `raw_env`.
        check_status!(unsafe { sys::napi_create_promise(raw_env, &mut deferred, &mut promise) })?;
        if local.pending == 0
            && let Some(wake) = lock(&local.completions.wake).as_ref()
        {
            // SAFETY: as above; referencing keeps the event loop alive for the pending promise.
            check_status!(unsafe { sys::napi_ref_threadsafe_function(raw_env, wake.0) })?;
        }
        local.pending += 1;
        let queued = local.completions.clone();
        let deferred = Handle(deferred);
        napi::bindgen_prelude::spawn(async move {
            let value = match AssertUnwindSafe(work).catch_unwind().await {
                Ok(value) => value,
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|text| (*text).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    T::from_panic(format!(
                        "paragon-connect: the call's task failed: {message}"
                    ))
                }
            };
            // SAFETY: `settle` runs on the JavaScript thread, in the drain.
            let settle: Settle = Box::new(move |env| unsafe { T::to_napi_value(env, value) });
            queued.push(Finished { deferred, settle });
        });
        Ok(promise)
    })?;
    Ok(PromiseRaw::new(raw_env, promise))
}

impl Completions {
    fn new(env: sys::napi_env) -> Result<Arc<Completions>> {
        let completions = Arc::new(Completions {
            wake: Mutex::new(None),
            finished: Mutex::new(Vec::new()),
        });
        let mut name = ptr::null_mut();
        let label = "paragon-connect";
        // SAFETY: on the JavaScript thread of `env`. The threadsafe function owns one count of
        // `completions` (its context), given back in `finalize`.
        unsafe {
            check_status!(sys::napi_create_string_utf8(
                env,
                label.as_ptr().cast(),
                label.len() as isize,
                &mut name
            ))?;
            let context = Arc::into_raw(completions.clone()) as *mut c_void;
            let mut wake = ptr::null_mut();
            let created = sys::napi_create_threadsafe_function(
                env,
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                context,
                Some(finalize),
                context,
                Some(drain),
                &mut wake,
            );
            if created != sys::Status::napi_ok {
                drop(Arc::from_raw(context as *const Completions));
                check_status!(created)?;
            }
            // Idle, it must not keep the process alive.
            check_status!(sys::napi_unref_threadsafe_function(env, wake))?;
            *lock(&completions.wake) = Some(Handle(wake));
        }
        Ok(completions)
    }

    /// On an I/O thread: queues finished work, waking the event loop if it was not already.
    fn push(&self, finished: Finished) {
        let first = {
            let mut queue = lock(&self.finished);
            queue.push(finished);
            queue.len() == 1
        };
        if first && let Some(wake) = lock(&self.wake).as_ref() {
            // SAFETY: the lock keeps `finalize` from running meanwhile. Fails only while the
            // environment shuts down, when nobody waits for the answer.
            unsafe {
                sys::napi_call_threadsafe_function(
                    wake.0,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                );
            }
        }
    }
}

/// On the JavaScript thread: settles every promise whose work has finished.
unsafe extern "C" fn drain(
    env: sys::napi_env,
    _function: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() {
        return; // the environment is being torn down
    }
    // SAFETY: `context` is the count of `Completions` the threadsafe function owns; borrowed.
    let completions = unsafe { &*(context as *const Completions) };
    let finished = std::mem::take(&mut *lock(&completions.finished));
    let settled = finished.len();
    for Finished { deferred, settle } in finished {
        // SAFETY: on the JavaScript thread that made the deferred; each is settled once.
        unsafe {
            match settle(env) {
                Ok(value) => {
                    sys::napi_resolve_deferred(env, deferred.0, value);
                }
                Err(error) => {
                    let mut thrown = ptr::null_mut();
                    let mut pending = false;
                    sys::napi_is_exception_pending(env, &mut pending);
                    if pending {
                        sys::napi_get_and_clear_last_exception(env, &mut thrown);
                    } else {
                        thrown = JsError::from(error).into_value(env);
                    }
                    sys::napi_reject_deferred(env, deferred.0, thrown);
                }
            }
        }
    }
    LOCAL.with_borrow_mut(|local| {
        if let Some(local) = local.as_mut() {
            local.pending = local.pending.saturating_sub(settled);
            if local.pending == 0
                && let Some(wake) = lock(&local.completions.wake).as_ref()
            {
                // SAFETY: on the JavaScript thread; nothing pending, so the loop may exit.
                unsafe { sys::napi_unref_threadsafe_function(env, wake.0) };
            }
        }
    });
}

/// Node is done with the threadsafe function: no more wake-ups; its count is given back.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the count `Completions::new` gave the threadsafe function.
    let completions = unsafe { Arc::from_raw(data as *const Completions) };
    *lock(&completions.wake) = None;
}
