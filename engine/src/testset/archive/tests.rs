//! The archive unpacker's rules, each against a hostile or broken archive.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;

use zip::write::SimpleFileOptions;

use super::*;

/// One entry of an archive a test builds.
struct Item {
    name: String,
    ty: tar::EntryType,
    mode: u32,
    data: Vec<u8>,
    target: String,
}

impl Item {
    fn mode(mut self, mode: u32) -> Item {
        self.mode = mode;
        self
    }
}

fn item(name: &str, ty: tar::EntryType, mode: u32, data: &[u8], target: &str) -> Item {
    Item {
        name: name.to_owned(),
        ty,
        mode,
        data: data.to_vec(),
        target: target.to_owned(),
    }
}

fn file(name: &str, data: &str) -> Item {
    item(name, tar::EntryType::Regular, 0o644, data.as_bytes(), "")
}

fn dir(name: &str) -> Item {
    item(name, tar::EntryType::Directory, 0o755, b"", "")
}

fn link(name: &str, target: &str) -> Item {
    item(name, tar::EntryType::Symlink, 0o777, b"", target)
}

fn tar(items: &[Item]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for item in items {
        // Filled in by hand: `Header::set_path` refuses the hostile names tests need.
        let mut header = tar::Header::new_gnu();
        let name = item.name.as_bytes();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_entry_type(item.ty);
        header.set_mode(item.mode);
        header.set_size(item.data.len() as u64);
        if !item.target.is_empty() {
            header.set_link_name_literal(&item.target).unwrap();
        }
        header.set_cksum();
        builder.append(&header, item.data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zip(items: &[Item]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for item in items {
        let options = SimpleFileOptions::default().unix_permissions(item.mode);
        match item.ty {
            tar::EntryType::Regular => {
                writer.start_file(item.name.as_str(), options).unwrap();
                writer.write_all(&item.data).unwrap();
            }
            tar::EntryType::Directory => writer.add_directory(item.name.as_str(), options).unwrap(),
            tar::EntryType::Symlink => writer
                .add_symlink(item.name.as_str(), item.target.as_str(), options)
                .unwrap(),
            other => panic!("no zip entry of type {other:?}"),
        }
    }
    writer.finish().unwrap().into_inner()
}

/// The package every format is tested with, under `prefix` (`""`, or `"pkg/"` for an
/// archive made of a folder).
fn package(prefix: &str) -> Vec<Item> {
    vec![
        file(&format!("{prefix}problem.yaml"), "name: Sum\n"),
        dir(&format!("{prefix}data/")),
        dir(&format!("{prefix}data/secret/")),
        file(&format!("{prefix}data/secret/1.in"), "1 2\n"),
        file(&format!("{prefix}data/secret/1.ans"), "3\n"),
    ]
}

#[derive(Debug, PartialEq, Eq)]
enum Node {
    File(Vec<u8>),
    Dir,
    Link(PathBuf),
}

fn expected_package() -> BTreeMap<String, Node> {
    BTreeMap::from([
        ("data".into(), Node::Dir),
        ("data/secret".into(), Node::Dir),
        ("data/secret/1.ans".into(), Node::File(b"3\n".to_vec())),
        ("data/secret/1.in".into(), Node::File(b"1 2\n".to_vec())),
        ("problem.yaml".into(), Node::File(b"name: Sum\n".to_vec())),
    ])
}

/// Everything under `root`, by relative path; links are read, never followed.
fn tree(root: &Path) -> BTreeMap<String, Node> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Node>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_symlink() {
                out.insert(rel, Node::Link(fs::read_link(&path).unwrap()));
            } else if meta.is_dir() {
                out.insert(rel, Node::Dir);
                walk(root, &path, out);
            } else {
                out.insert(rel, Node::File(fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Bytes of regular files under `root`.
fn content_bytes(root: &Path) -> u64 {
    let mut total = 0;
    for entry in fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            total += content_bytes(&path);
        } else if meta.is_file() {
            total += meta.len();
        }
    }
    total
}

/// A temporary directory holding `dest`, the empty directory to unpack into; a path that
/// escaped `dest` would show as a sibling of it.
fn scratch() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(dest_of(&tmp)).unwrap();
    tmp
}

fn dest_of(tmp: &tempfile::TempDir) -> PathBuf {
    tmp.path().join("dest")
}

fn try_unpack_with(
    bytes: &[u8],
    limits: &ArchiveLimits,
) -> (tempfile::TempDir, Result<Unpacked, ArchiveError>) {
    let tmp = scratch();
    let result = unpack(bytes, &dest_of(&tmp), limits);
    (tmp, result)
}

fn try_unpack(bytes: &[u8]) -> (tempfile::TempDir, Result<Unpacked, ArchiveError>) {
    try_unpack_with(bytes, &ArchiveLimits::default())
}

/// Nothing left `dest`.
fn assert_contained(tmp: &tempfile::TempDir) {
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["dest"]);
}

fn mode_of(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

// Rule 6: the format is told by magic bytes, and anything else is refused.

#[test]
fn detects_each_kind_by_its_magic_bytes() {
    let tar = tar(&package(""));
    assert_eq!(ArchiveKind::detect(&tar), Some(ArchiveKind::Tar));
    assert_eq!(ArchiveKind::detect(&gz(&tar)), Some(ArchiveKind::TarGz));
    assert_eq!(
        ArchiveKind::detect(&zip(&package(""))),
        Some(ArchiveKind::Zip)
    );
    assert_eq!(ArchiveKind::detect(&zip(&[])), Some(ArchiveKind::Zip));
    assert_eq!(ArchiveKind::detect(b"name: Sum\n"), None);
    assert_eq!(ArchiveKind::detect(&[0; 1024]), None);
    assert_eq!(ArchiveKind::detect(b""), None);
}

#[test]
fn unknown_format_is_refused() {
    let (tmp, result) = try_unpack(b"problem.yaml, but not in an archive");
    let err = result.unwrap_err();
    assert!(matches!(err, ArchiveError::NotAnArchive), "{err:?}");
    assert_eq!(err.to_string(), "not a tar, tar.gz or zip archive");
    assert!(tree(&dest_of(&tmp)).is_empty());
}

// Rule 7: a normal package comes out as it went in.

#[test]
fn package_unpacks_identically_from_tar() {
    let (tmp, result) = try_unpack(&tar(&package("")));
    assert_eq!(
        result.unwrap(),
        Unpacked {
            files: 5,
            bytes: 16
        }
    );
    assert_eq!(tree(&dest_of(&tmp)), expected_package());
}

#[test]
fn package_unpacks_identically_from_tar_gz() {
    let (tmp, result) = try_unpack(&gz(&tar(&package(""))));
    assert_eq!(
        result.unwrap(),
        Unpacked {
            files: 5,
            bytes: 16
        }
    );
    assert_eq!(tree(&dest_of(&tmp)), expected_package());
}

#[test]
fn package_unpacks_identically_from_zip() {
    let (tmp, result) = try_unpack(&zip(&package("")));
    assert_eq!(
        result.unwrap(),
        Unpacked {
            files: 5,
            bytes: 16
        }
    );
    assert_eq!(tree(&dest_of(&tmp)), expected_package());
}

#[test]
fn empty_zip_unpacks_to_nothing() {
    let (tmp, result) = try_unpack(&zip(&[]));
    assert_eq!(result.unwrap(), Unpacked { files: 0, bytes: 0 });
    assert!(tree(&dest_of(&tmp)).is_empty());
}

#[test]
fn missing_parent_directories_are_made() {
    let (tmp, result) = try_unpack(&tar(&[file("data/secret/group/1.in", "1\n")]));
    assert_eq!(result.unwrap(), Unpacked { files: 1, bytes: 2 });
    let dest = dest_of(&tmp);
    assert_eq!(
        fs::read(dest.join("data/secret/group/1.in")).unwrap(),
        b"1\n"
    );
    assert_eq!(mode_of(&dest.join("data/secret/group")), 0o755);
}

#[test]
fn destination_must_be_an_empty_directory() {
    let tmp = scratch();
    fs::write(dest_of(&tmp).join("old"), "x").unwrap();
    let err = unpack(
        &tar(&package("")),
        &dest_of(&tmp),
        &ArchiveLimits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ArchiveError::Destination { .. }), "{err:?}");
    assert!(err.to_string().ends_with("it is not empty"), "{err}");

    let missing = tmp.path().join("missing");
    let err = unpack(&tar(&package("")), &missing, &ArchiveLimits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::DestinationIo { .. }), "{err:?}");
}

// Rule 1: entry paths stay relative and inside the package.

#[test]
fn path_with_parent_component_is_refused() {
    let cases = [
        ("../x", tar(&[file("../x", "evil")])),
        ("a/../../x", gz(&tar(&[file("a/../../x", "evil")]))),
        ("../x", zip(&[file("../x", "evil")])),
        ("data/../../x", zip(&[file("data/../../x", "evil")])),
        // A Windows-made zip's separator is a separator.
        ("..\\x", zip(&[file("..\\x", "evil")])),
    ];
    for (name, bytes) in cases {
        let (tmp, result) = try_unpack(&bytes);
        let err = result.unwrap_err();
        assert!(
            matches!(err, ArchiveError::PathLeaves { .. }),
            "{name}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("archive entry {name:?}: its path leaves the package")
        );
        assert_contained(&tmp);
        assert!(tree(&dest_of(&tmp)).is_empty(), "{name}");
    }
}

#[test]
fn absolute_path_is_refused() {
    for (name, bytes) in [
        ("/tmp/evil", tar(&[file("/tmp/evil", "evil")])),
        ("/tmp/evil", zip(&[file("/tmp/evil", "evil")])),
    ] {
        let (tmp, result) = try_unpack(&bytes);
        let err = result.unwrap_err();
        assert!(matches!(err, ArchiveError::AbsolutePath { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!("archive entry {name:?}: its path is absolute")
        );
        assert!(tree(&dest_of(&tmp)).is_empty());
    }
}

#[test]
fn path_with_nul_is_refused() {
    // A tar header cannot carry a NUL in its name field; a zip's name can.
    let (tmp, result) = try_unpack(&zip(&[file("a\0b", "evil")]));
    let err = result.unwrap_err();
    assert!(matches!(err, ArchiveError::NulInPath { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "archive entry \"a\\0b\": its path holds a NUL byte"
    );
    assert!(tree(&dest_of(&tmp)).is_empty());
}

#[test]
fn leading_dot_slash_is_accepted_and_dot_is_skipped() {
    let items = [dir("./"), file("./a.txt", "a"), file("./sub/./b.txt", "b")];
    // A zip writer spells `.` as `./`, which would be listed twice.
    let tar_only = [dir("."), file("", "")];
    let tar_items: Vec<Item> = items.into_iter().chain(tar_only).collect();
    let zip_items = &tar_items[..3];
    for bytes in [tar(&tar_items), zip(zip_items)] {
        let (tmp, result) = try_unpack(&bytes);
        assert_eq!(result.unwrap(), Unpacked { files: 2, bytes: 2 });
        assert_eq!(
            tree(&dest_of(&tmp)),
            BTreeMap::from([
                ("a.txt".into(), Node::File(b"a".to_vec())),
                ("sub".into(), Node::Dir),
                ("sub/b.txt".into(), Node::File(b"b".to_vec())),
            ])
        );
    }
}

// Rule 2: files, directories and links that stay inside; nothing else.

#[test]
fn relative_link_inside_the_package_is_made() {
    // Listed before its target and before its own directory: links come last anyway.
    let items = [
        link("data/sample/1.in", "../secret/1.in"),
        file("data/secret/1.in", "1 2\n"),
    ];
    for bytes in [tar(&items), gz(&tar(&items)), zip(&items)] {
        let (tmp, result) = try_unpack(&bytes);
        assert_eq!(result.unwrap(), Unpacked { files: 2, bytes: 4 });
        let sample = dest_of(&tmp).join("data/sample/1.in");
        assert_eq!(fs::read_link(&sample).unwrap(), Path::new("../secret/1.in"));
        assert_eq!(fs::read(&sample).unwrap(), b"1 2\n");
    }
}

#[test]
fn link_with_absolute_target_is_refused() {
    let items = [link("data/x", "/etc/passwd")];
    for bytes in [tar(&items), zip(&items)] {
        let (tmp, result) = try_unpack(&bytes);
        let err = result.unwrap_err();
        assert!(matches!(err, ArchiveError::LinkAbsolute { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "archive entry \"data/x\": its link target \"/etc/passwd\" is absolute"
        );
        assert!(tree(&dest_of(&tmp)).is_empty());
    }
}

#[test]
fn link_climbing_out_of_the_package_is_refused() {
    for (name, target) in [
        ("data/x", "../../etc/passwd"),
        ("x", ".."),
        ("a/b/x", "../../.."),
        ("a/x", "b/../../../y"),
    ] {
        let items = [link(name, target)];
        for bytes in [tar(&items), zip(&items)] {
            let (tmp, result) = try_unpack(&bytes);
            let err = result.unwrap_err();
            assert!(matches!(err, ArchiveError::LinkLeaves { .. }), "{err:?}");
            assert_eq!(
                err.to_string(),
                format!("archive entry {name:?}: its link target {target:?} leaves the package")
            );
            assert!(tree(&dest_of(&tmp)).is_empty());
        }
    }
}

#[test]
fn link_through_another_link_cannot_climb_out() {
    // Lexically `d/e/t` points at `d`; followed through `s` (the package root) by the
    // kernel as written, `s/../..` would be the root's parent's parent.
    let items = [
        link("d/e/s", "../.."),
        link("d/e/t", "s/../.."),
        file("d/f", "inside"),
    ];
    let (tmp, result) = try_unpack(&tar(&items));
    result.unwrap();
    let dest = dest_of(&tmp);
    assert_eq!(fs::read_link(dest.join("d/e/t")).unwrap(), Path::new(".."));
    assert_eq!(
        fs::canonicalize(dest.join("d/e/t")).unwrap(),
        fs::canonicalize(dest.join("d")).unwrap()
    );
    assert_eq!(fs::read(dest.join("d/e/t/f")).unwrap(), b"inside");
}

#[test]
fn link_target_is_written_in_normal_form() {
    assert_eq!(
        link_target(Path::new("data/sample/1.in"), b"./../secret/./1.in"),
        Ok(PathBuf::from("../secret/1.in"))
    );
    assert_eq!(
        link_target(Path::new("a/l"), b"x/.."),
        Ok(PathBuf::from("."))
    );
    assert_eq!(link_target(Path::new("l"), b"/"), Err(BadTarget::Absolute));
    assert_eq!(
        link_target(Path::new("l"), b"a/../.."),
        Err(BadTarget::Leaves)
    );
}

#[test]
fn hard_links_devices_and_fifos_are_refused() {
    for (ty, kind) in [
        (tar::EntryType::Link, "hard link"),
        (tar::EntryType::Char, "character device"),
        (tar::EntryType::Block, "block device"),
        (tar::EntryType::Fifo, "FIFO"),
    ] {
        let items = [file("a.txt", "a"), item("dev", ty, 0o644, b"", "a.txt")];
        let (_tmp, result) = try_unpack(&tar(&items));
        let err = result.unwrap_err();
        assert!(matches!(err, ArchiveError::Unsupported { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "archive entry \"dev\": it is a {kind}; a package holds only files, \
                 directories and symbolic links"
            )
        );
    }
}

// Rule 3: files are written only through directories the unpacker made.

#[test]
fn link_is_not_written_through_by_a_later_entry() {
    let items = [dir("other/"), link("sub", "other"), file("sub/x", "evil")];
    for bytes in [tar(&items), zip(&items)] {
        let (tmp, result) = try_unpack(&bytes);
        let err = result.unwrap_err();
        assert!(matches!(err, ArchiveError::Duplicate { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "archive entry \"sub\": its path is already taken by another entry"
        );
        let dest = dest_of(&tmp);
        assert!(!dest.join("other/x").exists());
        assert!(fs::symlink_metadata(dest.join("sub")).unwrap().is_dir());
    }
}

#[test]
fn duplicate_file_is_refused() {
    let (tmp, result) = try_unpack(&tar(&[file("a.txt", "first"), file("a.txt", "second")]));
    let err = result.unwrap_err();
    assert!(matches!(err, ArchiveError::Duplicate { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "archive entry \"a.txt\": its path is already taken by another entry"
    );
    assert_eq!(fs::read(dest_of(&tmp).join("a.txt")).unwrap(), b"first");

    // A zip's central directory keys entries by name; a spelling apart is still a duplicate.
    let (_tmp, result) = try_unpack(&zip(&[file("a.txt", "first"), file("./a.txt", "2")]));
    let err = result.unwrap_err();
    assert!(
        matches!(&err, ArchiveError::Duplicate { entry } if entry == "./a.txt"),
        "{err:?}"
    );
}

#[test]
fn file_where_a_file_is_a_parent_is_refused() {
    let (_tmp, result) = try_unpack(&tar(&[file("a", "x"), file("a/b", "y")]));
    let err = result.unwrap_err();
    assert_eq!(
        err.to_string(),
        "archive entry \"a/b\": \"a\" is already there and is not a directory"
    );
}

#[test]
fn file_is_not_created_through_a_planted_link() {
    let tmp = scratch();
    let outside = tmp.path().join("outside");
    fs::write(&outside, "host file").unwrap();
    std::os::unix::fs::symlink(&outside, dest_of(&tmp).join("f")).unwrap();
    let dest = dest_of(&tmp);
    let limits = ArchiveLimits::default();
    let mut out = Unpacker::new(&dest, &limits);
    let err = out
        .file("f", Path::new("f"), false, &mut &b"evil"[..])
        .unwrap_err();
    assert!(matches!(err, ArchiveError::Duplicate { .. }), "{err:?}");
    assert_eq!(fs::read(&outside).unwrap(), b"host file");
}

#[test]
fn parent_that_is_a_link_is_not_followed() {
    let tmp = scratch();
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, dest_of(&tmp).join("d")).unwrap();
    let dest = dest_of(&tmp);
    let limits = ArchiveLimits::default();
    let mut out = Unpacker::new(&dest, &limits);
    let err = out
        .file("d/x", Path::new("d/x"), false, &mut &b"evil"[..])
        .unwrap_err();
    assert!(
        matches!(&err, ArchiveError::NotADirectory { path, .. } if path == Path::new("d")),
        "{err:?}"
    );
    assert!(tree(&outside).is_empty());
}

// Rule 4: bytes are counted as written, entries as read.

/// 64 MiB of zeros, deflated to a few tens of KiB.
fn zip_bomb() -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_level(Some(1));
    writer.start_file("data/secret/1.in", options).unwrap();
    let zeros = vec![0; 1 << 20];
    for _ in 0..64 {
        writer.write_all(&zeros).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn zip_bomb_stops_at_the_byte_limit() {
    let bomb = zip_bomb();
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let limits = ArchiveLimits {
        max_bytes: 1 << 20,
        ..ArchiveLimits::default()
    };
    let (tmp, result) = try_unpack_with(&bomb, &limits);
    let err = result.unwrap_err();
    assert!(
        matches!(err, ArchiveError::TooLarge { limit } if limit == 1 << 20),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the package unpacks to more than the limit of 1048576 bytes"
    );
    assert!(content_bytes(&dest_of(&tmp)) <= 1 << 20);
}

#[test]
fn gzip_bomb_stops_at_the_byte_limit() {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    let mut header = tar::Header::new_gnu();
    header.set_path("data/secret/1.in").unwrap();
    header.set_size(64 << 20);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append(&header, io::repeat(0).take(64 << 20))
        .unwrap();
    let bomb = builder.into_inner().unwrap().finish().unwrap();
    let limits = ArchiveLimits {
        max_bytes: 1 << 20,
        ..ArchiveLimits::default()
    };
    let (tmp, result) = try_unpack_with(&bomb, &limits);
    let err = result.unwrap_err();
    assert!(matches!(err, ArchiveError::TooLarge { .. }), "{err:?}");
    assert!(content_bytes(&dest_of(&tmp)) <= 1 << 20);
}

#[test]
fn bytes_are_counted_across_files() {
    let chunk = "x".repeat(600 << 10);
    let items = [
        file("1.in", &chunk),
        file("2.in", &chunk),
        file("3.in", &chunk),
    ];
    let limits = ArchiveLimits {
        max_bytes: 1 << 20,
        ..ArchiveLimits::default()
    };
    for bytes in [tar(&items), zip(&items)] {
        let (tmp, result) = try_unpack_with(&bytes, &limits);
        let err = result.unwrap_err();
        assert!(matches!(err, ArchiveError::TooLarge { .. }), "{err:?}");
        let dest = dest_of(&tmp);
        assert!(content_bytes(&dest) <= 1 << 20);
        assert!(!dest.join("3.in").exists(), "went on after the limit");
    }
}

#[test]
fn data_of_skipped_entries_counts_against_the_stream_cap() {
    // `.` is skipped, but its data still has to be decompressed to reach the next header.
    let big = "x".repeat(4 << 20);
    let bytes = gz(&tar(&[file(".", &big), file("a.txt", "a")]));
    let limits = ArchiveLimits {
        max_bytes: 0,
        max_files: 2,
    };
    let (tmp, result) = try_unpack_with(&bytes, &limits);
    let err = result.unwrap_err();
    assert!(
        matches!(err, ArchiveError::TooLarge { limit: 0 }),
        "{err:?}"
    );
    assert!(tree(&dest_of(&tmp)).is_empty());
}

#[test]
fn too_many_entries_are_refused() {
    let limits = ArchiveLimits {
        max_files: 2,
        ..ArchiveLimits::default()
    };
    let items = [file("1.in", "1"), file("1.ans", "1"), file("2.in", "2")];
    for bytes in [tar(&items), gz(&tar(&items)), zip(&items)] {
        let (_tmp, result) = try_unpack_with(&bytes, &limits);
        let err = result.unwrap_err();
        assert!(
            matches!(err, ArchiveError::TooManyFiles { limit: 2 }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "the archive holds more than the limit of 2 entries"
        );
    }
    let (_tmp, result) = try_unpack_with(&tar(&items[..2]), &limits);
    assert_eq!(result.unwrap().files, 2);
}

// Rule 5: modes are the unpacker's.

#[test]
fn modes_are_normalised() {
    let items = [
        file("plain", "").mode(0o600),
        file("script", "").mode(0o744),
        file("group-exec", "").mode(0o650),
        file("setuid", "").mode(0o4755),
        file("setgid", "").mode(0o2644),
        dir("sticky/").mode(0o1777),
        dir("closed/").mode(0o700),
    ];
    let (tmp, result) = try_unpack(&tar(&items));
    result.unwrap();
    let dest = dest_of(&tmp);
    for (name, mode) in [
        ("plain", 0o644),
        ("script", 0o755),
        ("group-exec", 0o755),
        ("setuid", 0o755),
        ("setgid", 0o644),
        ("sticky", 0o755),
        ("closed", 0o755),
    ] {
        assert_eq!(mode_of(&dest.join(name)), mode, "{name}");
    }

    let items = [
        file("run", "").mode(0o700),
        file("data", "").mode(0o600),
        dir("closed/").mode(0o700),
    ];
    let (tmp, result) = try_unpack(&zip(&items));
    result.unwrap();
    let dest = dest_of(&tmp);
    for (name, mode) in [("run", 0o755), ("data", 0o644), ("closed", 0o755)] {
        assert_eq!(mode_of(&dest.join(name)), mode, "{name}");
    }
}

// Rule 7: the root of an archive made of a folder; damaged archives.

#[test]
fn package_root_strips_one_wrapping_folder() {
    let (tmp, result) = try_unpack(&zip(&package("pkg/")));
    result.unwrap();
    let root = package_root(&dest_of(&tmp));
    assert_eq!(root, dest_of(&tmp).join("pkg"));
    assert_eq!(tree(&root), expected_package());
}

#[test]
fn package_root_strips_no_more_than_one_folder() {
    let (tmp, result) = try_unpack(&tar(&[file("pkg/inner/problem.yaml", "name: Sum\n")]));
    result.unwrap();
    assert_eq!(package_root(&dest_of(&tmp)), dest_of(&tmp).join("pkg"));
}

#[test]
fn package_root_is_dest_otherwise() {
    for items in [
        package(""),
        vec![file("problem.yaml", "name: Sum\n")],
        vec![dir("data/"), file("problem.yaml", "name: Sum\n")],
        vec![dir("pkg/"), link("link", "pkg")],
        vec![link("pkg", ".")],
        vec![],
    ] {
        let (tmp, result) = try_unpack(&zip(&items));
        result.unwrap();
        assert_eq!(package_root(&dest_of(&tmp)), dest_of(&tmp));
    }
}

#[test]
fn truncated_archives_are_errors_not_panics() {
    let big = "0123456789".repeat(300);
    let items = [
        file("problem.yaml", "name: Sum\n"),
        file("data/secret/1.in", &big),
    ];
    let tar = tar(&items);
    for bytes in [tar.clone(), gz(&tar), zip(&items)] {
        for cut in (1..bytes.len()).step_by(61) {
            // Some cuts leave a whole archive (a tar's end blocks only); none may panic.
            let _ = try_unpack(&bytes[..cut]);
        }
    }

    // Three headers and a block of `problem.yaml`, then 1000 bytes of `1.in`'s 3000.
    let (_tmp, result) = try_unpack(&tar[..3 * 512 + 1000]);
    let err = result.unwrap_err();
    assert_eq!(
        err.to_string(),
        "archive entry \"data/secret/1.in\": the archive ends inside it (truncated)"
    );

    let tar_gz = gz(&tar);
    let (_tmp, result) = try_unpack(&tar_gz[..tar_gz.len() / 2]);
    assert!(result.is_err());

    let zip = zip(&items);
    let (_tmp, result) = try_unpack(&zip[..zip.len() / 2]);
    assert!(
        matches!(result, Err(ArchiveError::Corrupt { .. })),
        "{result:?}"
    );
}

#[test]
fn corrupt_zip_data_is_an_error_naming_the_entry() {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    writer.start_file("data/secret/1.in", stored).unwrap();
    writer.write_all(b"the input of test one").unwrap();
    let mut bytes = writer.finish().unwrap().into_inner();
    let at = bytes
        .windows(5)
        .position(|w| w == b"input")
        .expect("stored data");
    bytes[at] = b'X';
    let (_tmp, result) = try_unpack(&bytes);
    let err = result.unwrap_err();
    assert!(
        matches!(&err, ArchiveError::Read { entry, .. } if entry == "data/secret/1.in"),
        "{err:?}"
    );
}
