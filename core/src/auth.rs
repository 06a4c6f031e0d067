//! Where a call's Paragon User Token comes from: a fixed token, tokens minted here from the
//! project's signing key (one per user, cached until shortly before they expire), or the
//! caller's own provider. Asked again before every request.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value};

use crate::error::ConfigError;
use crate::secret::Secret;

/// The claim that narrows what a token may do, e.g. `{"integration:slack": true}`.
pub const PERMISSIONS_CLAIM: &str = "urn:useparagon:connect:permissions";

/// Default lifetime of a minted token (Paragon's docs use one hour).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Most users whose tokens are kept (a token is about 600 bytes, so about 70 MB when full): a
/// server acting for this many users within a token's lifetime signs each once. Past it, the
/// expired tokens are dropped, then the oldest tenth.
const CACHE_LIMIT: usize = 100_000;

/// How a minted token looks.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenOptions {
    /// Time from `iat` to `exp` (default one hour).
    pub lifetime: Duration,
    /// Whether to set `aud` to `useparagon.com/<projectId>` (default true).
    pub audience: bool,
    /// The permissions claim, when the token should be narrowed.
    pub permissions: Option<Map<String, Value>>,
    /// Further claims, added as given (they cannot replace `sub`, `iat`, `exp` or `aud`).
    pub extra_claims: Map<String, Value>,
}

impl Default for TokenOptions {
    fn default() -> Self {
        TokenOptions {
            lifetime: DEFAULT_TOKEN_LIFETIME,
            audience: true,
            permissions: None,
            extra_claims: Map::new(),
        }
    }
}

/// A project's signing key (RS256, PEM), checked and ready to sign.
#[derive(Clone)]
pub struct SigningKey {
    key: Arc<EncodingKey>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    /// Reads a PEM private RSA key, also when its newlines are written as literal `\n` (as keys
    /// kept in environment variables often are). The error says what is wrong and never
    /// repeats the key.
    pub fn from_pem(pem: &str) -> Result<SigningKey, ConfigError> {
        let invalid = |reason: &str| ConfigError::new("signing_key", reason);
        let pem = if pem.contains("\\n") && !pem.contains('\n') {
            pem.replace("\\n", "\n")
        } else {
            pem.to_owned()
        };
        let pem = pem.trim();
        let label = pem
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.split_once("-----"))
            .map(|(label, _)| label)
            .ok_or_else(|| {
                invalid("is not a PEM key (it should start with -----BEGIN PRIVATE KEY-----)")
            })?;
        match label {
            "RSA PRIVATE KEY" | "PRIVATE KEY" => {}
            "ENCRYPTED PRIVATE KEY" => {
                return Err(invalid(
                    "is encrypted with a passphrase; give the unencrypted private key from the Paragon dashboard",
                ));
            }
            "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => {
                return Err(invalid(
                    "is a public key; tokens are signed with the private key from the Paragon dashboard",
                ));
            }
            "EC PRIVATE KEY" | "OPENSSH PRIVATE KEY" | "DSA PRIVATE KEY" => {
                return Err(invalid(
                    "is not an RSA key; Paragon signs user tokens with RS256",
                ));
            }
            _ => return Err(invalid("is not a PEM private key")),
        }
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| {
            invalid("is not an RSA private key that can sign RS256 (a PKCS#8 key of another type, or damaged)")
        })?;
        let key = SigningKey { key: Arc::new(key) };
        // Sign once now, so a key that cannot sign fails here and not on the first call.
        key.sign("key-check", "key-check", &TokenOptions::default(), now())
            .map_err(|reason| ConfigError::new("signing_key", reason))?;
        Ok(key)
    }

    /// A token for `user` of `project_id`, issued at `issued_at` (seconds since the epoch).
    fn sign(
        &self,
        project_id: &str,
        user: &str,
        options: &TokenOptions,
        issued_at: u64,
    ) -> Result<Secret, String> {
        let mut claims = options.extra_claims.clone();
        if let Some(permissions) = &options.permissions {
            claims.insert(
                PERMISSIONS_CLAIM.to_owned(),
                Value::Object(permissions.clone()),
            );
        }
        claims.insert("sub".to_owned(), Value::String(user.to_owned()));
        claims.insert("iat".to_owned(), Value::from(issued_at));
        claims.insert(
            "exp".to_owned(),
            Value::from(issued_at + options.lifetime.as_secs()),
        );
        if options.audience {
            claims.insert(
                "aud".to_owned(),
                Value::String(format!("useparagon.com/{project_id}")),
            );
        }
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map(Secret::new)
            .map_err(|error| format!("could not sign a user token: {error}"))
    }
}

/// Signs a Paragon User Token for `user` of `project_id`: for servers that hand tokens to their
/// front end (the browser SDK's `paragon.authenticate`).
pub fn sign_user_token(
    key: &SigningKey,
    project_id: &str,
    user: &str,
    options: &TokenOptions,
) -> Result<Secret, ConfigError> {
    check_user(user).map_err(|reason| ConfigError::new("user", reason))?;
    key.sign(project_id, user, options, now())
        .map_err(|reason| ConfigError::new("signing_key", reason))
}

