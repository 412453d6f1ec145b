//! Building the cogs written in other languages (examples/python-trivia, examples/js-notes
//! and scaffolds from `astra cog new`) once for every test that needs them.
//!
//! Their tools are slow (~20-30 s a build) and their components large (12-18 MB), so a
//! build goes to `<target>/examples-cogs/<label>-<hash>.wasm`, keyed by a hash of the
//! folder's sources and the WIT, and is reused until they change; compiled forms are
//! shared through one wasmtime cache folder beside it. A missing tool fails the test
//! with what to install, unless `ASTRA_SKIP_OTHER_LANGUAGES=1` asks to skip.
//!
//! Included with `#[path]` by the tests that need it (not every test binary).

#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The workspace root (the folder holding `wit/`, `examples/`, `host/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// Cargo's target folder (the astra binary is `<target>/release/astra`).
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_astra"))
        .parent()
        .and_then(Path::parent)
        .expect("the astra binary lives in <target>/<profile>/")
        .to_path_buf()
}

/// Where built example components and their compiled forms are kept between runs.
pub fn examples_dir() -> PathBuf {
    target_dir().join("examples-cogs")
}

/// The wasmtime compile cache shared by every test that loads these components.
pub fn shared_cache_dir() -> PathBuf {
    examples_dir().join("cache")
}

/// True (after saying so) when `ASTRA_SKIP_OTHER_LANGUAGES=1`.
pub fn skipped(test: &str) -> bool {
    let skip = std::env::var("ASTRA_SKIP_OTHER_LANGUAGES").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("{test}: skipped (ASTRA_SKIP_OTHER_LANGUAGES=1)");
    }
    skip
}

/// The component of `examples/<name>` (built now if its sources changed).
pub fn example(name: &str) -> PathBuf {
    build_folder(&repo_root().join("examples").join(name), name)
}

/// Serialises builds inside one test binary (two cores; and one build per component).
static BUILDS: Mutex<()> = Mutex::new(());

/// Build the cog in `folder` with its `build.sh OUT`, or reuse the build of the same
/// sources. Panics with the tool's output (and what to install) when the build fails.
pub fn build_folder(folder: &Path, label: &str) -> PathBuf {
    let out_dir = examples_dir();
    let out = out_dir.join(format!("{label}-{}.wasm", source_hash(folder)));
    if out.exists() {
        return out;
    }
    let _guard = BUILDS.lock().unwrap_or_else(|p| p.into_inner());
    if out.exists() {
        return out;
    }
    std::fs::create_dir_all(&out_dir).unwrap();
    let started = std::time::Instant::now();
    let result = Command::new("bash")
        .arg(folder.join("build.sh"))
        .arg(&out)
        .current_dir(folder)
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash for {label}'s build.sh: {e}"));
    if !result.status.success() {
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
        if result.status.code() == Some(127) {
            panic!(
                "cannot build {label}: a tool is missing.\n{output}\n\
                 .ci/run installs them (componentize-py from PyPI, `npm ci` in \
                 examples/js-notes); set ASTRA_SKIP_OTHER_LANGUAGES=1 to skip these tests."
            );
        }
        panic!("building {label} failed:\n{output}");
    }
    eprintln!(
        "built {label} in {:.1} s: {} ({:.1} MB)",
        started.elapsed().as_secs_f64(),
        out.display(),
        std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );
    // Older builds of the same cog only take space.
    if let Ok(entries) = std::fs::read_dir(&out_dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path != out && name.starts_with(&format!("{label}-")) && name.ends_with(".wasm") {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    out
}

/// SHA-256 (first 16 hex digits) of the folder's sources and the host's WIT.
fn source_hash(folder: &Path) -> String {
    let mut files = Vec::new();
    collect_sources(folder, &mut files);
    files.sort();
    let mut hash = Sha256::new();
    for file in files {
        hash.update(
            file.strip_prefix(folder)
                .unwrap()
                .to_string_lossy()
                .as_bytes(),
        );
        hash.update(std::fs::read(&file).unwrap());
    }
    hash.update(std::fs::read(repo_root().join("wit/astra.wit")).unwrap());
    hash.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn collect_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if matches!(name.as_str(), "node_modules" | "__pycache__" | "target")
            || name.ends_with(".wasm")
            || name.ends_with(".tmp")
        {
            continue;
        }
        if path.is_dir() {
            collect_sources(&path, out);
        } else {
            out.push(path);
        }
    }
}
