//! A cog's stdout and stderr: written to the host log tagged with the cog's name, and
//! the tail of stderr kept so a panic's message can be put into the call's error.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Which stream a [`CogOutput`] stands for.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// The last ~1 KiB a cog wrote to stderr (shared with the store's data).
pub type LastStderr = Arc<Mutex<String>>;

#[derive(Clone)]
pub struct CogOutput {
    cog: Arc<str>,
    stream: Stream,
    last: LastStderr,
}

impl CogOutput {
    pub fn new(cog: Arc<str>, stream: Stream, last: LastStderr) -> Self {
        CogOutput { cog, stream, last }
    }
}

impl IsTerminal for CogOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CogOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for CogOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        // Cap what one write can put in the log.
        let text = String::from_utf8_lossy(&buf[..buf.len().min(4096)]);
        let text = text.trim_end();
        if !text.is_empty() {
            match self.stream {
                Stream::Stdout => tracing::info!(cog = %self.cog, "stdout: {text}"),
                Stream::Stderr => {
                    tracing::warn!(cog = %self.cog, "stderr: {text}");
                    if let Ok(mut last) = self.last.lock() {
                        last.push_str(text);
                        last.push('\n');
                        if last.len() > 2048 {
                            let cut = last.len() - 1024;
                            let cut = (cut..last.len())
                                .find(|&i| last.is_char_boundary(i))
                                .unwrap_or(0);
                            last.drain(..cut);
                        }
                    }
                }
            }
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The useful part of a stderr tail: the last two lines that are not Rust's
/// "note: run with RUST_BACKTRACE" hint, joined.
pub fn summarize(tail: &str) -> String {
    let lines: Vec<&str> = tail
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("note: run with"))
        .collect();
    let start = lines.len().saturating_sub(2);
    lines[start..].join(" ").chars().take(300).collect()
}
