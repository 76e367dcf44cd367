//! The one output policy of the commands: standard output or `--output` (written atomically,
//! never onto an input), closed pipes, warnings, progress and Ctrl-C; and the one `match` from
//! an error to an exit code.

use clap::ValueEnum;
use qindex::diagnostics::{render_all, Color};
use qindex::eval::PeriodChoice;
use qindex::sensitivity::audit::Record;
use qindex::session::Session;
use qindex::{Diagnostic, Error, Sources};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// How a command ended without an error of its own to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok,
    /// Exit 1: a `--check` found differences, or rules had errors (already reported).
    Differences,
    /// Exit 2: an input could not be read (already reported), the others were done.
    Unusable,
}

pub type Outcome = Result<Exit, Error>;

/// The output formats. Each command accepts those that fit its result (see [`Cx::format`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for a terminal.
    #[value(alias = "text")]
    Table,
    Json,
    Csv,
    Markdown,
    Xlsx,
    Html,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
            Format::Xlsx => "xlsx",
            Format::Html => "html",
        }
    }
}

/// What every command shares: where its output goes, whether it is quiet, and the rules'
/// sources for rendering diagnostics.
pub struct Cx {
    pub output: Option<PathBuf>,
    pub quiet: bool,
    asked: Option<Format>,
    sources: Sources,
}

impl Cx {
    pub fn new(out: &super::args::OutArgs) -> Cx {
        if !out.quiet && std::io::stderr().is_terminal() {
            qindex::timing::show_phases();
        }
        Cx {
            output: out.output.clone(),
            quiet: out.quiet,
            asked: out.format,
            sources: Sources::new(),
        }
    }

    /// The format asked for, or `default`; an error when the command cannot write it.
    pub fn format(
        &self,
        command: &str,
        allowed: &[Format],
        default: Format,
    ) -> Result<Format, Error> {
        let f = self.asked.unwrap_or(default);
        if !allowed.contains(&f) {
            let names: Vec<&str> = allowed.iter().map(|f| f.name()).collect();
            return Err(Error::Usage(format!(
                "--format {}: `qindex {command}` writes {}",
                f.name(),
                names.join(", ")
            )));
        }
        if f == Format::Xlsx && self.output.is_none() {
            return Err(Error::Usage(
                "--format xlsx writes a file: give it with --output PATH".into(),
            ));
        }
        Ok(f)
    }

    /// Opens a rules file as a session: its files are protected from being overwritten, its
    /// sources kept for the diagnostics, and errors in the rules fail the command.
    pub fn session(&mut self, path: &Path) -> Result<Session, Error> {
        let session = Session::open(path)?;
        self.know(&session);
        for (_, f) in session.sources().iter() {
            protect(&f.path);
        }
        self.output_not_an_input()?;
        session.valid()?;
        Ok(session)
    }

    /// A rules file with the data its scheme reads bound, the scheme's warnings shown.
    pub fn bound(&mut self, on: &super::args::Evaluated) -> Result<Session, Error> {
        let session = self.session(&on.file)?;
        let plan = session.plan(&on.scheme)?;
        self.diagnostics(&session.warnings_for(&[&on.scheme]));
        self.bind(&session, &[plan], &on.data, &[on.one_period()?])?;
        Ok(session)
    }

    /// A rules file with the data bound that its `uncertainty` block reads (the base index
    /// and the schemes it chooses from); `what` says why the block is needed.
    pub fn sampled(&mut self, on: &super::args::Sampled, what: &str) -> Result<Session, Error> {
        if let Some(bytes) = on.memory_limit {
            qindex::memory::set_limit(bytes);
        }
        let session = self.session(&on.file)?;
        let (base, _, schemes) = session.uncertainty(what)?;
        self.diagnostics(&session.warnings_for(&["default"]));
        let mut plans = vec![base];
        plans.extend(schemes);
        let period = super::args::one_period(on.period.as_deref())?;
        self.bind(&session, &plans, &on.data, &[period])?;
        Ok(session)
    }

