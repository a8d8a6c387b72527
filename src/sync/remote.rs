//! The team server's address: parsing a `postgresql://` URL, finding the
//! password where libpq would (the URL at run time, `PGPASSWORD`,
//! `~/.pgpass`), redacting it wherever the URL is shown, and TLS with rustls.
//!
//! A password is never stored and never printed: `remote set` keeps the URL
//! without it, and every message shows [`Remote::shown`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::core::error::UserError;

/// How TLS is used, as libpq's `sslmode` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS when the server offers it, no certificate check (libpq's default).
    Prefer,
    /// TLS always, no certificate check.
    Require,
    /// TLS always, the certificate chain checked against the roots.
    VerifyCa,
    /// TLS always, the chain and the host name checked.
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Result<SslMode> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(UserError::new(format!("sslmode '{other}' in the remote URL is not known"))
                    .hint("use disable, prefer, require, verify-ca or verify-full")
                    .into())
            }
        })
    }
}

/// A parsed server address.
#[derive(Debug, Clone)]
pub struct Remote {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    /// Given in the URL (at run time only: never stored).
    url_password: Option<String>,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    pub connect_timeout: Option<Duration>,
    /// The URL without any password, as stored and shown.
    pub shown: String,
}

fn percent_decode(s: &str, what: &str) -> Result<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(v) => out.push(v),
                None => crate::user_bail!("the remote URL's {what} has a bad %-escape"),
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| UserError::new(format!("the remote URL's {what} is not UTF-8")).into())
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Replaces the password of anything that looks like a PostgreSQL URL or a
/// `password=` setting in `text` with `***`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let end = tail.find(|c: char| c.is_whitespace() || c == '\'' || c == '"').unwrap_or(tail.len());
        let (url, after) = tail.split_at(end);
        let authority_end = url.find(['/', '?']).unwrap_or(url.len());
        let authority = &url[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&url[at..authority_end]);
            }
            None => out.push_str(authority),
        }
        out.push_str(&redact_params(&url[authority_end..]));
        rest = after;
    }
    out.push_str(&redact_params(rest));
    out
}

