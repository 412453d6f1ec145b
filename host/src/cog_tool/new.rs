//! `astra cog new NAME [--lang rust|python|js]`: scaffold a cog folder that builds and
//! loads as it is — a greeter that counts hellos in kv and offers `/NAME` — with a
//! scenario for `astra cog test`.
//!
//! The templates live in `templates/` and are embedded with `include_str!`, so the
//! binary alone can scaffold. Python and JavaScript folders get a copy of this host's
//! WIT (their tools read it at build time); a Rust cog depends on `astra-sdk`, by path
//! when the folder is inside an Astra checkout, else through a placeholder path that a
//! comment explains.

use crate::cli::CogLang;
use crate::runtime::bindings::WIT_VERSION;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The host's WIT, copied into Python and JavaScript cogs.
const WIT: &str = include_str!("../../../wit/astra.wit");

struct Template {
    path: &'static str,
    text: &'static str,
    executable: bool,
}

const fn file(path: &'static str, text: &'static str) -> Template {
    Template {
        path,
        text,
        executable: false,
    }
}

const fn script(path: &'static str, text: &'static str) -> Template {
    Template {
        path,
        text,
        executable: true,
    }
}

const RUST: &[Template] = &[
    file("Cargo.toml", include_str!("templates/rust/Cargo.toml.tmpl")),
    file("src/lib.rs", include_str!("templates/rust/lib.rs.tmpl")),
    file(
        "scenario.jsonl",
        include_str!("templates/rust/scenario.jsonl.tmpl"),
    ),
    file(".gitignore", include_str!("templates/rust/gitignore.tmpl")),
];

const PYTHON: &[Template] = &[
    file("app.py", include_str!("templates/python/app.py.tmpl")),
    script("build.sh", include_str!("templates/python/build.sh.tmpl")),
    file(
        "scenario.jsonl",
        include_str!("templates/python/scenario.jsonl.tmpl"),
    ),
    file(
        ".gitignore",
        include_str!("templates/python/gitignore.tmpl"),
    ),
    file("wit/astra.wit", WIT),
];

const JS: &[Template] = &[
    file("app.js", include_str!("templates/js/app.js.tmpl")),
    file(
        "package.json",
        include_str!("templates/js/package.json.tmpl"),
    ),
    script("build.sh", include_str!("templates/js/build.sh.tmpl")),
    file(
        "scenario.jsonl",
        include_str!("templates/js/scenario.jsonl.tmpl"),
    ),
    file(".gitignore", include_str!("templates/js/gitignore.tmpl")),
    file("wit/astra.wit", WIT),
];

/// `astra cog new`: create the folder and print what to do next.
pub fn run(name: &str, lang: CogLang, dir: Option<&Path>) -> Result<()> {
    let folder = scaffold(name, lang, dir)?;
    let shown = folder.display();
    println!("created {shown} ({})", lang_name(lang));
    match lang {
        CogLang::Rust => {
            let wasm = format!(
                "{shown}/target/wasm32-wasip2/release/{}.wasm",
                name.replace('-', "_")
            );
            println!("next:");
            println!("  (cd {shown} && cargo build --release --target wasm32-wasip2)");
            println!("  astra cog check {wasm}");
            println!("  astra cog test {wasm} {shown}/scenario.jsonl");
        }
        CogLang::Python | CogLang::Js => {
            println!("next:");
            println!("  {shown}/build.sh");
            println!("  astra cog check {shown}/{name}.wasm");
            println!("  astra cog test {shown}/{name}.wasm {shown}/scenario.jsonl");
        }
    }
    println!("then drop the .wasm into the bot's plugin_dir (see sdk/README.md)");
    Ok(())
}

/// Write the cog's files into `dir` (default `./NAME`), which must not exist yet or be
/// empty. Returns the folder.
pub fn scaffold(name: &str, lang: CogLang, dir: Option<&Path>) -> Result<PathBuf> {
    check_name(name)?;
    let folder = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name));
    if folder.exists()
        && std::fs::read_dir(&folder)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty; choose another name or --dir",
            folder.display()
        );
    }
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let sdk_dependency = match lang {
        CogLang::Rust => sdk_dependency(&folder),
        _ => String::new(),
    };
    let templates = match lang {
        CogLang::Rust => RUST,
        CogLang::Python => PYTHON,
        CogLang::Js => JS,
    };
    for t in templates {
        let text = t
            .text
            .replace("{{name}}", name)
            .replace("{{crate_file}}", &name.replace('-', "_"))
            .replace("{{type_name}}", &type_name(name))
            .replace("{{wit_version}}", WIT_VERSION)
            .replace("{{sdk_dependency}}", &sdk_dependency);
        let path = folder.join(t.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        if t.executable {
            make_executable(&path)?;
        }
    }
    Ok(folder)
}

/// Cog names follow the manifest's rule; they also name the slash command, so at most
/// 32 characters.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        bail!(
            "cog name {name:?}: use 1-32 characters of a-z, 0-9, '-' or '_', starting with a \
             letter (it is also the name of its slash command)"
        );
    }
    Ok(())
}

/// `my-cog` → `MyCog`.
fn type_name(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The `astra-sdk` line of a Rust cog's Cargo.toml: a path into the Astra checkout that
/// holds `folder`, if any; else a placeholder with the ways to fix it.
fn sdk_dependency(folder: &Path) -> String {
    let absolute = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let mut depth = 0usize;
    for ancestor in absolute.ancestors().skip(1) {
        depth += 1;
        let manifest = ancestor.join("sdk/Cargo.toml");
        let is_sdk = std::fs::read_to_string(&manifest)
            .map(|t| t.contains("name = \"astra-sdk\""))
            .unwrap_or(false);
        if is_sdk {
            let path = format!("{}sdk", "../".repeat(depth));
            return format!("astra-sdk = {{ path = \"{path}\" }}");
        }
    }
    "# astra-sdk is not on crates.io: point this at the `sdk/` folder of an Astra checkout\n\
     # (`path = \"/where/astra/is/sdk\"`) or at its repository (`git = \"<Astra's git URL>\"`).\n\
     astra-sdk = { path = \"../astra/sdk\" }"
        .to_string()
}

fn lang_name(lang: CogLang) -> &'static str {
    match lang {
        CogLang::Rust => "Rust",
        CogLang::Python => "Python",
        CogLang::Js => "JavaScript",
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(path)?.permissions();
    permissions.set_mode(0o755);
    std::fs::set_permissions(path, permissions)
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_rust_type_names() {
        assert_eq!(type_name("my-cog"), "MyCog");
        assert_eq!(type_name("quiz_bot2"), "QuizBot2");
    }

    #[test]
    fn bad_names_are_refused_with_the_rule() {
        let e = check_name("My Cog").unwrap_err().to_string();
        assert!(e.contains("a-z"), "{e}");
        assert!(check_name("9lives").is_err());
        assert!(check_name("trivia").is_ok());
    }
}
