//! Gateways turn a platform's events into [`crate::event::Message`]s for the
//! dispatcher and carry out the actions that come back. They know nothing about cogs.
//!
//! - `local`: shared helpers for the no-network gateways (mention parsing, printing)
//! - `replay`: JSON Lines in, one JSON outcome line per message out
//! - `console`: an interactive chat on stdin/stdout
//! - `discord`: the real thing, through serenity (used when a bot token is configured)
//! - `web`: a local web page beside the console: the same chat in a browser, a live
//!   dashboard and the bench scenarios

pub mod console;
pub mod discord;
pub mod local;
pub mod replay;
pub mod web;
