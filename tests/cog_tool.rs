//! `astra cog new | check | test` as a cog author runs them: the binary, real files,
//! exit codes. The Python and JavaScript parts build with componentize-py and
//! componentize-js (see `common/example_cogs.rs`; `ASTRA_SKIP_OTHER_LANGUAGES=1`
//! skips them).

mod common;
#[path = "common/example_cogs.rs"]
mod example_cogs;

use std::path::Path;
use std::process::{Command, Output};

/// `astra` with a config that shares the examples' compile cache.
fn astra(dir: &Path) -> Command {
    let config = dir.join("astra.toml");
    if !config.exists() {
        std::fs::write(
            &config,
            format!(
                "cache_dir = \"{}\"\n",
                example_cogs::shared_cache_dir().display()
            ),
        )
        .unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_astra"));
    cmd.arg("--config").arg(config);
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn cog_check_prints_the_manifest_of_a_cog_the_host_would_load() {
    let dir = common::tempdir();
    let out = astra(dir.path())
        .args(["cog", "check"])
        .arg(common::cog_path("test-echo"))
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    for want in [
        "test-echo 1.0.0 — echoes messages and counts them",
        "built for astra:bot@0.1.0",
        "capabilities asked: log, kv, config, clock, reply",
        "all within what a plugin is granted by default",
        "/count",
        "user:user",
        "events: none",
        "ok: this host (astra:bot@0.1.0) would load it",
    ] {
        assert!(all.contains(want), "missing {want:?} in:\n{all}");
    }
}

#[test]
fn cog_check_says_when_a_cog_needs_more_than_the_default_grants() {
    let dir = common::tempdir();
    let out = astra(dir.path())
        .args(["cog", "check"])
        .arg(common::cog_path("moderation"))
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("beyond a plugin's defaults: "), "{all}");
    assert!(all.contains("warn"), "{all}");
    assert!(all.contains("[cogs.moderation] grants = ["), "{all}");
}

#[test]
fn cog_check_refuses_what_is_not_a_component_in_plain_words() {
    let dir = common::tempdir();
    let text_file = dir.path().join("notes.wasm");
    std::fs::write(&text_file, "not wasm at all").unwrap();
    let all = check_refuses(dir.path(), &text_file);
    assert!(all.contains("is not a WebAssembly file"), "{all}");

    // An empty core module: the header of WebAssembly 1.0, no component layer.
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let all = check_refuses(dir.path(), &core);
    assert!(
        all.contains("is a core WebAssembly module, not a component"),
        "{all}"
    );
}

#[test]
fn cog_check_names_the_wit_version_an_incompatible_cog_was_built_for() {
    let dir = common::tempdir();
    // Same length, still a valid component: every astra:bot name now says 0.9.0.
    let bytes = std::fs::read(common::cog_path("test-echo")).unwrap();
    let patched = replace_all(&bytes, b"@0.1.0", b"@0.9.0");
    assert_ne!(bytes, patched);
    let file = dir.path().join("future.wasm");
    std::fs::write(&file, patched).unwrap();
    let all = check_refuses(dir.path(), &file);
    assert!(all.contains("refused"), "{all}");
    assert!(all.contains("astra:bot@0.9.0"), "{all}");
    assert!(all.contains("this host offers astra:bot@0.1.0"), "{all}");
}

#[test]
fn cog_check_names_the_imports_the_host_does_not_offer() {
    let dir = common::tempdir();
    // Rename the WASI cli interfaces the cog imports to a package nobody offers.
    let bytes = std::fs::read(common::cog_path("test-echo")).unwrap();
    let file = dir.path().join("foreign.wasm");
    std::fs::write(&file, replace_all(&bytes, b"wasi:cli/", b"acme:foo/")).unwrap();
    let all = check_refuses(dir.path(), &file);
    assert!(
        all.contains("in plain words: it imports `acme:foo/environment@"),
        "{all}"
    );
    assert!(all.contains("which this host does not offer"), "{all}");
}

#[test]
fn cog_check_names_a_missing_export() {
    let dir = common::tempdir();
    let bytes = std::fs::read(common::cog_path("test-echo")).unwrap();
    let file = dir.path().join("no-command.wasm");
    std::fs::write(
        &file,
        replace_all(&bytes, b"handle-command", b"handle-kommand"),
    )
    .unwrap();
    let all = check_refuses(dir.path(), &file);
    assert!(
        all.contains("it does not export `handle-command` of the `cog` world"),
        "{all}"
    );
    assert!(all.contains("`handle-kommand`"), "{all}");
}

#[test]
fn the_examples_pass_their_own_scenarios() {
    if example_cogs::skipped("example scenarios") {
        return;
    }
    let dir = common::tempdir();
    for (example, passed) in [("python-trivia", 11), ("js-notes", 8)] {
        let wasm = example_cogs::example(example);
        let scenario = example_cogs::repo_root()
            .join("examples")
            .join(example)
            .join("scenario.jsonl");
        let out = astra(dir.path())
            .args(["cog", "test"])
            .arg(&wasm)
            .arg(&scenario)
            .output()
            .unwrap();
        let all = text(&out);
        assert!(out.status.success(), "{example}:\n{all}");
        assert!(
            all.contains(&format!("scenario: {passed} passed, 0 failed")),
            "{example}:\n{all}"
        );
    }
}

/// `astra cog check FILE`, which must refuse it (exit code 1); its output.
fn check_refuses(dir: &Path, file: &Path) -> String {
    let out = astra(dir)
        .args(["cog", "check"])
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    text(&out)
}

fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = haystack.to_vec();
    let mut i = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn cog_test_runs_a_scenario_alone_and_prints_the_actions() {
    let dir = common::tempdir();
    let scenario = dir.path().join("scenario.jsonl");
    std::fs::write(
        &scenario,
        "# a comment line\n\
         {\"user\": \"alice\", \"content\": \"hello\", \"expect\": \"echo: hello (#1)\"}\n\
         {\"user\": \"alice\", \"content\": \"again\", \"expect\": [\"again\", \"(#2)\"]}\n\
         {\"user\": \"bob\", \"content\": \"!ignore me\", \"expect_outcome\": \"processed\"}\n\
         {\"command\": \"count\", \"user\": \"bob\", \"options\": {\"user\": \"alice\"}, \"expect\": \"alice sent 2 messages\"}\n",
    )
    .unwrap();
    let out = astra(dir.path())
        .args(["cog", "test"])
        .arg(common::cog_path("test-echo"))
        .arg(&scenario)
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("[test-echo] reply: echo: hello (#1)"), "{all}");
    assert!(all.contains("/count (bob)"), "{all}");
    assert!(all.contains("scenario: 4 passed, 0 failed"), "{all}");

    // The same scenario again starts from a fresh store (counts restart at 1), and
    // --json prints one object per line.
    let out = astra(dir.path())
        .args(["cog", "test", "--json"])
        .arg(common::cog_path("test-echo"))
        .arg(&scenario)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["line"], 2);
    assert_eq!(lines[0]["outcome"], "processed");
    assert_eq!(lines[0]["actions"][0]["content"], "echo: hello (#1)");
    assert_eq!(lines[3]["reply"], "alice sent 2 messages");
    assert!(lines.iter().all(|l| l["ok"] == true));
}

