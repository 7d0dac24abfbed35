//! The one protocol of a reused environment: what the engine, its init and its spares say to
//! each other, and how it travels.
//!
//! - Engine → init, on the sync socket: [`Request::Confine`] once (the seccomp programs, the
//!   program's uid and gid, the kernel's last capability), [`Request::Sockets`] with the spares'
//!   ends of the sockets the engine will reach spares through (made in the engine's network
//!   namespace: the sandbox's own holds no socket but the runs'), and [`Request::Reset`] whenever
//!   the engine has killed what a run left behind.
//! - Engine → spare, on the spare's own socket: [`Request::Run`], with stdin, stdout and stderr
//!   attached as `SCM_RIGHTS`.
//! - Init → engine: fixed-size [`Record`](crate::sandbox::stage::Record)s: `Ready`, `Spare`
//!   (a new spare, on the next of the sockets the engine gave, in order), `Exited`, `Cleaned`,
//!   `Error`.
//! - Spare → engine: a `Started` record when it takes its request, an `Error` record if a step
//!   before execve fails; its socket closes at execve.
//!
//! A request is one `SOCK_SEQPACKET` message: a kind, then its fields, length-prefixed in
//! native byte order (every end is the same binary).

use std::ffi::{CStr, CString};
use std::io::IoSlice;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};

use crate::sandbox::rlimit::Rlimit;
use crate::sandbox::stage::SYNC_FD;

/// argv[0] of the hidden init mode.
pub(crate) const INIT_ARGV0: &CStr = c"judge-sandbox-init";
/// Where a reused environment's child keeps the engine's binary until it executes it.
pub(crate) const EXE_FD: RawFd = SYNC_FD + 1;

const RUN: u32 = 1;
const RESET: u32 = 2;
const CONFINE: u32 = 3;
const SOCKETS: u32 = 4;
/// The largest request: the seccomp programs dominate (a few KiB each).
pub(crate) const MAX_REQUEST: usize = 1 << 20;
/// Descriptors a message may carry: stdio, or a spare's socket.
const MAX_FDS: usize = 4;

/// What a run needs, as the init receives it.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct RunRequest {
    pub argv: Vec<CString>,
    pub env: Vec<CString>,
    pub cwd: CString,
    pub rlimits: Vec<Rlimit>,
}

/// What the init needs to confine itself and switch its spares.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Confinement {
    /// The seccomp programs (each a `sock_filter` array, 8 bytes an instruction).
    pub filters: Vec<Vec<u8>>,
    /// The program's uid and gid inside.
    pub uid: u32,
    pub gid: u32,
    /// /proc/sys/kernel/cap_last_cap.
    pub last_cap: u32,
}

/// A request.
#[derive(Debug, PartialEq)]
pub(crate) enum Request {
    Run(RunRequest),
    /// Clean up again (the engine killed what the run left) and say whether the environment is
    /// as new.
    Reset,
    /// Install these seccomp programs in the init itself, once: every spare inherits them.
    Confine(Confinement),
    /// Spares' ends of sockets (attached): one for each spare to come, in order.
    Sockets,
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_ne_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_ne_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
}

impl Request {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(8 << 10));
        match self {
            Request::Reset => w.u32(RESET),
            Request::Sockets => w.u32(SOCKETS),
            Request::Confine(c) => {
                w.u32(CONFINE);
                w.u32(c.uid);
                w.u32(c.gid);
                w.u32(c.last_cap);
                w.u32(c.filters.len() as u32);
                for f in &c.filters {
                    w.bytes(f);
                }
            }
            Request::Run(r) => {
                w.u32(RUN);
                w.u32(r.argv.len() as u32);
                for a in &r.argv {
                    w.bytes(a.as_bytes());
                }
                w.u32(r.env.len() as u32);
                for e in &r.env {
                    w.bytes(e.as_bytes());
                }
                w.bytes(r.cwd.as_bytes());
                w.u32(r.rlimits.len() as u32);
                for l in &r.rlimits {
                    w.u32(l.resource);
                    w.u64(l.value);
                }
            }
        }
        w.0
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Request> {
        let mut r = Reader(bytes);
        match r.u32()? {
            RESET => r.0.is_empty().then_some(Request::Reset),
            SOCKETS => r.0.is_empty().then_some(Request::Sockets),
            CONFINE => {
                let mut c = Confinement {
                    uid: r.u32()?,
                    gid: r.u32()?,
                    last_cap: r.u32()?,
                    ..Confinement::default()
                };
                for _ in 0..r.u32()? {
                    let filter = r.bytes()?;
                    if filter.is_empty() || filter.len() % 8 != 0 {
                        return None;
                    }
                    c.filters.push(filter.to_vec());
                }
                r.0.is_empty().then_some(Request::Confine(c))
            }
            RUN => {
                let mut run = RunRequest::default();
                for _ in 0..r.u32()? {
                    run.argv.push(r.cstring()?);
                }
                for _ in 0..r.u32()? {
                    run.env.push(r.cstring()?);
                }
                run.cwd = r.cstring()?;
                for _ in 0..r.u32()? {
                    let resource = r.u32()?;
                    let value = r.u64()?;
                    run.rlimits.push(Rlimit { resource, value });
                }
                (r.0.is_empty() && !run.argv.is_empty()).then_some(Request::Run(run))
            }
            _ => None,
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_ne_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn cstring(&mut self) -> Option<CString> {
        CString::new(self.bytes()?).ok()
    }
}

/// Send `bytes` with `fds` attached.
pub(crate) fn send(sock: RawFd, bytes: &[u8], fds: &[RawFd]) -> std::io::Result<()> {
    let iov = [IoSlice::new(bytes)];
    let cmsg = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage] = if fds.is_empty() { &[] } else { &cmsg };
    let n = sendmsg::<()>(sock, &iov, cmsgs, MsgFlags::empty(), None)?;
    if n != bytes.len() {
        return Err(std::io::Error::from_raw_os_error(libc::EMSGSIZE));
    }
    Ok(())
}

