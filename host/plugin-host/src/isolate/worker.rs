//! The worker side: `dos __plugin-worker FILE` loads one plugin file and
//! serves construct/call requests from its host until its input closes.
//!
//! Before the file is loaded the worker takes private (close-on-exec) copies
//! of its stdin and stdout for the protocol, then points fd 1 at stderr and
//! fd 0 at `/dev/null`: whatever a plugin prints — at load time or in a
//! call — lands on stderr and can never corrupt the protocol pipe or reach
//! the host's stdout.

use super::protocol::{self, ConstructRequest, Ready};
use crate::loader;
use abi_stable::std_types::{RErr, ROk, RSlice, RStr, RString};
use dos_plugin_api::ffi::{
    DriverBox, DriverFfi, ExporterBox, ExporterFfi, JudgeBox, JudgeFfi, NotifierBox, NotifierFfi,
    StopPolicyBox, StopPolicyFfi,
};
use dos_plugin_api::{FfiError, FfiResult, Group, PluginRoot_Ref};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::os::fd::AsFd;
use std::path::Path;

enum Driver {
    Exporter(ExporterBox),
    Notifier(NotifierBox),
    StopPolicy(StopPolicyBox),
    Judge(JudgeBox),
    Generic(DriverBox),
}

/// Why the worker could not set up its pipes.
#[derive(Debug, thiserror::Error)]
#[error("plugin worker: cannot set up the protocol pipe: {0}")]
pub struct WorkerSetupError(#[from] std::io::Error);

struct Pipes {
    input: BufReader<File>,
    output: File,
}

fn private_pipes() -> Result<Pipes, WorkerSetupError> {
    let input = rustix::io::fcntl_dupfd_cloexec(std::io::stdin().as_fd(), 3).map_err(std::io::Error::from)?;
    let output =
        rustix::io::fcntl_dupfd_cloexec(std::io::stdout().as_fd(), 3).map_err(std::io::Error::from)?;
    rustix::stdio::dup2_stdout(std::io::stderr().as_fd()).map_err(std::io::Error::from)?;
    let null = File::open("/dev/null")?;
    rustix::stdio::dup2_stdin(&null).map_err(std::io::Error::from)?;
    Ok(Pipes {
        input: BufReader::with_capacity(64 * 1024, File::from(input)),
        output: File::from(output),
    })
}

/// Run the worker for `file`; returns the process exit code.
pub fn serve(file: &Path) -> Result<i32, WorkerSetupError> {
    let mut pipes = private_pipes()?;
    let mut out = Vec::with_capacity(4096);
    let loaded = loader::load(file);
    let ready = match &loaded {
        Ok(p) => Ready {
            pid: std::process::id(),
            manifest: Some(p.manifest.clone()),
            error: None,
        },
        Err(e) => Ready {
            pid: std::process::id(),
            manifest: None,
            error: Some(e.0.clone()),
        },
    };
    let json = serde_json::to_vec(&ready).unwrap_or_default();
    if send(&mut pipes.output, &mut out, protocol::RESP_READY, &json).is_err() {
        return Ok(1);
    }
    let root = match loaded.ok().and_then(|p| p.root) {
        Some(root) => root,
        None => return Ok(0),
    };
    let mut drivers: Vec<Driver> = Vec::new();
    let mut request = Vec::with_capacity(64 * 1024);
    loop {
        let mut head = [0u8; protocol::HEADER_LEN];
        if pipes.input.read_exact(&mut head).is_err() {
            return Ok(0);
        }
        let header = match protocol::parse_header(&head) {
            Ok(h) => h,
            Err(e) => {
                eprintln!("plugin worker: {e}; exiting");
                return Ok(2);
            }
        };
        request.resize(header.len, 0);
        if pipes.input.read_exact(&mut request).is_err() {
            return Ok(0);
        }
        let (kind, payload) = handle(root, &mut drivers, header.kind, &request);
        if send(&mut pipes.output, &mut out, kind, &payload).is_err() {
            return Ok(0);
        }
    }
}

fn send(output: &mut File, out: &mut Vec<u8>, kind: u8, payload: &[u8]) -> std::io::Result<()> {
    out.clear();
    protocol::put_header(out, kind, payload.len());
    out.extend_from_slice(payload);
    output.write_all(out)
}

fn reply(result: FfiResult<RString>) -> (u8, Vec<u8>) {
    match result {
        ROk(text) => (protocol::RESP_OK, text.into_string().into_bytes()),
        RErr(e) => (
            protocol::RESP_ERR,
            protocol::encode_err(e.kind, e.message.as_str()),
        ),
    }
}

fn refuse(message: String) -> (u8, Vec<u8>) {
    (
        protocol::RESP_ERR,
        protocol::encode_err(FfiError::RETURNED, &format!("plugin worker: {message}")),
    )
}

fn handle(root: PluginRoot_Ref, drivers: &mut Vec<Driver>, kind: u8, payload: &[u8]) -> (u8, Vec<u8>) {
    match kind {
        protocol::REQ_CONSTRUCT => construct(root, drivers, payload),
        protocol::REQ_EXPORT => match protocol::decode_batch(payload) {
            Ok((id, events)) => match drivers.get_mut(id as usize) {
                Some(Driver::Exporter(d)) => reply(ExporterFfi::export(
                    d,
                    RSlice::from_slice(&events),
                    RStr::from("{}"),
                )),
                _ => refuse(format!("driver {id} is not an exporter")),
            },
            Err(e) => refuse(e.to_string()),
        },
        protocol::REQ_CALL => match protocol::decode_call(payload) {
            Ok((id, method, input)) => {
                let input = RStr::from(input);
                match drivers.get_mut(id as usize) {
                    Some(Driver::Notifier(d)) => reply(NotifierFfi::send(d, input)),
                    Some(Driver::StopPolicy(d)) => reply(StopPolicyFfi::decide(d, input)),
                    Some(Driver::Judge(d)) => reply(JudgeFfi::rule(d, input)),
                    Some(Driver::Generic(d)) => reply(DriverFfi::call(d, RStr::from(method), input)),
                    Some(Driver::Exporter(_)) => refuse(format!("driver {id} is an exporter")),
                    None => refuse(format!("no driver {id}")),
                }
            }
            Err(e) => refuse(e.to_string()),
        },
        other => refuse(format!("unknown request kind {other}")),
    }
}

fn construct(root: PluginRoot_Ref, drivers: &mut Vec<Driver>, payload: &[u8]) -> (u8, Vec<u8>) {
    let req: ConstructRequest = match serde_json::from_slice(payload) {
        Ok(r) => r,
        Err(e) => return refuse(format!("bad construct request: {e}")),
    };
    let (name, cfg) = (RStr::from(req.name.as_str()), RStr::from(req.config.as_str()));
    let made: FfiResult<Driver> = match Group::from_key(&req.group) {
        Some(Group::Exporters) => (root.new_exporter())(name, cfg).map(Driver::Exporter),
        Some(Group::Notifiers) => (root.new_notifier())(name, cfg).map(Driver::Notifier),
        Some(Group::StopPolicies) => (root.new_stop_policy())(name, cfg).map(Driver::StopPolicy),
        Some(Group::Judges) => (root.new_judge())(name, cfg).map(Driver::Judge),
        _ => (root.new_driver())(RStr::from(req.group.as_str()), name, cfg).map(Driver::Generic),
    };
    match made {
        ROk(d) => {
            drivers.push(d);
            (
                protocol::RESP_OK,
                ((drivers.len() - 1) as u32).to_le_bytes().to_vec(),
            )
        }
        RErr(e) => (
            protocol::RESP_ERR,
            protocol::encode_err(e.kind, e.message.as_str()),
        ),
    }
}
