//! `adgen`: the whole API in one process on the embedded adapters (`adgen serve`), operator
//! commands (`adgen keys create`), and the client commands that speak the HTTP contract to
//! `adgen serve` or a deployed API (`adgen generate`, `jobs`, `brands`, `webhooks`: `client/`).

mod client;
mod files;
mod server;
mod worker;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use adgen::auth::mint_key;
use adgen::config::{GeneratorConfig, process_env};
use adgen::http::Api;
use adgen::http::cors::Cors;
use adgen::ports::{ApiKeyStore, Clock, SystemClock};
use adgen::service::auth::AuthSettings;
use adgen::service::brands::{BrandsService, BrandsSettings};
use adgen::service::deliver::Deliverer;
use adgen::service::generate::{Worker, WorkerSettings};
use adgen::service::jobs::JobsService;
use adgen::service::submit::{SubmitService, SubmitSettings};
use adgen::service::sweep::{SweepSettings, Sweeper};
use adgen::service::webhooks::{WebhooksService, WebhooksSettings};
use adgen_embedded::Embedded;
use adgen_render::{Codec, TemplateGenerator};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use client::api::{DEFAULT_ENDPOINT, Session};
use client::resources::{BrandsCommand, WebhooksCommand};
use uuid::Uuid;

/// A local job may run this long before another worker may take it over.
const LOCAL_LEASE_SECONDS: i64 = 300;
/// Deliveries before a transient failure fails the job (as the SQS redrive count on AWS).
const LOCAL_MAX_RECEIVES: u32 = adgen::config::DEFAULT_MAX_RECEIVES;

const EXIT_CODES: &str = "\
Client commands (generate, jobs, brands, webhooks) read the API key from ADGEN_API_KEY and exit with:
  0  success
  1  a local file could not be read or written
  2  usage: bad flags, or ADGEN_API_KEY / ADGEN_ENDPOINT missing or malformed
  3  the API refused the request (4xx); the line printed names the code, param and request id
  4  the API failed (5xx), could not be reached, or answered outside its contract
  5  the job ended failed (its failure_code is printed)
  6  --wait gave up: the job was still running when --timeout passed";

#[derive(Parser)]
#[command(
    name = "adgen",
    version,
    about = "adgen: asynchronous ad-image generation API",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Every command: the operator's run this process's own adapters, the client's speak HTTP.
#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Operator(OperatorCommand),
    #[command(flatten)]
    Client(ClientCommand),
}