    /// The scheme of a [`Cx::bound`] session evaluated in its one period, warnings shown.
    pub fn evaluated<'s>(
        &self,
        session: &'s Session,
        on: &super::args::Evaluated,
    ) -> Result<qindex::eval::Results<'s>, Error> {
        let results = session.evaluate_in(session.plan(&on.scheme)?, &on.one_period()?)?;
        self.eval_warnings(&results.warnings);
        Ok(results)
    }

    /// Refuses an `--output` that is one of the inputs known so far, before any work is done
    /// (writing checks again).
    fn output_not_an_input(&self) -> Result<(), Error> {
        match &self.output {
            Some(p) => refuse_inputs(p),
            None => Ok(()),
        }
    }

    /// Remembers a session's sources (again after a `--where` was added to them).
    pub fn know(&mut self, session: &Session) {
        self.sources = session.sources().clone();
    }

    /// A scheme's plan with its warnings shown, and `--where` compiled against it (a condition
    /// is a source of its own, so the session's sources are taken again for diagnostics).
    pub fn plan_where(
        &mut self,
        session: &mut Session,
        scheme: &str,
        filter: Option<&str>,
    ) -> Result<(qindex::plan::Plan, Option<qindex::plan::Code>), Error> {
        let mut plan = session.plan(scheme)?.clone();
        self.diagnostics(&session.warnings_for(&[scheme]));
        let filter = match filter {
            Some(text) => {
                let code = session.condition(&mut plan, text);
                self.know(session);
                Some(code?)
            }
            None => None,
        };
        Ok((plan, filter))
    }

    /// Binds the data the plans read to the session, protected from being overwritten. The
    /// survey's warnings (coverage, small samples) are shown for the `periods` evaluated.
    pub fn bind<'s>(
        &self,
        session: &'s Session,
        plans: &[&qindex::plan::Plan],
        data: &super::args::DataArgs,
        periods: &[PeriodChoice],
    ) -> Result<&'s qindex::data::Frame, Error> {
        let opts = data.options()?;
        protect(&session.data_path(plans, &opts)?);
        for sp in plans.iter().flat_map(|p| &p.surveys) {
            if let Some(p) = &sp.path {
                protect(Path::new(p));
            }
        }
        self.output_not_an_input()?;
        let bound = session.bind(plans, &opts)?;
        self.diagnostics(&bound.warnings);
        let latest = qindex::eval::sorted_periods(&bound.frame).pop();
        let evaluated = |p: &Option<String>| match p {
            None => true,
            Some(p) => periods.iter().any(|c| match c {
                PeriodChoice::All => true,
                PeriodChoice::One(q) => q == p,
                PeriodChoice::Latest => latest.as_ref() == Some(p),
            }),
        };
        let shown: Vec<_> = bound
            .survey_warnings
            .iter()
            .filter(|w| evaluated(&w.period))
            .cloned()
            .collect();
        self.eval_warnings(&shown);
        Ok(&bound.frame)
    }

    /// Prints diagnostics with their source snippets: errors always, warnings unless quiet;
    /// with errors, the count after them.
    pub fn diagnostics(&self, diags: &[Diagnostic]) {
        let shown: Vec<Diagnostic> = diags
            .iter()
            .filter(|d| d.is_error() || !self.quiet)
            .cloned()
            .collect();
        if shown.is_empty() {
            return;
        }
        qindex::timing::clear_phase_line();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{}", render_all(&shown, &self.sources, color()));
        let _ = writeln!(err);
        let _ = write!(err, "{}", summary(&shown));
    }

    /// Prints warnings in the one style: `warning[CODE] [where]: message (N×)`, where names
    /// the node, unit and period concerned. Repeated warnings arrive counted.
    pub fn warnings<'w>(&self, warnings: impl IntoIterator<Item = Warn<'w>>) {
        if self.quiet {
            return;
        }
        qindex::timing::clear_phase_line();
        let mut err = std::io::stderr().lock();
        for w in warnings {
            let mut at = Vec::new();
            if let Some(n) = w.node {
                at.push(format!("`{n}`"));
            }
            if let Some(u) = w.unit {
                at.push(format!("unit {u}"));
            } else if !w.units.is_empty() {
                const SHOWN: usize = 5;
                let mut list = w.units[..w.units.len().min(SHOWN)].join(", ");
                if w.units.len() > SHOWN {
                    list.push_str(&format!(" and {} more", w.units.len() - SHOWN));
                }
                at.push(format!("units {list}"));
            }
            if let Some(p) = w.period {
                at.push(format!("period {p}"));
            }
            let at = if at.is_empty() {
                String::new()
            } else {
                format!(" [{}]", at.join(", "))
            };
            let count = if w.count > 1 {
                format!(" ({}×)", w.count)
            } else {
                String::new()
            };
            let _ = writeln!(err, "warning[{}]{at}: {}{count}", w.code, w.message);
        }
    }

    /// Evaluation warnings.
    pub fn eval_warnings(&self, warnings: &[qindex::eval::Warning]) {
        self.warnings(warnings.iter().map(|w| Warn {
            code: w.code,
            message: &w.message,
            node: w.node.as_deref(),
            unit: w.unit.as_deref(),
            period: w.period.as_deref(),
            count: w.count,
            units: &w.units,
        }));
    }

    /// Warnings counted over many evaluations (`over`: "over the replications").
    pub fn counted_warnings(&self, warnings: &[(String, usize)], over: &str) {
        let messages: Vec<String> = warnings
            .iter()
            .map(|(_, count)| format!("{count} times {over}"))
            .collect();
        self.warnings(
            warnings
                .iter()
                .zip(&messages)
                .map(|((code, _), message)| Warn::plain(code, message)),
        );
    }

    /// A progress counter on standard error: only on a terminal and when not quiet.
    pub fn progress(&self, what: &'static str) -> Option<impl Fn(u64, u64) + Sync> {
        qindex::timing::phases_done();
        (!self.quiet && std::io::stderr().is_terminal()).then_some(move |done: u64, total: u64| {
            eprint!("\r{done}/{total} {what}");
            if done == total {
                eprint!("\r{}\r", " ".repeat(40));
            }
        })
    }

    /// The width to fit tables to: none for a file (`-o`), else `COLUMNS` or the terminal's.
    pub fn width(&self) -> Option<usize> {
        self.output.is_none().then(width).flatten()
    }

    /// Writes the result: to `--output` (atomically), or to standard output.
    pub fn emit(&self, text: &str) -> Outcome {
        self.emit_with(|w| w.write_all(text.as_bytes()))
    }

    /// Writes the result with a writer function: to `--output` (atomically), or to standard
    /// output, where a closed pipe (`| head`) ends the output quietly.
    pub fn emit_with(&self, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Outcome {
        // The phase line stays while a file or a pipe is written, not over a result shown on
        // the same terminal.
        match &self.output {
            Some(p) => qindex::timing::phase(format!("writing {}", p.display())),
            None if !std::io::stdout().is_terminal() => qindex::timing::phase("writing"),
            None => qindex::timing::phases_done(),
        }
        match &self.output {
            Some(p) => write_atomic(p, write)?,
            None => to_stdout(write)?,
        }
        qindex::timing::lap("format and write");
        Ok(Exit::Ok)
    }

    /// Prints an error found in a text outside the session (a file given to `fmt`).
    pub fn show(&self, e: Error, sources: &Sources) {
        let other = Cx {
            output: None,
            quiet: self.quiet,
            asked: None,
            sources: sources.clone(),
        };
        other.exit(Err(e));
    }

    /// The exit code of a command's outcome, after printing its error: the one place that
    /// maps errors to exit codes.
    pub fn exit(&self, outcome: Outcome) -> ExitCode {
        qindex::timing::phases_done();
        let code = match outcome {
            Ok(Exit::Ok) => 0,
            Ok(Exit::Differences) => 1,
            Ok(Exit::Unusable) => 2,
            Err(Error::Diagnostics(ds)) => {
                let quiet = Cx {
                    quiet: false,
                    output: None,
                    asked: None,
                    sources: self.sources.clone(),
                };
                quiet.diagnostics(&ds);
                1
            }
            Err(Error::Io { path, message }) => {
                eprintln!("error: {}: {message}", path.display());
                2
            }
            Err(Error::Usage(m)) => {
                eprintln!("error: {m}");
                2
            }
            Err(Error::Interrupted) => {
                eprintln!("\ninterrupted: nothing was written");
                130
            }
        };
        ExitCode::from(code)
    }
}

