//! Loading settings from every layer, and the docs that must name every key.

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn load_with(file: Option<&str>, env_pairs: &[(&str, &str)], flags: Overrides) -> Result<Settings, SettingsError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("refnet.toml");
    if let Some(text) = file {
        std::fs::write(&path, text).expect("write");
    }
    Settings::load(&Sources {
        file: file.map(|_| path),
        file_required: false,
        env: env(env_pairs),
        flags,
    })
}

#[test]
fn flags_beat_env_which_beats_the_file_which_beats_defaults() {
    let file = "vault = \"from-file\"\n[s2]\nrps = 3\nbatch_size = 100\n";
    let s = load_with(Some(file), &[], Overrides::default()).expect("loads");
    assert_eq!(s.vault, PathBuf::from("from-file"));
    assert_eq!(s.s2.rps, 3.0);
    assert_eq!(s.s2.batch_size, 100);

    let s = load_with(
        Some(file),
        &[("REFNET_VAULT", "from-env"), ("REFNET_S2_RPS", "0.5")],
        Overrides::default(),
    )
    .expect("loads");
    assert_eq!(s.vault, PathBuf::from("from-env"));
    assert_eq!(s.s2.rps, 0.5);

    let flags = Overrides {
        vault: Some(PathBuf::from("from-flag")),
        ..Overrides::default()
    };
    let s = load_with(Some(file), &[("REFNET_VAULT", "from-env")], flags).expect("loads");
    assert_eq!(s.vault, PathBuf::from("from-flag"));
}

#[test]
fn bad_values_name_the_key_and_the_fix() {
    let err = load_with(None, &[("REFNET_S2_RPS", "fast")], Overrides::default()).expect_err("refused");
    assert!(
        err.0.contains("REFNET_S2_RPS") && err.0.contains("requests per second"),
        "{err}"
    );
    let err = load_with(None, &[("REFNET_S2_RPS", "0")], Overrides::default()).expect_err("refused");
    assert!(err.0.contains("REFNET_S2_RPS"), "{err}");
    let err = load_with(
        None,
        &[("REFNET_LLM_URL", "http://localhost:11434"), ("REFNET_LLM_MODEL", "m")],
        Overrides::default(),
    )
    .expect_err("refused");
    assert!(err.0.contains("/v1"), "{err}");
    let err = load_with(Some("[s2]\nrsp = 2\n"), &[], Overrides::default()).expect_err("refused");
    assert!(err.0.contains("line 2") && err.0.contains("rsp"), "{err}");
    assert!(!err.0.contains('\n'), "one line: {err}");
}

#[test]
fn secrets_from_any_layer_stay_out_of_debug_output() {
    let s = load_with(
        Some("[llm]\napi_key = \"file-key-123\"\n"),
        &[
            ("S2_API_KEY", "env-key-456"),
            ("DATABASE_URL", "postgres://u:pw789@h/db"),
        ],
        Overrides::default(),
    )
    .expect("loads");
    let debug = format!("{s:?}");
    for secret in ["file-key-123", "env-key-456", "pw789"] {
        assert!(!debug.contains(secret), "{secret} leaked");
    }
    assert_eq!(s.s2.api_key.as_ref().map(Secret::expose), Some("env-key-456"));
}

const EXAMPLE: &str = include_str!("../../refnet.example.toml");

#[test]
fn the_example_file_is_valid_and_matches_the_defaults() {
    let s = load_with(Some(EXAMPLE), &[], Overrides::default()).expect("refnet.example.toml loads");
    assert_eq!(s, Settings::default());
}

/// The example with its commented-out keys (`# key = value`) switched on.
fn uncommented(example: &str) -> String {
    let is_key = |l: &str| {
        l.split_once(" = ")
            .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
    };
    example
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest) if is_key(rest) => rest,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Dotted paths of every key and table the example shows, commented-out keys included.
fn documented(example: &str) -> Vec<String> {
    fn walk(table: &toml::Table, prefix: &str, out: &mut Vec<String>) {
        for (name, value) in table {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            if let Some(inner) = value.as_table() {
                walk(inner, &path, out);
            }
            out.push(path);
        }
    }
    let table: toml::Table = uncommented(example).parse().expect("the uncommented example parses");
    let mut out = Vec::new();
    walk(&table, "", &mut out);
    out
}

#[test]
fn the_example_file_names_every_key() {
    let shown = documented(EXAMPLE);
    for key in keys::all() {
        // `vault` is both a key (the short form, named in a comment) and the [vault] table.
        assert!(
            shown.iter().any(|d| d == key.path),
            "refnet.example.toml does not document `{}`",
            key.path
        );
        for name in &key.env {
            assert!(
                EXAMPLE.contains(name),
                "refnet.example.toml does not name {name}, the variable of `{}`",
                key.path
            );
        }
    }
    // The check can fail: a key taken out of the example is missed.
    let without = documented(&EXAMPLE.replace("fresh_days = 30", ""));
    assert!(!without.iter().any(|d| d == "s2.fresh_days"));
}

