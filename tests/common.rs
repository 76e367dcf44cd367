//! Helpers shared by the integration tests.
#![allow(dead_code)]

use qindex::check::{self, Program};
use qindex::diagnostics::{render_all, Color};
use qindex::{Diagnostic, Error};
use std::path::{Path, PathBuf};

/// The crate root; tests run from here.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path relative to the crate root, so snapshots do not depend on the machine.
pub fn relative(path: &Path) -> PathBuf {
    path.strip_prefix(root()).unwrap_or(path).to_path_buf()
}

/// Loads and checks a file, returning the program (if it could be read) and all diagnostics.
pub fn check_file(path: &Path) -> (Option<Program>, Vec<Diagnostic>) {
    match check::load(&relative(path)) {
        Ok((program, mut diags)) => {
            let checked = check::check(&program);
            diags.extend(checked.diagnostics);
            (Some(program), diags)
        }
        Err(Error::Diagnostics(ds)) => (None, ds),
        Err(e) => panic!("cannot load {}: {e}", path.display()),
    }
}

/// Diagnostics rendered without colour, as the CLI prints them.
pub fn render(program: Option<&Program>, diags: &[Diagnostic]) -> String {
    let empty = qindex::Sources::new();
    let sources = program.map_or(&empty, |p| &p.sources);
    render_all(diags, sources, Color::Never)
}

/// The shared reference folder beside the checkout.
pub fn shared(rel: &str) -> PathBuf {
    root().join("..").join("shared").join(rel)
}

/// Runs the real `qindex` binary from the crate root, without colour.
pub fn qindex(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_qindex"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("run qindex")
}

/// What the analyses of the `uncertainty` block need: the base plan, the schemes it chooses
/// from, and the data loaded for all of them.
pub struct Loaded {
    pub program: Program,
    pub base: qindex::plan::Plan,
    pub schemes: Vec<qindex::plan::Plan>,
    pub frame: qindex::data::Frame,
}

impl Loaded {
    pub fn new(path: &Path) -> Loaded {
        let (program, diags) = check::load(path).expect("rules load");
        assert!(
            !diags.iter().any(|d| d.is_error()),
            "{}: {diags:?}",
            path.display()
        );
        let session = qindex::session::Session::load(path).expect("compiles");
        let (base, _, schemes) = session.uncertainty("needed").expect("an uncertainty block");
        let (base, schemes): (qindex::plan::Plan, Vec<qindex::plan::Plan>) =
            (base.clone(), schemes.into_iter().cloned().collect());
        let mut all: Vec<&qindex::plan::Plan> = vec![&base];
        all.extend(schemes.iter());
        let opts = qindex::eval::DataOptions::default();
        let data = qindex::eval::data_path(&base, &opts).expect("data path");
        let (frame, _) = qindex::eval::load_data_for(&all, &data, &opts).expect("data loads");
        Loaded {
            program,
            base,
            schemes,
            frame,
        }
    }

    /// The options of the latest period and its nominal results (the rows the kernel's
    /// outcomes are by).
    pub fn nominal(&self) -> (qindex::eval::EvalOptions, qindex::eval::Results<'_>) {
        let opts = qindex::eval::EvalOptions {
            period: qindex::eval::PeriodChoice::Latest,
            filter: None,
        };
        let nominal = qindex::eval::evaluate(&self.base, &self.frame, &opts).expect("nominal");
        (opts, nominal)
    }

    /// The compiler of configurations, for [`Loaded::plans`].
    pub fn variants(&self) -> check::Variants<'_> {
        check::Variants::new(&self.program).expect("checks")
    }

    pub fn plans<'a>(
        &'a self,
        variants: &'a check::Variants<'a>,
    ) -> qindex::sensitivity::kernel::Plans<'a> {
        qindex::sensitivity::kernel::Plans {
            base: &self.base,
            schemes: self.schemes.iter().collect(),
            variants,
        }
    }
}

/// Compiles rules given as text (named `name` in messages; no errors allowed), loads their
/// data (`data`, or the rules' own `data` line) and evaluates the default scheme; `f` reads
/// what it needs from the plan, the frame and the results.
pub fn evaluate_text<T>(
    name: &str,
    rules: String,
    data: Option<PathBuf>,
    f: impl FnOnce(&qindex::plan::Plan, &qindex::data::Frame, &qindex::eval::Results) -> T,
) -> T {
    use qindex::eval::{self, DataOptions, EvalOptions};
    let (program, diags) = check::load_text(Path::new(name), rules).unwrap();
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    let (plan, _) = check::compile(&program, "default").unwrap();
    let opts = DataOptions {
        path: data,
        ..Default::default()
    };
    let (frame, _) =
        eval::load_data(&plan, &eval::data_path(&plan, &opts).unwrap(), &opts).unwrap();
    let results = eval::evaluate(&plan, &frame, &EvalOptions::default()).unwrap();
    f(&plan, &frame, &results)
}
