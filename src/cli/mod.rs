//! The command line: flags parsed and validated, settings loaded, the library called,
//! the outcome mapped to an exit code (0 done, 1 failed, 2 bad input, 130 interrupted).

mod crawl;
mod export;
mod out;
mod papers;
mod report;
mod service;
mod signal;
mod summarize;
pub mod ui;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::settings::{Overrides, Settings, Sources};
use crate::stage::Stage;
use crate::store::Direction;

/// Turn a research paper into a living Obsidian vault of its citation neighbourhood.
#[derive(Debug, Parser)]
#[command(name = "refnet", version, about, max_term_width = 100)]
pub struct Cli {
    /// Settings file [default: ./refnet.toml when present] [env: REFNET_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The Obsidian vault to write into [default: ./vault] [env: REFNET_VAULT]
    #[arg(long, global = true, value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// More log output (-v, -vv)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour of log lines and the progress line (auto: on a terminal, unless NO_COLOR is set)
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ui::ColorChoice::Auto)]
    pub color: ui::ColorChoice,
    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Crawl a paper's neighbourhood and write it into the vault
    Crawl(CrawlArgs),
    /// Re-render notes from the store, without touching the API
    Render {
        /// Only this crawl [default: every crawl]
        #[arg(long, value_name = "ID")]
        crawl: Option<i64>,
    },
    /// List the crawls in the store
    Crawls {
        /// Print one JSON object, `{"crawls": […]}` (the shape of `GET /api/crawls`)
        #[arg(long)]
        json: bool,
    },
    /// Summarize papers again (new ones, or all with --force), then re-render their notes
    Summarize {
        /// Only the papers of this crawl [default: every crawl]
        #[arg(long, value_name = "ID", conflicts_with = "paper")]
        crawl: Option<i64>,
        /// Only this paper (an S2 id, DOI:, ARXIV:, …, already in the store)
        #[arg(long, value_name = "ID")]
        paper: Option<String>,
        /// Summarize even what the cache already holds, and retry PDFs that failed
        #[arg(long)]
        force: bool,
    },
    /// Print the text refnet extracts from a PDF (exit 0), or why it was rejected (exit 1)
    PdfText {
        /// The PDF file
        file: PathBuf,
        /// Print one JSON line (what the summarize stage reads)
        #[arg(long)]
        json: bool,
        /// Address-space limit of the extraction, in MiB
        #[arg(long, value_name = "MIB", default_value_t = 2048)]
        max_memory_mb: u64,
    },
    /// Write a crawl's papers and citations as a graph file for Gephi, Cytoscape or networkx
    Export {
        /// The crawl (see `refnet crawls`)
        #[arg(long, value_name = "ID")]
        crawl: i64,
        /// graphml, gexf, csv (PATH and PATH.edges.csv) or json (networkx node-link)
        #[arg(long, value_name = "FORMAT")]
        format: String,
        /// The file to write (replaced whole, or left as it was on failure)
        #[arg(long, value_name = "PATH")]
        output: PathBuf,
    },
    /// Create or update the database schema, then exit
    Migrate,
    /// Run stage workers until stopped (Ctrl-C or SIGTERM)
    Worker(WorkerArgs),
    /// Serve the HTTP API, dashboard and metrics; run the refresh schedule and every stage's workers
    Serve(ServeArgs),
    /// Refresh crawls now: fetch their papers again, add what is new, write a what's-new note
    Refresh {
        /// Only this crawl [default: every crawl]
        #[arg(long, value_name = "ID")]
        crawl: Option<i64>,
        /// Only queue the refresh for running workers (`refnet serve`, `refnet worker`)
        #[arg(long)]
        enqueue: bool,
    },
    /// Dead jobs: list them, run them again, prune old jobs
    Jobs {
        /// Print one JSON object instead of lines
        #[arg(long, global = true)]
        json: bool,
        /// What to do
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Papers taken for one work (a preprint and its published version): list, undo
    Papers {
        /// What to do
        #[command(subcommand)]
        action: PapersAction,
    },
    /// Print a shell completion script: `refnet completions bash > …` (see the README)
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Exit 0 when the database answers with a current schema (and the workers or URL
    /// given are alive): for container healthchecks
    Check {
        /// Also require a recent heartbeat from a worker of this stage
        #[arg(long = "stage", value_name = "STAGE")]
        stages: Vec<Stage>,
        /// Also require this URL to answer 2xx (e.g. http://127.0.0.1:8080/healthz)
        #[arg(long, value_name = "URL")]
        http: Option<String>,
    },
}

/// `refnet papers …`.
#[derive(Debug, Subcommand)]
pub enum PapersAction {
    /// List merged papers: each merged id, the paper whose note shows it, and why
    Merges {
        /// Print one JSON object, `{"merges": […]}`
        #[arg(long)]
        json: bool,
    },
    /// Undo the merges a paper takes part in (it gets its own note again, for good)
    Unmerge {
        /// The paper (an S2 id, DOI:, ARXIV:, … as in `refnet papers merges`)
        id: String,
    },
}

/// `refnet worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// A stage to work on: crawl, summarize or render (repeat for several)
    #[arg(long = "stage", value_name = "STAGE", required = true)]
    pub stages: Vec<Stage>,
    /// Jobs at once per stage [default: queue.concurrency of the settings]
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Serve /metrics and /healthz of this worker on this address
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics_bind: Option<std::net::SocketAddr>,
}

