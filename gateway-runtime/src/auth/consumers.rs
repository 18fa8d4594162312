//! The consumer registry: who may call, with which credentials, to which
//! APIs. A TOML file provisioned at deployment (path in the config's
//! `[auth] consumers`), reloaded atomically on change or SIGHUP:
//!
//! ```toml
//! [[consumer]]
//! id = "billing"                 # sent upstream in the identity header
//! plan = "gold"
//! apis = ["shop"]                # APIs it is entitled to ("*" for all)
//! scopes = ["orders:read"]       # granted to its API keys, Basic logins, certificates
//! api_keys = ["sha256:9f86d0…"]  # SHA-256 of each key, never the key
//! password = "$pbkdf2-sha256$i=600000$<salt>$<hash>"   # for http basic
//! certificates = ["sha256:<fingerprint>", "subject:CN=app,O=Org", "san:dns:app.internal"]
//! token_clients = [{ issuer = "https://idp.example", client_id = "billing-app" }]
//! certificate_issuers = ["CN=Partner CA,O=Org"]   # binds subject: and san: names
//! ```
//!
//! Secrets are stored only as hashes. API keys are random 256-bit values,
//! so one fast SHA-256 is enough and lets a key be found by its digest:
//! the map lookup compares digests, and timing differences there reveal
//! digest bytes, which say nothing about any key. Passwords are chosen by
//! people, so they get a slow hash (PBKDF2-HMAC-SHA256, 600,000 iterations,
//! OWASP's figure; FIPS-approved, which public-sector deployments ask for),
//! verified in constant time by `ring`, with results cached so that Basic
//! cannot be used to burn the gateway's CPU.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use ring::{digest, pbkdf2, rand::SecureRandom};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::connection::PeerCertificate;

/// PBKDF2-HMAC-SHA256 iterations for new passwords (OWASP, 2023).
pub const PASSWORD_ITERATIONS: u32 = 600_000;
/// How long a password verification result is remembered.
const PASSWORD_CACHE_TTL: Duration = Duration::from_secs(300);
/// Longest wait for a turn at the slow hash before answering 503.
pub const PASSWORD_QUEUE_WAIT: Duration = Duration::from_secs(2);
/// Most remembered password verifications (about 64 bytes each).
const PASSWORD_CACHE_ENTRIES: usize = 10_000;

/// One consumer of the gateway's APIs.
#[derive(Debug)]
pub struct Consumer {
    /// Unique id, sent upstream as the caller's identity.
    pub id: Arc<str>,
    pub plan: Option<String>,
    /// APIs it may call; `*` for all.
    apis: Vec<String>,
    /// Scopes (or roles) granted to its API keys, Basic logins and
    /// certificates; tokens carry their own.
    pub scopes: Vec<String>,
    password: Option<PasswordHash>,
    /// Issuer DNs its `subject:`/`san:` certificate names are bound to.
    certificate_issuers: Vec<String>,
}

impl Consumer {
    /// Whether this consumer may call API `api`.
    pub fn entitled(&self, api: &str) -> bool {
        self.apis.iter().any(|a| a == "*" || a == api)
    }
}

/// A parsed `$pbkdf2-sha256$i=N$salt$hash` string.
#[derive(Debug)]
struct PasswordHash {
    iterations: NonZeroU32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl PasswordHash {
    fn parse(text: &str) -> Option<PasswordHash> {
        let rest = text.strip_prefix("$pbkdf2-sha256$i=")?;
        let mut parts = rest.split('$');
        let iterations = parts.next()?.parse::<u32>().ok()?;
        let salt = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
        let hash = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
        if parts.next().is_some() || salt.len() < 16 || hash.len() != 32 || iterations < 10_000 {
            return None;
        }
        Some(PasswordHash {
            iterations: NonZeroU32::new(iterations)?,
            salt,
            hash,
        })
    }

    fn verify(&self, password: &str) -> bool {
        pbkdf2::verify(
            pbkdf2::PBKDF2_HMAC_SHA256,
            self.iterations,
            &self.salt,
            password.as_bytes(),
            &self.hash,
        )
        .is_ok()
    }
}

/// Hashes a new password for the registry (`$pbkdf2-sha256$i=N$salt$hash`).
pub fn hash_password(password: &str, iterations: u32) -> String {
    let mut salt = [0u8; 16];
    fill_random(&mut salt);
    let mut hash = [0u8; 32];
    let n = NonZeroU32::new(iterations.max(10_000)).expect("non-zero");
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        &salt,
        password.as_bytes(),
        &mut hash,
    );
    format!(
        "$pbkdf2-sha256$i={n}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(hash)
    )
}

