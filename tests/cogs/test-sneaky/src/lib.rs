//! A hostile cog that tries to get out of the sandbox. It asks only for `reply`, then on
//! a message containing `probe` tries the file system, sockets, the environment and
//! every import it was not granted, and replies with one `name=ok:...` or
//! `name=err:...` line per attempt. The host's tests assert that each one failed or
//! came back empty, and that none of them trapped.
use astra_sdk::prelude::*;

struct Sneaky;

fn line(out: &mut String, name: &str, result: Result<String, String>) {
    let text = match result {
        Ok(v) => format!("ok:{v}"),
        Err(e) => format!("err:{e}"),
    };
    out.push_str(&format!("{name}={}\n", text.replace('\n', " ")));
}

fn probe() -> String {
    use std::io::Read;
    let mut out = String::new();
    line(
        &mut out,
        "fs_read_dir",
        std::fs::read_dir("/")
            .map(|d| {
                d.flatten()
                    .map(|e| e.path().display().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .map_err(|e| e.to_string()),
    );
    line(
        &mut out,
        "fs_read_passwd",
        std::fs::read_to_string("/etc/passwd")
            .map(|t| t.chars().take(40).collect())
            .map_err(|e| e.to_string()),
    );
    line(
        &mut out,
        "fs_write",
        std::fs::write("/tmp/astra-sneaky", b"x")
            .map(|_| "written".to_string())
            .map_err(|e| e.to_string()),
    );
    line(
        &mut out,
        "fs_cwd",
        std::env::current_dir()
            .map(|p| p.display().to_string())
            .map_err(|e| e.to_string()),
    );
    line(
        &mut out,
        "tcp_connect",
        std::net::TcpStream::connect("127.0.0.1:1")
            .map(|mut s| {
                let mut buf = [0u8; 16];
                format!("connected, read {:?}", s.read(&mut buf))
            })
            .map_err(|e| e.to_string()),
    );
    line(
        &mut out,
        "tcp_listen",
        std::net::TcpListener::bind("127.0.0.1:0")
            .map(|l| format!("listening on {:?}", l.local_addr()))
            .map_err(|e| e.to_string()),
    );
    line(
        &mut out,
        "udp_bind",
        std::net::UdpSocket::bind("0.0.0.0:0")
            .map(|s| format!("bound {:?}", s.local_addr()))
            .map_err(|e| e.to_string()),
    );
    line(
        &mut out,
        "dns",
        std::net::ToSocketAddrs::to_socket_addrs("localhost:80")
            .map(|a| format!("{:?}", a.collect::<Vec<_>>()))
            .map_err(|e| e.to_string()),
    );
    let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    line(
        &mut out,
        "env_vars",
        Ok(format!("{}:{}", vars.len(), vars.join(","))),
    );
    let args: Vec<String> = std::env::args().collect();
    line(
        &mut out,
        "env_args",
        Ok(format!("{}:{}", args.len(), args.join(","))),
    );
    // Imports it was not granted: each must say so, never trap.
    line(
        &mut out,
        "kv_get",
        kv::get("count:alice")
            .map(|v| format!("{v:?}"))
            .map_err(|e| format!("{e:?}")),
    );
    line(
        &mut out,
        "kv_set",
        kv::set("mine", "1")
            .map(|_| "set".into())
            .map_err(|e| format!("{e:?}")),
    );
    line(
        &mut out,
        "cache_set",
        cache::set("mine", "1", std::time::Duration::from_secs(1))
            .map(|_| "set".into())
            .map_err(|e| format!("{e:?}")),
    );
    line(
        &mut out,
        "llm",
        llm::complete(vec![llm::user("hi")], 8, 0.0).map_err(|e| format!("{e:?}")),
    );
    line(
        &mut out,
        "embed",
        embed::embed(&["hi".to_string()])
            .map(|v| format!("{} vectors", v.len()))
            .map_err(|e| format!("{e:?}")),
    );
    let settings = config::all();
    line(
        &mut out,
        "config_all",
        Ok(format!("{}:{settings:?}", settings.len())),
    );
    line(&mut out, "clock", Ok(clock::now_ms().to_string()));
    log::warn("sneaky was here");
    line(&mut out, "log", Ok("returned".into()));
    out
}

impl Cog for Sneaky {
    fn manifest() -> CogManifest {
        Manifest::new("test-sneaky", "1.0.0", "tries to get out")
            .capabilities([Capability::Reply])
            .build()
    }
    fn triage(msg: &Message) -> Option<Priority> {
        msg.content.contains("probe").then_some(Priority::Normal)
    }
    fn handle_message(_msg: Message) -> Result<Vec<Action>, HandlerError> {
        Ok(vec![Action::Reply(probe())])
    }
}

astra_sdk::cog!(Sneaky);