#[test]
fn cog_test_fails_with_a_non_zero_exit_when_a_line_misses_its_expectation() {
    let dir = common::tempdir();
    let scenario = dir.path().join("scenario.jsonl");
    std::fs::write(
        &scenario,
        "{\"user\": \"alice\", \"content\": \"hello\", \"expect\": \"goodbye\"}\n\
         {\"user\": \"alice\"}\n\
         {\"command\": \"nope\", \"user\": \"bob\"}\n\
         {\"command\": \"nope\", \"user\": \"bob\", \"expect_outcome\": \"failed\", \"expect\": \"no loaded cog offers\"}\n",
    )
    .unwrap();
    let out = astra(dir.path())
        .args(["cog", "test"])
        .arg(common::cog_path("test-echo"))
        .arg(&scenario)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out);
    assert!(all.contains("FAILED: expected \"goodbye\""), "{all}");
    assert!(all.contains("line 2: missing field `content`"), "{all}");
    assert!(
        all.contains("no loaded cog offers the command /nope"),
        "{all}"
    );
    assert!(all.contains("scenario: 1 passed, 3 failed"), "{all}");
}

#[test]
fn cog_test_refuses_a_cog_the_host_would_refuse() {
    let dir = common::tempdir();
    let file = dir.path().join("junk.wasm");
    std::fs::write(&file, "junk").unwrap();
    let scenario = dir.path().join("s.jsonl");
    std::fs::write(&scenario, "{\"user\": \"a\", \"content\": \"b\"}\n").unwrap();
    let out = astra(dir.path())
        .args(["cog", "test"])
        .arg(&file)
        .arg(&scenario)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("is not a WebAssembly file"));
}

