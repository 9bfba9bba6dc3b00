//! Extraction in a child process: a PDF that makes the parsers loop, allocate without bound or
//! crash takes down only the child. The parent ([`extract_isolated`]) starts `refnet pdf-text
//! --json` under a time limit; the child ([`run_child_main`]) limits its own address space,
//! extracts, and prints one JSON line, `{"ok": Extracted}` or `{"rejected": Rejection}`.

use std::io::Write;
use std::path::Path;
use std::process::{ExitStatus, Stdio};

use serde::{Deserialize, Serialize};

use super::{Extracted, Limits, Rejection, extract_blocking, short_detail};

/// One line of child output, the protocol between [`run_child_main`] and [`extract_isolated`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ChildReport {
    Ok(Extracted),
    Rejected(Rejection),
}

/// Extracts the PDF at `path` in a child process, `exe pdf-text --json --max-memory-mb N path`,
/// where `exe` is the project's own binary (its `pdf-text` subcommand calls [`run_child_main`]).
///
/// The child is killed when `limits.timeout` elapses ([`Rejection::Timeout`]) or when this future
/// is dropped. A child that dies by a signal (e.g. out of memory), cannot be started, or prints
/// no parseable report yields [`Rejection::Crashed`].
pub async fn extract_isolated(exe: &Path, path: &Path, limits: &Limits) -> Result<Extracted, Rejection> {
    let child = tokio::process::Command::new(exe)
        .arg("pdf-text")
        .arg("--json")
        .arg("--max-memory-mb")
        .arg(limits.max_memory_bytes.div_ceil(1 << 20).to_string())
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| Rejection::Crashed(short_detail(&format!("cannot start extractor: {error}"))))?;
    // On timeout the child is dropped along with the future, and kill_on_drop kills it.
    let output = tokio::time::timeout(limits.timeout, child.wait_with_output())
        .await
        .map_err(|_| Rejection::Timeout)?
        .map_err(|error| Rejection::Crashed(short_detail(&format!("waiting for extractor: {error}"))))?;
    if let Some(signal) = killing_signal(output.status) {
        return Err(Rejection::Crashed(format!("killed by signal {signal}")));
    }
    match parse_report(&output.stdout) {
        Some(ChildReport::Ok(extracted)) => Ok(extracted),
        Some(ChildReport::Rejected(rejection)) => Err(rejection),
        None => Err(Rejection::Crashed(no_report_reason(output.status, &output.stderr))),
    }
}

#[cfg(unix)]
fn killing_signal(status: ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(&status)
}

#[cfg(not(unix))]
fn killing_signal(_status: ExitStatus) -> Option<i32> {
    None
}

/// The report is the last non-empty line, in case a library prints to stdout before it.
fn parse_report(stdout: &[u8]) -> Option<ChildReport> {
    let stdout = String::from_utf8_lossy(stdout);
    let line = stdout.lines().rev().find(|line| !line.trim().is_empty())?;
    serde_json::from_str(line).ok()
}

/// Exit status plus the last line of stderr, where a panic or abort message ends up.
fn no_report_reason(status: ExitStatus, stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    match stderr.lines().rev().find(|line| !line.trim().is_empty()) {
        Some(last) => short_detail(&format!("no report, {status}: {last}")),
        None => format!("no report, {status}"),
    }
}

/// Body of the child process started by [`extract_isolated`] (`refnet pdf-text`).
///
/// Limits its own address space to `max_memory_bytes` (`RLIMIT_AS`; 0 = no limit; failure to set
/// it is ignored), reads the file at `path` and runs [`extract_blocking`]. With `json`, prints
/// one line, `{"ok": Extracted}` or `{"rejected": Rejection}`, to stdout; without, prints the
/// text to stdout, or `rejected: <reason>` to stderr. A file that cannot be read is reported as
/// [`Rejection::Damaged`]. Returns the process exit code: 0 when text was extracted, 1 when it
/// was rejected.
///
/// Call it before starting threads or an async runtime: `RLIMIT_AS` counts reserved address
/// space, which every thread stack and malloc arena inflates.
pub fn run_child_main(path: &Path, max_memory_bytes: u64, json: bool) -> i32 {
    limit_address_space(max_memory_bytes);
    let result = std::fs::read(path)
        .map_err(|error| Rejection::Damaged(short_detail(&format!("cannot read file: {error}"))))
        .and_then(|bytes| extract_blocking(&bytes));
    let code = i32::from(result.is_err());
    // Write errors (a parent that went away) leave nothing to report to.
    let _ = if json {
        print_report(result)
    } else {
        print_plain(result)
    };
    code
}

