//! Root filesystem images (`Command::root_image`): a directory the test builds (a statically
//! linked program and its files) becomes the run's `/` through an overlay whose upper layer is
//! fresh for every run; nothing of the host's directories is there, the image on the host is
//! never changed, and a missing image is an error naming it.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process;

use common::root;
use judge_engine::sandbox::{Command, RootImage, SandboxError, SpecError, Stdio};

/// A tiny image: `/bin/probe` (static), `/etc/greeting`, a 1777 `/scratch` of the sandbox's
/// root, a root-only `/locked`.
fn image() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("judge-image")
        .tempdir()
        .unwrap();
    let at = |p: &str| dir.path().join(p);
    for (d, mode) in [
        ("", 0o755),
        ("bin", 0o755),
        ("etc", 0o755),
        ("scratch", 0o1777),
        ("locked", 0o755),
    ] {
        std::fs::create_dir_all(at(d)).unwrap();
        std::fs::set_permissions(at(d), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    std::fs::write(at("etc/greeting"), "hello from the image\n").unwrap();
    // A directory the program may write to must belong to an id the run's namespace maps
    // (here its root's, the sandbox's init host uid): the overlay copies a directory up with
    // its owner, and host root is not mapped. Root's own directories stay read-only.
    let config = judge_engine::sandbox::SandboxConfig::default();
    std::os::unix::fs::chown(
        at("scratch"),
        Some(config.init_host_uid),
        Some(config.init_host_gid),
    )
    .unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testcases/sandbox/root_probe.c");
    let status = process::Command::new("gcc")
        .args(["-O2", "-static", "-o"])
        .arg(at("bin/probe"))
        .arg(&source)
        .status()
        .unwrap();
    assert!(status.success(), "gcc -static root_probe.c");
    dir
}

fn probe(image: &Path, writable: bool) -> Command {
    let mut cmd = Command::new("/bin/probe");
    cmd.root_image(RootImage {
        path: image.to_path_buf(),
        writable,
        upper_size: 8 << 20,
    });
    cmd
}

/// Run and return stdout.
fn output(mut cmd: Command) -> String {
    let mut file = tempfile::tempfile().unwrap();
    cmd.stdout(Stdio::from(file.try_clone().unwrap()));
    let result = common::sandbox().run(cmd).unwrap();
    assert!(result.success(), "{result:?}");
    let mut text = String::new();
    std::io::Seek::rewind(&mut file).unwrap();
    std::io::Read::read_to_string(&mut file, &mut text).unwrap();
    text
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.extend(listing(&path));
        }
        all.push(path);
    }
    all.sort();
    all
}

#[test]
fn a_writable_image_root_is_fresh_for_every_run_and_the_image_never_changes() {
    if !root() {
        return;
    }
    let image = image();
    let before = listing(image.path());
    for _ in 0..2 {
        let out = output(probe(image.path(), true));
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "greeting hello from the image",
                "host-usr absent",
                // The note the previous run wrote went with its upper layer.
                "scratch empty",
                "scratch write ok",
                "locked write EACCES",
                "etc write EACCES",
            ],
            "{out}"
        );
    }
    assert_eq!(listing(image.path()), before);
    assert!(!image.path().join("scratch/note").exists());
}

#[test]
fn a_read_only_image_root_refuses_every_write() {
    if !root() {
        return;
    }
    let image = image();
    let out = output(probe(image.path(), false));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "greeting hello from the image", "{out}");
    assert_eq!(lines[1], "host-usr absent", "{out}");
    assert_eq!(lines[3], "scratch write EROFS", "{out}");
}

#[test]
fn a_missing_image_is_an_error_naming_it() {
    if !root() {
        return;
    }
    let missing = Path::new("/nonexistent/judge-image");
    let err = common::sandbox().run(probe(missing, true)).unwrap_err();
    assert!(
        matches!(&err, SandboxError::Spec(SpecError::RootImage { path, .. }) if path == missing),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("/nonexistent/judge-image"),
        "{err}"
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    let err = common::sandbox().run(probe(file.path(), true)).unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[test]
fn a_pool_worker_that_reuses_environments_runs_an_image_root_fresh() {
    if !root() {
        return;
    }
    let image = image();
    let pool = common::pool(1, true);
    let path = image.path().to_path_buf();
    for _ in 0..2 {
        let path = path.clone();
        let (result, text) = pool
            .submit(move |worker| {
                let mut file = tempfile::tempfile().unwrap();
                let mut cmd = probe(&path, true);
                cmd.stdout(Stdio::from(file.try_clone().unwrap()));
                // No host directories: the image has its own /bin and /lib.
                let layout = judge_engine::sandbox::Layout {
                    mounts: Vec::new(),
                    ..common::layout()
                };
                let result = worker.run(layout, cmd).unwrap();
                let mut text = String::new();
                std::io::Seek::rewind(&mut file).unwrap();
                std::io::Read::read_to_string(&mut file, &mut text).unwrap();
                (result, text)
            })
            .wait();
        assert!(result.success(), "{result:?}");
        assert!(text.contains("scratch empty"), "{text}");
    }
    assert_eq!(pool.stats().envs_built, 0);
}
