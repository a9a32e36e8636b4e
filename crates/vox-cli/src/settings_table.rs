//! The table of `vox serve` settings in docs/configuration.md, checked against the code: every
//! row's flag and variable exist, the default it names is the one `--help` states, and where the
//! default is a number or a name, the one `vox serve` resolves to. The README's everyday settings
//! are rows of that table. Each default is defined once: the server's in `vox_server::defaults`,
//! an engine's beside its configuration (`LlamaConfig::DEFAULT_SLOTS`).

#[cfg(test)]
mod tests {
    use clap::Args;

    use crate::config::ServeConfig;
    use crate::serve::ServeArgs;

    const CONFIGURATION: &str = include_str!("../../../docs/configuration.md");
    const README: &str = include_str!("../../../README.md");

    struct Row {
        flag: String,
        variable: String,
        default: String,
    }

    /// `| \`--addr\` | \`VOX_ADDR\` | \`127.0.0.1:8000\` | ... |` rows, backticks dropped.
    fn readme_rows() -> Vec<Row> {
        let cell = |text: &str| text.split(" (").next().unwrap_or_default().replace('`', "");
        CONFIGURATION
            .lines()
            .filter(|line| line.starts_with("| `--"))
            .map(|line| {
                let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
                Row {
                    flag: cell(cells[0]),
                    variable: cell(cells[1]),
                    default: cells[2].replace('`', ""),
                }
            })
            .collect()
    }

    fn serve_command() -> clap::Command {
        ServeArgs::augment_args(clap::Command::new("serve"))
    }

    fn row(rows: &[Row], flag: &str) -> String {
        rows.iter()
            .find(|r| r.flag == flag)
            .map(|r| r.default.clone())
            .unwrap_or_else(|| panic!("docs/configuration.md's table has no {flag}"))
    }

    #[test]
    fn every_row_is_a_flag_with_its_variable_and_the_default_its_help_states() {
        let rows = readme_rows();
        assert!(rows.len() >= 20, "found {} rows", rows.len());
        let command = serve_command();
        for row in &rows {
            let arg = command
                .get_arguments()
                .find(|a| a.get_long().map(|l| format!("--{l}")) == Some(row.flag.clone()))
                .unwrap_or_else(|| {
                    panic!(
                        "{} is in docs/configuration.md but not a flag of vox serve",
                        row.flag
                    )
                });
            let variable = arg.get_env().map(|v| v.to_string_lossy().into_owned());
            assert_eq!(variable.as_deref(), Some(row.variable.as_str()), "{}", row.flag);
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let stated = help
                .split_once("[default: ")
                .and_then(|(_, rest)| rest.split_once(']'))
                .map(|(default, _)| default.to_string());
            match row.default.as_str() {
                "none" | "off" => assert_eq!(stated, None, "{}: {help}", row.flag),
                documented => assert_eq!(stated.as_deref(), Some(documented), "{}: {help}", row.flag),
            }
        }
    }

    #[test]
    fn the_readmes_everyday_settings_are_rows_of_the_full_table() {
        let everyday: Vec<&str> = README.lines().filter(|line| line.starts_with("| `--")).collect();
        assert!(everyday.len() >= 5, "found {} rows", everyday.len());
        for row in everyday {
            assert!(
                CONFIGURATION.lines().any(|line| line == row),
                "the README's row differs from docs/configuration.md's: {row}"
            );
        }
    }

    #[test]
    fn every_flag_of_vox_serve_has_a_row() {
        let rows = readme_rows();
        for arg in serve_command().get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            row(&rows, &format!("--{long}"));
        }
    }

    #[test]
    fn the_documented_defaults_are_the_ones_vox_serve_resolves_to() {
        let rows = readme_rows();
        let config = ServeConfig::default().resolve().unwrap();
        let connections = &config.door.connections;
        let mib = config.max_audio_bytes / (1024 * 1024);
        assert_eq!(config.max_audio_bytes % (1024 * 1024), 0);
        let resolved = [
            ("--addr", config.addr.to_string()),
            ("--audio-ttl-secs", config.audio_ttl.as_secs().to_string()),
            ("--max-audio-bytes", format!("{mib} MiB")),
            (
                "--max-audio-secs",
                config.max_audio_duration.as_secs().to_string(),
            ),
            ("--profile", config.deployments[0].profile.clone()),
            ("--llm-slots", config.llm_slots.to_string()),
            ("--llm-context", config.llm_context.to_string()),
            (
                "--header-timeout-secs",
                connections.header_timeout.as_secs().to_string(),
            ),
            (
                "--idle-timeout-secs",
                connections.idle_timeout.as_secs().to_string(),
            ),
            (
                "--body-timeout-secs",
                connections.body_timeout.as_secs().to_string(),
            ),
            ("--body-min-rate", connections.body_min_bytes_per_sec.to_string()),
            ("--max-connections", connections.max_connections.to_string()),
            ("--max-wait-secs", config.door.max_wait.as_secs_f64().to_string()),
        ];
        for (flag, value) in resolved {
            assert_eq!(row(&rows, flag), value, "{flag}");
        }
    }
}