#[test]
fn cog_new_refuses_a_bad_name_and_an_existing_folder() {
    let dir = common::tempdir();
    let out = astra(dir.path())
        .args(["cog", "new", "Bad Name"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("use 1-32 characters of a-z"));

    std::fs::create_dir(dir.path().join("taken")).unwrap();
    std::fs::write(dir.path().join("taken/file"), "x").unwrap();
    let out = astra(dir.path())
        .args(["cog", "new", "taken"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("already exists"));
}

#[test]
fn cog_new_scaffolds_a_rust_cog_that_compiles_against_the_sdk() {
    // Inside the checkout (in the git-ignored .astra/), so the SDK is found by path.
    let root = example_cogs::repo_root();
    let scratch = root
        .join(".astra")
        .join(format!("scaffold-{}", std::process::id()));
    let folder = scratch.join("hello-rust");
    let config_dir = common::tempdir();
    let out = astra(config_dir.path())
        .args(["cog", "new", "hello-rust", "--lang", "rust", "--dir"])
        .arg(&folder)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("cargo build --release --target wasm32-wasip2"));
    let manifest = std::fs::read_to_string(folder.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("astra-sdk = { path = \"../../../sdk\" }"),
        "{manifest}"
    );
    let lib = std::fs::read_to_string(folder.join("src/lib.rs")).unwrap();
    assert!(lib.contains("struct HelloRust;") && lib.contains("astra_sdk::cog!(HelloRust);"));

    // It type-checks against the SDK (for the host target: no wasm toolchain needed).
    // Same dependency versions as the workspace, and a target folder kept between runs.
    std::fs::copy(root.join("Cargo.lock"), folder.join("Cargo.lock")).unwrap();
    let check = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--quiet", "--target-dir"])
        .arg(example_cogs::examples_dir().join("rust-scaffold-target"))
        .current_dir(&folder)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        check.status.success(),
        "cargo check failed:\n{}",
        text(&check)
    );
}

#[test]
fn cog_new_outside_a_checkout_explains_where_the_sdk_comes_from() {
    let dir = common::tempdir();
    let folder = dir.path().join("elsewhere");
    let out = astra(dir.path())
        .args(["cog", "new", "elsewhere", "--dir"])
        .arg(&folder)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let manifest = std::fs::read_to_string(folder.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("astra-sdk is not on crates.io"),
        "{manifest}"
    );
    assert!(manifest.contains("astra-sdk = { path = \"../astra/sdk\" }"));
}

#[test]
fn cog_new_scaffolds_a_python_cog_that_builds_loads_and_passes_its_scenario() {
    if example_cogs::skipped("python scaffold") {
        return;
    }
    let dir = common::tempdir();
    let folder = dir.path().join("hello-py");
    let out = astra(dir.path())
        .args(["cog", "new", "hello-py", "--lang", "python", "--dir"])
        .arg(&folder)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(folder.join("wit/astra.wit").exists());
    let wasm = example_cogs::build_folder(&folder, "scaffold-python");

    let check = astra(dir.path())
        .args(["cog", "check"])
        .arg(&wasm)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check));
    assert!(text(&check).contains("hello-py 0.1.0"));

    let run = astra(dir.path())
        .args(["cog", "test"])
        .arg(&wasm)
        .arg(folder.join("scenario.jsonl"))
        .output()
        .unwrap();
    let all = text(&run);
    assert!(run.status.success(), "{all}");
    assert!(all.contains("scenario: 3 passed, 0 failed"), "{all}");
}

#[test]
fn cog_new_scaffolds_a_javascript_cog_that_builds_loads_and_passes_its_scenario() {
    if example_cogs::skipped("javascript scaffold") {
        return;
    }
    let dir = common::tempdir();
    let folder = dir.path().join("hello-js");
    let out = astra(dir.path())
        .args(["cog", "new", "hello-js", "--lang", "js", "--dir"])
        .arg(&folder)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let app = std::fs::read_to_string(folder.join("app.js")).unwrap();
    assert!(app.contains("from 'astra:bot/kv@0.1.0'"), "{app}");
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("package.json")).unwrap())
            .unwrap();
    assert_eq!(
        package["devDependencies"]["@bytecodealliance/componentize-js"],
        "0.23.0"
    );

    // Reuse the example's installed componentize-js (the same pinned version) instead
    // of a second 380 MB `npm install`.
    let modules = example_cogs::repo_root().join("examples/js-notes/node_modules");
    if !modules.join(".bin/componentize-js").exists() {
        example_cogs::example("js-notes"); // runs `npm ci` there
    }
    std::os::unix::fs::symlink(&modules, folder.join("node_modules")).unwrap();
    let wasm = example_cogs::build_folder(&folder, "scaffold-js");

    let run = astra(dir.path())
        .args(["cog", "test"])
        .arg(&wasm)
        .arg(folder.join("scenario.jsonl"))
        .output()
        .unwrap();
    let all = text(&run);
    assert!(run.status.success(), "{all}");
    assert!(all.contains("scenario: 3 passed, 0 failed"), "{all}");
}
