//! The `astra` binary as users run it: replay files in and JSON lines out, the console
//! chat (early outcomes first), config errors that name file and line.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

fn astra() -> Command {
    Command::new(env!("CARGO_BIN_EXE_astra"))
}

/// Run `astra --config CONFIG ARGS...` with `input` on stdin until it exits; it must
/// succeed.
fn with_input(config: &std::path::Path, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = astra()
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A config dir whose plugin folder holds only the echo test cog.
fn setup() -> tempfile::TempDir {
    let dir = common::tempdir();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(common::cog_path("test-echo"), plugins.join("echo.wasm")).unwrap();
    std::fs::write(
        dir.path().join("astra.toml"),
        format!(
            "bundled_cogs = false\ncache_dir = \"{}\"\n[llm]\nbackend = \"none\"\n[embed]\nbackend = \"none\"\n",
            dir.path().join("cache").display()
        ),
    )
    .unwrap();
    dir
}

#[test]
fn replay_prints_one_json_outcome_per_line_and_names_malformed_lines() {
    let dir = setup();
    let out = with_input(
        &dir.path().join("astra.toml"),
        &["replay", "-"],
        b"{\"user\":\"alice\",\"content\":\"hello\",\"id\":\"a1\"}\n\
          {\"user\":\"bob\"\n\
          {\"user\":\"carol\",\"content\":\"!critical\",\"id\":\"c1\",\"at_ms\":5}\n",
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let by_id = |id: &str| lines.iter().find(|l| l["id"] == id).unwrap().clone();
    let a = by_id("a1");
    assert_eq!(a["outcome"], "processed");
    assert_eq!(a["priority"], "normal");
    assert_eq!(a["actions"][0]["cog"], "test-echo");
    assert_eq!(a["actions"][0]["kind"], "reply");
    assert_eq!(a["actions"][0]["content"], "echo: hello (#1)");
    assert!(a["latency_us"].as_u64().is_some());
    let bad = by_id("line-2");
    assert_eq!(bad["outcome"], "failed");
    assert!(bad["error"].as_str().unwrap().contains("line 2"), "{bad}");
    assert_eq!(by_id("c1")["priority"], "critical");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("received 3 = processed 2 + rate_limited 0 + shed 0 + failed 1"),
        "{stderr}"
    );
}

#[test]
fn a_bad_config_file_fails_at_start_naming_file_and_line() {
    let dir = common::tempdir();
    let path = dir.path().join("astra.toml");
    std::fs::write(
        &path,
        "bot_name = \"Astra\"\n[limits]\nmax_concurrent = \"lots\"\n",
    )
    .unwrap();
    let out = astra()
        .arg("--config")
        .arg(&path)
        .arg("demo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:3:", path.display())),
        "{stderr}"
    );
}

#[test]
fn the_console_shows_a_care_reply_first_then_the_companions_answer() {
    let dir = common::tempdir();
    std::fs::write(
        dir.path().join("astra.toml"),
        format!(
            "plugin_dir = \"{}\"\ncache_dir = \"{}\"\n[llm]\nbackend = \"none\"\n[embed]\nbackend = \"none\"\n",
            dir.path().join("plugins").display(),
            dir.path().join("cache").display()
        ),
    )
    .unwrap();
    let out = with_input(
        &dir.path().join("astra.toml"),
        &["run", "--no-web"],
        b"sam: @Astra I want to kill myself\n",
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = |needle: &str| {
        stdout
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{stdout}"))
    };
    // The early outcome (security's care reply), then the settled one with only what
    // is new (the companion's answer): each action shown once.
    let early = line("sam [critical] early in");
    let care = line("[security] reply: sam");
    let settled = line("sam [critical] processed in");
    let answer = line("[ai-companion] reply:");
    assert!(
        early < care && care < settled && settled < answer,
        "{stdout}"
    );
    assert_eq!(stdout.matches("[security] reply").count(), 1, "{stdout}");
}
