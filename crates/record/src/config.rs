//! The node's configuration as a list of `(parameter, value)` pairs, and back.
//!
//! The driver builds its `Config` from redis.conf, includes, the command line and its own
//! adjustments (`maxclients` cut to the open-files limit, the absolute `dir`). Rather than
//! replaying all of that, the log keeps the result: every parameter whose CONFIG GET text
//! differs from the default. Applying those texts as startup directives to a default `Config`
//! gives the same configuration; [`rebuild_config`] checks that it does.

use hashslot_node::{Config, ConfigError};

/// Every parameter (hidden ones included) whose value, as CONFIG GET prints it, differs from a
/// default `Config`'s, in table order.
pub fn config_snapshot(config: &Config) -> Vec<(String, String)> {
    let default = Config::default();
    Config::parameters()
        .filter_map(|(name, _)| {
            let v = config.get(name)?;
            (default.get(name).as_deref() != Some(v.as_str())).then(|| (name.to_string(), v))
        })
        .collect()
}

/// Why a recorded configuration could not be rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RebuildError {
    /// A parameter was refused (unknown to this build, or a value it does not accept).
    #[error("config parameter {name} = {value:?} is refused by this build: {error}")]
    Refused {
        /// The parameter.
        name: String,
        /// The recorded value.
        value: String,
        /// Why.
        error: ConfigError,
    },
    /// The configuration as a whole was refused (`Config::finish_startup`).
    #[error("the recorded configuration is refused by this build: {0}")]
    Finish(ConfigError),
    /// A parameter came out with another value than recorded.
    #[error("config parameter {name} rebuilds as {got:?}, the log has {want:?}")]
    Differs {
        /// The parameter.
        name: String,
        /// The recorded value.
        want: String,
        /// The rebuilt value.
        got: String,
    },
}

/// The `Config` that [`config_snapshot`] described: each pair applied as a startup directive to
/// a default configuration, then checked to read back as recorded.
pub fn rebuild_config(pairs: &[(String, String)]) -> Result<Config, RebuildError> {
    let mut config = Config::default();
    for (name, value) in pairs {
        config
            .apply_startup(name, &[value.as_bytes().to_vec()])
            .map_err(|error| RebuildError::Refused {
                name: name.clone(),
                value: value.clone(),
                error,
            })?;
        if name == "dir" {
            // CONFIG GET shows the absolute directory the driver reported; it is that again.
            config.set_dir_absolute(value.clone());
        }
    }
    config.finish_startup().map_err(RebuildError::Finish)?;
    let got = config_snapshot(&config);
    if got.as_slice() != pairs {
        let missing = String::new();
        for (name, want) in pairs {
            let value = got
                .iter()
                .find(|(n, _)| n == name)
                .map_or(&missing, |(_, v)| v);
            if value != want {
                return Err(RebuildError::Differs {
                    name: name.clone(),
                    want: want.clone(),
                    got: value.clone(),
                });
            }
        }
        if let Some((name, value)) = got.iter().find(|(n, _)| !pairs.iter().any(|(p, _)| p == n)) {
            return Err(RebuildError::Differs {
                name: name.clone(),
                want: "(the default)".into(),
                got: value.clone(),
            });
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(directives: &[(&str, &str)]) -> Config {
        let mut c = Config::default();
        for (k, v) in directives {
            let args = hashslot_node::split_args(v.as_bytes()).expect("balanced");
            c.apply_startup(k, &args).expect("valid directive");
        }
        c.finish_startup().expect("valid config");
        c
    }

    #[test]
    fn default_config_has_an_empty_snapshot() {
        assert!(config_snapshot(&Config::default()).is_empty());
    }

    #[test]
    fn non_default_parameters_round_trip() {
        let mut c = config(&[
            ("port", "7001"),
            ("bind", "127.0.0.1 -::1"),
            ("cluster-enabled", "yes"),
            ("cluster-node-timeout", "2000"),
            ("save", "900 1"),
            ("save", "60 5"),
            ("appendonly", "yes"),
            ("appendfsync", "always"),
            ("requirepass", "\"p w\""),
            ("logfile", "\"/tmp/a b.log\""),
            ("maxmemory", "1gb"),
            ("client-output-buffer-limit", "pubsub 1mb 512kb 30"),
            ("notify-keyspace-events", "KEA"),
            ("loglevel", "warning"),
            ("hz", "1000"),
            ("shutdown-on-sigterm", "nosave now"),
        ]);
        c.set_dir_absolute("/var/lib/hashslot");
        c.maxclients = 4000; // the driver's open-files adjustment
        let snap = config_snapshot(&c);
        assert!(snap
            .iter()
            .any(|(n, v)| n == "dir" && v == "/var/lib/hashslot"));
        let rebuilt = rebuild_config(&snap).expect("rebuilds");
        assert_eq!(config_snapshot(&rebuilt), snap);
        assert_eq!(rebuilt.maxclients, 4000);
        assert_eq!(rebuilt.save, vec![(900, 1), (60, 5)]);
        assert_eq!(rebuilt.hz, 500);
    }

    #[test]
    fn unknown_parameter_is_a_clear_error() {
        let err = rebuild_config(&[("no-such-thing".into(), "1".into())]).unwrap_err();
        assert!(err.to_string().contains("no-such-thing"), "{err}");
    }
}