/// The longest user id accepted, in bytes: ids are kept in the token cache (at most
/// `CACHE_LIMIT` of them) and in every token, so an unbounded id would be unbounded memory.
pub const MAX_USER_ID_BYTES: usize = 512;

pub(crate) fn check_user(user: &str) -> Result<(), String> {
    if user.is_empty() {
        return Err("the user id must not be empty".to_owned());
    }
    if user.len() > MAX_USER_ID_BYTES {
        return Err(format!(
            "the user id is {} bytes long; at most {MAX_USER_ID_BYTES} are accepted",
            user.len()
        ));
    }
    if user.chars().any(char::is_control) {
        return Err(format!("the user id {user:?} contains a control character"));
    }
    Ok(())
}

/// What [`TokenProvider::token`] returns: the token, or why there is none (shown to the caller).
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Secret, String>> + Send + 'a>>;

/// A caller's own source of tokens (an identity provider, a cache of theirs). Asked before
/// every attempt, within the attempt's timeout, with the user the client is bound to, if any.
pub trait TokenProvider: Send + Sync {
    fn token<'a>(&'a self, user: Option<&'a str>) -> TokenFuture<'a>;
}

/// A minted token and when to stop using it.
struct Minted {
    token: Secret,
    renew_after: u64,
}

/// One user's token, behind its own lock: concurrent first calls for a user sign once, and
/// signing for one user holds up no other.
type Slot = Arc<Mutex<Option<Minted>>>;

