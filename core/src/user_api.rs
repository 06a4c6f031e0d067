//! The rest of Paragon's user-scoped API (PROTOCOL.md, Other user-scoped endpoints): the user,
//! their metadata and connected accounts, the project's integrations, workflow triggers and app
//! events. Each call is a thin request through [`Client::call_api`].

use std::time::{Duration, Instant};

use http::Method;
use serde_json::{Value, json};

use crate::client::{ApiCall, Client};
use crate::error::{InvalidRequestError, Result};
use crate::request::Body;
use crate::response::Response;

/// How long the project's integration list is reused to resolve names to ids.
const INTEGRATIONS_TTL: Duration = Duration::from_secs(300);

/// Options of [`Client::trigger_workflow`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriggerOptions {
    pub body: Option<Body>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// Which of the user's connected accounts the workflow uses (`X-Paragon-Credential`).
    pub selected_credential_id: Option<String>,
    /// Which workflow configuration to run (`X-Paragon-Configuration-Id`).
    pub selected_configuration_id: Option<String>,
}

/// The JSON of an answer (`null` when empty, a string when it was text).
fn value(response: Response) -> Value {
    match response {
        Response::Empty => Value::Null,
        Response::Json(value) => value,
        Response::Text(text) => Value::String(text),
        // Not asked for by these calls; parsed had it come.
        Response::JsonText(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Response::Raw(raw) => Value::String(String::from_utf8_lossy(&raw.body).into_owned()),
    }
}

/// An id used as one URL path segment.
fn check_id(argument: &'static str, id: &str) -> Result<(), InvalidRequestError> {
    if id.is_empty() || id == "." || id == ".." || id.chars().any(char::is_control) {
        return Err(InvalidRequestError::new(
            argument,
            format!("{id:?} is not an id (empty, a dot segment or a control character)"),
        ));
    }
    Ok(())
}

/// The id of `integration_type` in a `list_integrations()` answer: a built-in by its `type`
/// (`slack`), a custom integration by the name the browser SDK gives it (its slug as is,
/// `custom.tasklab`, else `custom.` and its name lower-cased with everything but letters and
/// digits removed; a slug without the `custom.` prefix also matches), or the id itself from
/// `custom/<id>`.
pub fn integration_id(integrations: &Value, integration_type: &str) -> Option<String> {
    if let Some(id) = integration_type.strip_prefix("custom/") {
        return Some(id.to_owned());
    }
    let custom_name = integration_type.strip_prefix("custom.");
    integrations.as_array()?.iter().find_map(|item| {
        let kind = item.get("type")?.as_str()?;
        let matches = kind == integration_type
            || (custom_name.is_some()
                && kind == "custom"
                && item
                    .get("customIntegration")
                    .is_some_and(|custom| sdk_name(custom) == integration_type));
        matches
            .then(|| item.get("id")?.as_str().map(str::to_owned))
            .flatten()
    })
}

impl Client {
    fn zeus<'a>(&'a self, method: Method, segments: &'a [&'a str]) -> ApiCall<'a> {
        ApiCall {
            service: self.zeus_base_url(),
            method,
            prefix: &[],
            segments,
            query: Vec::new(),
            headers: Vec::new(),
            selected_credential_id: None,
            body: None,
        }
    }

    /// The user and their connected integrations (`GET /sdk/me`).
    pub async fn get_user(&self) -> Result<Value> {
        self.call_api(self.zeus(Method::GET, &["sdk", "me"]))
            .await
            .map(value)
    }

    /// Sets the user's metadata (`Name`, `Email`, ...; `PATCH /sdk/me`). Returns the user.
    pub async fn set_user_metadata(&self, meta: Value) -> Result<Value> {
        if !meta.is_object() {
            return Err(
                InvalidRequestError::new("meta", "must be an object of metadata fields").into(),
            );
        }
        let mut call = self.zeus(Method::PATCH, &["sdk", "me"]);
        call.body = Some(Body::Json(json!({ "meta": meta })));
        self.call_api(call).await.map(value)
    }

    /// The project's integrations (`GET /sdk/integrations`): ids, types, custom names.
    pub async fn list_integrations(&self) -> Result<Value> {
        let list = self
            .call_api(self.zeus(Method::GET, &["sdk", "integrations"]))
            .await
            .map(value)?;
        *self.integrations_cache() = Some((Instant::now(), list.clone()));
        Ok(list)
    }

    /// The id of an integration type (`slack`, `custom.tasklab`), from the project's integration
    /// list, fetched once and reused for five minutes (fetched again when the name is unknown).
    pub async fn integration_id(&self, integration_type: &str) -> Result<String> {
        let cached = self.integrations_cache().clone();
        if let Some((fetched, list)) = cached
            && fetched.elapsed() < INTEGRATIONS_TTL
            && let Some(id) = integration_id(&list, integration_type)
        {
            return Ok(id);
        }
        let list = self.list_integrations().await?;
        integration_id(&list, integration_type).ok_or_else(|| {
            InvalidRequestError::new(
                "integration_type",
                format!("the project has no integration {integration_type:?}"),
            )
            .into()
        })
    }

    /// The user's connected account for an integration
    /// (`GET /sdk/credentials?integration=...&includeAccountAuth=...`).
    pub async fn get_account(
        &self,
        integration_type: &str,
        include_account_auth: bool,
    ) -> Result<Value> {
        crate::proxy_url::check_integration_type(integration_type)?;
        let mut call = self.zeus(Method::GET, &["sdk", "credentials"]);
        call.query = vec![
            ("integration".to_owned(), integration_type.to_owned()),
            (
                "includeAccountAuth".to_owned(),
                include_account_auth.to_string(),
            ),
        ];
        self.call_api(call).await.map(value)
    }

    /// Disconnects the user from an integration (`DELETE /sdk/integrations/{id}`), resolving
    /// the type to its id; with a credential id, only that account.
    pub async fn uninstall_integration(
        &self,
        integration_type: &str,
        selected_credential_id: Option<&str>,
    ) -> Result<Value> {
        crate::proxy_url::check_integration_type(integration_type)?;
        let id = self.integration_id(integration_type).await?;
        check_id("integration_type", &id)?;
        let segments = ["sdk", "integrations", id.as_str()];
        let mut call = self.zeus(Method::DELETE, &segments);
        call.selected_credential_id = selected_credential_id;
        self.call_api(call).await.map(value)
    }

    /// Triggers a workflow with a request trigger (`POST {hermes}/.../sdk/triggers/{id}`).
    pub async fn trigger_workflow(
        &self,
        workflow_id: &str,
        options: TriggerOptions,
    ) -> Result<Value> {
        check_id("workflow_id", workflow_id)?;
        let segments = ["sdk", "triggers", workflow_id];
        let mut headers = options.headers;
        if let Some(configuration) = options.selected_configuration_id {
            headers.push(("X-Paragon-Configuration-Id".to_owned(), configuration));
        }
        let call = ApiCall {
            service: self.hermes_base_url(),
            method: Method::POST,
            prefix: &[],
            segments: &segments,
            query: options.query,
            headers,
            selected_credential_id: options.selected_credential_id.as_deref(),
            body: Some(options.body.unwrap_or(Body::Json(json!({})))),
        };
        self.call_api(call).await.map(value)
    }

    /// Sends an App Event (`POST {hermes}/v2/.../sdk/events/trigger` with `{name, payload}`).
    pub async fn send_event(&self, name: &str, payload: Value) -> Result<Value> {
        if name.is_empty() {
            return Err(
                InvalidRequestError::new("name", "the event name must not be empty").into(),
            );
        }
        let call = ApiCall {
            service: self.hermes_base_url(),
            method: Method::POST,
            prefix: &["v2"],
            segments: &["sdk", "events", "trigger"],
            query: Vec::new(),
            headers: Vec::new(),
            selected_credential_id: None,
            body: Some(Body::Json(json!({ "name": name, "payload": payload }))),
        };
        self.call_api(call).await.map(value)
    }
}