fn print_report(result: Result<Extracted, Rejection>) -> std::io::Result<()> {
    let report = match result {
        Ok(extracted) => ChildReport::Ok(extracted),
        Err(rejection) => ChildReport::Rejected(rejection),
    };
    let line = serde_json::to_string(&report).map_err(std::io::Error::other)?;
    writeln!(std::io::stdout().lock(), "{line}")
}

fn print_plain(result: Result<Extracted, Rejection>) -> std::io::Result<()> {
    match result {
        Ok(extracted) => writeln!(std::io::stdout().lock(), "{}", extracted.text),
        Err(rejection) => writeln!(std::io::stderr().lock(), "rejected: {rejection}"),
    }
}

#[cfg(unix)]
#[expect(unsafe_code, reason = "setrlimit has no safe wrapper in std or libc")]
fn limit_address_space(max_bytes: u64) {
    if max_bytes == 0 {
        return;
    }
    let bytes = libc::rlim_t::try_from(max_bytes).unwrap_or(libc::RLIM_INFINITY);
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: setrlimit only reads the struct we pass; failure (e.g. a lower hard limit already
    // in place) leaves the current limits, which is acceptable.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &raw const limit);
    }
}

#[cfg(not(unix))]
fn limit_address_space(_max_bytes: u64) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn child_report_is_one_tagged_json_line() {
        let report = ChildReport::Rejected(Rejection::ImageOnly { pages: 2 });
        let line = serde_json::to_string(&report).expect("serialize");
        assert_eq!(line, r#"{"rejected":{"ImageOnly":{"pages":2}}}"#);
        let stdout = format!("library noise\n{line}\n\n");
        assert!(matches!(
            parse_report(stdout.as_bytes()),
            Some(ChildReport::Rejected(Rejection::ImageOnly { pages: 2 }))
        ));
        assert!(parse_report(b"{\"ok\": 3}\n").is_none());
        assert!(parse_report(b"").is_none());
    }

    /// An executable shell script standing in for a misbehaving extractor.
    #[cfg(unix)]
    fn fake_extractor(script: &str) -> tempfile::TempPath {
        use std::os::unix::fs::PermissionsExt;
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        write!(file, "#!/bin/sh\n{script}\n").expect("write script");
        let path = file.into_temp_path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    #[cfg(unix)]
    async fn run_fake_extractor(script: &str) -> Result<Extracted, Rejection> {
        let exe = fake_extractor(script);
        let limits = Limits {
            timeout: Duration::from_secs(20),
            max_memory_bytes: 0,
        };
        extract_isolated(&exe, Path::new("paper.pdf"), &limits).await
    }

    /// One test rather than three: a script written while another test thread forks can be
    /// inherited open for writing, and exec then fails with "text file busy".
    #[cfg(unix)]
    #[tokio::test]
    async fn misbehaving_children_are_reported() {
        let killed = run_fake_extractor("kill -9 $$").await;
        assert_eq!(killed, Err(Rejection::Crashed("killed by signal 9".into())));

        let silent = run_fake_extractor("echo 'thread main panicked at oops' >&2; exit 101").await;
        match silent {
            Err(Rejection::Crashed(reason)) => {
                assert!(reason.contains("panicked at oops"), "{reason}");
            }
            other => panic!("expected Crashed, got {other:?}"),
        }

        let rejected = run_fake_extractor(r#"echo '{"rejected":"Encrypted"}'; exit 1"#).await;
        assert_eq!(rejected, Err(Rejection::Encrypted));
    }
}