/// A new random API key and the registry entry that stores its digest.
pub fn new_api_key() -> (String, String) {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    let key = format!("douane_{}", URL_SAFE_NO_PAD.encode(bytes));
    let entry = format!("sha256:{}", hex(&key_digest(&key)));
    (key, entry)
}

fn fill_random(out: &mut [u8]) {
    ring::rand::SystemRandom::new()
        .fill(out)
        .expect("the operating system's random source failed");
}

/// SHA-256 of an API key, as stored in the registry.
pub fn key_digest(key: &str) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, key.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Consumer ids travel in a header and in logs: plain ASCII only, and no
/// `:` (token identities are written `scheme:subject`).
pub fn valid_consumer_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    consumer: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    plan: Option<String>,
    #[serde(default)]
    apis: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    api_keys: Vec<String>,
    password: Option<String>,
    #[serde(default)]
    certificates: Vec<String>,
    #[serde(default)]
    token_clients: Vec<TokenClient>,
    /// Issuer DNs that `subject:` and `san:` certificate names are bound
    /// to: any CA the listener trusts could issue the same name.
    #[serde(default)]
    certificate_issuers: Vec<String>,
}

/// An OAuth client known to the registry: a token's `client_id` (or `azp`)
/// from that issuer identifies the consumer.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenClient {
    issuer: String,
    client_id: String,
}

/// One loaded registry: immutable, replaced whole on reload.
#[derive(Debug, Default)]
pub struct Registry {
    consumers: Vec<Arc<Consumer>>,
    by_id: HashMap<Arc<str>, usize>,
    by_key_digest: HashMap<[u8; 32], usize>,
    /// `sha256:<hex>`, `subject:<DN>`, `san:<kind>:<value>`.
    by_certificate: HashMap<String, usize>,
    /// `issuer`, newline, `client_id`.
    by_token_client: HashMap<String, usize>,
}

