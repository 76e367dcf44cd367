//! Writing outputs: to a temporary file beside the target, renamed into place, so that a
//! failed run never leaves a half-written file.

use crate::Error;
use std::io::{BufWriter, Write};
use std::path::Path;

/// The files a command reads (rules, `use`d files, data): an output may not replace them.
static INPUTS: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Registers a file the command reads, so that no output of the command replaces it.
pub fn protect(path: &Path) {
    if let Ok(real) = std::fs::canonicalize(path) {
        let mut inputs = INPUTS.lock().unwrap_or_else(|e| e.into_inner());
        if !inputs.contains(&real) {
            inputs.push(real);
        }
    }
}

/// An error when `path` resolves to a file the command reads (through symlinks and hard
/// links).
fn refuse_inputs(path: &Path) -> Result<(), Error> {
    let Ok(real) = std::fs::canonicalize(path) else {
        return Ok(()); // a new file
    };
    let inputs = INPUTS.lock().unwrap_or_else(|e| e.into_inner());
    let same = |input: &std::path::PathBuf| -> bool {
        if *input == real {
            return true;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let (Ok(a), Ok(b)) = (std::fs::metadata(input), std::fs::metadata(&real)) {
                return a.dev() == b.dev() && a.ino() == b.ino();
            }
        }
        false
    };
    match inputs.iter().find(|i| same(i)) {
        Some(input) => Err(Error::Usage(format!(
            "{}: this is {}, which the command reads; write the output to another file",
            path.display(),
            if *input == real {
                "an input".to_string()
            } else {
                format!("the same file as the input {}", input.display())
            }
        ))),
        None => Ok(()),
    }
}

/// Writes `path` atomically: the content goes to a temporary file in the same directory, which
/// is renamed over `path` only when everything was written.
/// - A path that resolves to an input of the command ([`protect`]) is refused.
/// - A symlink is written through: the temporary file goes beside its target, which is
///   replaced, and the link stays.
/// - A target that is not a regular file (a terminal, `/dev/stdout`, a FIFO, a device) is
///   written directly, never renamed over.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    refuse_inputs(path)?;
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() && !meta.is_dir() {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| Error::io(path, e))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            return write(&mut w)
                .and_then(|()| w.flush())
                .map_err(|e| Error::io(path, e));
        }
    }
    // Through a symlink (a chain of them) to the file it names, existing or not.
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&target).map_err(|e| Error::io(path, e))?;
                target = match target.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => break,
        }
    }
    replace(&target, write).map_err(|e| match e {
        Error::Io { message, .. } if target != path => Error::Io {
            path: path.to_path_buf(),
            message,
        },
        other => other,
    })
}

fn replace(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(".{name}.qindex-{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let file = std::fs::File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write(&mut w)?;
        // No fsync: the rename is what keeps a failed run from leaving half a file, and forcing
        // hundreds of megabytes to disk would cost more than the whole evaluation.
        let _file = w.into_inner().map_err(|e| e.into_error())?;
        // A rewritten file keeps its permissions.
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path, e)
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(Error::io(path, e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("qindex-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.csv");
        std::fs::write(&target, "old").unwrap();
        let r = write_atomic(&target, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("interrupted"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        write_atomic(&target, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
