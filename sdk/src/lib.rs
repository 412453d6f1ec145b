//! `astra-sdk`: write an Astra cog in Rust.
//!
//! The SDK owns the guest side of the one contract in `wit/astra.wit`: it generates the
//! bindings once and adds a thin, typed layer over them so a cog is a small crate:
//!
//! ```ignore
//! use astra_sdk::prelude::*;
//!
//! struct Hello;
//!
//! impl Cog for Hello {
//!     fn manifest() -> CogManifest {
//!         Manifest::new("hello", "0.1.0", "says hello")
//!             .capabilities([Capability::Reply])
//!             .build()
//!     }
//!     fn triage(msg: &Message) -> Option<Priority> {
//!         msg.content.contains("hello").then_some(Priority::Normal)
//!     }
//!     fn handle_message(msg: Message) -> Result<Vec<Action>, HandlerError> {
//!         Ok(vec![Action::Reply(format!("hello, {}!", msg.author.name))])
//!     }
//! }
//!
//! astra_sdk::cog!(Hello);
//! ```
//!
//! A cog's `init` (optional) runs once at load and is snapshotted, so tables built
//! there cost nothing per instance.
//!
//! Modules: [`kv`], [`cache`], [`config`], [`log`], [`llm`], [`embed`], [`clock`] wrap the imports
//! (each needs its capability granted); [`Manifest`] builds a manifest; [`text`] has
//! small helpers every cog needs (option lookup, replies).

extern crate self as astra_sdk;

#[allow(clippy::too_many_arguments)]
pub mod bindings {
    //! The raw generated bindings (one `generate!` for the whole SDK).
    wit_bindgen::generate!({
        path: "../wit",
        world: "astra:bot/cog-init",
        pub_export_macro: true,
        export_macro_name: "export_cog_bindings",
        default_bindings_module: "astra_sdk::bindings",
        runtime_path: "astra_sdk::wit_bindgen::rt",
    });
}

pub use wit_bindgen;

mod host;
mod manifest;
pub mod text;

pub use host::{cache, clock, config, embed, kv, llm, log};
pub use manifest::{CommandBuilder, Manifest};

pub use bindings::astra::bot::types::{
    Action, ActionTaken, Capability, CogManifest, CommandInvocation, CommandOption, CommandReply,
    CommandSpec, Event, EventKind, HandlerError, Message, MessageRef, OptionKind, OptionSpec,
    OptionValue, Permission, Priority, PurgeMessages, RemoveUser, SendMessage, TimeoutUser, User,
    Warning,
};

/// Everything a cog usually needs, in one `use`.
pub mod prelude {
    pub use crate::text::{reply, reply_ephemeral, CommandArgs};
    pub use crate::{
        cache, clock, config, embed, kv, llm, log, Action, ActionTaken, Capability, Cog,
        CogManifest, CommandInvocation, CommandReply, Event, EventKind, HandlerError, Manifest,
        Message, MessageRef, OptionKind, OptionValue, Permission, Priority, PurgeMessages,
        RemoveUser, SendMessage, TimeoutUser, User, Warning,
    };
}

/// A cog. Only `manifest` is required; the rest default to "not interested".
pub trait Cog {
    /// Name, version, capabilities wanted and slash commands offered.
    fn manifest() -> CogManifest;

    /// Run once when the host loads the cog; its memory is then snapshotted and every
    /// instance starts from it. Build expensive tables here (a dictionary, a regex
    /// set) so no call pays for them. No imports (kv, log, ...) and no printing here.
    fn init() {}

    /// Cheap and quick (the host gives it a few milliseconds): how urgent is this
    /// message for this cog? `None` means `handle_message` is not called for it.
    fn triage(_msg: &Message) -> Option<Priority> {
        None
    }

    /// Do the work for a message this cog triaged; return what should happen. Not
    /// called at HIGH or NORMAL when a cog that triaged the message as more urgent
    /// has deleted it (LOW bookkeeping still is).
    fn handle_message(_msg: Message) -> Result<Vec<Action>, HandlerError> {
        Ok(Vec::new())
    }

    /// Run one of the slash commands declared in the manifest.
    fn handle_command(cmd: CommandInvocation) -> Result<CommandReply, HandlerError> {
        Ok(text::reply_ephemeral(format!(
            "this cog has no command `/{}`",
            cmd.name
        )))
    }

    /// An event the manifest subscribed to (see [`Manifest::events`]).
    fn on_event(_event: Event) -> Result<Vec<Action>, HandlerError> {
        Ok(Vec::new())
    }
}

/// Export a type implementing [`Cog`] as the component's exports.
#[macro_export]
macro_rules! cog {
    ($ty:ty) => {
        #[doc(hidden)]
        pub struct __AstraCogExports;

        impl $crate::bindings::Guest for __AstraCogExports {
            fn init() {
                <$ty as $crate::Cog>::init()
            }
            fn manifest() -> $crate::CogManifest {
                <$ty as $crate::Cog>::manifest()
            }
            fn triage(msg: $crate::Message) -> ::core::option::Option<$crate::Priority> {
                <$ty as $crate::Cog>::triage(&msg)
            }
            fn handle_message(
                msg: $crate::Message,
            ) -> ::core::result::Result<::std::vec::Vec<$crate::Action>, $crate::HandlerError>
            {
                <$ty as $crate::Cog>::handle_message(msg)
            }
            fn handle_command(
                cmd: $crate::CommandInvocation,
            ) -> ::core::result::Result<$crate::CommandReply, $crate::HandlerError> {
                <$ty as $crate::Cog>::handle_command(cmd)
            }
            fn on_event(
                event: $crate::Event,
            ) -> ::core::result::Result<::std::vec::Vec<$crate::Action>, $crate::HandlerError>
            {
                <$ty as $crate::Cog>::on_event(event)
            }
        }

        $crate::bindings::export_cog_bindings!(__AstraCogExports with_types_in $crate::bindings);
    };
}
