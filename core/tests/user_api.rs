//! Server-side auth (tokens signed per user from the project's key, or from a provider) and the
//! user-scoped API, against the sandbox, which verifies every token cryptographically.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use paragon_connect::serde_json::{Map, Value, json};
use paragon_connect::{
    Client, Error, ErrorKind, RequestOptions, Secret, StatusClass, TokenProvider, TriggerOptions,
};
use paragon_sandbox::{
    PROJECT_ID, SLACK_INTEGRATION_ID, Sandbox, Signer, TASKLAB_INTEGRATION_ID, TokenClaims,
    WORKFLOW_ID,
};

const SIGNING_KEY: &str = include_str!("../../tests/sandbox/keys/sandbox-signing-key.pem");

fn project_client(sandbox: &Sandbox) -> Client {
    Client::builder()
        .ignore_environment()
        .project_id(PROJECT_ID)
        .signing_key(SIGNING_KEY)
        .proxy_base_url(sandbox.url())
        .zeus_base_url(sandbox.url())
        .hermes_base_url(sandbox.url())
        .build()
        .unwrap()
}

fn claims_of(authorization: &str) -> Value {
    let token = authorization.strip_prefix("Bearer ").unwrap();
    let payload = token.split('.').nth(1).unwrap();
    paragon_connect::serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn status_class(error: &Error) -> Option<StatusClass> {
    error.as_status().map(|status| status.class())
}

#[tokio::test]
async fn a_project_client_signs_a_token_per_user_and_reuses_it() {
    let sandbox = Sandbox::start().await.unwrap();
    let paragon = project_client(&sandbox);
    let alice = paragon.user("alice").unwrap();
    let bob = paragon.user("bob").unwrap();
    for client in [&alice, &alice, &bob] {
        let answer = client
            .request("slack", "conversations.list", RequestOptions::new())
            .await
            .unwrap();
        assert_eq!(answer.as_json().unwrap()["ok"], true);
    }
    let sent = sandbox.requests();
    let tokens: Vec<&str> = sent
        .iter()
        .map(|r| r.header("authorization").unwrap())
        .collect();
    assert_eq!(tokens[0], tokens[1], "alice's token is reused");
    assert_ne!(tokens[0], tokens[2]);
    let claims = claims_of(tokens[0]);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], format!("useparagon.com/{PROJECT_ID}"));
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    assert_eq!(claims_of(tokens[2])["sub"], "bob");
    assert_eq!(alice.user_id(), Some("alice"));
}

#[tokio::test]
async fn a_project_client_without_a_user_refuses_before_sending() {
    let sandbox = Sandbox::start().await.unwrap();
    let error = project_client(&sandbox)
        .request("slack", "/x", RequestOptions::new())
        .await
        .unwrap_err();
    let Error::InvalidRequest(invalid) = &error else {
        panic!("{error}")
    };
    assert_eq!(invalid.argument, "user");
    assert!(sandbox.requests().is_empty());
    assert_eq!(
        project_client(&sandbox).user("").unwrap_err().kind(),
        ErrorKind::InvalidRequest
    );
}

#[tokio::test]
async fn a_user_token_client_cannot_act_for_another_user() {
    let sandbox = Sandbox::start().await.unwrap();
    assert_eq!(
        support::client_for(&sandbox)
            .user("bob")
            .unwrap_err()
            .kind(),
        ErrorKind::Config
    );
}

#[tokio::test]
async fn key_settings_and_conflicts_are_checked_when_the_client_is_built() {
    let escaped = SIGNING_KEY.trim().replace('\n', "\\n");
    let built = Client::builder()
        .ignore_environment()
        .project_id("p")
        .signing_key(escaped)
        .build();
    assert!(built.is_ok());
    let both = Client::builder()
        .ignore_environment()
        .project_id("p")
        .signing_key(SIGNING_KEY)
        .user_token("t-12345678")
        .build()
        .unwrap_err();
    assert!(both.to_string().contains("not several"), "{both}");
}