impl Registry {
    /// Parses a registry; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Registry, String> {
        let file: RegistryFile =
            toml::from_str(text).map_err(|e| format!("invalid consumer registry {origin}: {e}"))?;
        let mut registry = Registry::default();
        for (index, entry) in file.consumer.into_iter().enumerate() {
            let bad = |what: String| {
                format!(
                    "invalid consumer registry {origin}: consumer `{}`: {what}",
                    entry.id
                )
            };
            if !valid_consumer_id(&entry.id) {
                return Err(bad("an id is 1 to 128 of A-Z a-z 0-9 . _ - @".to_owned()));
            }
            let id: Arc<str> = Arc::from(entry.id.as_str());
            if registry.by_id.insert(id.clone(), index).is_some() {
                return Err(bad("id used twice".to_owned()));
            }
            for key in &entry.api_keys {
                let digest = key
                    .strip_prefix("sha256:")
                    .and_then(unhex32)
                    .ok_or_else(|| bad("an api key is stored as sha256:<64 hex digits> (`douane consumer add` prints one)".to_owned()))?;
                if registry.by_key_digest.insert(digest, index).is_some() {
                    return Err(bad("an api key is used twice".to_owned()));
                }
            }
            for name in &entry.certificates {
                let known = ["sha256:", "subject:", "san:"];
                if !known.iter().any(|p| name.starts_with(p)) {
                    return Err(bad(format!(
                        "certificate `{name}` must start with sha256:, subject: or san:"
                    )));
                }
                let name = match name.strip_prefix("sha256:") {
                    Some(fp) => format!("sha256:{}", fp.to_ascii_lowercase().replace(':', "")),
                    None => name.clone(),
                };
                if registry.by_certificate.insert(name, index).is_some() {
                    return Err(bad("a certificate is mapped twice".to_owned()));
                }
            }
            for client in &entry.token_clients {
                let key = format!("{}\n{}", client.issuer, client.client_id);
                if registry.by_token_client.insert(key, index).is_some() {
                    return Err(bad(format!(
                        "token client `{}` of `{}` is mapped twice",
                        client.client_id, client.issuer
                    )));
                }
            }
            let by_name = entry
                .certificates
                .iter()
                .any(|c| c.starts_with("subject:") || c.starts_with("san:"));
            if by_name && entry.certificate_issuers.is_empty() {
                return Err(bad("subject: and san: certificates need certificate_issuers (the issuer DNs they are bound to), or use sha256: fingerprints".to_owned()));
            }
            let password = match &entry.password {
                None => None,
                Some(text) => Some(PasswordHash::parse(text).ok_or_else(|| {
                    bad("password must be $pbkdf2-sha256$i=<iterations ≥ 10000>$<salt>$<hash> (`douane consumer add --password-stdin` writes one)".to_owned())
                })?),
            };
            registry.consumers.push(Arc::new(Consumer {
                id,
                plan: entry.plan,
                apis: entry.apis,
                scopes: entry.scopes,
                password,
                certificate_issuers: entry.certificate_issuers,
            }));
        }
        Ok(registry)
    }

    pub fn load(path: &Path) -> Result<Registry, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read consumer registry {}: {e}", path.display()))?;
        Registry::parse(&text, &path.display().to_string())
    }

    pub fn len(&self) -> usize {
        self.consumers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.consumers.is_empty()
    }

    pub fn by_id(&self, id: &str) -> Option<&Arc<Consumer>> {
        self.by_id.get(id).map(|&i| &self.consumers[i])
    }

    /// The consumer holding API key `key`.
    pub fn by_api_key(&self, key: &str) -> Option<&Arc<Consumer>> {
        self.by_key_digest
            .get(&key_digest(key))
            .map(|&i| &self.consumers[i])
    }

    /// The consumer a verified client certificate is mapped to: by
    /// fingerprint, then subject, then any subject alternative name.
    pub fn by_certificate(&self, cert: &PeerCertificate) -> Option<&Arc<Consumer>> {
        let find = |name: String| self.by_certificate.get(&name).copied();
        if let Some(i) = find(format!("sha256:{}", cert.sha256_fingerprint)) {
            return Some(&self.consumers[i]);
        }
        // Names hold only for the issuers the consumer is bound to.
        let bound = |i: &usize| {
            self.consumers[*i]
                .certificate_issuers
                .contains(&cert.issuer)
        };
        find(format!("subject:{}", cert.subject))
            .filter(bound)
            .or_else(|| {
                cert.subject_alt_names
                    .iter()
                    .find_map(|san| find(format!("san:{san}")).filter(bound))
            })
            .map(|i| &self.consumers[i])
    }

    /// The consumer that claims `client_id` of tokens from `issuer`.
    pub fn by_token_client(&self, issuer: &str, client_id: &str) -> Option<&Arc<Consumer>> {
        self.by_token_client
            .get(&format!("{issuer}\n{client_id}"))
            .map(|&i| &self.consumers[i])
    }
}

/// The live registry: the current [`Registry`], swapped whole when the
/// file changes, and the password verification cache.
#[derive(Debug)]
pub struct Consumers {
    path: PathBuf,
    current: RwLock<Loaded>,
    passwords: Mutex<HashMap<[u8; 32], (bool, Instant)>>,
    /// Slow hashes run at most this many at a time, off the async workers.
    hashing: Semaphore,
}

#[derive(Debug)]
struct Loaded {
    registry: Arc<Registry>,
    modified: Option<SystemTime>,
    /// Bumped at every reload; part of the password cache key.
    generation: u64,
}

/// The outcome of [`Consumers::login`].
#[derive(Debug)]
pub enum Login {
    Admitted(Arc<Consumer>),
    /// Unknown id or wrong password (the two are not told apart).
    Refused,
    /// Too many slow hashes queued: try again later (503).
    Busy,
}

impl Consumers {
    /// Loads the registry at `path`; fails if it is missing or invalid.
    pub fn open(path: &Path) -> Result<Consumers, String> {
        let modified = modified(path);
        let registry = Registry::load(path)?;
        // Half the cores at most: a flood of wrong passwords must leave the
        // other half to the requests being proxied.
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let hashing = (cores / 2).max(1);
        Ok(Consumers {
            path: path.to_owned(),
            current: RwLock::new(Loaded {
                registry: Arc::new(registry),
                modified,
                generation: 0,
            }),
            passwords: Mutex::new(HashMap::new()),
            hashing: Semaphore::new(hashing),
        })
    }

