//! What the integration tests share: a client pointed at a sandbox.

#![allow(dead_code)]

use paragon_connect::{Client, ClientBuilder, ManyCall};
use paragon_sandbox::Sandbox;

/// Settings for a client of `sandbox`'s project, as the user `user`, reading no environment.
pub fn builder_for(sandbox: &Sandbox, user: &str) -> ClientBuilder {
    Client::builder()
        .ignore_environment()
        .project_id(sandbox.project_id())
        .user_token(sandbox.user_token(user))
        .proxy_base_url(sandbox.url())
        .zeus_base_url(sandbox.url())
        .hermes_base_url(sandbox.url())
}

pub fn client_for(sandbox: &Sandbox) -> Client {
    builder_for(sandbox, "user-1")
        .build()
        .expect("a sandbox client")
}

/// A client of `sandbox` as `user-1`, and the token it sends: minted once (two mints a second
/// boundary apart differ, which a test comparing them would see as a leak).
pub fn client_and_token(sandbox: &Sandbox) -> (Client, String) {
    let token = sandbox.user_token("user-1");
    let client = builder_for(sandbox, "user-1")
        .user_token(token.clone())
        .build()
        .expect("a sandbox client");
    (client, token)
}

/// A call of `request_many` to `path` with no options.
pub fn many_call(integration: &str, path: &str) -> ManyCall {
    ManyCall {
        integration_type: integration.into(),
        path: path.into(),
        ..ManyCall::default()
    }
}
