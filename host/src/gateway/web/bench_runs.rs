//! The page's bench button: run one `astra bench` scenario at a time through the bench
//! module's public API (`bench::run_scenario`, which builds its own throwaway host with
//! the bundled cogs, so the live host's cogs and store are not touched) and keep the
//! last reports for the page. A run in progress is aborted when the server stops.

use super::hub::Hub;
use crate::bench::{self, Report, Scenario};
use crate::config::Config;
use crate::event::now_ms;
use clap::ValueEnum;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// Reports kept for the page.
const KEEP: usize = 20;
/// The most messages a run from the page may ask for.
pub const MAX_MESSAGES: usize = 200_000;

/// One scenario as the page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioInfo {
    pub name: &'static str,
    pub about: String,
}

/// A finished run.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRun {
    pub scenario: String,
    pub messages: Option<usize>,
    pub started_ms: u64,
    pub finished_ms: u64,
    /// the report (absent when the run failed)
    pub report: Option<Report>,
    /// the report as `astra bench` prints it
    pub text: String,
    pub error: Option<String>,
}

/// The run in progress.
#[derive(Debug, Clone, Serialize)]
pub struct Running {
    pub scenario: String,
    pub messages: Option<usize>,
    pub started_ms: u64,
}

/// What `/api/bench` answers.
#[derive(Debug, Clone, Serialize)]
pub struct BenchState {
    pub scenarios: Vec<ScenarioInfo>,
    pub running: Option<Running>,
    /// newest first
    pub runs: Vec<BenchRun>,
}

/// Why a run was not started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("unknown scenario `{0}`")]
    Unknown(String),
    #[error("`{0}` is running; one scenario at a time")]
    Busy(String),
    #[error("messages must be between 1 and {MAX_MESSAGES}")]
    TooMany,
}

/// A cloneable handle: the base config, the run in progress and past runs.
#[derive(Clone)]
pub struct BenchRuns {
    inner: Arc<Inner>,
}

struct Inner {
    /// the bench's throwaway hosts take only the compile cache folder from it
    base: Config,
    hub: Hub,
    // Held to read or change the state; never across an `.await`.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    running: Option<(Running, JoinHandle<()>)>,
    runs: VecDeque<BenchRun>,
}

impl BenchRuns {
    pub fn new(base: Config, hub: Hub) -> Self {
        BenchRuns {
            inner: Arc::new(Inner {
                base,
                hub,
                state: Mutex::new(State::default()),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn state(&self) -> BenchState {
        let state = self.lock();
        BenchState {
            scenarios: scenarios(),
            running: state.running.as_ref().map(|(r, _)| r.clone()),
            runs: state.runs.iter().rev().cloned().collect(),
        }
    }

    /// Start scenario `name` (with `messages` instead of its own number, if given).
    pub fn start(&self, name: &str, messages: Option<usize>) -> Result<Running, StartError> {
        let scenario =
            Scenario::from_str(name, true).map_err(|_| StartError::Unknown(name.to_string()))?;
        if messages.is_some_and(|n| n == 0 || n > MAX_MESSAGES) {
            return Err(StartError::TooMany);
        }
        let mut state = self.lock();
        if let Some((running, _)) = &state.running {
            return Err(StartError::Busy(running.scenario.clone()));
        }
        let running = Running {
            scenario: scenario.name().to_string(),
            messages,
            started_ms: now_ms(),
        };
        let this = self.clone();
        let task = tokio::spawn({
            let running = running.clone();
            async move {
                let options = bench::Options {
                    messages,
                    ..bench::Options::default()
                };
                let result = bench::run_scenario(&this.inner.base, scenario, &options).await;
                this.finish(running, result);
            }
        });
        state.running = Some((running.clone(), task));
        drop(state);
        self.inner.hub.bench(scenario.name(), "running");
        Ok(running)
    }

    fn finish(&self, running: Running, result: anyhow::Result<Report>) {
        let (report, text, error) = match result {
            Ok(report) => {
                let text = report.render();
                (Some(report), text, None)
            }
            Err(e) => (None, String::new(), Some(format!("{e:#}"))),
        };
        let run = BenchRun {
            scenario: running.scenario.clone(),
            messages: running.messages,
            started_ms: running.started_ms,
            finished_ms: now_ms(),
            report,
            text,
            error,
        };
        let mut state = self.lock();
        state.running = None;
        state.runs.push_back(run);
        while state.runs.len() > KEEP {
            state.runs.pop_front();
        }
        drop(state);
        self.inner.hub.bench(&running.scenario, "done");
    }

    /// Abort the run in progress (the server is stopping).
    pub fn abort(&self) {
        if let Some((_, task)) = self.lock().running.take() {
            task.abort();
        }
    }
}

/// Every scenario with the line `astra bench --help` shows for it.
pub fn scenarios() -> Vec<ScenarioInfo> {
    Scenario::ALL
        .iter()
        .map(|s| ScenarioInfo {
            name: s.name(),
            about: s
                .to_possible_value()
                .and_then(|v| v.get_help().map(|h| h.to_string()))
                .unwrap_or_default(),
        })
        .collect()
}