    /// The registry in force.
    pub fn current(&self) -> Arc<Registry> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .registry
            .clone()
    }

    /// Re-reads the file; an invalid file is reported and the registry in
    /// force is kept. `force` re-reads even if the modification time is
    /// unchanged (SIGHUP).
    pub fn reload(&self, force: bool) -> Result<bool, String> {
        let now_modified = modified(&self.path);
        {
            let loaded = self.current.read().unwrap_or_else(|e| e.into_inner());
            if !force && now_modified == loaded.modified {
                return Ok(false);
            }
        }
        let result = Registry::load(&self.path);
        let mut loaded = self.current.write().unwrap_or_else(|e| e.into_inner());
        // Remember the attempt either way: a broken file is reported once,
        // not at every poll.
        loaded.modified = now_modified;
        let registry = result?;
        loaded.registry = Arc::new(registry);
        loaded.generation += 1;
        drop(loaded);
        // Cached verdicts belong to the old passwords (and are unreachable
        // under the new generation anyway): free them.
        self.passwords
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(true)
    }

    /// Reloads on SIGHUP and whenever the file's modification time changes
    /// (polled every `interval`), until the gateway stops.
    pub fn watch(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let consumers = Arc::downgrade(self);
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            loop {
                #[cfg(unix)]
                let forced = match hangup.as_mut() {
                    Some(signal) => tokio::select! {
                        _ = signal.recv() => true,
                        () = tokio::time::sleep(interval) => false,
                    },
                    None => {
                        tokio::time::sleep(interval).await;
                        false
                    }
                };
                #[cfg(not(unix))]
                let forced = {
                    tokio::time::sleep(interval).await;
                    false
                };
                let Some(consumers) = consumers.upgrade() else {
                    return;
                };
                match consumers.reload(forced) {
                    Ok(true) => tracing::info!(
                        path = %consumers.path.display(),
                        consumers = consumers.current().len(),
                        "consumer registry reloaded"
                    ),
                    Ok(false) => {}
                    Err(error) => tracing::error!(
                        %error,
                        "consumer registry not reloaded, the previous one stays in force"
                    ),
                }
            }
        })
    }

    /// Logs consumer `id` in with `password` (http basic). Verdicts are
    /// cached, keyed by a digest of the registry generation, id and
    /// password (never the password itself), so a reload makes every old
    /// verdict unreachable, even one computed while it happened. Uncached
    /// verifications run a few at a time on blocking threads; a request
    /// waits at most [`PASSWORD_QUEUE_WAIT`] for its turn, then gets
    /// [`Login::Busy`] (503) rather than queueing without end behind a
    /// flood of wrong passwords. An unknown id costs the same slow hash as
    /// a known one, so timing does not tell which ids exist.
    pub async fn login(&self, id: &str, password: &str) -> Login {
        // A reload during the slow hash: start again on the new registry.
        for _ in 0..2 {
            let (registry, generation) = self.current_generation();
            let consumer = registry.by_id(id).cloned();
            let mut ctx = digest::Context::new(&digest::SHA256);
            ctx.update(&generation.to_le_bytes());
            ctx.update(&(id.len() as u64).to_le_bytes());
            ctx.update(id.as_bytes());
            ctx.update(password.as_bytes());
            let mut cache_key = [0u8; 32];
            cache_key.copy_from_slice(ctx.finish().as_ref());
            let admitted = |verdict: bool| match (&consumer, verdict) {
                (Some(consumer), true) => Login::Admitted(consumer.clone()),
                _ => Login::Refused,
            };
            if let Some(verdict) = self.cached(&cache_key) {
                return admitted(verdict);
            }
            let Ok(Ok(_permit)) =
                tokio::time::timeout(PASSWORD_QUEUE_WAIT, self.hashing.acquire()).await
            else {
                return Login::Busy;
            };
            // Another request may have verified the same pair while we waited.
            if let Some(verdict) = self.cached(&cache_key) {
                return admitted(verdict);
            }
            let (hashed, password_copy) = (consumer.clone(), password.to_owned());
            let verdict = tokio::task::spawn_blocking(move || match &hashed {
                Some(consumer) => consumer
                    .password
                    .as_ref()
                    .is_some_and(|hash| hash.verify(&password_copy)),
                None => {
                    let _ = DUMMY_PASSWORD.verify(&password_copy);
                    false
                }
            })
            .await
            .unwrap_or(false);
            if self.current_generation().1 != generation {
                continue;
            }
            let mut cache = self.passwords.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= PASSWORD_CACHE_ENTRIES {
                let now = Instant::now();
                cache.retain(|_, (_, at)| now.duration_since(*at) < PASSWORD_CACHE_TTL);
                if cache.len() >= PASSWORD_CACHE_ENTRIES {
                    cache.clear();
                }
            }
            cache.insert(cache_key, (verdict, Instant::now()));
            return admitted(verdict);
        }
        Login::Busy
    }

    fn current_generation(&self) -> (Arc<Registry>, u64) {
        let loaded = self.current.read().unwrap_or_else(|e| e.into_inner());
        (loaded.registry.clone(), loaded.generation)
    }

    fn cached(&self, key: &[u8; 32]) -> Option<bool> {
        let cache = self.passwords.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(key)
            .filter(|(_, at)| at.elapsed() < PASSWORD_CACHE_TTL)
            .map(|(verdict, _)| *verdict)
    }
}

