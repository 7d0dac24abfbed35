//! A profile with a root filesystem image (`rootfs = { image = ..., overlay = true }`):
//! `judge run` judges a submission with the image's own interpreter, the host's directories
//! out of sight; a missing image is an error naming the profile and the path.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{judge, problem, root, text};

/// An image holding only `/bin/solver` (static), and a profile directory whose `rootfs`
/// profile runs it.
fn image_and_profile(dir: &Path, image_path: &str) {
    let image = dir.join("image");
    std::fs::create_dir_all(image.join("bin")).unwrap();
    for d in [&image, &image.join("bin")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testcases/rootfs/solver.c");
    let status = std::process::Command::new("gcc")
        .args(["-O2", "-static", "-o"])
        .arg(image.join("bin/solver"))
        .arg(&source)
        .status()
        .unwrap();
    assert!(status.success());
    let profiles = dir.join("profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    std::fs::write(
        profiles.join("imaged.toml"),
        format!(
            "name = \"imaged\"\nextensions = [\"imaged\"]\nsource_name = \"main.imaged\"\n\
             rootfs = {{ image = \"{image_path}\", overlay = true }}\n\n\
             [run]\ncommand = [\"/bin/solver\", \"{{source}}\"]\nprocesses = 4\n"
        ),
    )
    .unwrap();
}

#[test]
fn a_profile_with_a_root_image_judges_with_the_images_own_programs() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    image_and_profile(dir, dir.join("image").to_str().unwrap());
    let tests = problem("different");
    // `judge run --json` on a submission whose text is `source`, with the image profile.
    let judge_source = |source: &str| {
        let file = dir.join(format!("{source}.imaged"));
        std::fs::write(&file, source).unwrap();
        judge(&[
            "run",
            file.to_str().unwrap(),
            "--tests",
            tests.to_str().unwrap(),
            "--profiles",
            dir.join("profiles").to_str().unwrap(),
            "--json",
        ])
    };
    let run = |source: &str| {
        let out = judge_source(source);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
        doc["verdict"].as_str().unwrap().to_owned()
    };
    assert_eq!(run("solve"), "AC");
    assert_eq!(run("rest"), "WA");

    // A missing image: an error naming the profile file, the key and the path.
    let missing = dir.join("gone");
    image_and_profile(dir, missing.to_str().unwrap());
    let out = judge_source("solve");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("imaged.toml") && err.contains("rootfs.image") && err.contains("gone"),
        "{err}"
    );
}
