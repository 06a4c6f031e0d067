//! The user-scoped API (`getUser`, `triggerWorkflow`, ...): one typed method per core function.

use std::future::Future;

use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Result};
use napi_derive::napi;
use paragon_connect::serde_json::{self, Value};
use paragon_connect::{
    Body, Client, Error, InvalidRequestError, Response, TriggerOptions, field_pairs,
};

use crate::client::NativeClient;
use crate::fields::Fields;
use crate::outcome::Outcome;
use crate::settle::settle_later;

/// `triggerWorkflow()`'s options (a JSON body as `JSON.stringify` text).
#[napi(object, object_to_js = false)]
pub struct TriggerCallOptions {
    pub json: Option<String>,
    #[napi(ts_type = "Array<[string, unknown]>")]
    pub query: Option<Fields>,
    #[napi(ts_type = "Array<[string, unknown]>")]
    pub headers: Option<Fields>,
    pub selected_credential_id: Option<String>,
    pub selected_configuration_id: Option<String>,
}

/// A JSON argument the wrapper checked and stringified.
fn json(argument: &'static str, text: &str) -> std::result::Result<Value, InvalidRequestError> {
    serde_json::from_str(text)
        .map_err(|error| InvalidRequestError::new(argument, format!("is not JSON: {error}")))
}

impl TriggerCallOptions {
    fn options(self) -> std::result::Result<TriggerOptions, InvalidRequestError> {
        let pairs = |argument, fields: Option<Fields>| {
            field_pairs(argument, fields.map(|fields| fields.0).unwrap_or_default())
        };
        Ok(TriggerOptions {
            body: self
                .json
                .map(|text| json("body", &text))
                .transpose()?
                .map(Body::Json),
            query: pairs("query", self.query)?,
            headers: pairs("headers", self.headers)?,
            selected_credential_id: self.selected_credential_id,
            selected_configuration_id: self.selected_configuration_id,
        })
    }
}

impl NativeClient {
    /// Runs one user-API call for `user` and resolves to its JSON value.
    fn user_api<'env, F>(
        &self,
        env: &'env Env,
        user: Option<String>,
        exact_integers: Option<bool>,
        call: impl FnOnce(Client) -> std::result::Result<F, InvalidRequestError>,
    ) -> Result<PromiseRaw<'env, Outcome>>
    where
        F: Future<Output = paragon_connect::Result<Value>> + Send + 'static,
    {
        let exact_integers = exact_integers.unwrap_or(false);
        let prepared = self
            .client_for(user)
            .and_then(|client| call(client).map_err(|error| Box::new(Error::from(error).into())));
        let hooked = self.hooked();
        settle_later(env, async move {
            match prepared {
                Ok(call) => {
                    let result = call.await;
                    if let Some(events) = hooked {
                        events.flush().await;
                    }
                    Outcome::from_core(result.map(Response::Json), exact_integers)
                }
                Err(error) => Outcome::Error(error),
            }
        })
    }
}

#[napi]
impl NativeClient {
    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn get_user<'env>(
        &self,
        env: &'env Env,
        user: Option<String>,
        exact_integers: Option<bool>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.user_api(env, user, exact_integers, |client| {
            Ok(async move { client.get_user().await })
        })
    }

    /// `meta` is JSON object text.
    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn set_user_metadata<'env>(
        &self,
        env: &'env Env,
        user: Option<String>,
        exact_integers: Option<bool>,
        meta: String,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.user_api(env, user, exact_integers, |client| {
            let meta = json("meta", &meta)?;
            Ok(async move { client.set_user_metadata(meta).await })
        })
    }

    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn list_integrations<'env>(
        &self,
        env: &'env Env,
        user: Option<String>,
        exact_integers: Option<bool>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.user_api(env, user, exact_integers, |client| {
            Ok(async move { client.list_integrations().await })
        })
    }

    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn integration_id<'env>(
        &self,
        env: &'env Env,
        user: Option<String>,
        integration_type: String,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.user_api(env, user, None, |client| {
            Ok(async move {
                client
                    .integration_id(&integration_type)
                    .await
                    .map(Value::String)
            })
        })
    }

    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn get_account<'env>(
        &self,
        env: &'env Env,
        user: Option<String>,
        exact_integers: Option<bool>,
        integration_type: String,
        include_account_auth: bool,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.user_api(env, user, exact_integers, |client| {
            Ok(async move {
                client
                    .get_account(&integration_type, include_account_auth)
                    .await
            })
        })
    }

    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn uninstall_integration<'env>(
        &self,
        env: &'env Env,
        user: Option<String>,
        integration_type: String,
        selected_credential_id: Option<String>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.user_api(env, user, None, |client| {
            Ok(async move {
                client
                    .uninstall_integration(&integration_type, selected_credential_id.as_deref())
                    .await
            })
        })
    }

    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn trigger_workflow<'env>(
        &self,
        env: &'env Env,
        user: Option<String>,
        exact_integers: Option<bool>,
        workflow_id: String,
        options: TriggerCallOptions,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.user_api(env, user, exact_integers, |client| {
            let options = options.options()?;
            Ok(async move { client.trigger_workflow(&workflow_id, options).await })
        })
    }

    /// `payload` is JSON text.
    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn send_event<'env>(
        &self,
        env: &'env Env,
        user: Option<String>,
        name: String,
        payload: String,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.user_api(env, user, None, |client| {
            let payload = json("payload", &payload)?;
            Ok(async move { client.send_event(&name, payload).await })
        })
    }
}