/// Receive one message into `buf`, with the descriptors it carries (close-on-exec). `Ok(None)`
/// at end of file.
pub(crate) fn receive(
    sock: RawFd,
    buf: &mut [u8],
) -> std::io::Result<Option<(usize, Vec<OwnedFd>)>> {
    let mut cmsg = nix::cmsg_space!([RawFd; MAX_FDS]);
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let msg = loop {
        match recvmsg::<()>(sock, &mut iov, Some(&mut cmsg), MsgFlags::MSG_CMSG_CLOEXEC) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => break other?,
        }
    };
    let mut fds = Vec::new();
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(received) = c {
            // SAFETY: the kernel just installed these descriptors for us; nothing else owns them.
            fds.extend(
                received
                    .into_iter()
                    .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
            );
        }
    }
    if msg.bytes == 0 && fds.is_empty() {
        return Ok(None);
    }
    if msg.flags.contains(MsgFlags::MSG_TRUNC) || msg.flags.contains(MsgFlags::MSG_CTRUNC) {
        return Err(std::io::Error::from_raw_os_error(libc::EMSGSIZE));
    }
    Ok(Some((msg.bytes, fds)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_run_request_round_trips() {
        let run = RunRequest {
            argv: vec![
                CString::new("/bin/echo").unwrap(),
                CString::new("hi").unwrap(),
            ],
            env: vec![CString::new("A=1").unwrap()],
            cwd: CString::new("/work").unwrap(),
            rlimits: vec![Rlimit {
                resource: libc::RLIMIT_CPU,
                value: 3,
            }],
        };
        let req = Request::Run(run);
        assert_eq!(Request::decode(&req.encode()), Some(req));
        assert_eq!(
            Request::decode(&Request::Reset.encode()),
            Some(Request::Reset)
        );
        let confine = Request::Confine(Confinement {
            filters: vec![vec![1; 16], vec![2; 8]],
            uid: 1000,
            gid: 1001,
            last_cap: 40,
        });
        assert_eq!(Request::decode(&confine.encode()), Some(confine));
    }

    #[test]
    fn truncated_or_malformed_requests_are_refused() {
        let run = Request::Run(RunRequest {
            argv: vec![CString::new("/bin/true").unwrap()],
            cwd: CString::new("/").unwrap(),
            ..RunRequest::default()
        });
        let bytes = run.encode();
        for cut in 0..bytes.len() {
            assert_eq!(Request::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Request::decode(&longer), None);
        assert_eq!(Request::decode(&99u32.to_ne_bytes()), None);
    }

    #[test]
    fn descriptors_travel_with_the_message() {
        let (a, b) = nix::sys::socket::socketpair(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::SeqPacket,
            None,
            nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        )
        .unwrap();
        let file = tempfile::tempfile().unwrap();
        let fd: OwnedFd = file.into();
        send(a.as_raw_fd(), b"hello", &[fd.as_raw_fd()]).unwrap();
        let mut buf = [0u8; 64];
        let (n, fds) = receive(b.as_raw_fd(), &mut buf).unwrap().unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(fds.len(), 1);
        drop(a);
        assert!(receive(b.as_raw_fd(), &mut buf).unwrap().is_none());
    }
}
