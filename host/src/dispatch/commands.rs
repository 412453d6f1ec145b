//! Slash commands: route an invocation to the cog that declared it, after checking in
//! the host that the invoker holds the permission the command requires (a cog's own
//! check is a second line, not the only one).

use super::actions::{vet, Vetted};
use super::Dispatcher;
use crate::event::{Command, CommandResponse};
use crate::runtime::convert::command_to_wit;
use crate::runtime::{CallError, Export, Returned};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CommandError {
    #[error("no loaded cog offers the command /{0}")]
    Unknown(String),
    #[error("/{command} requires the {required:?} permission")]
    Forbidden {
        command: String,
        required: crate::event::Permission,
    },
    #[error("the cog offering /{command} is disabled in this guild")]
    Disabled { command: String },
    #[error("/{command} timed out")]
    Timeout { command: String },
    #[error("/{command}: {message}")]
    Invalid { command: String, message: String },
    #[error("/{command}: the cog's writes could not be stored ({message}); try again")]
    Store { command: String, message: String },
    #[error(transparent)]
    Cog(#[from] CallError),
}

impl Dispatcher {
    /// Run a slash command and return the cog's reply with its vetted actions.
    pub async fn command(&self, mut command: Command) -> Result<CommandResponse, CommandError> {
        let mut host_command = self.host_commands().get(&command.name);
        if host_command.is_none() && self.inner.runtime.command(&command.name).is_none() {
            // Typed words after a host command's name (`/performance history`) are its
            // text option, as the console's `/test_concurrent 50` is.
            if let Some((name, rest)) = command.name.split_once(' ') {
                if let Some(found) = self.host_commands().get(name) {
                    command
                        .options
                        .push(("text".into(), crate::event::OptionValue::Text(rest.into())));
                    command.name = name.to_string();
                    host_command = Some(found);
                }
            }
        }
        if let Some(host_command) = host_command {
            if !host_command.permission().satisfied_by(&command.permissions) {
                return Err(CommandError::Forbidden {
                    command: command.name,
                    required: host_command.permission(),
                });
            }
            return host_command.run(self, command).await;
        }
        let Some((cog, info)) = self.inner.runtime.command(&command.name) else {
            return Err(CommandError::Unknown(command.name));
        };
        if !self.inner.switches.enabled(&cog.name, &command.guild_id) {
            return Err(CommandError::Disabled {
                command: command.name,
            });
        }
        if !info.permission.satisfied_by(&command.permissions) {
            return Err(CommandError::Forbidden {
                command: command.name,
                required: info.permission,
            });
        }
        let _permit = self.inner.general.acquire().await;
        let invocation = command_to_wit(&command);
        let work = async {
            // A reply is always committed before it is sent (below), used store or not.
            let mut used_store = false;
            let reply = self
                .call_with_retries(
                    &cog,
                    &command.guild_id,
                    Export::Command(&invocation),
                    &mut used_store,
                )
                .await?;
            let Returned::Reply(mut reply) = reply else {
                unreachable!("handle-command returns a reply");
            };
            super::actions::cap_text(&mut reply.content);
            let mut vetted: Vetted = vet(&cog, reply.actions);
            let (events, errors) = self
                .deliver_moderation_events(
                    super::task::Place {
                        guild: &command.guild_id,
                        channel: &command.channel_id,
                        message_id: &command.id,
                    },
                    &vetted.accepted,
                    &mut used_store,
                )
                .await;
            for e in errors {
                tracing::warn!("after /{}: {e}", command.name);
            }
            vetted.extend(events);
            // The reply may report what the cog wrote ("warning #3"): store it first.
            self.inner
                .runtime
                .store()
                .commit_now()
                .map_err(|e| CommandError::Store {
                    command: command.name.clone(),
                    message: e.to_string(),
                })?;
            Ok::<_, CommandError>(CommandResponse {
                cog: cog.name.to_string(),
                content: reply.content,
                ephemeral: reply.ephemeral,
                actions: vetted.accepted,
                dropped: vetted.dropped,
            })
        };
        match tokio::time::timeout(self.inner.config.task_timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(CommandError::Timeout {
                command: command.name,
            }),
        }
    }
}
