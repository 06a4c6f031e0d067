//! Paragon's user-scoped endpoints with state: users and their metadata, connected accounts,
//! the project's integrations, workflow triggers and app events received.

use std::collections::BTreeMap;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::paragon_error;
use crate::upstreams::TASKLAB_INTEGRATION_ID;

pub const SLACK_INTEGRATION_ID: &str = "5a1c0c1e-0000-4000-8000-00000000a001";
pub const DRIVE_INTEGRATION_ID: &str = "5a1c0c1e-0000-4000-8000-00000000a002";
/// The one workflow with a request trigger.
pub const WORKFLOW_ID: &str = "7f3b2a10-0000-4000-8000-00000000b001";

/// The project's integrations: (id, type as called through the proxy, display name).
const INTEGRATIONS: [(&str, &str, &str); 3] = [
    (SLACK_INTEGRATION_ID, "slack", "Slack"),
    (DRIVE_INTEGRATION_ID, "googledrive", "Google Drive"),
    (TASKLAB_INTEGRATION_ID, "custom.tasklab", "TaskLab"),
];

/// What the sandbox knows of its users and what they sent.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ProjectState {
    pub users: BTreeMap<String, User>,
    pub triggers: Vec<Value>,
    pub events: Vec<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub meta: Map<String, Value>,
    /// Connected accounts per integration type, in order (the first is the default).
    pub credentials: BTreeMap<String, Vec<String>>,
}

/// A change to a user: metadata merged in, connected accounts replaced for each integration
/// named (an empty list: not connected).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default)]
    pub meta: Map<String, Value>,
    #[serde(default)]
    pub credentials: BTreeMap<String, Vec<String>>,
}

impl ProjectState {
    pub(crate) fn update_user(&mut self, user: &str, update: UserUpdate) {
        let user = self.users.entry(user.to_owned()).or_insert_with(User::new);
        user.meta.extend(update.meta);
        user.credentials.extend(update.credentials);
    }
}

impl User {
    /// Every new user has Slack (two accounts), Google Drive and TaskLab connected.
    fn new() -> User {
        let accounts = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>();
        User {
            meta: Map::new(),
            credentials: BTreeMap::from([
                (
                    "slack".to_owned(),
                    accounts(&["cred-slack-1", "cred-slack-2"]),
                ),
                ("googledrive".to_owned(), accounts(&["cred-drive-1"])),
                ("custom.tasklab".to_owned(), accounts(&["cred-tasklab-1"])),
            ]),
        }
    }

    fn to_json(&self, id: &str) -> Value {
        let integrations: Map<String, Value> = self
            .credentials
            .iter()
            .map(|(kind, ids)| {
                (
                    kind.clone(),
                    json!({
                        "enabled": !ids.is_empty(),
                        "credentialId": ids.first(),
                        "allCredentials": ids.iter().map(|id| json!({"id": id, "status": "VALID", "configurations": []})).collect::<Vec<_>>(),
                    }),
                )
            })
            .collect();
        json!({"id": id, "authenticated": true, "meta": self.meta, "resources": [], "integrations": integrations})
    }
}

/// Shaped as the official browser SDK reads it: each element's `configs` (an element without
/// it fails `authenticate()`), a custom integration's slug its full name (`custom.tasklab`).
fn integrations_json() -> Value {
    Value::Array(
        INTEGRATIONS
            .iter()
            .map(|(id, kind, name)| {
                let configs = json!([{"values": {}}]);
                match kind.starts_with("custom.") {
                    true => json!({"id": id, "type": "custom", "name": name, "isActive": true,
                                   "configs": configs,
                                   "customIntegration": {"name": name, "slug": kind}}),
                    false => json!({"id": id, "type": kind, "name": name, "isActive": true,
                                    "configs": configs}),
                }
            })
            .collect(),
    )
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| value.to_owned())
    })
}

