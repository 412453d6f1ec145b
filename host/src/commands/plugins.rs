//! `/plugins list | reload | enable | disable | rollback`: cog administration for
//! admins (ManageGuild), answered by the host. The console runs the same commands
//! (`/plugins list`).

use super::{reply, HostCommand, HostCommands};
use crate::dispatch::{CommandError, Dispatcher};
use crate::event::{Command, CommandResponse, OptionValue, Permission};
use crate::reload::CogManager;
use futures::future::BoxFuture;
use futures::FutureExt;

#[derive(Clone, Copy)]
enum Sub {
    List,
    Reload,
    Enable,
    Disable,
    Rollback,
}

struct Plugins {
    manager: CogManager,
    sub: Sub,
    name: &'static str,
    description: &'static str,
}

/// Add the five `/plugins` commands.
pub fn register(commands: &mut HostCommands, manager: &CogManager) {
    for (sub, name, description) in [
        (
            Sub::List,
            "plugins list",
            "loaded cogs: version, state, calls, errors, p99 latency",
        ),
        (Sub::Reload, "plugins reload", "reload a cog from its file"),
        (
            Sub::Enable,
            "plugins enable",
            "turn a cog on in this server",
        ),
        (
            Sub::Disable,
            "plugins disable",
            "turn a cog off in this server",
        ),
        (
            Sub::Rollback,
            "plugins rollback",
            "go back to a cog's previous version",
        ),
    ] {
        commands.add(Plugins {
            manager: manager.clone(),
            sub,
            name,
            description,
        });
    }
}

fn cog_name(command: &Command) -> Result<String, CommandError> {
    command
        .options
        .iter()
        .find(|(k, _)| k == "name" || k == "text")
        .and_then(|(_, v)| match v {
            OptionValue::Text(s) => Some(s.clone()),
            _ => None,
        })
        .ok_or_else(|| CommandError::Invalid {
            command: command.name.clone(),
            message: "give the cog's name: name:<cog>".into(),
        })
}

impl HostCommand for Plugins {
    fn name(&self) -> &str {
        self.name
    }
    fn description(&self) -> &str {
        self.description
    }
    fn permission(&self) -> Permission {
        Permission::ManageGuild
    }
    fn run<'a>(
        &'a self,
        _dispatcher: &'a Dispatcher,
        command: Command,
    ) -> BoxFuture<'a, Result<CommandResponse, CommandError>> {
        async move {
            let m = &self.manager;
            let guild = command.guild_id.clone();
            match self.sub {
                Sub::List => Ok(reply(list(m, &guild), true)),
                Sub::Reload => {
                    let name = cog_name(&command)?;
                    match m.reload(&name).await {
                        Ok(cog) => Ok(reply(
                            format!("reloaded `{name}` (version {})", cog.manifest.version),
                            true,
                        )),
                        Err(why) => Ok(reply(
                            format!(
                                "`{name}` not reloaded, the running version keeps serving: {why}"
                            ),
                            true,
                        )),
                    }
                }
                Sub::Enable | Sub::Disable => {
                    let name = cog_name(&command)?;
                    if m.runtime().cog(&name).is_none() {
                        return Err(CommandError::Invalid {
                            command: command.name,
                            message: format!("no cog `{name}` is loaded"),
                        });
                    }
                    let on = matches!(self.sub, Sub::Enable);
                    m.policy().set_override(&name, &guild, on);
                    Ok(reply(
                        format!(
                            "`{name}` is now {} in this server",
                            if on { "on" } else { "off" }
                        ),
                        true,
                    ))
                }
                Sub::Rollback => {
                    let name = cog_name(&command)?;
                    match m.rollback(&name, &format!("asked by {}", command.invoker.name)) {
                        Ok(version) => {
                            Ok(reply(format!("`{name}` rolled back to {version}"), true))
                        }
                        Err(why) => Ok(reply(why, true)),
                    }
                }
            }
        }
        .boxed()
    }
}

fn list(m: &CogManager, guild: &str) -> String {
    let mut out =
        String::from("cog              version   state      here  calls    errors  p99\n");
    for s in m.list() {
        let here = if m.policy().is_enabled(&s.name, guild) {
            "on"
        } else {
            "off"
        };
        out.push_str(&format!(
            "{:<16} {:<9} {:<10} {:<5} {:<8} {:<7} {}\n",
            s.name,
            s.version,
            s.state,
            here,
            s.stats.calls,
            s.stats.errors,
            format_us(s.stats.p99_us)
        ));
    }
    for s in m.list() {
        if let Some(why) = &s.suspended {
            out.push_str(&format!("{}: {why}\n", s.name));
        }
    }
    let events = m.events();
    if !events.is_empty() {
        out.push_str("recent:\n");
        for e in events.iter().rev().take(5) {
            out.push_str(&format!("  {}: {}\n", e.cog, e.what));
        }
    }
    out
}

fn format_us(us: u64) -> String {
    if us >= 1000 {
        format!("{:.1} ms", us as f64 / 1000.0)
    } else {
        format!("{us} µs")
    }
}