impl<'w> Warn<'w> {
    /// A warning about the whole run (no node, unit or period).
    pub fn plain(code: &'w str, message: &'w str) -> Warn<'w> {
        Warn {
            code,
            message,
            node: None,
            unit: None,
            period: None,
            count: 1,
            units: &[],
        }
    }
}

/// One warning, by reference, for [`Cx::warnings`].
pub struct Warn<'w> {
    pub code: &'w str,
    pub message: &'w str,
    pub node: Option<&'w str>,
    pub unit: Option<&'w str>,
    pub period: Option<&'w str>,
    pub count: usize,
    /// The units concerned, when there are several (`unit` names one).
    pub units: &'w [String],
}

/// The width to fit tables to: `COLUMNS`, else the terminal's, else none (a pipe). Nothing
/// written to a file (`-o`) is fitted: see [`Cx::width`].
fn width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(n);
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_width()
}

#[cfg(unix)]
fn terminal_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills the winsize struct given; standard output is a terminal.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        (libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0)
            .then_some(ws.ws_col as usize)
    }
}

#[cfg(not(unix))]
fn terminal_width() -> Option<usize> {
    None
}

fn color() -> Color {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if !no_color && std::io::stderr().is_terminal() {
        Color::Always
    } else {
        Color::Never
    }
}

