//! `/warn user reason`: record a warning, tell the member (Action::Warn), log it, and
//! apply the escalation ladder (`escalate.rs`).

use super::{args, Failure};
use crate::ctx::Ctx;
use crate::infraction::Issuer;
use crate::store::Kv;
use crate::{escalate, modlog};
use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;

pub fn spec() -> CommandBuilder {
    CommandBuilder::new("warn", "Warn a member; repeated warnings escalate")
        .permission(Permission::ModerateMembers)
        .option("user", OptionKind::User, true, "the member to warn")
        .option(
            "reason",
            OptionKind::Text,
            true,
            "why (shown to the member)",
        )
}

pub fn run<K: Kv>(ctx: &mut Ctx<K>, cmd: &CommandInvocation) -> Result<CommandReply, Failure> {
    let user = args::target(cmd)?;
    let reason = args::reason(cmd)?;
    let by = Issuer::Moderator(cmd.invoker.id.clone());
    let recorded = escalate::record_warning(ctx, &user, &reason, by)?;

    let warning = &recorded.warning;
    let mut actions = vec![warning.action()];
    actions.extend(modlog::entry(
        &ctx.settings,
        format!("{} · {} active", warning.log_line(), recorded.active),
    ));
    actions.extend(recorded.actions);

    let mut content = format!(
        "Warned <@{user}> (#{}): {reason}. Active warnings: {}.",
        warning.id, recorded.active
    );
    if let Some(escalation) = &recorded.escalation {
        content.push_str(&format!(
            " Escalated to {} (#{}, {}).",
            escalation.label(),
            escalation.id,
            escalation.reason
        ));
    }
    Ok(CommandReply {
        content,
        ephemeral: false,
        actions,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::commands;
    use crate::ctx::test_ctx;
    use astra_sdk::Action;

    fn warn(reason: &str) -> astra_sdk::CommandInvocation {
        invoke("warn", &[("user", user("42")), ("reason", text(reason))])
    }

    #[test]
    fn a_warning_is_sent_logged_and_counted() {
        let mut ctx = test_ctx(1_000_000);
        let reply = commands::run(&mut ctx, &warn("spam")).unwrap();
        assert!(!reply.ephemeral);
        assert_eq!(
            reply.content,
            "Warned <@42> (#1): spam. Active warnings: 1."
        );
        assert!(
            matches!(&reply.actions[0], Action::Warn(w) if w.user_id == "42" && w.reason == "spam")
        );
        assert!(matches!(&reply.actions[1],
            Action::LogToModlog(l) if l == "warn #1 · <@42> · by <@7> · spam · 1 active"));
        assert_eq!(reply.actions.len(), 2);
    }

    #[test]
    fn the_third_warning_escalates_in_the_same_reply() {
        let mut ctx = test_ctx(1_000_000);
        commands::run(&mut ctx, &warn("one")).unwrap();
        commands::run(&mut ctx, &warn("two")).unwrap();
        let reply = commands::run(&mut ctx, &warn("three")).unwrap();
        assert!(
            reply.content.contains("Escalated to timeout 10 min (#4"),
            "{}",
            reply.content
        );
        assert!(reply
            .actions
            .iter()
            .any(|a| matches!(a, Action::Timeout(t) if t.user_id == "42" && t.seconds == 600)));
        let logs = reply
            .actions
            .iter()
            .filter(|a| matches!(a, Action::LogToModlog(_)))
            .count();
        assert_eq!(logs, 2);
    }

    #[test]
    fn a_missing_reason_is_an_ephemeral_error_and_records_nothing() {
        let mut ctx = test_ctx(0);
        let reply = commands::run(&mut ctx, &invoke("warn", &[("user", user("42"))])).unwrap();
        assert!(reply.ephemeral);
        assert!(reply.actions.is_empty());
        assert!(ctx.kv.data.is_empty());
    }
}