/// `refnet serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080] [env: REFNET_BIND]
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: Option<std::net::SocketAddr>,
    /// HTTP and the schedule only: the stages run in `refnet worker` processes
    #[arg(long)]
    pub no_workers: bool,
}

/// `refnet jobs`.
#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// List dead jobs (out of attempts, or failed for good), newest first
    Dead {
        /// How many
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put dead jobs back in their queue with fresh attempts
    Retry {
        /// The job's id (from `refnet jobs dead`)
        id: Option<String>,
        /// Every dead job
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// Pause a queue (crawl, summarize or render): workers stop claiming its jobs, which wait
    Pause {
        /// The queue
        queue: Stage,
    },
    /// Resume a paused queue
    Resume {
        /// The queue
        queue: Stage,
    },
    /// Delete finished and dead jobs (and departed workers) older than the retention
    Prune {
        /// Older than this many days [default: queue.retention_days of the settings]
        #[arg(long, value_name = "DAYS")]
        older_than_days: Option<u64>,
    },
}

/// `refnet crawl`.
#[derive(Debug, Args)]
pub struct CrawlArgs {
    /// The seed papers (levels count from the nearest): a DOI or doi.org link, an arXiv id
    /// or link (1706.03762), a Semantic Scholar, PubMed or PMC link, CorpusId:…, PMID:…, a
    /// 40-hex S2 id, …
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Take seeds from your library: a BibTeX, CSL-JSON or RIS file (Zotero, Better BibTeX)
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Levels beyond the seed (0–10)
    #[arg(long, default_value_t = 1)]
    pub depth: u32,
    /// Which way to grow from each paper
    #[arg(long, value_enum, default_value_t = DirectionArg::References)]
    pub direction: DirectionArg,
    /// Most papers in the crawl; the lowest-priority papers of the last level are left out
    #[arg(long, value_name = "N")]
    pub max_papers: Option<u32>,
    /// Skip summaries
    #[arg(long)]
    pub no_summarize: bool,
    /// Keep PDFs in the vault (refnet/attachments) and link them from the notes
    #[arg(long)]
    pub save_pdfs: bool,
    /// Print the end summary as one JSON object
    #[arg(long)]
    pub json: bool,
}

/// `--direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    /// What each paper cites
    References,
    /// What cites each paper
    Citations,
    /// Both
    Both,
}