#[test]
fn the_example_file_loads_with_its_commented_out_keys_switched_on() {
    let s = load_with(Some(&uncommented(EXAMPLE)), &[], Overrides::default()).expect("every example value is valid");
    assert!(s.database_url.is_some() && s.llm.url.is_some() && s.openalex.enabled());
}

/// The declared variables README.md's configuration section does not name.
fn missing_from_readme(readme: &str) -> Vec<&'static str> {
    let start = readme
        .find("\n## Configuration")
        .expect("README has a Configuration section");
    let section = &readme[start + 1..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let named = |name: &str| section.contains(&format!("`{name}`")) || section.contains(&format!("`{name}="));
    keys::all()
        .iter()
        .flat_map(|key| key.env.iter().copied())
        .filter(|name| !named(name))
        .collect()
}

#[test]
fn every_env_variable_is_in_the_readme_table() {
    let readme = include_str!("../../README.md");
    assert_eq!(
        missing_from_readme(readme),
        Vec::<&str>::new(),
        "add them to README.md's table"
    );
    // The check can fail: a row taken out of the table is missed.
    let without = readme.replace("`REFNET_SUMMARY_BATCH`", "");
    assert_eq!(missing_from_readme(&without), vec!["REFNET_SUMMARY_BATCH"]);
}

#[test]
fn vault_may_be_a_path_or_a_table() {
    let short = load_with(Some("vault = \"notes\"\n"), &[], Overrides::default()).expect("string form loads");
    let table = "[vault]\npath = \"notes\"\nauthor_notes = \"all\"\nmap_papers = 30\n";
    let long = load_with(Some(table), &[], Overrides::default()).expect("table form loads");
    assert_eq!(short.vault, PathBuf::from("notes"));
    assert_eq!(long.vault, short.vault);
    assert_eq!(short.notes, Settings::default().notes);
    assert_eq!(
        long.notes,
        VaultSettings {
            author_notes: AuthorNotes::All,
            map_papers: 30
        }
    );
    let s = load_with(Some(table), &[("REFNET_VAULT", "from-env")], Overrides::default()).expect("loads");
    assert_eq!(s.vault, PathBuf::from("from-env"));
    let err = load_with(Some("vault = 3\n"), &[], Overrides::default()).expect_err("refused");
    assert!(err.0.contains("vault = 3 is not valid"), "{err}");
}

#[test]
fn a_bad_author_notes_value_names_the_key_and_the_accepted_values() {
    let err = load_with(Some("\n[vault]\nauthor_notes = \"some\"\n"), &[], Overrides::default()).expect_err("refused");
    for part in ["refnet.toml", "line 3", "vault.author_notes", "shared", "all", "none"] {
        assert!(err.0.contains(part), "{part} missing: {err}");
    }
    assert!(!err.0.contains('\n'), "one line: {err}");
}

#[test]
fn bad_file_values_and_misplaced_tables_are_refused_by_line() {
    let err = load_with(Some("[s2]\nrps = \"fast\"\n"), &[], Overrides::default()).expect_err("refused");
    assert!(
        err.0.contains("line 2") && err.0.contains("s2.rps") && err.0.contains("requests per second"),
        "{err}"
    );
    let err = load_with(Some("s2 = 1\n"), &[], Overrides::default()).expect_err("refused");
    assert!(err.0.contains("line 1") && err.0.contains("[s2]"), "{err}");
    let err = load_with(Some("[s2]\n[s3]\nrps = 1\n"), &[], Overrides::default()).expect_err("refused");
    assert!(err.0.contains("line 2") && err.0.contains("`s3`"), "{err}");
    let err = load_with(Some("[s2.rps]\nx = 1\n"), &[], Overrides::default()).expect_err("refused");
    assert!(err.0.contains("s2.rps is not valid"), "{err}");
    let err = load_with(Some("[s2]\nrps = \n"), &[], Overrides::default()).expect_err("refused");
    assert!(
        err.0.contains("line 2") && err.0.contains("refnet.example.toml"),
        "{err}"
    );
}

#[test]
fn stage_numbers_may_be_inline_or_a_table() {
    let inline = "[queue]\nconcurrency = { crawl = 4 }\n";
    let table = "[queue.concurrency]\ncrawl = 4\n";
    for text in [inline, table] {
        let s = load_with(Some(text), &[], Overrides::default()).expect("loads");
        assert_eq!(s.queue.concurrency.crawl, 4, "{text}");
        assert_eq!(
            s.queue.concurrency.summarize,
            Settings::default().queue.concurrency.summarize
        );
    }
}

#[test]
fn units_convert_the_same_from_the_file_and_the_environment() {
    let file = "[pdf]\nmax_mb = 2\n[s2]\nfresh_days = 2\ngive_up_secs = 90\n";
    let env_pairs = [
        ("REFNET_PDF_MAX_MB", "2"),
        ("REFNET_FRESH_DAYS", "2"),
        ("REFNET_S2_GIVE_UP_SECS", "90"),
    ];
    let from_file = load_with(Some(file), &[], Overrides::default()).expect("loads");
    let from_env = load_with(None, &env_pairs, Overrides::default()).expect("loads");
    for s in [from_file, from_env] {
        assert_eq!(s.pdf.max_bytes, 2 * 1024 * 1024);
        assert_eq!(s.s2.fresh_for, Duration::from_secs(2 * 86_400));
        assert_eq!(s.s2.give_up_after, Duration::from_secs(90));
    }
}

