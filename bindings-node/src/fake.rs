//! `NativeFake`: the core's fake Paragon (`paragon_connect::fake`), driven with JSON text.
//! `paragon-connect/testing` (`testing.js`) is the JavaScript face of it. Errors carry the code
//! `InvalidArg` for a wrong route, reply or pattern, `GenericFailure` for a failed assertion,
//! (and a cassette's complaint), which the wrapper throws as a `TypeError` and an
//! `AssertionError`.

use napi::{Error, Result, Status};
use napi_derive::napi;
use paragon_connect::fake::{FakeError, FakeParagon, PROJECT_ID, SIGNING_KEY_PEM};

fn to_js_error(error: FakeError) -> Error {
    match error {
        FakeError::Invalid(message) => Error::new(Status::InvalidArg, message),
        FakeError::NotCalled(message) | FakeError::Cassette(message) => {
            Error::new(Status::GenericFailure, message)
        }
    }
}

#[napi]
pub struct NativeFake {
    fake: FakeParagon,
}

#[napi]
impl NativeFake {
    /// Starts a fake on 127.0.0.1 (`options`: JSON `{"port": n, "accept_any_token": bool,
    /// "cassette": {...}}`); a recording cassette sends calls on through `upstream`'s client.
    #[napi(constructor)]
    pub fn new(options: String, upstream: Option<&crate::client::NativeClient>) -> Result<Self> {
        let upstream = match upstream {
            None => None,
            Some(native) => Some(native.current().ok_or_else(|| {
                Error::new(
                    Status::InvalidArg,
                    "upstream: the client's settings were refused",
                )
            })?),
        };
        let fake = FakeParagon::start_with(&options, upstream).map_err(to_js_error)?;
        Ok(NativeFake { fake })
    }

    #[napi(getter)]
    pub fn url(&self) -> String {
        self.fake.url().to_owned()
    }

    #[napi(getter)]
    pub fn project_id(&self) -> &'static str {
        PROJECT_ID
    }

    #[napi(getter)]
    pub fn signing_key(&self) -> &'static str {
        SIGNING_KEY_PEM
    }

    #[napi]
    pub fn user_token(&self, user: String) -> Result<String> {
        self.fake.user_token(&user).map_err(to_js_error)
    }

    #[napi]
    pub fn add_route(&self, pattern: String, times: Option<u32>) -> Result<u32> {
        let id = self
            .fake
            .add_route(&pattern, times.map(u64::from))
            .map_err(to_js_error)?;
        u32::try_from(id).map_err(|_| Error::new(Status::GenericFailure, "too many routes"))
    }

    #[napi]
    pub fn add_reply(&self, route: u32, reply: String) -> Result<()> {
        self.fake
            .add_reply(route.into(), &reply)
            .map_err(to_js_error)
    }

    #[napi]
    pub fn add_routes_file(&self, text: String) -> Result<u32> {
        let count = self.fake.add_routes_file(&text).map_err(to_js_error)?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    #[napi]
    pub fn route_calls(&self, route: u32) -> Result<f64> {
        let calls = self.fake.route_calls(route.into()).map_err(to_js_error)?;
        Ok(calls as f64)
    }

    #[napi]
    pub fn calls(&self, pattern: Option<String>) -> Result<String> {
        self.fake.calls(pattern.as_deref()).map_err(to_js_error)
    }

    #[napi]
    pub fn check_called(&self, pattern: String, times: Option<u32>) -> Result<String> {
        let times = times.map(|times| times as usize);
        self.fake.check_called(&pattern, times).map_err(to_js_error)
    }

    #[napi]
    pub fn update_user(&self, user: String, update: String) -> Result<()> {
        self.fake.update_user(&user, &update).map_err(to_js_error)
    }

    #[napi]
    pub fn state(&self) -> Result<String> {
        self.fake.state().map_err(to_js_error)
    }

    #[napi]
    pub fn reset(&self) -> Result<()> {
        self.fake.reset().map_err(to_js_error)
    }

    #[napi]
    pub fn finish_cassette(&self) -> Result<()> {
        self.fake.finish_cassette().map_err(to_js_error)
    }

    #[napi]
    pub fn check_all_played(&self) -> Result<()> {
        self.fake.check_all_played().map_err(to_js_error)
    }

    #[napi]
    pub fn close(&mut self) {
        self.fake.close();
    }
}
