//! The `astra` binary: parse the command line, set up logging, load the config and
//! hand over to the subcommand. Exit codes: 0 ok, 1 runtime failure, 2 bad config.

use anyhow::Result;
use astra::app::{App, LoadOptions};
use astra::cli::{Cli, Cmd};
use astra::config::Config;
use clap::Parser;
use std::process::ExitCode;
use tokio::io::BufReader;

/// mimalloc instead of glibc's malloc (see [`astra::HostAllocator`]).
#[global_allocator]
static ALLOCATOR: astra::HostAllocator = astra::HostAllocator;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = cli
        .log
        .clone()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();

    let mut config = match Config::load(cli.config_path().as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Cmd::Run(args)) = &cli.command {
        if args.no_web {
            config.web.enabled = false;
        }
        if let Some(listen) = &args.web {
            match astra::config::WebSettings::parse_listen(listen, config.web.allow_remote) {
                Ok(addr) => (config.web.enabled, config.web.listen) = (true, addr),
                Err(e) => {
                    eprintln!("error: --web {e}");
                    return ExitCode::from(2);
                }
            }
        }
        if let (Some(range), Some(total)) = (&args.shards, args.total_shards) {
            match astra::config::ShardRange::parse(range, total) {
                Ok(shards) => config.discord.shards = Some(shards),
                Err(e) => {
                    eprintln!("error: --shards: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli, config: Config) -> Result<()> {
    match cli.command.unwrap_or(Cmd::Run(Default::default())) {
        Cmd::Run(_) => {
            let bot_name = config.bot_name.clone();
            let plugin_dir = config.plugin_dir.clone();
            let config_file = config.source.clone();
            // The local web page (`[web]`, `--web`): only without Discord to talk to.
            let mut web_settings = config.web.clone();
            web_settings.enabled &= config.discord.token().is_none();
            let web_options = astra::gateway::web::WebOptions::from_config(&config);
            // With a bot token the bot talks to Discord; without one, to the terminal.
            let discord = config
                .discord
                .token()
                .map(|token| astra::gateway::discord::DiscordOptions::new(&config.discord, token));
            let metrics_listener = match config.metrics_listen {
                Some(addr) => Some(astra::metrics::prometheus::bind(addr).await?),
                None => None,
            };
            let mut app = App::build(config, LoadOptions::default()).await?;
            // Hot reload: the plugin folder and the config file are watched, and a new
            // version that crashes in its first calls is rolled back.
            let (reload_stop, reload_stopped) = tokio::sync::watch::channel(false);
            let watcher = tokio::spawn(astra::reload::watch(
                app.manager.clone(),
                plugin_dir,
                config_file,
                stopped(reload_stopped.clone()),
            ));
            let probation = tokio::spawn({
                let manager = app.manager.clone();
                let stop = stopped(reload_stopped);
                async move { manager.run_probation(stop).await }
            });
            report_refusals(&app);
            let outcomes = app.take_outcomes();
            // Every outcome goes to the console and, when it is served, the web page.
            let (outcomes, web) = astra::gateway::web::start(
                &app,
                &web_settings,
                web_options,
                outcomes,
                stopped(reload_stop.subscribe()),
            )
            .await;
            let dispatcher = app.dispatcher.clone();
            if let Some(listener) = metrics_listener {
                let served = astra::metrics::prometheus::serve(
                    listener,
                    dispatcher.clone(),
                    stopped(reload_stop.subscribe()),
                );
                tokio::spawn(async move {
                    if let Err(e) = served.await {
                        tracing::error!("{e:#}");
                    }
                });
            }
            // Per-hour statistics in the store, for `/performance view:history`.
            let history = tokio::spawn(astra::metrics::history::record(
                dispatcher.metrics().clone(),
                dispatcher.runtime().store().clone(),
                stopped(reload_stop.subscribe()),
            ));
            let scheduler = dispatcher.start();
            let gateway = match discord {
                Some(options) => {
                    let ctrl_c = async {
                        let _ = tokio::signal::ctrl_c().await;
                    };
                    match astra::gateway::discord::Discord::connect(dispatcher, options).await {
                        Ok(discord) => discord.run(outcomes, ctrl_c).await,
                        Err(e) => Err(e),
                    }
                }
                None => {
                    let stdin = BufReader::new(tokio::io::stdin());
                    tokio::select! {
                        r = astra::gateway::console::run(dispatcher, outcomes, stdin, bot_name) => r?,
                        _ = tokio::signal::ctrl_c() => {}
                    }
                    Ok(())
                }
            };
            let stopping = scheduler.stop();
            let _ = reload_stop.send(true);
            if let Some(web) = web {
                if let Err(e) = web.await? {
                    eprintln!("warning: the web page failed: {e:#}");
                }
            }
            stopping.await?;
            if let Err(e) = watcher.await? {
                eprintln!("warning: watching the plugin folder failed: {e:#}");
            }
            probation.await?;
            history.await?;
            gateway
        }
        Cmd::Replay { file } => {
            let bot_name = config.bot_name.clone();
            let mut app = App::build(config, LoadOptions::default()).await?;
            report_refusals(&app);
            let outcomes = app.take_outcomes();
            let dispatcher = app.dispatcher.clone();
            let scheduler = dispatcher.start();
            let stdout = std::io::stdout().lock();
            if file.as_os_str() == "-" {
                let input = BufReader::new(tokio::io::stdin());
                astra::gateway::replay::run(&dispatcher, outcomes, input, stdout, &bot_name)
                    .await?;
            } else {
                let f = tokio::fs::File::open(&file)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
                astra::gateway::replay::run(
                    &dispatcher,
                    outcomes,
                    BufReader::new(f),
                    stdout,
                    &bot_name,
                )
                .await?;
            }
            scheduler.stop().await?;
            let ledger = dispatcher.ledger();
            eprintln!(
                "ledger: received {} = processed {} + rate_limited {} + shed {} + failed {}",
                ledger.received, ledger.processed, ledger.rate_limited, ledger.shed, ledger.failed
            );
            Ok(())
        }
        Cmd::Demo => astra::demo::run(config).await,
        Cmd::Bench(args) => astra::bench::run(config, args).await,
        Cmd::Cog { action } => astra::cog_tool::run(action, config).await,
        Cmd::Models {
            action: astra::cli::ModelsCmd::Fetch,
        } => {
            let dir = config.models_dir.clone();
            tokio::task::spawn_blocking(move || astra_models::fetch_models(&dir)).await??;
            eprintln!("models ready in {}", config.models_dir.display());
            Ok(())
        }
    }
}

/// A future that completes when `rx` turns true (a shutdown signal many tasks share).
async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

fn report_refusals(app: &App) {
    for r in &app.refused {
        eprintln!("warning: {r}");
    }
}