/// Commands that run on this machine's own adapters (`serve`) or a deployment's store (`keys`).
#[derive(Subcommand)]
enum OperatorCommand {
    /// Serve the whole HTTP API locally on the embedded adapters (SQLite + a data folder).
    Serve {
        /// Port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Folder for the database and stored images (created when missing).
        #[arg(long, default_value = "./.adgen")]
        data_dir: PathBuf,
        /// Base URL clients reach this server at, used in returned image URLs (default: the
        /// listening address, with 127.0.0.1 for an unspecified host such as 0.0.0.0).
        #[arg(long)]
        public_url: Option<String>,
        /// Largest request body accepted, in bytes (API Gateway + Lambda allow 6 MB).
        #[arg(long, default_value_t = SubmitSettings::default().max_body_bytes)]
        max_body_bytes: usize,
        /// Let reference images, brand extraction and webhooks use http:// or https:// URLs
        /// whose host is 127.0.0.1, localhost or [::1] (local development only; private and
        /// link-local addresses stay refused).
        #[arg(long)]
        allow_loopback_urls: bool,
        /// Requests per API key in any 60 s (spec §9); over it, 429 with Retry-After.
        /// Unset: no limit.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(adgen::ratelimit::MAX_LIMIT_PER_MINUTE)))]
        rate_limit_per_minute: Option<u32>,
        /// A browser origin allowed to call the API (CORS), such as https://app.example.com,
        /// or `*` for any; repeat for more. Unset: no CORS headers, preflights refused.
        #[arg(long = "cors-allow-origin", value_name = "ORIGIN")]
        cors_allow_origins: Vec<String>,
        /// `json`: one JSON object per log line on stderr, with the request's and job's fields
        /// (request_id, route, org_id, job_id, phase, status, duration_ms) and the metric
        /// events, as the Lambda functions log.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

/// Commands that speak the HTTP contract to `adgen serve` or a deployed API.
#[derive(Subcommand)]
enum ClientCommand {
    /// Submit an ad generation job; prints its id, and with --wait follows it to the end.
    Generate(Box<GenerateArgs>),
    /// Read jobs.
    Jobs {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Manage brands.
    Brands {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: BrandsCommand,
    },
    /// Manage webhook endpoints and their deliveries.
    Webhooks {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: WebhooksCommand,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Where the client commands send their requests (the key comes from ADGEN_API_KEY only, so
/// it never shows in a process list or a shell history).
#[derive(Args)]
struct ClientArgs {
    /// The API's base URL: `adgen serve`'s address, or a deployed stack's ApiUrl output.
    #[arg(long, env = "ADGEN_ENDPOINT", default_value = DEFAULT_ENDPOINT)]
    endpoint: String,
}

#[derive(Args)]
struct GenerateArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// The ad intent: audience, tone, language, visual and copy requirements.
    #[arg(long)]
    prompt: String,
    /// A reference image: a local PNG/JPEG/WebP file (sent inline) or an https:// URL; up to 6.
    #[arg(long = "ref", value_name = "FILE_OR_URL")]
    references: Vec<String>,
    /// A stored brand's id.
    #[arg(long)]
    brand: Option<String>,
    /// A JSON file with an inline brand identity (the keys of a brand's brand_dna).
    #[arg(long, value_name = "FILE")]
    brand_json: Option<PathBuf>,
    /// auto, 1:1, 4:5, 9:16, 16:9, … (spec §3).
    #[arg(long)]
    aspect: Option<String>,
    /// 512, 1K, 2K or 4K.
    #[arg(long)]
    resolution: Option<String>,
    /// png, jpeg or webp.
    #[arg(long)]
    format: Option<String>,
    /// 1-100, for jpeg and webp.
    #[arg(long)]
    quality: Option<u32>,
    /// A byte budget for jpeg and webp.
    #[arg(long)]
    max_bytes: Option<u64>,
    /// minimal or high.
    #[arg(long)]
    thinking: Option<String>,
    /// Your own id for the job, echoed in it and in its webhooks.
    #[arg(long)]
    client_reference_id: Option<String>,
    /// KEY=VALUE, echoed in the job and its webhooks; repeat for more.
    #[arg(long = "metadata", value_name = "KEY=VALUE")]
    metadata: Vec<String>,
    /// Makes the submission safe to repeat (default: a fresh key per run).
    #[arg(long)]
    idempotency_key: Option<String>,
    /// Follow the job until it completes or fails.
    #[arg(long)]
    wait: bool,
    /// Seconds --wait waits before giving up (exit code 6).
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Write the finished image here (implies --wait).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Print a job record as JSON.
    Get {
        id: String,
        /// Wait until the job completes or fails (exit code 5 if it failed).
        #[arg(long)]
        wait: bool,
        /// Seconds --wait waits before giving up (exit code 6).
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        /// ad, diagnostics, brand, deliveries (comma-separated or repeated).
        #[arg(long, value_delimiter = ',')]
        expand: Vec<String>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Mint a key for an organisation; the key is printed once and stored only as a hash.
    Create {
        /// The organisation (UUID) the key belongs to.
        #[arg(long)]
        org: Uuid,
        /// Store the key in a deployment's DynamoDB table instead of the embedded store. The
        /// table comes from --table, else the TableName output of --stack, else ADGEN_TABLE;
        /// the region from --region, else the usual AWS settings (AWS_REGION, the profile).
        #[arg(long)]
        aws: bool,
        /// The deployed stack (`sam deploy`'s stack name) whose TableName output to use.
        #[arg(long, requires = "aws")]
        stack: Option<String>,
        /// The DynamoDB table.
        #[arg(long, requires = "aws")]
        table: Option<String>,
        /// The AWS region of the stack or table.
        #[arg(long, requires = "aws")]
        region: Option<String>,
        /// The embedded store's data folder.
        #[arg(long, default_value = "./.adgen")]
        data_dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = matches!(
        cli.command,
        Command::Operator(OperatorCommand::Serve {
            log_format: LogFormat::Json,
            ..
        })
    );
    // The client's output is its answer; only warnings of its own belong beside it.
    let client_command = matches!(cli.command, Command::Client(_));
    init_logging(if client_command { "warn" } else { "info" }, json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Client(command) => match runtime.block_on(run_client(command)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => {
                eprintln!("{failure}");
                ExitCode::from(failure.exit_code())
            }
        },
        Command::Operator(command) => match runtime.block_on(run_operator(command)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn init_logging(default_filter: &str, json: bool) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr);
    if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

fn session(client: &ClientArgs) -> Result<Session, client::Failure> {
    Session::new(&client.endpoint, std::env::var("ADGEN_API_KEY").ok())
}

async fn run_client(command: ClientCommand) -> client::Outcome {
    match command {
        ClientCommand::Generate(args) => {
            let args = *args;
            let session = session(&args.client)?;
            client::generate::run(
                &session,
                client::generate::Request {
                    prompt: args.prompt,
                    references: args.references,
                    brand: args.brand,
                    brand_json: args.brand_json,
                    aspect: args.aspect,
                    resolution: args.resolution,
                    format: args.format,
                    quality: args.quality,
                    max_bytes: args.max_bytes,
                    thinking: args.thinking,
                    client_reference_id: args.client_reference_id,
                    metadata: args.metadata,
                    idempotency_key: args.idempotency_key,
                    wait: args.wait,
                    timeout: Duration::from_secs(args.timeout),
                    output: args.output,
                },
            )
            .await
        }
        ClientCommand::Jobs {
            client,
            command:
                JobsCommand::Get {
                    id,
                    wait,
                    timeout,
                    expand,
                },
        } => {
            client::jobs::get(
                &session(&client)?,
                &id,
                wait,
                Duration::from_secs(timeout),
                &expand,
            )
            .await
        }
        ClientCommand::Brands { client, command } => {
            client::resources::brands(&session(&client)?, command).await
        }
        ClientCommand::Webhooks { client, command } => {
            client::resources::webhooks(&session(&client)?, command).await
        }
    }
}

async fn run_operator(command: OperatorCommand) -> Result<()> {
    match command {
        OperatorCommand::Serve {
            port,
            host,
            data_dir,
            public_url,
            max_body_bytes,
            allow_loopback_urls,
            rate_limit_per_minute,
            cors_allow_origins,
            log_format: _,
        } => {
            serve(ServeOptions {
                addr: SocketAddr::new(host, port),
                data_dir: &data_dir,
                public_url,
                max_body_bytes,
                allow_loopback_urls,
                rate_limit_per_minute,
                cors_allow_origins,
            })
            .await
        }
        OperatorCommand::Keys {
            command:
                KeysCommand::Create {
                    org,
                    aws,
                    stack,
                    table,
                    region,
                    data_dir,
                },
        } => {
            let store: Arc<dyn ApiKeyStore> = if aws {
                aws_key_store(stack, table, region).await?
            } else {
                Embedded::open(&data_dir)
                    .context("opening the embedded store")?
                    .store
            };
            let key = create_key(store.as_ref(), org).await?;
            println!("{key}");
            eprintln!("API key for organisation {org} (shown once; only its hash is stored)");
            Ok(())
        }
    }
}

async fn create_key(store: &dyn ApiKeyStore, org: Uuid) -> Result<String> {
    let (key, record) = mint_key(org, SystemClock.now()).context("reading OS randomness")?;
    store.put(&record).await.context("storing the key")?;
    Ok(key)
}

/// The API-key store of a deployment: its table found from the flags, the stack or
/// `ADGEN_TABLE`, in the region of the flags or the usual AWS settings (never a guess).
async fn aws_key_store(
    stack: Option<String>,
    table: Option<String>,
    region: Option<String>,
) -> Result<Arc<dyn ApiKeyStore>> {
    let env = process_env();
    let conf = adgen_aws::sdk_config_in(region.as_deref()).await.context(
        "no AWS region: pass --region, or set AWS_REGION (or a region in your AWS profile)",
    )?;
    let table = match (table, &stack) {
        (Some(table), _) => table,
        (None, Some(stack)) => {
            let client = adgen_aws::stacks::cloudformation_client(
                &conf,
                env.optional("ADGEN_CLOUDFORMATION_ENDPOINT").as_deref(),
            );
            let outputs = adgen_aws::stacks::stack_outputs(&client, stack).await?;
            outputs.get("TableName").cloned().with_context(|| {
                format!("the stack {stack} has no TableName output (is it an adgen stack?)")
            })?
        }
        (None, None) => env.optional("ADGEN_TABLE").context(
            "which table? pass --stack NAME (the deployed stack) or --table NAME, or set ADGEN_TABLE",
        )?,
    };
    let endpoint = env.url("ADGEN_DYNAMODB_ENDPOINT")?;
    let client = adgen_aws::dynamodb_client(&conf, endpoint.as_deref());
    eprintln!(
        "storing in the DynamoDB table {table} ({})",
        conf.region().map(ToString::to_string).unwrap_or_default()
    );
    Ok(Arc::new(adgen_aws::DynamoStore::new(client, table)))
}

/// Takes the data folder's lock (`adgen.lock`), or says which folder another server holds.
fn lock_data_dir(data_dir: &Path) -> Result<std::fs::File> {
    let path = data_dir.join("adgen.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another adgen serve is using {}; stop it or pass another --data-dir",
            data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

struct ServeOptions<'a> {
    addr: SocketAddr,
    data_dir: &'a Path,
    public_url: Option<String>,
    max_body_bytes: usize,
    allow_loopback_urls: bool,
    rate_limit_per_minute: Option<u32>,
    cors_allow_origins: Vec<String>,
}

async fn serve(options: ServeOptions<'_>) -> Result<()> {
    let ServeOptions {
        addr,
        data_dir,
        public_url,
        max_body_bytes,
        allow_loopback_urls,
        rate_limit_per_minute,
        cors_allow_origins,
    } = options;
    let cors = if cors_allow_origins.is_empty() {
        None
    } else {
        let cors = Cors::new(cors_allow_origins.iter().map(String::as_str))
            .map_err(|e| anyhow::anyhow!("--cors-allow-origin {e}"))?;
        tracing::info!(origins = ?cors_allow_origins, "CORS on for these origins");
        Some(Arc::new(cors))
    };
    if let Some(limit) = rate_limit_per_minute {
        tracing::info!(
            limit,
            "per-key rate limit: requests per API key in any 60 s"
        );
    }
    if allow_loopback_urls {
        tracing::warn!(
            "--allow-loopback-urls: URLs on 127.0.0.1, localhost and [::1] are fetched (local development only)"
        );
    }
    let first_start = !data_dir.join("adgen.sqlite3").exists();
    let embedded =
        Embedded::open(data_dir).with_context(|| format!("opening {}", data_dir.display()))?;
    // One server per data folder: holding the lock (until the process ends, however it ends)
    // is what lets the start below take back whatever a dead predecessor held.
    let _lock = lock_data_dir(data_dir)?;
    let (messages, jobs) = embedded
        .recover_interrupted(SystemClock.now())
        .await
        .context("recovering work the previous run left in flight")?;
    if messages + jobs > 0 {
        tracing::warn!(
            messages,
            jobs,
            "the previous run stopped mid-work: its jobs are taken over now"
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let mut bound = listener.local_addr()?;
    if bound.ip().is_unspecified() {
        // Every interface: the loopback one is the address a local client surely reaches.
        bound.set_ip(IpAddr::from([127, 0, 0, 1]));
    }
    let base_url = public_url.unwrap_or_else(|| format!("http://{bound}"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Long-polls wake when the worker writes the job, not by re-reading it (the embedded
    // store's watcher).
    let adapters = embedded.adapters(&base_url);
    let settings = SubmitSettings {
        max_body_bytes,
        allow_loopback_urls,
        auth: AuthSettings {
            rate_limit_per_minute,
            ..AuthSettings::default()
        },
        ..SubmitSettings::default()
    };
    let codec = Arc::new(Codec::default());
    let sender = adgen_outbound::webhook::webhook_sender(allow_loopback_urls)
        .context("building the webhook sender")?;
    let api = Arc::new(Api {
        submit: Arc::new(SubmitService::new(&adapters, clock.clone(), settings)),
        jobs: Arc::new(JobsService::new(&adapters, clock.clone(), settings.auth)),
        brands: Arc::new(BrandsService::new(
            &adapters,
            codec.clone(),
            clock.clone(),
            settings.auth,
            BrandsSettings {
                max_body_bytes,
                allow_loopback_urls,
                idempotency: settings.idempotency,
            },
        )),
        webhooks: Arc::new(WebhooksService::new(
            &adapters,
            sender.clone(),
            clock.clone(),
            settings.auth,
            WebhooksSettings {
                max_body_bytes,
                allow_loopback_urls,
            },
        )),
    });
    if first_start {
        let org = Uuid::new_v4();
        let key = create_key(embedded.store.as_ref(), org).await?;
        println!(
            "First start: created a demo organisation {org} and its API key (shown only now):"
        );
        println!("  export ADGEN_API_KEY={key}");
        println!(
            "Mint more keys with: adgen keys create --org {org} --data-dir {}",
            data_dir.display()
        );
    }
    let generator_config = GeneratorConfig::from_env(&process_env())?;
    let parts = adgen_outbound::worker_parts(
        &generator_config,
        codec,
        Arc::new(TemplateGenerator),
        allow_loopback_urls,
    )?;
    let worker = Arc::new(Worker::new(
        &adapters,
        parts,
        clock.clone(),
        WorkerSettings {
            lease_seconds: LOCAL_LEASE_SECONDS,
            max_receives: LOCAL_MAX_RECEIVES,
        },
    ));
    tokio::spawn(worker::run(adapters.consumer.clone(), worker.clone()));
    tokio::spawn(worker::deliver(
        adapters.delivery_consumer.clone(),
        Deliverer::new(&adapters, sender, clock.clone()),
    ));
    tokio::spawn(worker::sweep_periodically(Sweeper::new(
        &adapters,
        clock,
        SweepSettings::default(),
    )));
    println!(
        "adgen serving {base_url} (data in {}, generator {})",
        data_dir.display(),
        worker.generator.name()
    );
    server::run(listener, api, embedded.blobs.clone(), max_body_bytes, cors).await
}
