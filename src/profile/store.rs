//! Profile files: one pretty-printed JSON file per profile, written
//! atomically with owner-only permissions because headers hold secrets.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{PROFILE_VERSION, Profile};

/// Why a profile could not be read, written or found.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("invalid profile name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("no profile named {name:?} (looked for {})", .path.display())]
    NotFound { name: String, path: PathBuf },
    #[error("profile {name:?} already exists; pick another name")]
    Exists { name: String },
    #[error("{} is not a valid profile: {message} at line {line}, column {column}; the file was left as it is", .path.display())]
    Corrupt {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{} was written by a newer wscope (schema version {version}, this one reads {PROFILE_VERSION}); the file was left as it is", .path.display())]
    NewerVersion { path: PathBuf, version: u32 },
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

/// Checks that `name` is usable as a file name and cannot escape the
/// profiles directory.
pub fn validate_name(name: &str) -> Result<(), ProfileError> {
    let invalid = |reason| {
        Err(ProfileError::InvalidName {
            name: name.to_string(),
            reason,
        })
    };
    if name.trim().is_empty() {
        return invalid("the name is empty");
    }
    if name != name.trim() {
        return invalid("the name starts or ends with a space");
    }
    if name.contains(['/', '\\']) {
        return invalid("the name contains a slash");
    }
    if name.starts_with('.') {
        return invalid("the name starts with a dot");
    }
    if name.chars().any(char::is_control) {
        return invalid("the name contains a control character");
    }
    if name.len() > 100 {
        return invalid("the name is longer than 100 bytes");
    }
    Ok(())
}

/// Writes `bytes` to `path` so that readers see the old file or the new one,
/// never a partial one: a temporary file in the same directory (mode 0600),
/// fsync, rename over the target, then fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no parent directory"))?;
    create_private_dir(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".wscope-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    // The rename is durable only once the directory entry is on disk.
    if let Ok(dir_handle) = fs::File::open(dir) {
        let _ = dir_handle.sync_all();
    }
    Ok(())
}

/// Creates `dir` (and its parents) readable by the owner only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Reads and parses a JSON file, naming the file, line and column when it is
/// not what it should be.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ProfileError> {
    let text = fs::read_to_string(path).map_err(|source| ProfileError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| corrupt(path, &e))
}