#[tokio::test]
async fn the_permissions_claim_narrows_what_a_user_may_call() {
    let sandbox = Sandbox::start().await.unwrap();
    let permissions: Map<String, Value> =
        paragon_connect::serde_json::from_value(json!({"integration:slack": true})).unwrap();
    let paragon = Client::builder()
        .ignore_environment()
        .project_id(PROJECT_ID)
        .signing_key(SIGNING_KEY)
        .token_permissions(permissions)
        .proxy_base_url(sandbox.url())
        .build()
        .unwrap()
        .user("carol")
        .unwrap();
    paragon
        .request("slack", "conversations.list", RequestOptions::new())
        .await
        .unwrap();
    let error = paragon
        .request("googledrive", "/files", RequestOptions::new())
        .await
        .unwrap_err();
    let status = error.as_status().unwrap();
    assert_eq!(status.class(), StatusClass::PermissionDenied);
    assert_eq!(status.code.as_deref(), Some("7210"));
}

/// Hands out tokens the sandbox mints, counting how often it is asked.
struct SandboxTokens {
    sandbox_tokens: Vec<String>,
    asked: AtomicUsize,
}

impl TokenProvider for SandboxTokens {
    fn token<'a>(
        &'a self,
        _user: Option<&'a str>,
    ) -> Pin<Box<dyn Future<Output = Result<Secret, String>> + Send + 'a>> {
        let index = self.asked.fetch_add(1, Ordering::SeqCst);
        let token = self.sandbox_tokens[index % self.sandbox_tokens.len()].clone();
        Box::pin(async move { Ok(Secret::new(token)) })
    }
}

