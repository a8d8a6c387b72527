//! Settings: built-in defaults, overridden by the user's config file.
//!
//! The file is TOML at `$LIMFAC_CONFIG`, else `config.toml` in the platform
//! config folder (`~/.config/limfac/` on Linux). Every setting remembers
//! where its value came from, for `limfac config show`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::core::analysis::DEFAULT_HORIZON_DAYS;
use crate::core::error::UserError;
use crate::core::validate;

pub const CONFIG_VAR: &str = "LIMFAC_CONFIG";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    reviewer: Option<String>,
    horizon_days: Option<i64>,
    weekly_risk: Option<f64>,
    report_template: Option<PathBuf>,
    remote: Option<String>,
    auto_sync: Option<bool>,
    auto_sync_timeout_ms: Option<u64>,
}

/// The effective settings.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// The config file read (or looked for).
    pub file: Option<PathBuf>,
    /// Default reviewer for `log` and the report's skip-level depth.
    pub reviewer: Option<String>,
    /// How far ahead forecasts look, in days.
    pub horizon_days: i64,
    /// A project at this risk or more (1 − P(on time)) is reviewed weekly
    /// rather than every other week.
    pub weekly_risk: f64,
    /// The report template's path, when configured. Read only when a report
    /// is made ([`Settings::report_template`]), so that a template that was
    /// moved (or is a FIFO) breaks nothing else.
    pub report_template_path: Option<PathBuf>,
    /// The team server (a `postgresql://` URL; see `limfac remote`). Never
    /// shown with its password.
    #[serde(serialize_with = "redacted")]
    pub remote: Option<String>,
    /// After each command that writes, try a sync for at most
    /// `auto_sync_timeout_ms`; a failure never fails the write.
    pub auto_sync: bool,
    pub auto_sync_timeout_ms: u64,
    /// (setting, value, where it came from) for `config show`.
    pub sources: Vec<(String, String, String)>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            file: None,
            reviewer: None,
            horizon_days: DEFAULT_HORIZON_DAYS,
            weekly_risk: crate::core::limiting::DEFAULT_WEEKLY_RISK,
            report_template_path: None,
            remote: None,
            auto_sync: false,
            auto_sync_timeout_ms: DEFAULT_AUTO_SYNC_TIMEOUT_MS,
            sources: Vec::new(),
        }
    }
}

/// How long an automatic sync may take after a write, by default.
pub const DEFAULT_AUTO_SYNC_TIMEOUT_MS: u64 = 2000;

fn redacted<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(url) => s.serialize_some(&crate::sync::redact(url)),
        None => s.serialize_none(),
    }
}

/// Where the config file is looked for.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(CONFIG_VAR).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "limfac").map(|d| d.config_dir().join("config.toml"))
}

/// Loads the settings: defaults, then the file if it exists.
pub fn load() -> Result<Settings> {
    let file = path();
    let mut s = Settings { file: file.clone(), ..Settings::default() };
    let parsed = match &file {
        Some(p) if p.is_file() => Some(read(p)?),
        _ => None,
    };
    let origin = |set: bool| -> String {
        match (&file, set) {
            (Some(p), true) => p.display().to_string(),
            _ => "default".to_string(),
        }
    };
    let parsed = parsed.unwrap_or_default();
    if let Some(r) = &parsed.reviewer {
        s.reviewer = Some(validate::handle("reviewer (config)", r)?);
    }
    if let Some(h) = parsed.horizon_days {
        if !(28..=3650).contains(&h) {
            return Err(UserError::new(format!("horizon_days {h} in the config file is out of range"))
                .hint("use 28 to 3650 days")
                .into());
        }
        s.horizon_days = h;
    }
    if let Some(w) = parsed.weekly_risk {
        if !(0.0..=1.0).contains(&w) {
            return Err(UserError::new(format!("weekly_risk {w} in the config file is out of range"))
                .hint("use a probability from 0 to 1, e.g. 0.3")
                .into());
        }
        s.weekly_risk = w;
    }
    if let Some(t) = &parsed.report_template {
        let t = match (file.as_deref().and_then(Path::parent), t.is_relative()) {
            (Some(dir), true) => dir.join(t),
            _ => t.clone(),
        };
        s.report_template_path = Some(t);
    }
    if let Some(r) = &parsed.remote {
        crate::sync::Remote::parse(r).map_err(|e| {
            UserError::new(format!("remote in the config file is not valid: {e:#}"))
                .hint("remote = \"postgresql://USER@HOST/DATABASE?sslmode=verify-full\"")
        })?;
        s.remote = Some(r.clone());
    }
    if let Some(a) = parsed.auto_sync {
        s.auto_sync = a;
    }
    if let Some(t) = parsed.auto_sync_timeout_ms {
        if !(100..=60_000).contains(&t) {
            return Err(UserError::new(format!("auto_sync_timeout_ms {t} in the config file is out of range"))
                .hint("use 100 to 60000 milliseconds")
                .into());
        }
        s.auto_sync_timeout_ms = t;
    }
    s.sources = vec![
        (
            "reviewer".into(),
            s.reviewer.clone().unwrap_or_else(|| "(top of the org chart)".into()),
            origin(parsed.reviewer.is_some()),
        ),
        ("horizon_days".into(), s.horizon_days.to_string(), origin(parsed.horizon_days.is_some())),
        ("weekly_risk".into(), s.weekly_risk.to_string(), origin(parsed.weekly_risk.is_some())),
        (
            "report_template".into(),
            s.report_template_path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "(built in)".into()),
            origin(parsed.report_template.is_some()),
        ),
        (
            "remote".into(),
            s.remote.as_deref().map(crate::sync::redact).unwrap_or_else(|| "(none)".into()),
            origin(parsed.remote.is_some()),
        ),
        ("auto_sync".into(), s.auto_sync.to_string(), origin(parsed.auto_sync.is_some())),
        (
            "auto_sync_timeout_ms".into(),
            s.auto_sync_timeout_ms.to_string(),
            origin(parsed.auto_sync_timeout_ms.is_some()),
        ),
    ];
    Ok(s)
}

impl Settings {
    /// The configured report template's text, if one is configured.
    pub fn report_template(&self) -> Result<Option<String>> {
        let Some(path) = &self.report_template_path else { return Ok(None) };
        let text = crate::platform::files::read_small_text(path, crate::platform::files::MAX_TEMPLATE_BYTES)
            .with_context(|| {
                format!(
                    "cannot read report_template {} (set in {})",
                    path.display(),
                    self.file.as_deref().map(|f| f.display().to_string()).unwrap_or_default()
                )
            })?;
        Ok(Some(text))
    }
}

fn read(p: &Path) -> Result<File> {
    let text = std::fs::read_to_string(p).with_context(|| format!("cannot read config {}", p.display()))?;
    toml::from_str(&text).map_err(|e| {
        UserError::new(format!("config {} is not valid: {}", p.display(), e.message()))
            .hint("settings: reviewer = \"handle\", horizon_days = 1095, weekly_risk = 0.3, report_template = \"path\", remote = \"postgresql://...\", auto_sync = true, auto_sync_timeout_ms = 2000")
            .into()
    })
}

/// Who is correcting the record, for the history of amendments, retractions
/// and archiving: the configured reviewer, else the account's user name.
pub fn author(settings: &Settings) -> Option<String> {
    settings.reviewer.clone().or_else(|| {
        ["USER", "LOGNAME"]
            .iter()
            .filter_map(std::env::var_os)
            .filter_map(|v| v.into_string().ok())
            .find_map(|v| validate::text("user", &v).ok())
    })
}