/// Verified against when the consumer id is unknown (same cost as a real
/// hash); computed on first use.
static DUMMY_PASSWORD: std::sync::LazyLock<PasswordHash> = std::sync::LazyLock::new(|| {
    PasswordHash::parse(&hash_password("douane-dummy", PASSWORD_ITERATIONS)).expect("valid")
});

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Appends a new consumer to the registry file at `path` (created if
/// missing) and returns its API key, which is stored only as a digest:
/// this is the one time it can be shown.
pub fn add_consumer(
    path: &Path,
    id: &str,
    plan: Option<&str>,
    apis: &[String],
    scopes: &[String],
    password: Option<&str>,
) -> Result<String, String> {
    if !valid_consumer_id(id) {
        return Err(format!(
            "invalid consumer id `{id}`: use 1 to 128 of A-Z a-z 0-9 . _ - @"
        ));
    }
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let registry = Registry::parse(&existing, &path.display().to_string())?;
    if registry.by_id(id).is_some() {
        return Err(format!(
            "consumer `{id}` already exists in {}",
            path.display()
        ));
    }
    let (key, digest) = new_api_key();
    // JSON string syntax is valid TOML basic-string syntax.
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let list = |items: &[String]| {
        items
            .iter()
            .map(|s| quote(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut block = String::new();
    if !existing.is_empty() && !existing.ends_with("\n\n") {
        block.push('\n');
    }
    block.push_str(&format!("[[consumer]]\nid = {}\n", quote(id)));
    if let Some(plan) = plan {
        block.push_str(&format!("plan = {}\n", quote(plan)));
    }
    block.push_str(&format!("apis = [{}]\n", list(apis)));
    if !scopes.is_empty() {
        block.push_str(&format!("scopes = [{}]\n", list(scopes)));
    }
    block.push_str(&format!("api_keys = [{}]\n", quote(&digest)));
    if let Some(password) = password {
        block.push_str(&format!(
            "password = {}\n",
            quote(&hash_password(password, PASSWORD_ITERATIONS))
        ));
    }
    let updated = format!("{existing}{block}");
    // The new file must load before it replaces the old one.
    Registry::parse(&updated, &path.display().to_string())?;
    // Write beside, then rename: a gateway watching the file never reads
    // half of it.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, &updated).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(fp: &str, subject: &str, sans: &[&str]) -> PeerCertificate {
        PeerCertificate {
            subject: subject.into(),
            issuer: "CN=Team CA".into(),
            subject_alt_names: sans.iter().map(|s| s.to_string()).collect(),
            sha256_fingerprint: fp.into(),
            chain: Vec::new(),
        }
    }

    #[test]
    fn keys_are_found_by_digest_and_stored_only_as_digests() {
        let (key, entry) = new_api_key();
        assert!(key.starts_with("douane_") && key.len() > 40);
        assert!(!entry.contains(&key));
        let text =
            format!("[[consumer]]\nid = \"a\"\napis = [\"shop\"]\napi_keys = [\"{entry}\"]\n");
        let registry = Registry::parse(&text, "t").unwrap();
        assert_eq!(&*registry.by_api_key(&key).unwrap().id, "a");
        assert!(registry.by_api_key("douane_wrong").is_none());
        assert!(
            registry.by_api_key(&entry).is_none(),
            "the digest is not a key"
        );
    }

    #[test]
    fn passwords_verify_against_their_slow_hash() {
        let hash = hash_password("s3cret", 10_000);
        let parsed = PasswordHash::parse(&hash).unwrap();
        assert!(parsed.verify("s3cret"));
        assert!(!parsed.verify("s3cret "));
        assert!(!hash.contains("s3cret"));
    }

    #[test]
    fn certificates_map_by_fingerprint_subject_or_san() {
        let text = "[[consumer]]\nid = \"a\"\ncertificates = [\"sha256:AB:CD\"]\n\
                    [[consumer]]\nid = \"b\"\ncertificates = [\"subject:CN=b,O=Org\"]\ncertificate_issuers = [\"CN=Team CA\"]\n\
                    [[consumer]]\nid = \"c\"\ncertificates = [\"san:dns:c.internal\"]\ncertificate_issuers = [\"CN=Team CA\"]\n\
                    [[consumer]]\nid = \"d\"\ncertificates = [\"subject:CN=d\"]\ncertificate_issuers = [\"CN=Other CA\"]\n";
        let registry = Registry::parse(text, "t").unwrap();
        let id = |c: PeerCertificate| registry.by_certificate(&c).map(|c| c.id.to_string());
        assert_eq!(id(cert("abcd", "CN=x", &[])), Some("a".into()));
        assert_eq!(id(cert("00", "CN=b,O=Org", &[])), Some("b".into()));
        assert_eq!(
            id(cert("00", "CN=x", &["dns:c.internal"])),
            Some("c".into())
        );
        assert_eq!(id(cert("00", "CN=x", &["dns:d.internal"])), None);
        // The same name from another issuer is someone else.
        assert_eq!(id(cert("00", "CN=d", &[])), None);
    }

    #[test]
    fn invalid_registries_name_the_problem() {
        for (text, expect) in [
            ("[[consumer]]\nid = \"a:b\"\n", "an id is"),
            (
                "[[consumer]]\nid = \"a\"\n[[consumer]]\nid = \"a\"\n",
                "id used twice",
            ),
            (
                "[[consumer]]\nid = \"a\"\napi_keys = [\"plain-key\"]\n",
                "sha256:<64 hex digits>",
            ),
            (
                "[[consumer]]\nid = \"a\"\npassword = \"hunter2\"\n",
                "password must be",
            ),
            (
                "[[consumer]]\nid = \"a\"\ncertificates = [\"CN=x\"]\n",
                "must start with",
            ),
            (
                "[[consumer]]\nid = \"a\"\ncertificates = [\"subject:CN=x\"]\n",
                "need certificate_issuers",
            ),
            (
                "[[consumer]]\nid = \"a\"\nkey = \"x\"\n",
                "unknown field `key`",
            ),
        ] {
            let error = Registry::parse(text, "reg.toml").unwrap_err();
            assert!(error.contains(expect), "{error}");
            assert!(error.contains("reg.toml"), "{error}");
            assert!(
                !error.contains("hunter2"),
                "secrets stay out of errors: {error}"
            );
        }
    }

    #[test]
    fn consumer_add_appends_and_refuses_duplicates() {
        let dir = std::env::temp_dir().join(format!("douane-reg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("consumers.toml");
        let _ = std::fs::remove_file(&path);
        let k1 = add_consumer(&path, "one", Some("gold"), &["shop".into()], &[], None).unwrap();
        let k2 = add_consumer(&path, "two", None, &["*".into()], &["read".into()], None).unwrap();
        let registry = Registry::load(&path).unwrap();
        assert_eq!(&*registry.by_api_key(&k1).unwrap().id, "one");
        assert!(registry.by_api_key(&k2).unwrap().entitled("anything"));
        assert!(!registry.by_api_key(&k1).unwrap().entitled("other"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&k1) && !text.contains(&k2));
        assert!(add_consumer(&path, "one", None, &[], &[], None).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