impl From<DirectionArg> for Direction {
    fn from(d: DirectionArg) -> Self {
        match d {
            DirectionArg::References => Direction::References,
            DirectionArg::Citations => Direction::Citations,
            DirectionArg::Both => Direction::Both,
        }
    }
}

/// Bad input: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Stopped by Ctrl-C or SIGTERM: exit code 130.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Interrupted(pub String);

/// `refnet pdf-text`: runs before any runtime or thread starts, since its memory limit
/// counts the address space every thread reserves. Returns the exit code, or `None` for
/// every other command.
pub fn run_pdf_text(cli: &Cli) -> Option<ExitCode> {
    let Command::PdfText {
        file,
        json,
        max_memory_mb,
    } = &cli.command
    else {
        return None;
    };
    let code = crate::summarize::pdf::run_child_main(file, max_memory_mb.saturating_mul(1024 * 1024), *json);
    Some(ExitCode::from(code.clamp(0, 255) as u8))
}

/// Runs a parsed command line and returns the process's exit code.
pub async fn run(cli: Cli, progress: ui::Progress) -> ExitCode {
    match dispatch(cli, progress.clone()).await {
        Ok(()) => ExitCode::SUCCESS,
        // Whoever read stdout has all they wanted (`… | head`).
        Err(e) if e.downcast_ref::<out::PipeClosed>().is_some() => ExitCode::SUCCESS,
        Err(e) => {
            progress.finish();
            ui::error_line(&format!("refnet: {}", one_line(&e)));
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else if e.downcast_ref::<Interrupted>().is_some() {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// `refnet completions SHELL`: the completion script on stdout.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "refnet",
        &mut script,
    );
    out::line(String::from_utf8_lossy(&script).trim_end())
}

/// An error and its causes on one line.
fn one_line(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn dispatch(cli: Cli, progress: ui::Progress) -> anyhow::Result<()> {
    // Completions need no settings: they work before any refnet.toml exists.
    if let Command::Completions { shell } = &cli.command {
        return completions(*shell);
    }
    let flags = Overrides {
        vault: cli.vault.clone(),
        save_pdfs: matches!(&cli.command, Command::Crawl(args) if args.save_pdfs),
        bind: match &cli.command {
            Command::Serve(args) => args.bind,
            _ => None,
        },
    };
    let mut settings =
        Settings::load(&Sources::from_process(cli.config.clone(), flags)).map_err(|e| UsageError(e.0))?;
    // PDFs are read by this very binary in a child process (`refnet pdf-text --json`).
    if settings.pdf.extractor.is_none() {
        settings.pdf.extractor = std::env::current_exe().ok();
    }
    match cli.command {
        Command::Crawl(args) => crawl::run(settings, args, progress).await,
        Command::Render { crawl } => crawl::render(settings, crawl).await,
        Command::Crawls { json } => crawl::list(settings, json).await,
        Command::Summarize { crawl, paper, force } => summarize::run(settings, crawl, paper, force).await,
        Command::PdfText { .. } => Err(UsageError("pdf-text runs before the runtime starts".to_owned()).into()),
        Command::Worker(args) => service::worker(settings, args).await,
        Command::Serve(args) => service::serve(settings, args).await,
        Command::Refresh { crawl, enqueue } => service::refresh(settings, crawl, enqueue, progress).await,
        Command::Jobs { json, action } => service::jobs(settings, action, json).await,
        Command::Completions { .. } => Err(UsageError("completions run before the settings load".to_owned()).into()),
        Command::Papers { action } => papers::run(settings, action).await,
        Command::Check { stages, http } => service::check(settings, stages, http).await,
        Command::Export { crawl, format, output } => export::run(settings, crawl, &format, output).await,
        Command::Migrate => {
            let store = crawl::open_store(&settings).await?;
            store.close().await;
            out::line("database schema is up to date")?;
            Ok(())
        }
    }
}
