//! The `qindex` command line: parses arguments, calls the library, renders diagnostics and
//! maps errors to exit codes. The library never prints.

use clap::{Parser, Subcommand, ValueEnum};
use qindex::diagnostics::{render_all, Color};
use qindex::report::{self as explain, TableFormat};
use qindex::{Diagnostic, Error, Sources};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXIT_CODES: &str = "Exit codes:
  0  success (warnings allowed)
  1  errors in the rules or the data, or a --check that found differences
  2  usage, input/output or internal errors";

/// qindex: write an indicator system as rules, compile it into an evaluation plan, and check
/// and explain it.
#[derive(Parser)]
#[command(name = "qindex", version, about, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check rules files: syntax, names, settings, weights, schemes and uncertainty.
    #[command(after_help = EXIT_CODES)]
    Check {
        /// Rules files (`*.qi`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Explain a rules file: the hierarchy with weights and methods, or the methods table.
    #[command(after_help = EXIT_CODES)]
    Explain {
        /// The rules file.
        file: PathBuf,
        /// The scheme to explain (`default` is the base index).
        #[arg(long, default_value = "default")]
        scheme: String,
        /// text: the tree; json: the compiled plan; markdown or csv: the methods table.
        #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
        format: ExplainFormat,
    },
    /// Format rules files in the one canonical layout, keeping every comment.
    #[command(after_help = EXIT_CODES)]
    Fmt {
        /// Rules files (`*.qi`); `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Rewrite the files in place instead of printing them.
        #[arg(long, conflicts_with = "check")]
        write: bool,
        /// Print nothing but the names of files that are not formatted; exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
    Markdown,
    Csv,
}

fn color() -> Color {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if !no_color && std::io::stderr().is_terminal() {
        Color::Always
    } else {
        Color::Never
    }
}

/// Prints diagnostics to standard error.
fn report(diags: &[Diagnostic], sources: &Sources) {
    if diags.is_empty() {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{}", render_all(diags, sources, color()));
    let _ = writeln!(err);
}

/// Maps an error to its exit code after printing it.
fn fail(e: Error, sources: Option<&Sources>) -> ExitCode {
    match e {
        Error::Diagnostics(ds) => {
            let empty = Sources::new();
            report(&ds, sources.unwrap_or(&empty));
            summary(&ds);
            ExitCode::from(1)
        }
        Error::Io { path, message } => {
            eprintln!("error: {}: {message}", path.display());
            ExitCode::from(2)
        }
        Error::Usage(m) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
    }
}

fn summary(diags: &[Diagnostic]) {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if errors > 0 {
        eprintln!(
            "{errors} error{}{}",
            if errors == 1 { "" } else { "s" },
            if warnings > 0 {
                format!(
                    ", {warnings} warning{}",
                    if warnings == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        );
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(code) => code,
        Err(_) => {
            eprintln!(
                "error: internal error in qindex (a bug): please report it with the rules file"
            );
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check { files } => check(&files),
        Command::Explain {
            file,
            scheme,
            format,
        } => explain_cmd(&file, &scheme, format),
        Command::Fmt {
            files,
            write,
            check,
        } => fmt_cmd(&files, write, check),
    }
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut worst = 0u8;
    for path in files {
        let (program, mut diags) = match qindex::check::load(path) {
            Ok(x) => x,
            Err(e) => {
                worst = worst.max(match fail(e, None) {
                    c if c == ExitCode::from(1) => 1,
                    _ => 2,
                });
                continue;
            }
        };
        let checked = qindex::check::check(&program);
        diags.extend(checked.diagnostics.iter().cloned());
        report(&diags, &program.sources);
        let errors = diags.iter().filter(|d| d.is_error()).count();
        if errors > 0 {
            summary(&diags);
            worst = worst.max(1);
            continue;
        }
        let warnings = diags.len();
        if let Some(plan) = checked.plan("default") {
            let groups = plan
                .nodes
                .iter()
                .filter(|n| n.kind == qindex::plan::NodeKind::Group)
                .count();
            let indicators = plan.indicators().count();
            println!(
                "{}: ok — index `{}`: {groups} groups, {indicators} indicators{}{}",
                path.display(),
                plan.index.id,
                if checked.schemes.is_empty() {
                    String::new()
                } else {
                    format!("; schemes: {}", checked.schemes.join(", "))
                },
                if warnings > 0 {
                    format!(
                        "; {warnings} warning{}",
                        if warnings == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    ExitCode::from(worst)
}

fn explain_cmd(path: &Path, scheme: &str, format: ExplainFormat) -> ExitCode {
    let (program, diags) = match qindex::check::load(path) {
        Ok(x) => x,
        Err(e) => return fail(e, None),
    };
    if diags.iter().any(Diagnostic::is_error) {
        let mut all = diags;
        all.extend(qindex::check::check(&program).diagnostics);
        return fail(Error::Diagnostics(all), Some(&program.sources));
    }
    let (plan, warnings) = match qindex::check::compile(&program, scheme) {
        Ok(x) => x,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    report(&warnings, &program.sources);
    let out = match format {
        ExplainFormat::Text => explain::explain_text(&plan),
        ExplainFormat::Json => explain::explain_json(&plan),
        ExplainFormat::Markdown => explain::methods_table(&plan, TableFormat::Markdown),
        ExplainFormat::Csv => explain::methods_table(&plan, TableFormat::Csv),
    };
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(out.as_bytes()).is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// `qindex fmt`: prints, rewrites (`--write`, through a temporary file renamed over the
/// original) or checks (`--check`) each file; a file with a syntax error is left alone.
fn fmt_cmd(files: &[PathBuf], write: bool, check: bool) -> ExitCode {
    let mut worst = 0u8;
    for path in files {
        let stdin = path.as_os_str() == "-";
        let text = if stdin {
            let mut t = String::new();
            match std::io::Read::read_to_string(&mut std::io::stdin(), &mut t) {
                Ok(_) => t,
                Err(e) => {
                    eprintln!("error: standard input: {e}");
                    worst = 2;
                    continue;
                }
            }
        } else {
            match qindex::check::load::read_rules(path) {
                Ok(t) => t,
                Err(e) => {
                    worst = worst.max(match fail(e, None) {
                        c if c == ExitCode::from(1) => 1,
                        _ => 2,
                    });
                    continue;
                }
            }
        };
        let formatted = match qindex::syntax::fmt::format_source(&text) {
            Ok(f) => f,
            Err(d) => {
                let mut sources = Sources::new();
                sources.add(if stdin { Path::new("<stdin>") } else { path }, text);
                fail(Error::Diagnostics(vec![*d]), Some(&sources));
                worst = worst.max(1);
                continue;
            }
        };
        if check {
            if formatted != text {
                println!("{}", path.display());
                worst = worst.max(1);
            }
        } else if write && !stdin {
            if formatted != text {
                if let Err(e) = replace_file(path, &formatted) {
                    eprintln!("error: {}: {e}", path.display());
                    worst = 2;
                }
            }
        } else if std::io::stdout()
            .lock()
            .write_all(formatted.as_bytes())
            .is_err()
        {
            return ExitCode::from(2);
        }
    }
    ExitCode::from(worst)
}

/// Writes a temporary file beside `path`, then renames it over `path`, so that a crash never
/// leaves a half-written rules file.
fn replace_file(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.fmt-{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, text).and_then(|()| {
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