/// Paragon's refusal when the user has not connected `integration`, or the call names an account
/// that is not theirs.
pub(crate) fn refuse_credential(
    state: &mut ProjectState,
    user: &str,
    integration: &str,
    headers: &HeaderMap,
) -> Option<Response> {
    let user = state.users.entry(user.to_owned()).or_insert_with(User::new);
    let Some(accounts) = user.credentials.get(integration) else {
        return None; // not an integration with accounts here (echo, ...)
    };
    if accounts.is_empty() {
        return Some(paragon_error(
            StatusCode::BAD_REQUEST,
            &format!("Integration {integration} is not connected for this user."),
            json!({}),
        ));
    }
    match headers
        .get("x-paragon-credential")
        .and_then(|value| value.to_str().ok())
    {
        Some(id) if !accounts.iter().any(|account| account == id) => Some(paragon_error(
            StatusCode::NOT_FOUND,
            &format!("Credential {id} was not found for {integration}."),
            json!({}),
        )),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
/// One call to `/projects/{p}/<rest>` (or `/v2/projects/{p}/<rest>`) that is not the proxy.
pub(crate) fn answer(
    state: &mut ProjectState,
    user: &str,
    versioned: bool,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let json_body: Option<Value> = serde_json::from_slice(body).ok();
    let credential = headers
        .get("x-paragon-credential")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let segments: Vec<&str> = rest.split('/').collect();
    match (versioned, method.as_str(), segments.as_slice()) {
        (false, "GET", ["sdk", "me"]) => {
            let record = state.users.entry(user.to_owned()).or_insert_with(User::new);
            Json(record.to_json(user)).into_response()
        }
        (false, "PATCH", ["sdk", "me"]) => {
            let Some(Value::Object(meta)) = json_body.as_ref().and_then(|body| body.get("meta"))
            else {
                return validation_error("meta must be an object");
            };
            let record = state.users.entry(user.to_owned()).or_insert_with(User::new);
            record.meta.extend(meta.clone());
            Json(record.to_json(user)).into_response()
        }
        (false, "GET", ["sdk", "integrations"]) => Json(integrations_json()).into_response(),
        (false, "DELETE", ["sdk", "integrations", id]) => {
            let Some((_, kind, _)) = INTEGRATIONS.iter().find(|(known, _, _)| known == id) else {
                return paragon_error(StatusCode::NOT_FOUND, "Integration not found.", json!({}));
            };
            if let Some(refused) = refuse_credential(state, user, kind, headers) {
                return refused;
            }
            let record = state.users.entry(user.to_owned()).or_insert_with(User::new);
            let accounts = record.credentials.entry(kind.to_string()).or_default();
            match &credential {
                Some(id) => accounts.retain(|account| account != id),
                None => accounts.clear(),
            }
            Json(json!({"success": true})).into_response()
        }
        (false, "GET", ["sdk", "credentials"]) => {
            let Some(integration) = query_param(query, "integration") else {
                return validation_error("integration must be given");
            };
            if let Some(refused) = refuse_credential(state, user, &integration, headers) {
                return refused;
            }
            let record = state.users.entry(user.to_owned()).or_insert_with(User::new);
            let Some(first) = record
                .credentials
                .get(&integration)
                .and_then(|ids| ids.first())
            else {
                return paragon_error(
                    StatusCode::NOT_FOUND,
                    &format!("Integration {integration} is not connected for this user."),
                    json!({}),
                );
            };
            let id = credential.unwrap_or_else(|| first.clone());
            let mut account = json!({"id": id, "integration": integration, "status": "VALID",
                                     "providerId": format!("provider-{id}")});
            if query_param(query, "includeAccountAuth").as_deref() == Some("true") {
                account["accountAuth"] =
                    json!({"accessToken": format!("sandbox-access-token-{id}")});
            }
            Json(account).into_response()
        }
        (false, "POST", ["sdk", "triggers", workflow]) => {
            if *workflow != WORKFLOW_ID {
                return paragon_error(StatusCode::NOT_FOUND, "Workflow not found.", json!({}));
            }
            let record = state.users.entry(user.to_owned()).or_insert_with(User::new);
            if let Some(id) = &credential
                && !record
                    .credentials
                    .values()
                    .flatten()
                    .any(|account| account == id)
            {
                return paragon_error(
                    StatusCode::NOT_FOUND,
                    &format!("Credential {id} was not found."),
                    json!({}),
                );
            }
            let execution = format!("exec-{}", state.triggers.len() + 1);
            state.triggers.push(json!({
                "user": user,
                "workflow": workflow,
                "body": json_body,
                "query": query,
                "credential": credential,
                "configuration": headers.get("x-paragon-configuration-id").and_then(|v| v.to_str().ok()),
                "execution": execution,
            }));
            Json(json!({"executionId": execution})).into_response()
        }
        (true, "POST", ["sdk", "events", "trigger"]) => {
            let name = json_body
                .as_ref()
                .and_then(|body| body.get("name"))
                .and_then(Value::as_str);
            let Some(name) = name.filter(|name| !name.is_empty()) else {
                return validation_error("name should not be empty");
            };
            let payload = json_body
                .as_ref()
                .and_then(|body| body.get("payload"))
                .cloned();
            state
                .events
                .push(json!({"user": user, "name": name, "payload": payload}));
            Json(json!({"success": true})).into_response()
        }
        _ => paragon_error(StatusCode::NOT_FOUND, "Not found.", json!({})),
    }
}

/// A 400 the way Paragon's validation answers: a list of constraint failures.
fn validation_error(message: &str) -> Response {
    let body = json!({
        "message": [{"property": message.split(' ').next(), "constraints": {"isValid": message}}],
        "status": 400,
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}
