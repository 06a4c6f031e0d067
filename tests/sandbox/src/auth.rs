//! Paragon User Tokens: minted with the sandbox's test signing key, verified as Paragon verifies
//! them (RS256, `sub` and `exp` required, `aud` must name the project when present).

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The private key of a pair made for this sandbox only (it signs nothing anywhere else): a
/// client given it as its signing key mints tokens the sandbox accepts.
pub const SIGNING_KEY_PEM: &str = include_str!("../keys/sandbox-signing-key.pem");
const PUBLIC_KEY_PEM: &str = include_str!("../keys/sandbox-signing-key.pub.pem");
/// Another project's key: tokens it signs must be refused.
const OTHER_PROJECT_SIGNING_KEY_PEM: &str = include_str!("../keys/other-project-signing-key.pem");

/// Claims of a token to mint. `TokenClaims::for_user` gives a valid one-hour token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TokenClaims {
    pub fn for_user(project_id: &str, user: &str) -> TokenClaims {
        let now = now();
        TokenClaims {
            sub: Some(user.to_owned()),
            iat: now,
            exp: Some(now + 3600),
            aud: Some(format!("useparagon.com/{project_id}")),
            extra: Map::new(),
        }
    }
}

/// Which key signs a minted token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Sandbox,
    OtherProject,
}

pub(crate) struct Keys {
    sandbox: EncodingKey,
    other_project: EncodingKey,
    public: DecodingKey,
}

impl Keys {
    pub(crate) fn load() -> Keys {
        Keys {
            sandbox: EncodingKey::from_rsa_pem(SIGNING_KEY_PEM.as_bytes()).expect("sandbox key"),
            other_project: EncodingKey::from_rsa_pem(OTHER_PROJECT_SIGNING_KEY_PEM.as_bytes())
                .expect("other project key"),
            public: DecodingKey::from_rsa_pem(PUBLIC_KEY_PEM.as_bytes())
                .expect("sandbox public key"),
        }
    }

    pub(crate) fn mint(&self, claims: &TokenClaims, signer: Signer) -> String {
        let key = match signer {
            Signer::Sandbox => &self.sandbox,
            Signer::OtherProject => &self.other_project,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, key).expect("signing a token")
    }

    /// The user a bearer token stands for and its permissions claim, or why Paragon would refuse
    /// it.
    pub(crate) fn verify(
        &self,
        authorization: Option<&str>,
        project_id: &str,
    ) -> Result<Verified, String> {
        let token = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or("missing Bearer token")?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.validate_aud = false;
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<TokenClaims>(token, &self.public, &validation)
            .map_err(|error| format!("invalid token: {error}"))?;
        let expected_audience = format!("useparagon.com/{project_id}");
        if let Some(aud) = &data.claims.aud
            && aud != &expected_audience
        {
            return Err("token audience is another project".to_owned());
        }
        let permissions = data
            .claims
            .extra
            .get("urn:useparagon:connect:permissions")
            .and_then(Value::as_object)
            .cloned();
        match data.claims.sub {
            Some(user) if !user.is_empty() => Ok(Verified { user, permissions }),
            _ => Err("token has no sub".to_owned()),
        }
    }
}

/// What a valid token says.
pub(crate) struct Verified {
    pub user: String,
    pub permissions: Option<Map<String, Value>>,
}

impl Verified {
    /// Whether the permissions claim (when present) allows calling `integration`.
    pub(crate) fn may_use(&self, integration: &str) -> bool {
        let Some(permissions) = &self.permissions else {
            return true;
        };
        let allowed = |key: &str| permissions.get(key) == Some(&Value::Bool(true));
        allowed("integration:*") || allowed(&format!("integration:{integration}"))
    }
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}