/// "2 errors, 1 warning" after the diagnostics of a failed command.
pub fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if errors == 0 {
        return String::new();
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    if warnings > 0 {
        format!(
            "{}, {}\n",
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    } else {
        format!("{}\n", plural(errors, "error"))
    }
}

/// Writes to standard output; a closed pipe ends the output quietly, any other failure (a full
/// disk) is an error.
fn to_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Error> {
    let stdout = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 16, stdout.lock());
    match write(&mut w).and_then(|()| w.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("standard output", e))
        }
        _ => Ok(()),
    }
}

/// Writes an audit file asked for beside the result (`--replications`, `--evaluations`),
/// atomically.
pub fn audit_file(
    path: &Option<PathBuf>,
    export: impl FnOnce(&mut dyn FnMut(Record) -> Result<(), Error>) -> Result<(), Error>,
) -> Result<(), Error> {
    let Some(path) = path else {
        return Ok(());
    };
    let mut lines = String::new();
    export(&mut |r| {
        lines.push_str(&qindex::report::audit::record_line(&r));
        Ok(())
    })?;
    write_atomic(path, |w| w.write_all(lines.as_bytes()))
}

/// Set by the first Ctrl-C while a long analysis runs that checks it ([`cooperate`]).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Whether a running analysis checks [`INTERRUPTED`] and stops by itself.
static COOPERATING: AtomicBool = AtomicBool::new(false);
/// The temporary files being written, removed when a signal ends the process.
static TEMPORARY: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Handles Ctrl-C (SIGINT) and SIGTERM: while a long analysis checks [`interrupted`], the
/// first Ctrl-C asks it to stop (it writes nothing); otherwise, and on a second signal, the
/// process exits at once, after removing the temporary files of unfinished outputs.
pub fn handle_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return; // no signals on this platform: they kill as usual
    };
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if sig == SIGINT
                && COOPERATING.load(Ordering::SeqCst)
                && !INTERRUPTED.swap(true, Ordering::SeqCst)
            {
                continue;
            }
            let temporary = TEMPORARY.lock().unwrap_or_else(|e| e.into_inner());
            for t in temporary.iter() {
                let _ = std::fs::remove_file(t);
            }
            if sig == SIGINT {
                eprintln!("\ninterrupted: nothing was written");
            }
            std::process::exit(128 + sig);
        }
    });
}

/// Declares that the running analysis checks [`interrupted`]: the first Ctrl-C then asks it
/// to stop instead of ending the process.
pub fn cooperate() -> impl Fn() -> bool + Sync {
    COOPERATING.store(true, Ordering::SeqCst);
    || INTERRUPTED.load(Ordering::Relaxed)
}

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
    TEMPORARY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(tmp.clone());
    let result = written(path, &tmp, write);
    TEMPORARY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|t| *t != tmp);
    result
}

/// Writes `tmp` and renames it over `path`; `tmp` is removed when anything fails.
fn written(
    path: &Path,
    tmp: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let result = (|| -> std::io::Result<()> {
        let file = std::fs::File::create(tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write(&mut w)?;
        // No fsync: the rename is what keeps a failed run from leaving half a file, and forcing
        // hundreds of megabytes to disk would cost more than the whole evaluation.
        let _file = w.into_inner().map_err(|e| e.into_error())?;
        // A rewritten file keeps its permissions.
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(tmp, meta.permissions())?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => std::fs::rename(tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(tmp);
            Error::io(path, e)
        }),
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
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