fn corrupt(path: &Path, error: &serde_json::Error) -> ProfileError {
    let (line, column, message) = crate::json_check::error_parts(error);
    ProfileError::Corrupt {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// Serializes `value` as pretty JSON with a trailing newline, for diffs.
pub fn to_pretty_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The profiles folder.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    dir: PathBuf,
}

/// Every profile in the folder, the readable and the broken.
#[derive(Debug, Default)]
pub struct Listing {
    pub profiles: Vec<(String, Profile)>,
    pub unreadable: Vec<Unreadable>,
}

/// A profile file that could not be read, for listings.
#[derive(Debug)]
pub struct Unreadable {
    pub name: String,
    pub error: ProfileError,
}

impl ProfileStore {
    /// A store over `dir` (created on first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a profile lives in.
    pub fn path(&self, name: &str) -> Result<PathBuf, ProfileError> {
        validate_name(name)?;
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Whether a profile of that name exists.
    pub fn exists(&self, name: &str) -> bool {
        self.path(name).is_ok_and(|p| p.exists())
    }

    /// Names of all profiles, sorted.
    pub fn names(&self) -> Result<Vec<String>, ProfileError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(ProfileError::Io {
                    action: "list",
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let stem = name.strip_suffix(".json")?;
                validate_name(stem).ok()?;
                Some(stem.to_string())
            })
            .collect();
        names.sort_by_key(|n| n.to_lowercase());
        Ok(names)
    }

    /// Loads every profile; unreadable ones are reported, not fatal.
    pub fn load_all(&self) -> Result<Listing, ProfileError> {
        let mut listing = Listing::default();
        for name in self.names()? {
            match self.load(&name) {
                Ok(profile) => listing.profiles.push((name, profile)),
                Err(error) => listing.unreadable.push(Unreadable { name, error }),
            }
        }
        Ok(listing)
    }

    /// Reads one profile. A broken file is reported and never touched.
    pub fn load(&self, name: &str) -> Result<Profile, ProfileError> {
        let path = self.path(name)?;
        if !path.exists() {
            return Err(ProfileError::NotFound {
                name: name.to_string(),
                path,
            });
        }
        parse_profile(&path)
    }

    /// Writes a profile, replacing any of the same name.
    pub fn save(&self, name: &str, profile: &Profile) -> Result<PathBuf, ProfileError> {
        let path = self.path(name)?;
        let mut profile = profile.clone();
        profile.version = PROFILE_VERSION;
        write_atomic(&path, &to_pretty_json(&profile)).map_err(|source| ProfileError::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// Writes a profile only if none of that name exists.
    pub fn create(&self, name: &str, profile: &Profile) -> Result<PathBuf, ProfileError> {
        if self.exists(name) {
            return Err(ProfileError::Exists { name: name.to_string() });
        }
        self.save(name, profile)
    }

    /// Renames a profile; refuses to overwrite another.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), ProfileError> {
        let source = self.path(from)?;
        let target = self.path(to)?;
        if target.exists() {
            return Err(ProfileError::Exists { name: to.to_string() });
        }
        fs::rename(&source, &target).map_err(|source_error| ProfileError::Io {
            action: "rename",
            path: source,
            source: source_error,
        })
    }

    /// Deletes a profile's file.
    pub fn delete(&self, name: &str) -> Result<(), ProfileError> {
        let path = self.path(name)?;
        fs::remove_file(&path).map_err(|source| ProfileError::Io {
            action: "delete",
            path,
            source,
        })
    }
}

/// Parses a profile file, checking its schema version.
pub fn parse_profile(path: &Path) -> Result<Profile, ProfileError> {
    let value: serde_json::Value = read_json(path)?;
    let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if version > u64::from(PROFILE_VERSION) {
        return Err(ProfileError::NewerVersion {
            path: path.to_path_buf(),
            version: u32::try_from(version).unwrap_or(u32::MAX),
        });
    }
    // Parsed again from text so type errors carry a line and column.
    read_json(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::SavedMessage;
    use crate::record::KvRow;
    use std::os::unix::fs::PermissionsExt;

    fn full_profile() -> Profile {
        Profile {
            url: "wss://example.com/feed".into(),
            message: "{\"op\":\"subscribe\"}\nline two".into(),
            params: vec![
                KvRow::new("room", "blue"),
                KvRow {
                    enabled: false,
                    description: "only for staging".into(),
                    ..KvRow::new("debug", "1")
                },
            ],
            headers: vec![KvRow::new("api-key", "{{env:API_KEY}}")],
            ping_interval_secs: Some(0),
            saved_messages: vec![SavedMessage {
                name: "sub".into(),
                body: "{}".into(),
            }],
            on_connect: vec!["auth".into(), "subscribe".into()],
            ..Profile::default()
        }
    }

    #[test]
    fn every_field_round_trips_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("profiles"));
        let path = store.save("demo1", &full_profile()).unwrap();
        assert_eq!(store.load("demo1").unwrap(), full_profile());
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"version\": 1"), "{text}");
        assert!(text.contains("{{env:API_KEY}}"));
        assert_eq!(store.names().unwrap(), vec!["demo1".to_string()]);
    }

    #[test]
    fn names_that_could_escape_are_refused() {
        for bad in ["", "  ", "../x", "a/b", "..", ".hidden", "a\\b", "tab\there", " lead"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        for good in ["demo1", "staging feed", "prod-eu_1", "ünïcode"] {
            assert!(validate_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn corrupt_file_is_named_with_line_and_column_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path());
        store.save("good", &full_profile()).unwrap();
        let bad_path = dir.path().join("bad.json");
        let broken = "{\n  \"url\": \"ws://x\",\n  \"params\": 7\n}\n";
        fs::write(&bad_path, broken).unwrap();
        let error = store.load("bad").unwrap_err();
        let ProfileError::Corrupt { line, column, .. } = &error else {
            panic!("{error}")
        };
        assert_eq!((*line, *column), (3, 13));
        assert!(error.to_string().contains("bad.json"), "{error}");
        assert_eq!(fs::read_to_string(&bad_path).unwrap(), broken);
        let listing = store.load_all().unwrap();
        assert_eq!((listing.profiles.len(), listing.unreadable.len()), (1, 1));
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("future.json"), r#"{"version": 99, "url": "ws://x"}"#).unwrap();
        let error = ProfileStore::new(dir.path()).load("future").unwrap_err();
        assert!(
            matches!(error, ProfileError::NewerVersion { version: 99, .. }),
            "{error}"
        );
    }

    #[test]
    fn failed_write_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path());
        // A directory where the file should go makes the final rename fail,
        // even for root, after the temporary file was fully written.
        fs::create_dir(dir.path().join("keep.json")).unwrap();
        fs::write(dir.path().join("keep.json").join("inside"), "untouched").unwrap();
        let result = store.save("keep", &full_profile());
        assert!(
            matches!(result, Err(ProfileError::Io { action: "write", .. })),
            "{result:?}"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("keep.json").join("inside")).unwrap(),
            "untouched"
        );
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["keep.json".to_string()], "no temporary file is left behind");
    }

    #[test]
    fn unwritable_parent_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("not-a-dir"), "").unwrap();
        let store = ProfileStore::new(dir.path().join("not-a-dir").join("profiles"));
        assert!(matches!(store.save("x", &full_profile()), Err(ProfileError::Io { .. })));
    }

    #[test]
    fn create_and_rename_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path());
        store.create("a", &full_profile()).unwrap();
        store.create("b", &Profile::default()).unwrap();
        assert!(matches!(
            store.create("a", &Profile::default()),
            Err(ProfileError::Exists { .. })
        ));
        assert!(matches!(store.rename("a", "b"), Err(ProfileError::Exists { .. })));
        store.rename("a", "c").unwrap();
        assert_eq!(store.load("c").unwrap(), full_profile());
        store.delete("c").unwrap();
        assert_eq!(store.names().unwrap(), vec!["b".to_string()]);
    }
}
