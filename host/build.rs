//! Builds every cog in the workspace (`plugins/*` and `tests/cogs/*`) to a
//! `wasm32-wasip2` component — the test cogs in one cargo invocation, then each bundled
//! cog linked alone with LTO, all with the same flags so std is built once — and
//! generates the table of bundled cogs that `src/cogs.rs` embeds in the binary.
//!
//! Toolchain choice, in order:
//! 1. rustup's `wasm32-wasip2` target (installed, or added now if rustup can);
//! 2. the offline fallback: Debian's `rustc-web` + `rust-web-src` (Rust's std source)
//!    with `-Zbuild-std`, linked by rustup's `wasm-component-ld`;
//! 3. otherwise stop with a message that says what to install.
//!
//! `ASTRA_COGS_DIR=/path` skips the build and embeds components from that folder.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    // Relative paths (cargo reads them from this package's folder): a checkout that
    // shares the target directory with another one (CI reuses it from a fresh clone)
    // must watch its own sources, not the paths the other checkout's run recorded.
    for dir in ["wit", "sdk", "plugins", "tests/cogs"] {
        println!("cargo:rerun-if-changed=../{dir}");
    }
    println!("cargo:rerun-if-env-changed=ASTRA_COGS_DIR");

    let plugins = crates_in(&workspace.join("plugins"));
    let test_cogs = crates_in(&workspace.join("tests/cogs"));

    let out_dir = match env::var_os("ASTRA_COGS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => build_cogs(&workspace, &plugins, &test_cogs),
    };

    let mut table = String::from("pub const BUNDLED: &[(&str, &[u8])] = &[\n");
    for (package, _) in &plugins {
        let file = out_dir.join(format!("{}.wasm", package.replace('-', "_")));
        if !file.exists() {
            panic!(
                "cog `{package}` was not built: {} is missing",
                file.display()
            );
        }
        writeln!(
            table,
            "    ({package:?}, include_bytes!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    table.push_str("];\n");
    writeln!(
        table,
        "pub const COG_BUILD_DIR: &str = {:?};",
        out_dir.display().to_string()
    )
    .unwrap();
    let generated = PathBuf::from(env::var("OUT_DIR").unwrap()).join("bundled_cogs.rs");
    fs::write(generated, table).unwrap();
}

/// `(package name, folder)` of every crate directly under `dir`.
fn crates_in(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest) else {
            continue;
        };
        let name = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("name"))
            .filter_map(|rest| rest.trim_start().strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').to_string())
            .next();
        if let Some(name) = name {
            found.push((name, entry.path()));
        }
    }
    found.sort();
    found
}

/// Flags for every cog: inline far more than LLVM's default. In a wasm cog each call
/// that is not inlined costs a stack check, a shadow-stack frame in linear memory and
/// wasmtime's epoch check (the CPU deadline); with LTO this took the security cog's
/// time per message down by 6–11 % (`benches/sandbox_price.rs`, README).
const COG_RUSTFLAGS: &str = "-C llvm-args=-inline-threshold=1000";

fn build_cogs(
    workspace: &Path,
    bundled: &[(String, PathBuf)],
    tests: &[(String, PathBuf)],
) -> PathBuf {
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|d| {
            if d.is_absolute() {
                d
            } else {
                workspace.join(d)
            }
        })
        .unwrap_or_else(|| workspace.join("target"))
        .join("cogs");
    let toolchain = pick_toolchain();

    // The test cogs: one invocation, so cargo builds them side by side.
    if !tests.is_empty() {
        let mut cmd = cargo(&toolchain, workspace, &target_dir, "build");
        for (package, _) in tests {
            cmd.args(["-p", package]);
        }
        run(cmd, "the test cogs");
    }
    // The bundled cogs: each linked as a cdylib alone, because cargo runs LTO only
    // for a crate whose every crate type links (they are also rlibs, for native tests
    // and benches). Same flags as above, so std and shared crates are built once.
    for (package, _) in bundled {
        let mut cmd = cargo(&toolchain, workspace, &target_dir, "rustc");
        cmd.args(["-p", package, "--crate-type", "cdylib"]);
        run(cmd, &format!("the `{package}` cog"));
    }
    target_dir.join(TARGET).join("release")
}