/// The name the browser SDK gives a custom integration (`customIntegration`'s slug, else its name).
fn sdk_name(custom: &Value) -> String {
    match custom.get("slug").and_then(Value::as_str) {
        Some(slug) if slug.starts_with("custom.") => slug.to_owned(),
        Some(slug) => format!("custom.{slug}"),
        None => {
            let name = custom.get("name").and_then(Value::as_str).unwrap_or("");
            let kept: String = name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            format!("custom.{kept}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integration_ids_by_type_custom_name_and_id() {
        let list = json!([
            {"id": "id-slack", "type": "slack"},
            {"id": "id-task", "type": "custom", "customIntegration": {"name": "Task Lab", "slug": "tasklab"}},
            {"id": "id-crm", "type": "custom", "customIntegration": {"name": "My CRM!"}},
            {"id": "id-desk", "type": "custom", "customIntegration": {"name": "Desk", "slug": "custom.help-desk"}}
        ]);
        assert_eq!(
            integration_id(&list, "custom.help-desk").as_deref(),
            Some("id-desk")
        );
        assert_eq!(integration_id(&list, "custom.desk"), None);
        assert_eq!(integration_id(&list, "slack").as_deref(), Some("id-slack"));
        assert_eq!(
            integration_id(&list, "custom.tasklab").as_deref(),
            Some("id-task")
        );
        assert_eq!(
            integration_id(&list, "custom.mycrm").as_deref(),
            Some("id-crm")
        );
        assert_eq!(integration_id(&list, "custom/abc").as_deref(), Some("abc"));
        assert_eq!(integration_id(&list, "salesforce"), None);
        assert_eq!(integration_id(&json!({"not": "a list"}), "slack"), None);
    }
}
