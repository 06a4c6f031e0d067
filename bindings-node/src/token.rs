//! `userToken` as a JavaScript function: the core asks it for a token before every attempt (with
//! the user id of a `user(id)` client), as it asks Python's, bounded by the attempt's timeout.

use napi::Status;
use napi::bindgen_prelude::{Function, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use paragon_connect::{Secret, TokenFuture, TokenProvider};

/// `(userId?) => Promise<string>`, callable from the I/O threads. Weak: it does not keep the
/// process alive by itself (a pending call does).
type TokenFunction =
    ThreadsafeFunction<Option<String>, Promise<String>, Option<String>, Status, false, true>;

pub struct JsTokenProvider {
    function: TokenFunction,
}

impl JsTokenProvider {
    pub fn new(function: Function<'_, Option<String>, Promise<String>>) -> napi::Result<Self> {
        let function = function
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsTokenProvider { function })
    }
}

impl TokenProvider for JsTokenProvider {
    fn token<'a>(&'a self, user: Option<&'a str>) -> TokenFuture<'a> {
        Box::pin(async move {
            let promise = self
                .function
                .call_async(user.map(str::to_owned))
                .await
                .map_err(|error| format!("the userToken function could not be called: {error}"))?;
            promise
                .await
                .map(Secret::new)
                .map_err(|error| error.reason.clone())
        })
    }
}
