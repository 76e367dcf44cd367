//! Input hygiene through the real binary: guessed encodings, thousands separators, and text
//! from rules and data that must not act on a terminal.

mod common;

use common::qindex;
use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh directory of its own for one test.
fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qindex-hygiene-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a test file");
    path.display().to_string()
}

/// The reproduction of issue #20: a Latin-1 file is read as Latin-1, not as GB18030, with a
/// warning that names the guess and the option; given, the encoding is not warned about.
#[test]
fn a_latin1_file_is_read_as_latin1_by_the_binary() {
    let dir = fresh("latin");
    write(&dir, "latin.csv", b"city,x\nZ\xfcrich,1\nBern,2\n");
    let rules = write(
        &dir,
        "t.qi",
        b"index t by city {\n    data \"latin.csv\"\n    indicator x\n}\n",
    );
    let o = qindex(&["run", &rules]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("Zürich"), "{}", stdout(&o));
    assert!(!stdout(&o).contains('黵'), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning: ")
            && err.contains("latin.csv is not UTF-8 and was read as windows-1252, a guess")
            && err.contains("`Zürich,1`")
            && err.contains("--encoding latin1")
            && err.contains("--encoding gbk"),
        "{err}"
    );
    for name in ["latin1", "iso-8859-1", "windows-1252"] {
        let o = qindex(&["run", &rules, "--encoding", name]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).contains("Zürich"), "{name}: {}", stdout(&o));
        assert!(!stderr(&o).contains("a guess"), "{name}: {}", stderr(&o));
    }
    let o = qindex(&["run", &rules, "--encoding", "gbk"]);
    assert!(stdout(&o).contains("Z黵ich"), "{}", stdout(&o));
}

/// Thousands separators: a column of grouped numbers is read with a note; one mixing them
/// with another use of the comma is an error naming file, row and column.
#[test]
fn thousands_separators_are_noted_and_misgrouping_is_an_error() {
    let dir = fresh("thousands");
    write(&dir, "d.csv", b"city,x\nA,\"1,234\"\nB,\"12,345\"\nC,7\n");
    let rules = write(
        &dir,
        "t.qi",
        b"index t by city {\n    data \"d.csv\"\n    indicator x\n}\n",
    );
    let o = qindex(&["run", &rules, "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(
        err.matches("read with thousands separators").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("column `x` of ") && err.contains("first in row 2: `1,234` read as 1234"),
        "{err}"
    );
    write(&dir, "d.csv", b"city,x\nA,\"1,234\"\nB,\"1,23\"\nC,7\n");
    let o = qindex(&["run", &rules, "--lenient"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("error: ")
            && err.contains("d.csv:3:2")
            && err.contains("`1,23` in column `x`, row 3, does not group digits in threes"),
        "{err}"
    );
    // Percentages follow the same rule: grouped ones are noted, a misgrouped one beside them
    // is the same error.
    for (second, code, expected) in [
        (
            "2,000%",
            0,
            "2 cell(s), first in row 2: `1,234%` read as 1234%",
        ),
        (
            "1,23%",
            1,
            "`1,23%` in column `x`, row 3, does not group digits in threes",
        ),
    ] {
        let data = format!("city,x\nA,\"1,234%\"\nB,\"{second}\"\nC,5%\n");
        write(&dir, "d.csv", data.as_bytes());
        let o = qindex(&["run", &rules, "--format", "csv"]);
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{}", stderr(&o));
    }
}

/// `qindex explain` shows code without its comments, on one line, and with bidirectional and
/// control characters written visibly; `qindex run`'s table and its veto lines never pass a
/// data label's control characters to the terminal.
#[test]
fn explain_and_tables_never_pass_invisible_characters_to_the_terminal() {
    let dir = fresh("invisible");
    write(
        &dir,
        "d.csv",
        "city,name,a,b\u{202E}c\nA,\u{1b}[2J\u{7}Alpha\r,1,2\nB,Beta\u{2066},3,4\n".as_bytes(),
    );
    let rules = write(
        &dir,
        "t.qi",
        "index t by city label name {\n    data \"d.csv\"\n    indicator x = a  # a comment \
         \u{202E} that reverses\n        + `b\u{202E}c`\n    indicator y = a\n    adjust {\n        \
         veto a > 2  # \u{1b}[31m\n    }\n}\n"
            .as_bytes(),
    );
    let raw = |s: &str| {
        s.chars()
            .any(|c| (c.is_control() && c != '\n') || ('\u{202A}'..='\u{202E}').contains(&c))
            || s.contains('\u{2066}')
    };
    let o = qindex(&["explain", &rules]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("= a + `b\\u{202E}c`"), "{out}");
    assert!(!out.contains("comment") && !raw(&out), "{out}");
    for format in ["markdown", "csv"] {
        let o = qindex(&["explain", &rules, "--format", format]);
        let out = stdout(&o);
        assert!(out.contains("a + `b\\u{202E}c`"), "{format}: {out}");
        assert!(!out.contains("comment"), "{format}: {out}");
    }
    let o = qindex(&["run", &rules, "--format", "table"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Alpha") && out.contains("Beta"), "{out}");
    assert!(out.contains("vetoed: B Beta"), "{out}");
    assert!(!raw(&out), "{out:?}");
}