#[test]
fn an_empty_variable_counts_as_unset() {
    let s = load_with(
        Some("[s2]\nrps = 3\n"),
        &[("REFNET_S2_RPS", "  ")],
        Overrides::default(),
    )
    .expect("loads");
    assert_eq!(s.s2.rps, 3.0);
}

#[test]
fn new_keys_are_read_and_their_ranges_checked() {
    let s = load_with(
        Some("[summarize]\nbatch_size = 50\n[openalex]\nrps = 5\nmax_requests_per_crawl = 20\n"),
        &[("REFNET_OPENALEX_URL", "http://127.0.0.1:9/")],
        Overrides::default(),
    )
    .expect("loads");
    assert_eq!(s.summarize.batch_size, 50);
    assert_eq!((s.openalex.rps, s.openalex.max_requests_per_crawl), (5.0, 20));
    assert_eq!(s.openalex.url.as_str(), "http://127.0.0.1:9/");
    // (file, environment, what the error must name)
    type Case = (&'static str, &'static [(&'static str, &'static str)], &'static str);
    let refused: [Case; 8] = [
        ("", &[("REFNET_SUMMARY_BATCH", "0")], "REFNET_SUMMARY_BATCH"),
        ("[summarize]\nbatch_size = 1001\n", &[], "summarize.batch_size"),
        ("[vault]\nmap_papers = 0\n", &[], "vault.map_papers"),
        ("", &[("REFNET_S2_GIVE_UP_SECS", "0")], "REFNET_S2_GIVE_UP_SECS"),
        ("[openalex]\nrps = 0\n", &[], "openalex.rps"),
        (
            "[openalex]\nmax_requests_per_crawl = 0\n",
            &[],
            "openalex.max_requests_per_crawl",
        ),
        ("", &[("REFNET_OPENALEX_MAILTO", "nobody")], "REFNET_OPENALEX_MAILTO"),
        ("", &[("REFNET_OPENALEX_URL", "ftp://x/")], "REFNET_OPENALEX_URL"),
    ];
    for (file, env_pairs, named) in refused {
        let err = load_with(Some(file), env_pairs, Overrides::default()).expect_err(named);
        assert!(err.0.contains(named) && !err.0.contains('\n'), "{named}: {err}");
    }
}

#[test]
fn openalex_is_on_only_with_a_key_or_a_mailto() {
    let off = load_with(
        Some("[openalex]\nurl = \"http://127.0.0.1:9\"\nrps = 2\n"),
        &[],
        Overrides::default(),
    );
    assert!(!off.expect("loads").openalex.enabled());
    let key = load_with(None, &[("REFNET_OPENALEX_KEY", "oa-1")], Overrides::default()).expect("loads");
    assert!(key.openalex.enabled());
    let mailto = load_with(
        Some("[openalex]\nmailto = \"me@example.org\"\n"),
        &[],
        Overrides::default(),
    );
    let mailto = mailto.expect("loads");
    assert!(mailto.openalex.enabled());
    assert_eq!(mailto.openalex.mailto.as_deref(), Some("me@example.org"));
}

#[test]
fn the_openalex_key_never_shows_in_debug_output() {
    let s = load_with(None, &[("REFNET_OPENALEX_KEY", "oa-secret-42")], Overrides::default()).expect("loads");
    assert!(!format!("{s:?}").contains("oa-secret-42"));
    assert!(!format!("{:?}", s.openalex).contains("oa-secret-42"));
    assert_eq!(s.openalex.api_key.as_ref().map(Secret::expose), Some("oa-secret-42"));
}

#[test]
fn author_notes_decide_who_gets_a_note() {
    assert!(!AuthorNotes::Shared.writes_note_for(1) && AuthorNotes::Shared.writes_note_for(2));
    assert!(AuthorNotes::All.writes_note_for(1) && !AuthorNotes::All.writes_note_for(0));
    assert!(!AuthorNotes::None.writes_note_for(50));
    for name in AuthorNotes::NAMES {
        assert!(AuthorNotes::parse(name).is_some(), "{name}");
    }
}

#[test]
fn openai_api_key_is_the_fallback_llm_key() {
    let s = load_with(None, &[("OPENAI_API_KEY", "sk-1")], Overrides::default()).expect("loads");
    assert_eq!(s.llm.api_key.as_ref().map(Secret::expose), Some("sk-1"));
    let s = load_with(
        None,
        &[("OPENAI_API_KEY", "sk-1"), ("REFNET_LLM_API_KEY", "sk-2")],
        Overrides::default(),
    )
    .expect("loads");
    assert_eq!(s.llm.api_key.as_ref().map(Secret::expose), Some("sk-2"));
}
