//! A cog whose handler fails *transiently* the first `fail-times` calls for a message
//! (counted in kv), then succeeds; `permanent` in the text makes it fail permanently.
use astra_sdk::prelude::*;

struct Flaky;

impl Cog for Flaky {
    fn manifest() -> CogManifest {
        Manifest::new("test-flaky", "1.0.0", "fails, then works")
            .capabilities([Capability::Kv, Capability::Config, Capability::Reply])
            .build()
    }
    fn triage(_msg: &Message) -> Option<Priority> {
        Some(Priority::Normal)
    }
    fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
        let attempt = kv::increment(&format!("attempts:{}", msg.id), 1)
            .map_err(|e| HandlerError::Permanent(e.to_string()))?;
        if msg.content.contains("permanent") {
            return Err(HandlerError::Permanent(format!(
                "attempt {attempt}: refused"
            )));
        }
        let fail_times: i64 = config::get_or("fail-times", 2);
        if attempt <= fail_times {
            return Err(HandlerError::Transient(format!(
                "attempt {attempt}: try again"
            )));
        }
        Ok(vec![Action::Reply(format!(
            "succeeded on attempt {attempt}"
        ))])
    }
}

astra_sdk::cog!(Flaky);
