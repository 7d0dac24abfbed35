//! The class a Kotlin or Scala submission runs as, as its compiler names it.
//!
//! Kotlin puts a file's top-level functions in a class named after the file (`main.kt` is
//! `MainKt`, `two_sum.kt` is `Two_sumKt`) unless `@file:JvmName("Name")` renames it; the
//! program is the file with a top-level `fun main`. Scala runs an `object` with a `def main`
//! or one that `extends App`. Both lex as Java does (comments and literals dropped), and a
//! `package` line qualifies the name.

use super::java::{lex, Tok};

/// How a profile's `{class}` is found (`main_class` in the profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MainClass {
    /// The top-level class declaring `public static void main(String[])`.
    #[default]
    Java,
    /// The file class of the file declaring a top-level `fun main`.
    Kotlin,
    /// The top-level `object` declaring `def main` or extending `App`.
    Scala,
}

impl MainClass {
    pub const NAMES: [&'static str; 3] = ["java", "kotlin", "scala"];

    pub fn from_name(name: &str) -> Option<MainClass> {
        match name {
            "java" => Some(MainClass::Java),
            "kotlin" => Some(MainClass::Kotlin),
            "scala" => Some(MainClass::Scala),
            _ => None,
        }
    }

    /// The class the file `file_name` (its path in the submission) with `source` declares
    /// the program in, if it does.
    pub fn find(self, file_name: &str, source: &str) -> Option<String> {
        match self {
            MainClass::Java => super::java_main_class(source),
            MainClass::Kotlin => kotlin_main_class(file_name, source),
            MainClass::Scala => scala_main_object(source),
        }
    }
}

/// `name` inside the file's `package`, if it has one.
fn qualified(toks: &[Tok<'_>], name: &str) -> String {
    match package_name(toks) {
        Some(package) => format!("{package}.{name}"),
        None => name.to_owned(),
    }
}

/// `package a.b.c`, before any body: Kotlin and Scala end it with the line, not a `;`.
fn package_name(toks: &[Tok<'_>]) -> Option<String> {
    let start = toks
        .iter()
        .take_while(|t| **t != Tok::Sym('{'))
        .position(|t| *t == Tok::Ident("package"))?;
    let mut name = String::new();
    let mut rest = toks[start + 1..].iter();
    while let Some(Tok::Ident(part)) = rest.next() {
        name.push_str(part);
        if rest.next() != Some(&Tok::Sym('.')) {
            break;
        }
        name.push('.');
    }
    (!name.is_empty() && !name.ends_with('.')).then_some(name)
}

/// The file class of a Kotlin file with a top-level `fun main`.
pub fn kotlin_main_class(file_name: &str, source: &str) -> Option<String> {
    let toks = lex(source);
    let mut depth = 0usize;
    let mut has_main = false;
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            Tok::Sym('{') => depth += 1,
            Tok::Sym('}') => depth = depth.saturating_sub(1),
            // `fun main(`, not `fun String.main(` nor `fun <T> main(`.
            Tok::Ident("fun")
                if depth == 0
                    && toks.get(i + 1) == Some(&Tok::Ident("main"))
                    && toks.get(i + 2) == Some(&Tok::Sym('(')) =>
            {
                has_main = true;
            }
            _ => {}
        }
    }
    if !has_main {
        return None;
    }
    let name = jvm_name(source).unwrap_or_else(|| file_class(file_name));
    Some(qualified(&toks, &name))
}

/// What `@file:JvmName("Name")` says, read from the text (the lexer drops strings).
fn jvm_name(source: &str) -> Option<String> {
    let at = source.find("@file:JvmName(")?;
    let rest = source[at + "@file:JvmName(".len()..].trim_start();
    let rest = rest.strip_prefix('"')?;
    let name = &rest[..rest.find('"')?];
    (!name.is_empty()).then(|| name.to_owned())
}

/// Kotlin's class for the top-level declarations of `file_name`: its stem with the first
/// letter in upper case, characters a Java name cannot hold replaced by `_`, then `Kt`.
fn file_class(file_name: &str) -> String {
    let base = file_name.rsplit('/').next().unwrap_or(file_name);
    let stem = base.strip_suffix(".kt").unwrap_or(base);
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '$' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Some(first) = name.chars().next() {
        let upper: String = first.to_uppercase().collect();
        name.replace_range(..first.len_utf8(), &upper);
    }
    if name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    format!("{name}Kt")
}

/// The top-level Scala `object` with a `def main` directly in its body, or that extends
/// `App`.
pub fn scala_main_object(source: &str) -> Option<String> {
    let toks = lex(source);
    // Each open brace: the object it opened, when it opened a top-level object's body.
    let mut stack: Vec<Option<&str>> = Vec::new();
    let mut pending: Option<&str> = None;
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            Tok::Sym('{') => stack.push(pending.take()),
            Tok::Sym('}') => {
                stack.pop();
            }
            Tok::Ident("object") if stack.is_empty() => {
                if let Some(Tok::Ident(name)) = toks.get(i + 1) {
                    // `object Main extends App {` or `object Main extends App` with no body.
                    let header = toks[i + 2..]
                        .iter()
                        .take_while(|t| !matches!(t, Tok::Sym('{' | '}' | ';')))
                        .take_while(|t| **t != Tok::Ident("object"));
                    let extends_app = header
                        .collect::<Vec<_>>()
                        .windows(2)
                        .any(|w| w[0] == &Tok::Ident("extends") && w[1] == &Tok::Ident("App"));
                    if extends_app {
                        return Some(qualified(&toks, name));
                    }
                    pending = Some(name);
                }
            }
            Tok::Ident("def")
                if toks.get(i + 1) == Some(&Tok::Ident("main"))
                    && toks.get(i + 2) == Some(&Tok::Sym('(')) =>
            {
                if let (1, Some(Some(object))) = (stack.len(), stack.last()) {
                    return Some(qualified(&toks, object));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kotlin_runs_the_file_class_of_the_file_with_a_top_level_main() {
        let main = "fun main() {\n  val (a, b) = readLine()!!.split(\" \").map { it.toLong() }\n  println(a + b)\n}\n";
        assert_eq!(
            kotlin_main_class("main.kt", main).as_deref(),
            Some("MainKt")
        );
        assert_eq!(
            kotlin_main_class("src/two-sum.kt", main).as_deref(),
            Some("Two_sumKt")
        );
        let args = "fun main(args: Array<String>) { println(1) }";
        assert_eq!(kotlin_main_class("a.kt", args).as_deref(), Some("AKt"));
        // A helper file, a main inside a class or an extension named main: no program.
        assert_eq!(
            kotlin_main_class("util.kt", "fun gcd(a: Long, b: Long): Long = a"),
            None
        );
        let nested = "class Solver { fun main() {} }\nobject O { fun main() {} }";
        assert_eq!(kotlin_main_class("s.kt", nested), None);
        let extension = "fun String.main() {}";
        assert_eq!(kotlin_main_class("e.kt", extension), None);
        // In a comment or a string it is not code.
        assert_eq!(
            kotlin_main_class("c.kt", "// fun main() {}\nval s = \"fun main()\""),
            None
        );
    }

    #[test]
    fn kotlin_file_names_and_packages_as_kotlinc_makes_them() {
        let src = "@file:JvmName(\"Solution\")\npackage contest.a\n\nfun main() {}\n";
        assert_eq!(
            kotlin_main_class("main.kt", src).as_deref(),
            Some("contest.a.Solution")
        );
        let src = "package p\nfun main() {}";
        assert_eq!(
            kotlin_main_class("Main.kt", src).as_deref(),
            Some("p.MainKt")
        );
    }

    #[test]
    fn scala_runs_the_object_with_main_or_extending_app() {
        let main = "import scala.io.StdIn\nobject Solution {\n  def main(args: Array[String]): Unit = {\n    println(1)\n  }\n}\n";
        assert_eq!(scala_main_object(main).as_deref(), Some("Solution"));
        let app = "package contest\nobject Main extends App {\n  println(2)\n}\n";
        assert_eq!(scala_main_object(app).as_deref(), Some("contest.Main"));
        // A class's main, a nested object's and a helper object: none runs.
        let class = "class Main { def main(args: Array[String]): Unit = {} }";
        assert_eq!(scala_main_object(class), None);
        let nested = "object Outer { object Inner { def main(args: Array[String]): Unit = {} } }";
        assert_eq!(scala_main_object(nested), None);
        let helper = "object Util { def gcd(a: Long, b: Long): Long = a }";
        assert_eq!(scala_main_object(helper), None);
        // Two objects: the one with main.
        let two = "object Util { def f = 1 }\nobject Go { def main(args: Array[String]) = println(Util.f) }";
        assert_eq!(scala_main_object(two).as_deref(), Some("Go"));
    }
}