fn redact_params(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("password=") {
        out.push_str(&rest[..pos + "password=".len()]);
        out.push_str("***");
        let tail = &rest[pos + "password=".len()..];
        let end = tail.find(|c: char| c == '&' || c.is_whitespace()).unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

impl Remote {
    /// Parses `postgresql://[user[:password]@][host][:port][/dbname][?param=value&...]`.
    /// Missing parts come from `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE` as in libpq.
    pub fn parse(url: &str) -> Result<Remote> {
        let bad = |why: &str| -> anyhow::Error {
            UserError::new(format!("remote URL '{}' {why}", redact(url)))
                .hint("use postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full")
                .into()
        };
        let rest = url
            .strip_prefix("postgresql://")
            .or_else(|| url.strip_prefix("postgres://"))
            .ok_or_else(|| bad("does not start with postgresql://"))?;
        let (main, query) = match rest.split_once('?') {
            Some((m, q)) => (m, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match main.split_once('/') {
            Some((a, p)) => (a, p),
            None => (main, ""),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, url_password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((name, pw)) => (Some(percent_decode(name, "user")?), Some(percent_decode(pw, "password")?)),
                None => (Some(percent_decode(u, "user")?), None),
            },
            None => (None, None),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("has an unclosed [IPv6 address]"))?;
            (h.to_string(), after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (percent_decode(h, "host")?, Some(p)),
                None => (percent_decode(hostport, "host")?, None),
            }
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let port = match port.map(str::to_string).or_else(|| env("PGPORT")) {
            Some(p) => p.parse::<u16>().map_err(|_| bad(&format!("has port '{p}', not a number from 1 to 65535")))?,
            None => 5432,
        };
        let host = if host.is_empty() { env("PGHOST").unwrap_or_else(|| "localhost".into()) } else { host };
        let user = match user.filter(|u| !u.is_empty()).or_else(|| env("PGUSER")).or_else(|| env("USER")) {
            Some(u) => u,
            None => return Err(bad("names no user")),
        };
        let dbname = match percent_decode(path, "database")? {
            d if d.is_empty() => env("PGDATABASE").unwrap_or_else(|| user.clone()),
            d => d,
        };
        let mut remote = Remote {
            host,
            port,
            user,
            dbname,
            url_password,
            sslmode: SslMode::Prefer,
            sslrootcert: None,
            connect_timeout: None,
            shown: String::new(),
        };
        if let Some(m) = env("PGSSLMODE") {
            remote.sslmode = SslMode::parse(&m)?;
        }
        let mut kept = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v, k)?;
            match k {
                "sslmode" => remote.sslmode = SslMode::parse(&v)?,
                "sslrootcert" => remote.sslrootcert = Some(PathBuf::from(&v)),
                "connect_timeout" => {
                    let secs: u64 =
                        v.parse().map_err(|_| bad(&format!("has connect_timeout '{v}', not a number of seconds")))?;
                    remote.connect_timeout = Some(Duration::from_secs(secs.max(1)));
                }
                "password" => {
                    remote.url_password = Some(v);
                    continue;
                }
                "application_name" => {}
                other => return Err(bad(&format!("has parameter '{other}', which limfac does not use"))),
            }
            kept.push(pair.to_string());
        }
        let host_shown = if remote.host.contains(':') { format!("[{}]", remote.host) } else { remote.host.clone() };
        remote.shown = format!(
            "postgresql://{}@{}:{}/{}{}{}",
            percent_encode(&remote.user),
            host_shown,
            remote.port,
            percent_encode(&remote.dbname),
            if kept.is_empty() { "" } else { "?" },
            kept.join("&")
        );
        Ok(remote)
    }

    /// True when the URL itself carried a password.
    pub fn has_url_password(&self) -> bool {
        self.url_password.is_some()
    }

    /// The password: the URL's, else `PGPASSWORD`, else the first matching
    /// line of `PGPASSFILE` or `~/.pgpass` (ignored, as libpq does, when
    /// others may read it).
    /// (The note says why a password file was passed over.)
    fn password(&self) -> (Option<String>, Option<String>) {
        if let Some(p) = &self.url_password {
            return (Some(p.clone()), None);
        }
        if let Some(p) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
            return (Some(p), None);
        }
        let file = std::env::var_os("PGPASSFILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pgpass")));
        match file {
            Some(f) => pgpass_lookup(&f, &self.host, self.port, &self.dbname, &self.user),
            None => (None, None),
        }
    }

    /// Opens a connection (TLS as `sslmode` says), waiting at most `timeout`
    /// for the server to answer.
    pub fn connect(&self, timeout: Duration) -> Result<postgres::Client> {
        let mut config = postgres::Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.dbname)
            .application_name("limfac")
            .connect_timeout(self.connect_timeout.unwrap_or(timeout))
            .keepalives(true)
            .ssl_mode(match self.sslmode {
                SslMode::Disable => postgres::config::SslMode::Disable,
                SslMode::Prefer => postgres::config::SslMode::Prefer,
                _ => postgres::config::SslMode::Require,
            });
        let (password, note) = self.password();
        if let Some(p) = password {
            config.password(p);
        }
        let result = if self.sslmode == SslMode::Disable {
            config.connect(postgres::NoTls)
        } else {
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(self.tls_config()?);
            config.connect(tls)
        };
        result.map_err(|e| self.connect_error(e, note))
    }

    fn connect_error(&self, e: postgres::Error, note: Option<String>) -> anyhow::Error {
        let detail = redact(&format!("{e:#}"));
        let source = std::error::Error::source(&e).map(|s| redact(&s.to_string())).unwrap_or_default();
        let mut err = UserError::new(format!(
            "cannot connect to the team server {}: {}{}",
            self.shown,
            detail,
            if source.is_empty() || detail.contains(&source) { String::new() } else { format!(": {source}") }
        ));
        let text = format!("{detail} {source}");
        if let Some(n) = note {
            err = err.hint(n);
        }
        if text.contains("password") {
            err = err.hint(format!(
                "put the password of '{}' in ~/.pgpass (host:port:database:user:password, mode 0600) or PGPASSWORD",
                self.user
            ));
        } else if text.contains("certificate") || text.contains("Certificate") {
            err = err.hint(
                "give the server's CA with ?sslrootcert=FILE, or use sslmode=require to encrypt without checking",
            );
        } else {
            err = err.hint("your data is safe locally; sync again when the server is reachable (limfac sync --status)");
        }
        err.into()
    }

    fn tls_config(&self) -> Result<rustls::ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("cannot set up TLS")?;
        let config = match self.sslmode {
            SslMode::Disable | SslMode::Prefer | SslMode::Require => {
                builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerify(provider))).with_no_client_auth()
            }
            SslMode::VerifyCa | SslMode::VerifyFull => {
                let roots = Arc::new(self.roots()?);
                let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .context("cannot set up TLS certificate checks")?;
                if self.sslmode == SslMode::VerifyCa {
                    builder
                        .dangerous()
                        .with_custom_certificate_verifier(Arc::new(ChainOnly(inner)))
                        .with_no_client_auth()
                } else {
                    builder.with_webpki_verifier(inner).with_no_client_auth()
                }
            }
        };
        Ok(config)
    }

    /// `sslrootcert`, else `~/.postgresql/root.crt` when it exists, else the
    /// public web roots.
    fn roots(&self) -> Result<rustls::RootCertStore> {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        let file = self.sslrootcert.clone().or_else(|| {
            std::env::var_os("HOME").map(|h| Path::new(&h).join(".postgresql/root.crt")).filter(|p| p.is_file())
        });
        match file {
            Some(f) => {
                let certs = rustls::pki_types::CertificateDer::pem_file_iter(&f)
                    .map_err(|e| UserError::new(format!("sslrootcert {}: cannot read it ({e})", f.display())))?;
                for cert in certs {
                    let cert = cert.map_err(|e| {
                        UserError::new(format!("sslrootcert {}: not a PEM certificate ({e})", f.display()))
                    })?;
                    roots.add(cert).map_err(|e| UserError::new(format!("sslrootcert {}: {e}", f.display())))?;
                }
                if roots.is_empty() {
                    crate::user_bail!("sslrootcert {}: holds no certificate", f.display());
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        Ok(roots)
    }
}

/// `host:port:database:username:password` lines; `*` matches anything; `\:`
/// and `\\` escape. The first matching line wins.
fn pgpass_lookup(file: &Path, host: &str, port: u16, db: &str, user: &str) -> (Option<String>, Option<String>) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(file) else { return (None, None) };
    if !meta.is_file() {
        return (None, None);
    }
    if meta.permissions().mode() & 0o077 != 0 {
        let note = format!("password file {} is readable by others, so it was ignored: chmod 0600 it", file.display());
        return (None, Some(note));
    }
    let Ok(text) = std::fs::read_to_string(file) else { return (None, None) };
    let port = port.to_string();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() != 5 {
            continue;
        }
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        let host_ok = matches(&fields[0], host) || (fields[0] == "localhost" && host.starts_with('/'));
        if host_ok && matches(&fields[1], &port) && matches(&fields[2], db) && matches(&fields[3], user) {
            return (Some(fields[4].clone()), None);
        }
    }
    (None, None)
}

