//! The model backends behind the `llm` and `embed` imports, chosen by `[llm]` and
//! `[embed]` in the config.

use crate::config::Config;
use crate::runtime::host_api::{EmbedService, LlmService};
use anyhow::Result;
use std::sync::Arc;

pub async fn services(
    _config: &Config,
) -> Result<(Option<Arc<dyn LlmService>>, Option<Arc<dyn EmbedService>>)> {
    Ok((None, None))
}
