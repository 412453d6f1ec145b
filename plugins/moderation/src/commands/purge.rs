//! `/purge count`: delete the last 1..=100 messages of the channel the command was
//! used in (Action::Purge), and log who did it. Not an infraction: no member is named.

use super::{args, Failure};
use crate::ctx::Ctx;
use crate::modlog;
use crate::store::Kv;
use astra_sdk::prelude::*;
use astra_sdk::CommandBuilder;

pub fn spec() -> CommandBuilder {
    CommandBuilder::new("purge", "Delete the most recent messages in this channel")
        .permission(Permission::ManageMessages)
        .option("count", OptionKind::Integer, true, "how many (1 to 100)")
}

pub fn run<K: Kv>(ctx: &mut Ctx<K>, cmd: &CommandInvocation) -> Result<CommandReply, Failure> {
    let count = args::integer(cmd, "count", 1..=100)? as u32;
    let mut actions = vec![Action::Purge(PurgeMessages {
        channel_id: cmd.channel_id.clone(),
        count,
    })];
    actions.extend(modlog::entry(
        &ctx.settings,
        format!(
            "purge · {count} messages in <#{}> · by <@{}>",
            cmd.channel_id, cmd.invoker.id
        ),
    ));
    Ok(CommandReply {
        content: format!("Deleting the last {count} messages."),
        ephemeral: true,
        actions,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::commands;
    use crate::ctx::test_ctx;
    use astra_sdk::Action;

    #[test]
    fn purge_deletes_in_the_invoking_channel() {
        let reply =
            commands::run(&mut test_ctx(0), &invoke("purge", &[("count", int(50))])).unwrap();
        assert!(matches!(&reply.actions[0],
            Action::Purge(p) if p.channel_id == "c1" && p.count == 50));
        assert!(matches!(&reply.actions[1],
            Action::LogToModlog(l) if l == "purge · 50 messages in <#c1> · by <@7>"));
    }

    #[test]
    fn purge_counts_outside_1_to_100_are_refused() {
        for n in [0, 101, -5] {
            let reply =
                commands::run(&mut test_ctx(0), &invoke("purge", &[("count", int(n))])).unwrap();
            assert!(reply.ephemeral && reply.actions.is_empty(), "{n}");
        }
    }
}
