//! Where limfac keeps its files unless told otherwise: the database and the
//! config file, each overridable by an environment variable. The one place
//! these defaults are resolved (the commands, completion and `config show`
//! all ask here).

use std::path::PathBuf;

/// The environment variable naming the database.
pub const DB_VAR: &str = "LIMFAC_DB";

/// The environment variable naming the config file.
pub const CONFIG_VAR: &str = "LIMFAC_CONFIG";

/// The value of environment variable `var`, when set and not empty.
fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from)
}

fn dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "limfac")
}

/// Whether `$LIMFAC_DB` names the database.
pub fn database_from_env() -> bool {
    from_env(DB_VAR).is_some()
}

/// The database when `--db` is not given: `$LIMFAC_DB`, else `limfac.db`
/// in the platform data folder (`None`: there is no home folder).
pub fn default_database() -> Option<PathBuf> {
    from_env(DB_VAR).or_else(|| dirs().map(|d| d.data_dir().join("limfac.db")))
}

/// The config file: `$LIMFAC_CONFIG`, else `config.toml` in the platform
/// config folder (`None`: there is no home folder).
pub fn config_file() -> Option<PathBuf> {
    from_env(CONFIG_VAR).or_else(|| dirs().map(|d| d.config_dir().join("config.toml")))
}