/// `sslmode=require`: encrypted, the certificate not checked (as libpq).
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain checked, the host name not.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgresql://alice:s3cret@db:5432/team"), "postgresql://alice:***@db:5432/team");
        assert_eq!(
            redact("x postgres://bob:p%40ss@h/db?sslmode=require y"),
            "x postgres://bob:***@h/db?sslmode=require y"
        );
        assert_eq!(
            redact("postgresql://h/db?password=abc&sslmode=require"),
            "postgresql://h/db?password=***&sslmode=require"
        );
        assert_eq!(redact("postgresql://alice@h/db"), "postgresql://alice@h/db");
    }

    #[test]
    fn parses_urls_and_never_shows_the_password() {
        let r = Remote::parse("postgresql://alice:pw@db.example.com:6543/team?sslmode=verify-full").unwrap();
        assert_eq!(
            (r.host.as_str(), r.port, r.user.as_str(), r.dbname.as_str()),
            ("db.example.com", 6543, "alice", "team")
        );
        assert_eq!(r.sslmode, SslMode::VerifyFull);
        assert!(r.has_url_password());
        assert_eq!(r.shown, "postgresql://alice@db.example.com:6543/team?sslmode=verify-full");
        let r = Remote::parse("postgresql://alice@[::1]/team?password=x").unwrap();
        assert_eq!(r.host, "::1");
        assert!(!r.shown.contains('x') || !r.shown.contains("password"));
        assert!(Remote::parse("mysql://x").is_err());
        assert!(Remote::parse("postgresql://a@h/db?sslmode=bogus").is_err());
        assert!(Remote::parse("postgresql://a@h:99999/db").is_err());
    }

    #[test]
    fn pgpass_matches_like_libpq() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pgpass");
        std::fs::write(&f, "# comment\nother:5432:*:alice:wrong\n*:5432:team:alice:pa\\:ss\n*:*:*:*:fallback\n")
            .unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(pgpass_lookup(&f, "db", 5432, "team", "alice").0.as_deref(), Some("pa:ss"));
        assert_eq!(pgpass_lookup(&f, "db", 5433, "team", "alice").0.as_deref(), Some("fallback"));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (none, note) = pgpass_lookup(&f, "db", 5432, "team", "alice");
        assert!(none.is_none() && note.unwrap().contains("chmod 0600"));
    }
}
