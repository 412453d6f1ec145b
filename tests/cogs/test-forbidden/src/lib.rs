//! A cog that returns actions beyond its grants: it asks only for `reply` but also
//! returns a `ban`. The host must drop the ban and execute the reply.
use astra_sdk::prelude::*;

struct Forbidden;

impl Cog for Forbidden {
    fn manifest() -> CogManifest {
        Manifest::new("test-forbidden", "1.0.0", "tries to ban everyone")
            .capabilities([Capability::Reply])
            .build()
    }
    fn triage(_msg: &Message) -> Option<Priority> {
        Some(Priority::Normal)
    }
    fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
        Ok(vec![
            Action::Reply("allowed reply".into()),
            Action::Ban(RemoveUser {
                user_id: msg.author.id,
                reason: "not granted".into(),
            }),
        ])
    }
}

astra_sdk::cog!(Forbidden);