#[tokio::test]
async fn a_token_provider_is_asked_before_every_request() {
    let sandbox = Sandbox::start().await.unwrap();
    let provider = Arc::new(SandboxTokens {
        sandbox_tokens: vec![sandbox.user_token("dave")],
        asked: AtomicUsize::new(0),
    });
    let paragon = Client::builder()
        .ignore_environment()
        .project_id(PROJECT_ID)
        .token_provider(provider.clone())
        .proxy_base_url(sandbox.url())
        .build()
        .unwrap();
    for _ in 0..3 {
        paragon
            .request("slack", "conversations.list", RequestOptions::new())
            .await
            .unwrap();
    }
    assert_eq!(provider.asked.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn expired_and_foreign_tokens_are_authentication_errors() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut expired = TokenClaims::for_user(PROJECT_ID, "erin");
    expired.exp = Some(expired.iat - 5);
    let foreign = TokenClaims::for_user(PROJECT_ID, "erin");
    for token in [
        sandbox.mint(&expired, Signer::Sandbox),
        sandbox.mint(&foreign, Signer::OtherProject),
    ] {
        let client = support::builder_for(&sandbox, "x")
            .user_token(token)
            .build()
            .unwrap();
        let error = client
            .request("slack", "/x", RequestOptions::new())
            .await
            .unwrap_err();
        assert_eq!(
            status_class(&error),
            Some(StatusClass::Authentication),
            "{error}"
        );
    }
}

#[tokio::test]
async fn the_user_and_their_metadata() {
    let sandbox = Sandbox::start().await.unwrap();
    let frank = project_client(&sandbox).user("frank").unwrap();
    let user = frank.get_user().await.unwrap();
    assert_eq!(user["id"], "frank");
    assert_eq!(
        user["integrations"]["slack"]["credentialId"],
        "cred-slack-1"
    );
    let updated = frank
        .set_user_metadata(json!({"Name": "Frank", "Email": "frank@example.com"}))
        .await
        .unwrap();
    assert_eq!(updated["meta"]["Email"], "frank@example.com");
    assert_eq!(sandbox.state().users["frank"].meta["Name"], "Frank");
    let wire = sandbox.requests();
    assert_eq!(wire[1].method, "PATCH");
    assert_eq!(wire[1].target, format!("/projects/{PROJECT_ID}/sdk/me"));
    assert_eq!(
        frank
            .set_user_metadata(json!("not an object"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidRequest
    );
}

#[tokio::test]
async fn accounts_integrations_and_uninstalling() {
    let sandbox = Sandbox::start().await.unwrap();
    let gina = project_client(&sandbox).user("gina").unwrap();
    let list = gina.list_integrations().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
    let account = gina.get_account("slack", true).await.unwrap();
    assert_eq!(account["id"], "cred-slack-1");
    assert_eq!(
        account["accountAuth"]["accessToken"],
        "sandbox-access-token-cred-slack-1"
    );
    let account = gina.get_account("slack", false).await.unwrap();
    assert!(account.get("accountAuth").is_none());

    // A credential id that is not the user's.
    let error = gina
        .uninstall_integration("slack", Some("cred-nope"))
        .await
        .unwrap_err();
    assert_eq!(status_class(&error), Some(StatusClass::NotFound));
    // One account, then the rest; by name for the custom integration.
    gina.uninstall_integration("slack", Some("cred-slack-2"))
        .await
        .unwrap();
    assert_eq!(
        sandbox.state().users["gina"].credentials["slack"],
        ["cred-slack-1"]
    );
    gina.uninstall_integration("slack", None).await.unwrap();
    gina.uninstall_integration("custom.tasklab", None)
        .await
        .unwrap();
    let deletes: Vec<String> = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.target)
        .collect();
    assert_eq!(
        deletes.last().unwrap(),
        &format!("/projects/{PROJECT_ID}/sdk/integrations/{TASKLAB_INTEGRATION_ID}")
    );
    assert!(deletes[0].ends_with(SLACK_INTEGRATION_ID));
    let listed = sandbox
        .requests()
        .iter()
        .filter(|r| r.target.ends_with("/sdk/integrations"))
        .count();
    assert_eq!(listed, 1, "the integration list is fetched once and reused");

    // The integration is no longer connected: Paragon refuses proxy calls to it.
    let error = gina
        .request("slack", "conversations.list", RequestOptions::new())
        .await
        .unwrap_err();
    assert_eq!(status_class(&error), Some(StatusClass::BadRequest));
    assert!(error.to_string().contains("not connected"), "{error}");
    let unknown = gina
        .uninstall_integration("salesforce", None)
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::InvalidRequest);
}

#[tokio::test]
async fn workflows_and_events() {
    let sandbox = Sandbox::start().await.unwrap();
    let hank = project_client(&sandbox).user("hank").unwrap();
    let run = hank
        .trigger_workflow(
            WORKFLOW_ID,
            TriggerOptions {
                body: Some(json!({"order": 42}).into()),
                query: vec![("dry".into(), "true".into())],
                selected_credential_id: Some("cred-slack-2".into()),
                selected_configuration_id: Some("config-9".into()),
                ..TriggerOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(run["executionId"], "exec-1");
    let trigger = &sandbox.state().triggers[0];
    assert_eq!(trigger["body"], json!({"order": 42}));
    assert_eq!(trigger["query"], "dry=true");
    assert_eq!(trigger["credential"], "cred-slack-2");
    assert_eq!(trigger["configuration"], "config-9");
    let missing = hank
        .trigger_workflow("no-such-workflow", TriggerOptions::default())
        .await
        .unwrap_err();
    assert_eq!(status_class(&missing), Some(StatusClass::NotFound));
    assert_eq!(
        hank.trigger_workflow("..", TriggerOptions::default())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidRequest
    );

    hank.send_event("Contact Created", json!({"email": "a@example.com"}))
        .await
        .unwrap();
    let event = &sandbox.state().events[0];
    assert_eq!(event["name"], "Contact Created");
    assert_eq!(event["payload"]["email"], "a@example.com");
    assert_eq!(
        sandbox.requests().last().unwrap().target,
        format!("/v2/projects/{PROJECT_ID}/sdk/events/trigger")
    );
    assert_eq!(
        hank.send_event("", json!({})).await.unwrap_err().kind(),
        ErrorKind::InvalidRequest
    );
}