/// Tokens minted from the signing key, one per user, reused until shortly before expiry.
pub(crate) struct Minter {
    key: SigningKey,
    project_id: String,
    options: TokenOptions,
    cache: Mutex<HashMap<String, Slot>>,
    /// The most users kept ([`CACHE_LIMIT`]; smaller in tests).
    limit: usize,
    /// How many tokens were signed (the cache's effect is visible in tests).
    signed: AtomicUsize,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Minter {
    pub(crate) fn new(key: SigningKey, project_id: String, options: TokenOptions) -> Self {
        Minter {
            key,
            project_id,
            options,
            cache: Mutex::new(HashMap::new()),
            limit: CACHE_LIMIT,
            signed: AtomicUsize::new(0),
        }
    }

    /// The user's token: the cached one, or a new one (signing takes about a millisecond).
    pub(crate) fn token_for(&self, user: &str) -> Result<Secret, String> {
        let now = now();
        let slot = {
            let mut cache = lock(&self.cache);
            match cache.get(user) {
                Some(slot) => slot.clone(),
                None => {
                    if cache.len() >= self.limit {
                        evict(&mut cache, now, self.limit);
                    }
                    cache.entry(user.to_owned()).or_default().clone()
                }
            }
        };
        let mut minted = lock(&slot);
        if let Some(minted) = minted.as_ref()
            && now < minted.renew_after
        {
            return Ok(minted.token.clone());
        }
        let token = self.key.sign(&self.project_id, user, &self.options, now)?;
        self.signed.fetch_add(1, Ordering::Relaxed);
        let lifetime = self.options.lifetime.as_secs();
        // Renew a minute before expiry, or at 90% of a short lifetime.
        let margin = 60.min(lifetime / 10);
        *minted = Some(Minted {
            token: token.clone(),
            renew_after: now + lifetime - margin,
        });
        Ok(token)
    }
}

/// Makes room in a full cache: drops the tokens due for renewal, and if that is not a tenth of
/// it, the tenth signed longest ago. A slot being signed right now is kept.
fn evict(cache: &mut HashMap<String, Slot>, now: u64, limit: usize) {
    let renew_after = |slot: &Slot| match slot.try_lock() {
        Ok(minted) => Some(minted.as_ref().map_or(0, |minted| minted.renew_after)),
        Err(_) => None,
    };
    cache.retain(|_, slot| renew_after(slot).is_none_or(|renew_after| now < renew_after));
    let keep = limit - limit.div_ceil(10);
    if cache.len() > keep {
        let mut ages: Vec<u64> = cache.values().filter_map(renew_after).collect();
        let surplus = cache.len() - keep;
        if surplus <= ages.len() {
            let (_, cutoff, _) = ages.select_nth_unstable(surplus - 1);
            let cutoff = *cutoff;
            cache
                .retain(|_, slot| renew_after(slot).is_none_or(|renew_after| renew_after > cutoff));
        }
    }
}

/// Where a client's tokens come from.
#[derive(Clone)]
pub(crate) enum Auth {
    Token(Secret),
    Signed(Arc<Minter>),
    Provider(Arc<dyn TokenProvider>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Auth::Token(_) => "user_token([redacted])",
            Auth::Signed(_) => "signing_key([redacted])",
            Auth::Provider(_) => "token_provider",
        })
    }
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../../tests/sandbox/keys/sandbox-signing-key.pem");
    const PUBLIC_KEY: &str = include_str!("../../tests/sandbox/keys/sandbox-signing-key.pub.pem");

    fn claims_of(token: &Secret) -> Map<String, Value> {
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.validate_aud = false;
        jsonwebtoken::decode::<Map<String, Value>>(token.expose(), &key, &validation)
            .unwrap()
            .claims
    }

    #[test]
    fn minted_tokens_carry_the_claims_and_verify() {
        let key = SigningKey::from_pem(KEY).unwrap();
        let mut options = TokenOptions {
            permissions: Some(serde_json::from_str(r#"{"integration:slack": true}"#).unwrap()),
            ..TokenOptions::default()
        };
        options.extra_claims.insert("team".into(), "blue".into());
        options.extra_claims.insert("sub".into(), "not-this".into());
        let token = sign_user_token(&key, "project-1", "user-7", &options).unwrap();
        let claims = claims_of(&token);
        assert_eq!(claims["sub"], "user-7");
        assert_eq!(claims["aud"], "useparagon.com/project-1");
        assert_eq!(claims["team"], "blue");
        assert_eq!(claims[PERMISSIONS_CLAIM]["integration:slack"], true);
        let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
        assert_eq!(lifetime, 3600);
        options.audience = false;
        let token = sign_user_token(&key, "project-1", "user-7", &options).unwrap();
        assert!(!claims_of(&token).contains_key("aud"));
    }

    #[test]
    fn keys_with_literal_newline_escapes_are_read() {
        let escaped = KEY.trim().replace('\n', "\\n");
        assert!(SigningKey::from_pem(&escaped).is_ok());
    }

    #[test]
    fn bad_keys_say_what_is_wrong_without_showing_the_key() {
        let cases = [
            ("not a key", "not a PEM key"),
            (PUBLIC_KEY, "public key"),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----",
                "encrypted",
            ),
            (
                "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----",
                "not an RSA key",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
                "not an RSA private key",
            ),
        ];
        for (pem, reason) in cases {
            let error = SigningKey::from_pem(pem).unwrap_err();
            assert_eq!(error.setting, "signing_key");
            assert!(error.reason.contains(reason), "{error}");
            assert!(!error.to_string().contains("MII"), "{error}");
        }
        assert!(!format!("{:?}", SigningKey::from_pem(KEY).unwrap()).contains("MII"));
    }

    #[test]
    fn tokens_are_cached_per_user_and_renewed_before_expiry() {
        let key = SigningKey::from_pem(KEY).unwrap();
        let minter = Minter::new(key, "p".into(), TokenOptions::default());
        let first = minter.token_for("a").unwrap();
        assert_eq!(minter.token_for("a").unwrap(), first);
        assert_eq!(minter.signed.load(Ordering::Relaxed), 1);
        assert_ne!(minter.token_for("b").unwrap(), first);
        assert_eq!(minter.signed.load(Ordering::Relaxed), 2);
        // Pretend the cached token is about to expire.
        let slot = minter.cache.lock().unwrap().get("a").unwrap().clone();
        slot.lock().unwrap().as_mut().unwrap().renew_after = now();
        minter.token_for("a").unwrap();
        assert_eq!(minter.signed.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn a_full_cache_drops_the_expired_then_the_oldest_tokens() {
        let key = SigningKey::from_pem(KEY).unwrap();
        let mut minter = Minter::new(key, "p".into(), TokenOptions::default());
        minter.limit = 10;
        let set_renewal = |minter: &Minter, user: &str, renew_after: u64| {
            let slot = minter.cache.lock().unwrap().get(user).unwrap().clone();
            slot.lock().unwrap().as_mut().unwrap().renew_after = renew_after;
        };
        let later = now() + 1000;
        for n in 0..10 {
            minter.token_for(&format!("u{n}")).unwrap();
            // u0 signed longest ago, u9 last.
            set_renewal(&minter, &format!("u{n}"), later + n);
        }
        minter.token_for("u10").unwrap();
        let cached = |minter: &Minter, user: &str| minter.cache.lock().unwrap().contains_key(user);
        assert!(!cached(&minter, "u0"), "the oldest token is dropped");
        assert!((1..=10).all(|n| cached(&minter, &format!("u{n}"))));
        // The kept ones are still served from the cache.
        let signed = minter.signed.load(Ordering::Relaxed);
        minter.token_for("u9").unwrap();
        assert_eq!(minter.signed.load(Ordering::Relaxed), signed);

        // Tokens due for renewal go first, however recent the others.
        set_renewal(&minter, "u5", 0);
        minter.token_for("u11").unwrap();
        assert!(!cached(&minter, "u5"));
        assert!(cached(&minter, "u1"));
        assert!(minter.cache.lock().unwrap().len() <= 10);
    }

    #[test]
    fn concurrent_first_calls_for_a_user_mint_once() {
        let key = SigningKey::from_pem(KEY).unwrap();
        let minter = Arc::new(Minter::new(key, "p".into(), TokenOptions::default()));
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| minter.token_for("same-user").unwrap());
            }
        });
        assert_eq!(minter.signed.load(Ordering::Relaxed), 1);
    }
}
