//! Loading a configuration: a TOML file (or the embedded default) plus
//! `--set section.key=value` overrides, with one-line errors.

use golden::config::{Config, DEFAULT_TOML};
use std::path::Path;
use thiserror::Error;

/// Errors loading a configuration.
#[derive(Debug, Error)]
pub enum ConfigLoadError {
    /// Reading the file failed.
    #[error("{path}: {source}")]
    Io {
        /// file
        path: String,
        /// cause
        source: std::io::Error,
    },
    /// The TOML is malformed or has a bad key/value.
    #[error("{0}")]
    Parse(String),
}

fn one_line(origin: &str, text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(sp) => {
            let line = text[..sp.start.min(text.len())].matches('\n').count() + 1;
            let snippet = text.lines().nth(line - 1).unwrap_or("").trim();
            format!("{origin} line {line}: {msg} (in `{snippet}`)")
        }
        None => format!("{origin}: {msg}"),
    }
}

/// Resolves `cfg` into a plan, reading its `channel.touchstone` file (a
/// relative path is taken from the folder of the configuration file, or the
/// current folder when there is none).
pub fn plan(
    cfg: &Config,
    config_path: Option<&Path>,
) -> Result<golden::config::LinkPlan, ConfigLoadError> {
    let text = touchstone_text(cfg, config_path)?;
    cfg.resolve_with(text.as_deref())
        .map_err(|e| ConfigLoadError::Parse(format!("bad configuration: {e}")))
}

/// The text of `cfg`'s `channel.touchstone` file (see [`plan`]), if it names one.
pub fn touchstone_text(
    cfg: &Config,
    config_path: Option<&Path>,
) -> Result<Option<String>, ConfigLoadError> {
    Ok(match &cfg.channel.touchstone {
        None => None,
        Some(t) => {
            let tp = Path::new(t);
            let full = match config_path.and_then(Path::parent) {
                Some(dir) if tp.is_relative() => dir.join(tp),
                _ => tp.to_path_buf(),
            };
            Some(
                std::fs::read_to_string(&full).map_err(|e| ConfigLoadError::Io {
                    path: format!("channel.touchstone {}", full.display()),
                    source: e,
                })?,
            )
        }
    })
}

/// Loads `path` (or the embedded default) and applies `overrides`
/// (`section.key=value`, the value in TOML syntax, bare words taken as strings).
pub fn load(path: Option<&Path>, overrides: &[String]) -> Result<Config, ConfigLoadError> {
    let (origin, text) = match path {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| ConfigLoadError::Io {
                path: p.display().to_string(),
                source: e,
            })?,
        ),
        None => ("default config".to_string(), DEFAULT_TOML.to_string()),
    };
    load_text(&origin, &text, overrides)
}

/// [`load`] of configuration text (`origin` names it in errors).
pub fn load_text(
    origin: &str,
    text: &str,
    overrides: &[String],
) -> Result<Config, ConfigLoadError> {
    let (origin, text) = (origin.to_string(), text.to_string());
    // parse once directly, for errors that carry a line number
    let cfg: Config =
        toml::from_str(&text).map_err(|e| ConfigLoadError::Parse(one_line(&origin, &text, &e)))?;
    if overrides.is_empty() {
        return Ok(cfg);
    }
    let mut table: toml::Table =
        toml::from_str(&text).map_err(|e| ConfigLoadError::Parse(one_line(&origin, &text, &e)))?;
    for o in overrides {
        let (key, val) = o.split_once('=').ok_or_else(|| {
            ConfigLoadError::Parse(format!("--set {o}: expected section.key=value"))
        })?;
        let key = key.trim();
        let (section, name) = key.split_once('.').ok_or_else(|| {
            ConfigLoadError::Parse(format!(
                "--set {o}: the key must be section.key, e.g. ffe.taps"
            ))
        })?;
        let val = val.trim();
        let parsed: toml::Value = match toml::from_str::<toml::Table>(&format!("v = {val}")) {
            Ok(mut t) => t.remove("v").expect("parsed key"),
            Err(_) => toml::Value::String(val.to_string()),
        };
        let sec = table
            .entry(section.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        match sec {
            toml::Value::Table(t) => {
                // preset, taps and touchstone exclude each other: setting one clears the others
                if section == "channel" && ["taps", "preset", "touchstone"].contains(&name) {
                    for other in ["taps", "preset", "touchstone"] {
                        if other != name {
                            t.remove(other);
                        }
                    }
                    if name != "taps" {
                        t.remove("main");
                    }
                    if name != "touchstone" {
                        t.remove("port_map");
                    }
                }
                t.insert(name.to_string(), parsed);
            }
            _ => {
                return Err(ConfigLoadError::Parse(format!(
                    "--set {o}: [{section}] is not a section"
                )))
            }
        }
    }
    let cfg: Config = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| {
            ConfigLoadError::Parse(format!("--set: {}", e.message().trim().replace('\n', " ")))
        })?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_equals_the_built_in_default() {
        let parsed = load(None, &[]).unwrap();
        let mut d = Config::default();
        d.channel.preset = Some(golden::config::DEFAULT_PRESET.into());
        assert_eq!(parsed, d);
        assert_eq!(
            parsed.resolve().unwrap(),
            Config::default().resolve().unwrap()
        );
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let d = testkit::TestDir::new("cfg");
        let p = d.join("c.toml");
        std::fs::write(&p, "[link]\nsymbols = 10\nsybmols = 5\n").unwrap();
        let e = load(Some(&p), &[]).unwrap_err().to_string();
        assert!(
            e.contains("line 3") && e.contains("unknown field `sybmols`"),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }

    #[test]
    fn overrides_apply() {
        let c = load(
            None,
            &[
                "ffe.taps=8".into(),
                "channel.taps=[1.0, 0.5]".into(),
                "link.pattern=prbs7".into(),
            ],
        )
        .unwrap();
        assert_eq!(c.ffe.taps, 8);
        assert_eq!(c.channel.taps, Some(vec![1.0, 0.5]));
        assert_eq!(c.channel.preset, None);
        assert_eq!(c.link.pattern, golden::prbs::Pattern::Prbs7);
        let e = load(None, &["ffe.tapz=8".into()]).unwrap_err().to_string();
        assert!(e.contains("tapz"), "{e}");
    }
}
