//! A well-behaved cog for the host's tests: triages `!critical`/`?`/plain text, echoes,
//! counts messages per user in kv, reads a greeting from config, and offers `/count`.
use astra_sdk::prelude::*;

struct Echo;

impl Cog for Echo {
    fn manifest() -> CogManifest {
        Manifest::new("test-echo", "1.0.0", "echoes messages and counts them")
            .capabilities([
                Capability::Log,
                Capability::Kv,
                Capability::Config,
                Capability::Clock,
                Capability::Reply,
            ])
            .command(
                astra_sdk::CommandBuilder::new("count", "how many messages a user sent").option(
                    "user",
                    OptionKind::User,
                    true,
                    "whose count",
                ),
            )
            .build()
    }

    fn triage(msg: &Message) -> Option<Priority> {
        let text = msg.content.as_str();
        if text.starts_with("!critical") {
            Some(Priority::Critical)
        } else if text.starts_with("!low") {
            Some(Priority::Low)
        } else if text.starts_with("!ignore") {
            None
        } else if msg.mentions_bot || text.ends_with('?') {
            Some(Priority::High)
        } else {
            Some(Priority::Normal)
        }
    }

    fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
        let n = kv::increment(&format!("count:{}", msg.author.id), 1)
            .map_err(|e| HandlerError::Permanent(e.to_string()))?;
        cache::set(
            &format!("last:{}", msg.author.id),
            &msg.content,
            std::time::Duration::from_secs(60),
        )
        .map_err(|e| HandlerError::Permanent(e.to_string()))?;
        let greeting: String = config::get_or("greeting", "echo".to_string());
        log::debug(&format!("message {} from {}", n, msg.author.name));
        Ok(vec![Action::Reply(format!(
            "{greeting}: {} (#{n})",
            msg.content
        ))])
    }

    fn handle_command(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
        match cmd.name.as_str() {
            "count" => {
                let user = cmd.text("user").unwrap_or_default().to_string();
                let n = kv::get(&format!("count:{user}"))
                    .map_err(|e| HandlerError::Transient(e.to_string()))?
                    .unwrap_or_else(|| "0".into());
                Ok(reply(format!("{user} sent {n} messages")))
            }
            other => Ok(reply_ephemeral(format!("unknown command {other}"))),
        }
    }
}

astra_sdk::cog!(Echo);
