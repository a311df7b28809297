//! `wscope run FILE --to ENGINE`: a flow written out as a load engine's
//! script, to standard output or a file of the user's own (0600).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::emit;
use super::headless::load_profile;
use crate::cli::ConnOptions;
use crate::flow::file::RequestSource;
use crate::loadtest::{Engine, Export, Shape};
use crate::profile::Profile;
use crate::record::KvRow;

/// What `run --to` was given besides the files.
pub struct ExportArgs {
    pub engine: Engine,
    pub out: Option<PathBuf>,
    pub shape: Shape,
    pub lenient: bool,
    pub url: Option<String>,
    pub headers: Vec<KvRow>,
    pub params: Vec<KvRow>,
    pub profile: Option<String>,
}

/// Exit 0 when written, 3 when a flow cannot be (its problems on stderr).
pub fn export_flows(files: &[PathBuf], args: ExportArgs, options: &ConnOptions) -> anyhow::Result<u8> {
    let [file] = files else {
        bail!("--to writes one flow at a time: give one FILE");
    };
    let flow = match crate::flow::file::load(file) {
        Ok(flow) => flow,
        Err(error) => {
            eprintln!("wscope: {error}");
            return Ok(3);
        }
    };
    let mut request = match (&args.profile, &flow.request) {
        (Some(name), _) | (None, RequestSource::Profile(name)) => load_profile(name, options)?,
        (None, RequestSource::Inline(profile)) => (**profile).clone(),
        (None, RequestSource::CommandLine) => Profile::default(),
    };
    if let Some(url) = &args.url {
        request.url = url.clone();
    }
    request.headers.extend(args.headers.iter().cloned());
    request.params.extend(args.params.iter().cloned());
    let export = Export {
        flow: &flow,
        request: &request,
        engine: args.engine,
        shape: args.shape,
        lenient: args.lenient,
        out_name: args.out.as_ref().map(|p| p.display().to_string()),
    };
    let script = match crate::loadtest::export(&export) {
        Ok(script) => script,
        Err(error) => {
            eprintln!("wscope: {error}");
            return Ok(3);
        }
    };
    for warning in &script.warnings {
        eprintln!("wscope: warning: {warning}");
    }
    match &args.out {
        None => emit(script.text.as_bytes())?,
        Some(path) => {
            write_script(path, &script.text)?;
            eprintln!(
                "wscope: wrote {}; run it with: {}",
                path.display(),
                args.engine.run_command(&path.display().to_string())
            );
        }
    }
    Ok(0)
}

/// Writes `text` to `path`, owner-only. A file there is replaced only when
/// wscope wrote it (its first line says so): anything else is the user's.
fn write_script(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let ours = existing
            .lines()
            .next()
            .is_some_and(|first| first.contains("Written by wscope"));
        if !ours {
            bail!(
                "{} exists and wscope did not write it: not overwritten (remove it or pick another --out)",
                path.display()
            );
        }
    } else if path.exists() {
        bail!("{} exists and is not a text file: not overwritten", path.display());
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(".wscope-export")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    temporary
        .persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