/// A release `cargo <subcommand>` for the cog target, on `toolchain`, into `target_dir`.
fn cargo(toolchain: &Toolchain, workspace: &Path, target_dir: &Path, subcommand: &str) -> Command {
    let mut cmd = match toolchain {
        Toolchain::Rustup => {
            let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
            scrub(&mut cmd);
            cmd.env("CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS", COG_RUSTFLAGS)
                .arg(subcommand);
            cmd
        }
        Toolchain::Debian {
            cargo,
            rustc,
            linker,
        } => {
            let mut cmd = Command::new(cargo);
            scrub(&mut cmd);
            // wasm-component-ld runs `wasm-ld`, which Debian's rustc lacks; rustup's
            // toolchain ships it beside the linker, in `gcc-ld/`.
            if let Some(bin) = linker.parent() {
                let mut path = vec![bin.join("gcc-ld")];
                path.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
                cmd.env("PATH", env::join_paths(path).unwrap());
            }
            cmd.env("RUSTC", rustc)
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_TARGET_WASM32_WASIP2_LINKER", linker)
                .env(
                    "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
                    format!("-L /usr/lib/wasm32-wasi {COG_RUSTFLAGS}"),
                )
                .arg(subcommand)
                .arg("-Zbuild-std=std,panic_abort");
            cmd
        }
    };
    cmd.current_dir(workspace)
        .args(["--release", "--target", TARGET, "--target-dir"])
        .arg(target_dir)
        // Cogs need no debug info and no incremental state; one codegen unit, and fat
        // LTO over the cog, its crates and std — which cargo runs for the bundled cogs
        // only (linked alone as cdylibs), not for the test cogs (also rlibs).
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo")
        .env("CARGO_PROFILE_RELEASE_LTO", "fat")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    cmd
}

fn run(mut cmd: Command, what: &str) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("could not run cargo to build {what}: {e}"));
    if !status.success() {
        panic!("building {what} failed (see the cargo output above)");
    }
}

enum Toolchain {
    Rustup,
    Debian {
        cargo: PathBuf,
        rustc: PathBuf,
        linker: PathBuf,
    },
}

fn pick_toolchain() -> Toolchain {
    if rustup_has_target() {
        return Toolchain::Rustup;
    }
    // Try to add it (works where rustup can reach its server).
    let added = Command::new("rustup")
        .args(["target", "add", TARGET])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if added && rustup_has_target() {
        return Toolchain::Rustup;
    }
    let cargo = PathBuf::from("/usr/bin/cargo");
    let rustc = PathBuf::from("/usr/bin/rustc");
    let std_src = Path::new("/usr/lib/rustlib/src/rust/library");
    let linker = rustup_sysroot()
        .map(|s| s.join("lib/rustlib/x86_64-unknown-linux-gnu/bin/wasm-component-ld"))
        .filter(|p| p.exists())
        .or_else(|| which("wasm-component-ld"));
    match linker {
        Some(linker) if cargo.exists() && rustc.exists() && std_src.exists() => {
            println!(
                "cargo:warning=no {TARGET} target in rustup; building cogs with Debian's rustc-web and -Zbuild-std"
            );
            Toolchain::Debian {
                cargo,
                rustc,
                linker,
            }
        }
        _ => panic!(
            "\n\nCannot build the cogs: no `{TARGET}` Rust target.\n\
             Either run `rustup target add {TARGET}`, or (offline, Debian) install the fallback:\n\
             \n    sudo apt-get install rustc-web cargo-web rust-web-src wasi-libc\n\n\
             and keep rustup's stable toolchain (it provides wasm-component-ld).\n\
             Or set ASTRA_COGS_DIR to a folder of prebuilt cog .wasm files.\n"
        ),
    }
}

fn rustup_has_target() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == TARGET)
        })
        .unwrap_or(false)
}

fn rustup_sysroot() -> Option<PathBuf> {
    let home = env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".rustup")))?;
    let rustc = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin/rustc"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("rustc"));
    let out = Command::new(rustc)
        .args(["--print", "sysroot"])
        .env_remove("RUSTC")
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .ok()?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let _ = home;
    sysroot.exists().then_some(sysroot)
}

fn which(program: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.exists())
}

/// Remove what the outer cargo set for this build script so the inner build is a
/// clean, independent cargo run (the jobserver is kept so both share the CPUs).
fn scrub(cmd: &mut Command) {
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        let keep = key == "CARGO_HOME" || key == "CARGO_MAKEFLAGS";
        if (key.starts_with("CARGO_") && !keep)
            || key == "RUSTC"
            || key == "RUSTDOC"
            || key == "RUSTC_WORKSPACE_WRAPPER"
            || key == "RUSTFLAGS"
            || key == "TARGET"
            || key == "HOST"
            || key == "OUT_DIR"
            || key == "RUSTUP_TOOLCHAIN"
        {
            cmd.env_remove(key.as_ref());
        }
    }
}
